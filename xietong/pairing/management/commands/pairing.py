from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xietong.pairing.tasks import run_daily


class Command(BaseCommand):
    help = (
        "Department pairing jobs. `xietong pairing daily [--date YYYY-MM-DD]` reminds pairs "
        "with no work contact in the period yet (from the reminder day) and escalates missed "
        "periods to the coordinators; safe to run again (see docs/pairing.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["daily"])
        parser.add_argument(
            "--date",
            dest="day",
            help="The day to run for (YYYY-MM-DD); today in the platform's time zone.",
        )

    def handle(self, *args, action, day=None, **options):
        today = timezone.localdate()
        if day:
            try:
                today = date.fromisoformat(day)
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not {day!r}") from exc
        result = run_daily(today)
        self.stdout.write(
            self.style.SUCCESS(
                f"{today:%Y-%m-%d}: {result.reminded} pairs reminded, {result.escalated} "
                f"escalated, {result.notifications} notifications."
            )
        )
