from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from xietong.core import demo


class Command(BaseCommand):
    help = "Demo data: `xietong demo load` creates or updates it (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["load", "logins"])

    def handle(self, *args, action, **options):
        if action == "load":
            counts = demo.load()
            self.stdout.write(
                self.style.SUCCESS(
                    "Demo data loaded: {partnerships} partnerships, {org_units} org units, "
                    "{users} users.".format(**counts)
                )
            )
        self.stdout.write(f"Demo logins (password for every account: {demo.DEMO_PASSWORD}):")
        with translation.override(settings.LANGUAGE_CODE):
            for username, full_name, title, role, _where in demo.USERS:
                self.stdout.write(f"  {username:<14} {full_name}（{role.label}）· {title}")
