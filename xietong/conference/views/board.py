"""The progress board (挂图打表) of an annual agreement, on screen and for the wall.

The board runs a fixed number of SQL queries whatever the number of tasks: one for the
tasks with their responsible person, one each for their units and milestones (prefetch),
and a few for the filter choices; every count, bar and the timeline is computed from
those rows in Python.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.core import scope
from xietong.core.models import User

from .. import services
from ..models import AnnualAgreement, Area, Milestone, Task, TaskUnit

# Timeline geometry, in SVG user units (the SVG scales to the page width).
LABEL_W = 320
CHART_W = 880
ROW_H = 22
HEAD_H = 26
BAR_H = 12


@dataclass
class Tally:
    """Tasks of a unit or an area: how many, how many finished, the mean percent."""

    label: str
    total: int = 0
    completed: int = 0
    percent_sum: int = 0
    lights: dict = field(default_factory=lambda: {"red": 0, "amber": 0, "green": 0})

    def add(self, task: Task) -> None:
        self.total += 1
        self.completed += task.status == Task.Status.COMPLETED
        self.percent_sum += task.percent
        if task.status != Task.Status.TERMINATED:
            self.lights[task.light] = self.lights.get(task.light, 0) + 1

    @property
    def percent(self) -> int:
        return round(self.percent_sum / self.total) if self.total else 0

    @property
    def completed_pct(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0


def _filters(request, agreement: AnnualAgreement, units, people) -> tuple[dict, list]:
    """The valid filters in the query string, and the choices to show."""
    pair = agreement.partnership
    choices = [
        ("area", _("Area"), [(k, str(v)) for k, v in Area.choices]),
        ("side", _("Side"), [(str(s.pk), s.name) for s in pair.sides]),
        ("unit", _("Unit"), [(str(u.pk), str(u)) for u in units]),
        ("status", _("Status"), [(k, str(v)) for k, v in Task.Status.choices]),
        ("light", _("Traffic light"), [(k, str(v)) for k, v in Task.Light.choices]),
        ("person", _("Responsible person"), [(str(p.pk), p.display_name) for p in people]),
    ]
    active = {}
    shown = []
    for param, label, options in choices:
        value = request.GET.get(param, "")
        if value not in {k for k, _v in options}:
            value = ""
        if value:
            active[param] = value
        shown.append((param, label, options, value))
    return active, shown


def _tasks(agreement: AnnualAgreement, active: dict):
    qs = agreement.tasks.select_related("responsible").prefetch_related(
        Prefetch(
            "task_units",
            TaskUnit.objects.select_related("unit__region").order_by(
                "role", "unit__region__name", "unit__sort_order", "unit__name"
            ),
        ),
        Prefetch("milestones", Milestone.objects.order_by("due_date", "pk")),
    )
    if "area" in active:
        qs = qs.filter(area=active["area"])
    if "side" in active:
        leads = TaskUnit.objects.filter(role=TaskUnit.Role.LEAD, unit__region_id=active["side"])
        qs = qs.filter(pk__in=leads.values("task"))
    if "unit" in active:
        qs = qs.filter(pk__in=TaskUnit.objects.filter(unit_id=active["unit"]).values("task"))
    if "status" in active:
        qs = qs.filter(status=active["status"])
    if "light" in active:
        qs = qs.filter(light=active["light"])
    if "person" in active:
        qs = qs.filter(responsible_id=active["person"])
    return list(qs.order_by("code"))


def _month_starts(start: date, end: date) -> list[date]:
    months, d = [], date(start.year, start.month, 1)
    while d <= end:
        months.append(d)
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return months


def timeline(tasks: list[Task], year: int, today: date) -> dict:
    """Rows of the Gantt chart: bars from start to deadline, milestones, today's line."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    for t in tasks:
        start = min(start, t.start_date)
        end = max(end, t.deadline, t.baseline_deadline, *(m.due_date for m in t.milestones.all()))
    span = (end - start).days + 1

    def x(d: date) -> float:
        return round(LABEL_W + (d - start).days / span * CHART_W, 1)

    rows = []
    for i, t in enumerate(tasks):
        y = HEAD_H + i * ROW_H
        bar_x, bar_end = x(t.start_date), x(t.deadline + timedelta(days=1))
        width = max(bar_end - bar_x, 2)
        bar_y = y + (ROW_H - BAR_H) / 2
        milestones = []
        for m in t.milestones.all():
            cx, cy, r = x(m.due_date), y + ROW_H / 2, BAR_H / 2 + 1
            state = "done" if m.done_on else ("late" if m.due_date < today else "open")
            milestones.append(
                {
                    "m": m,
                    "state": state,
                    "points": f"{cx},{cy - r} {cx + r},{cy} {cx},{cy + r} {cx - r},{cy}",
                }
            )
        rows.append(
            {
                "task": t,
                "y": y,
                "text_y": y + ROW_H / 2 + 4,
                "bar_x": bar_x,
                "bar_y": bar_y,
                "bar_w": round(width, 1),
                "done_w": round(width * t.percent / 100, 1),
                "baseline_x": x(t.baseline_deadline + timedelta(days=1)) if t.extended else None,
                "milestones": milestones,
                "label": f"{t.code} {t.title}"[:24],
                "odd": i % 2,
            }
        )
    height = HEAD_H + len(tasks) * ROW_H + 4
    months = [{"date": m, "x": x(m)} for m in _month_starts(start, end) if m >= start]
    return {
        "rows": rows,
        "months": months,
        "width": LABEL_W + CHART_W + 8,
        "height": height,
        "label_w": LABEL_W,
        "chart_end": LABEL_W + CHART_W,
        "today_x": x(today) if start <= today <= end else None,
        "head_y": HEAD_H - 8,
        "start": start,
        "end": end,
    }


