from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xietong.conference.models import LightRules
from xietong.conference.tasks import run_daily
from xietong.core.models import Programme


class Command(BaseCommand):
    help = (
        "Joint conference jobs. `xietong conference daily [--date YYYY-MM-DD]` applies the "
        "traffic-light rules, notifies, escalates overdue tasks and e-mails the digests "
        "(safe to run again the same day). `xietong conference rules --programme CODE "
        "[--amber-days N] [--report-days N]` shows or changes a programme's traffic-light "
        "rules (see docs/conference.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["daily", "rules"])
        parser.add_argument(
            "--date",
            dest="day",
            help="daily: the day to run for (YYYY-MM-DD); today in the platform's time zone.",
        )
        parser.add_argument("--programme", help="rules: the programme's code.")
        parser.add_argument(
            "--amber-days",
            type=int,
            help="rules: amber when a deadline or milestone is within this many days.",
        )
        parser.add_argument(
            "--report-days",
            type=int,
            help="rules: amber after this many days without an accepted report.",
        )

    def handle(self, *args, action, **options):
        if action == "daily":
            self.daily(options.get("day"))
        else:
            self.rules(options.get("programme"), options["amber_days"], options["report_days"])

    def daily(self, day: str | None) -> None:
        today = timezone.localdate()
        if day:
            try:
                today = date.fromisoformat(day)
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not {day!r}") from exc
        result = run_daily(today)
        self.stdout.write(
            self.style.SUCCESS(
                f"{today:%Y-%m-%d}: {result.changed} tasks changed, "
                f"{result.notifications} notifications, {result.escalated} escalated, "
                f"{result.digests} digests e-mailed."
            )
        )

    def rules(self, code: str | None, amber_days: int | None, report_days: int | None) -> None:
        if not code:
            raise CommandError("rules needs --programme CODE.")
        programme = Programme.objects.filter(code=code).first()
        if programme is None:
            raise CommandError(f"No programme with the code {code!r}.")
        for value in (amber_days, report_days):
            if value is not None and not 0 <= value <= 365:
                raise CommandError("Days must be between 0 and 365.")
        row = LightRules.objects.filter(programme=programme).first()
        if amber_days is not None or report_days is not None:
            row = row or LightRules(programme=programme)
            if amber_days is not None:
                row.amber_days_before_due = amber_days
            if report_days is not None:
                row.amber_days_without_report = report_days
            row.save()  # audited (LightRules is registered with auditlog)
        row = row or LightRules(programme=programme)
        self.stdout.write(
            f"{programme}: amber {row.amber_days_before_due} days before a deadline or "
            f"milestone, or after {row.amber_days_without_report} days without an accepted "
            "report; red when overdue."
        )
