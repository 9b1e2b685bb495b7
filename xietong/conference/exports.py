"""The task list with its latest progress as an xlsx workbook (through core.exports, which
keeps names typed by users from becoming formulas)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils.translation import gettext as _

from .models import ProgressReport, Task, TaskUnit


def with_latest_report(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Annotate each task with its latest accepted report (period, percent, narrative) and
    prefetch its units: a constant number of queries, however many tasks."""
    latest = ProgressReport.objects.filter(
        task=OuterRef("pk"), status=ProgressReport.Status.ACCEPTED
    ).order_by("-submitted_at", "-pk")
    return (
        tasks.select_related(
            "agreement__partnership__developed_side",
            "agreement__partnership__partner_side",
            "responsible",
        )
        .prefetch_related(
            Prefetch(
                "task_units",
                queryset=TaskUnit.objects.select_related("unit__region").order_by(
                    "unit__region__name", "unit__sort_order", "unit__name"
                ),
            )
        )
        .annotate(
            report_period=Subquery(latest.values("period")[:1]),
            report_percent=Subquery(latest.values("percent")[:1]),
            report_narrative=Subquery(latest.values("narrative")[:1]),
        )
        .order_by("agreement__partnership_id", "-agreement__year", "code")
    )


def headers() -> list[str]:
    return [
        _("Code"),
        _("Title"),
        _("Annual agreement"),
        _("Partnership"),
        _("Area"),
        _("Type"),
        _("Lead units"),
        _("Supporting units"),
        _("Responsible person"),
        _("Start date"),
        _("Deadline"),
        _("Original deadline"),
        _("Priority"),
        _("Stage"),
        _("Status"),
        _("Traffic light"),
        _("Percent complete"),
        _("Latest accepted report"),
        _("Reported percent"),
        _("Progress"),
    ]


def _units(task: Task, role: str) -> str:
    return "、".join(str(tu.unit) for tu in task.task_units.all() if tu.role == role)


def row(task: Task) -> Sequence:
    return [
        task.code,
        task.title,
        str(task.agreement),
        str(task.agreement.partnership),
        task.get_area_display(),
        task.get_kind_display(),
        _units(task, TaskUnit.Role.LEAD),
        _units(task, TaskUnit.Role.SUPPORT),
        str(task.responsible or ""),
        task.start_date.isoformat(),
        task.deadline.isoformat(),
        task.baseline_deadline.isoformat(),
        task.get_priority_display(),
        task.get_stage_display(),
        task.get_status_display(),
        task.get_light_display(),
        task.percent,
        task.report_period or "",
        task.report_percent if task.report_percent is not None else "",
        task.report_narrative or "",
    ]


def task_sheets(tasks: QuerySet[Task]) -> list[tuple[str, list[str], list[Sequence]]]:
    rows = [row(task) for task in with_latest_report(tasks)]
    return [(_("Task list"), headers(), rows)]