def _url(name: str, pk: int) -> str | None:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def board_context(request, agreement: AnnualAgreement) -> dict:
    user: User = request.user
    pair = agreement.partnership
    today = timezone.localdate()
    units = list(scope.org_units(user).filter(region__in=pair.region_ids))
    people = list(
        scope.users(user)
        .filter(pk__in=agreement.tasks.exclude(responsible=None).values("responsible"))
        .order_by("full_name", "username")
    )
    active, shown = _filters(request, agreement, units, people)
    tasks = _tasks(agreement, active)

    lights = {"red": 0, "amber": 0, "green": 0}
    by_unit: OrderedDict[int, Tally] = OrderedDict((u.pk, Tally(str(u))) for u in units)
    by_area: OrderedDict[str, Tally] = OrderedDict((k, Tally(str(v))) for k, v in Area.choices)
    for t in tasks:
        t.leads = [tu for tu in t.task_units.all() if tu.role == TaskUnit.Role.LEAD]
        t.supports = [tu for tu in t.task_units.all() if tu.role == TaskUnit.Role.SUPPORT]
        if t.status != Task.Status.TERMINATED:
            lights[t.light] += 1
        by_area[t.area].add(t)
        for tu in t.leads:
            by_unit.setdefault(tu.unit_id, Tally(str(tu.unit))).add(t)
    total = len(tasks)
    completed = sum(t.status == Task.Status.COMPLETED for t in tasks)
    return {
        "agreement": agreement,
        "pair": pair,
        "today": today,
        "tasks": tasks,
        "total": total,
        "completed": completed,
        "completed_pct": round(100 * completed / total) if total else 0,
        "lights": lights,
        "by_unit": [tally for tally in by_unit.values() if tally.total],
        "by_area": [tally for tally in by_area.values() if tally.total],
        "timeline": timeline(tasks, agreement.year, today),
        "filters": shown,
        "filtered": bool(active),
        "querystring": request.GET.urlencode(),
        "can_create": services.can_coordinate(user, pair),
        "agreement_url": _url("conference:agreement_detail", agreement.pk),
        "export_url": _url("conference:task_export", agreement.pk),
    }


@login_required
def board(request, pk: int):
    agreement = scope.get_or_404(request.user, AnnualAgreement, pk=pk)
    return render(request, "conference/board.html", board_context(request, agreement))


@login_required
def board_print(request, pk: int):
    agreement = scope.get_or_404(request.user, AnnualAgreement, pk=pk)
    return render(request, "conference/board_print.html", board_context(request, agreement))


urlpatterns = [
    path("agreements/<int:pk>/board/", board, name="board"),
    path("agreements/<int:pk>/board/print/", board_print, name="board_print"),
]
