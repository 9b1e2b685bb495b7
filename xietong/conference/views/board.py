"""The progress board (挂图打表) of an annual agreement, on screen and for the wall.

The board runs a fixed number of SQL queries whatever the number of tasks: one for the
tasks (with their responsible person's name), one for their units, one for their
milestones, and a few for the filter choices and the page shell. It reads plain values
(``values_list``), not model instances, and does every count, bar and the timeline's
geometry in Python in one pass: each task becomes one small dict for the table, and the
timeline's rows are written as SVG markup here rather than by a template loop, which at
1,000 tasks cost more than everything else together (``make bench-conference``).

A large agreement's table shows its first ``TABLE_ROWS`` rows; the rest come with
"show all" (htmx, ``board_rows``). The printable view always holds every row.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from xietong.core import scope
from xietong.core.models import User

from .. import services
from ..models import AnnualAgreement, Area, Milestone, Task, TaskUnit

# Timeline geometry, in SVG user units (the SVG scales to the page width).
LABEL_W = 320
CHART_W = 880
ROW_H = 22
HEAD_H = 32  # the year over the month labels
FOOT_H = 16  # today's label under the rows
BAR_H = 12

# Rows of the on-screen table before "show all" (the printable view shows every row);
# settings.CONFERENCE_BOARD_TABLE_ROWS overrides it.
TABLE_ROWS = 100
LIGHT_BADGE = {
    "red": "bg-red text-red-fg",
    "amber": "bg-yellow text-yellow-fg",
    "green": "bg-green text-green-fg",
}
FINISHED_BADGE = "bg-secondary-lt"


@dataclass
class Tally:
    """Tasks of a unit or an area: how many, how many finished, the mean percent."""

    label: str
    total: int = 0
    completed: int = 0
    percent_sum: int = 0
    lights: dict = field(default_factory=lambda: {"red": 0, "amber": 0, "green": 0})

    def add(self, row: dict) -> None:
        self.total += 1
        self.completed += row["status"] == Task.Status.COMPLETED
        self.percent_sum += row["percent"]
        if row["status"] != Task.Status.TERMINATED:
            self.lights[row["light"]] = self.lights.get(row["light"], 0) + 1

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
        ("area", gettext_lazy("Area"), [(k, str(v)) for k, v in Area.choices]),
        ("side", gettext_lazy("Side"), [(str(s.pk), s.name) for s in pair.sides]),
        ("unit", gettext_lazy("Unit"), [(str(u.pk), str(u)) for u in units]),
        ("status", gettext_lazy("Status"), [(k, str(v)) for k, v in Task.Status.choices]),
        ("light", gettext_lazy("Traffic light"), [(k, str(v)) for k, v in Task.Light.choices]),
        (
            "person",
            gettext_lazy("Responsible person"),
            [(str(p.pk), p.display_name) for p in people],
        ),
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
    """The agreement's tasks narrowed by the active filters (a queryset, not yet run)."""
    qs = agreement.tasks.all()
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
    return qs


TASK_FIELDS = (
    "pk",
    "code",
    "title",
    "area",
    "status",
    "stage",
    "light",
    "percent",
    "start_date",
    "deadline",
    "baseline_deadline",
    "responsible__full_name",
    "responsible__first_name",
    "responsible__last_name",
    "responsible__username",
)


_DATE_TEXT: dict[tuple[str, date], str] = {}


class _Dates:
    """Dates in the active language's DATE_FORMAT (as the ``date`` filter writes them).
    Formatting one costs ~50 µs and a board repeats the same few hundred days, so each is
    formatted once per language and process (the cache is bounded by the calendar)."""

    def __init__(self):
        self.language = get_language() or ""

    def __call__(self, value: date) -> str:
        key = (self.language, value)
        text = _DATE_TEXT.get(key)
        if text is None:
            if len(_DATE_TEXT) > 50_000:
                _DATE_TEXT.clear()
            text = _DATE_TEXT[key] = formats.date_format(value)
        return text


def _url_maker(name: str):
    """``reverse(name, args=[pk])`` for many pks at the cost of one reverse."""
    sentinel = 987654321
    try:
        head, tail = reverse(name, args=[sentinel]).rsplit(str(sentinel), 1)
    except NoReverseMatch:
        return lambda pk: ""
    return lambda pk: f"{head}{pk}{tail}"


def board_rows(qs) -> list[dict]:
    """One small dict per task, in code order, with its units and milestones: three
    queries whatever the number of tasks."""
    ids = qs.values("pk")
    units: dict[int, list[tuple]] = {}
    for task_id, role, unit_id, name, region in (
        TaskUnit.objects.filter(task__in=ids)
        .order_by("role", "unit__region__name", "unit__sort_order", "unit__name")
        .values_list("task_id", "role", "unit_id", "unit__name", "unit__region__name")
    ):
        units.setdefault(task_id, []).append((role, unit_id, f"{region}{name}"))
    milestones: dict[int, list[tuple]] = {}
    for task_id, title, due, done in (
        Milestone.objects.filter(task__in=ids)
        .order_by("due_date", "pk")
        .values_list("task_id", "title", "due_date", "done_on")
    ):
        milestones.setdefault(task_id, []).append((title, due, done))

    labels = {
        "area": {k: str(v) for k, v in Area.choices},
        "status": {k: str(v) for k, v in Task.Status.choices},
        "stage": {k: str(v) for k, v in Task.Stage.choices},
        "light": {k: str(v) for k, v in Task.Light.choices},
    }
    closed = {Task.Stage.CLOSED, Task.Stage.TERMINATED}
    url = _url_maker("conference:task_detail")
    day = _Dates()
    rows = []
    for values in qs.order_by("code").values_list(*TASK_FIELDS):
        (pk, code, title, area, status, stage, light, percent, start, deadline, baseline,
         full_name, first, last, username) = values  # fmt: skip
        task_units = units.get(pk, [])
        leads = [(unit_id, label) for role, unit_id, label in task_units if role == "lead"]
        person = (full_name or f"{first} {last}".strip() or username) if username else "—"
        is_open = stage not in closed
        stage_label = labels["stage"].get(stage, stage)
        rows.append(
            {
                "pk": pk,
                "code": code,
                "title": title,
                "url": url(pk),
                "area": area,
                "area_label": labels["area"].get(area, area),
                "status": status,
                "status_label": labels["status"].get(status, status),
                "stage_label": stage_label,
                "light": light,
                # A closed (销号) or terminated task has no light any more: a grey badge
                # naming its stage instead.
                "light_label": labels["light"].get(light, light) if is_open else stage_label,
                "light_badge": LIGHT_BADGE.get(light, "") if is_open else FINISHED_BADGE,
                "open": is_open,
                "state": "" if is_open else stage,
                "percent": percent,
                "start_date": start,
                "deadline": deadline,
                "baseline_deadline": baseline,
                "extended": deadline != baseline,
                "deadline_text": day(deadline),
                "baseline_text": day(baseline) if deadline != baseline else "",
                "responsible": person or "—",
                "leads": leads,
                "leads_text": "、".join(label for _id, label in leads),
                "milestones": milestones.get(pk, []),
            }
        )
    return rows


def _month_starts(start: date, end: date) -> list[date]:
    months, d = [], date(start.year, start.month, 1)
    while d <= end:
        months.append(d)
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return months


def _fit(text: str, width: float, size: float = 11) -> str:
    """``text`` cut to ``width`` SVG units at font size ``size`` with an ellipsis when cut
    (a CJK character is about one em wide, Latin letters and digits about 0.6 em)."""
    used, limit = 0.0, width - size  # room for the ellipsis
    for i, ch in enumerate(text):
        used += size if ord(ch) > 0x2E7F else size * 0.6
        if used > width:
            out, used = text[:i], used - (size if ord(ch) > 0x2E7F else size * 0.6)
            while out and used > limit:
                used -= size if ord(out[-1]) > 0x2E7F else size * 0.6
                out = out[:-1]
            return out.rstrip() + "…"
    return text


def _month_labels(months: list[date]) -> list[dict]:
    """Month labels of the axis: one style for every month (Jan … Dec, 1月 … 12月), the
    year written once above the first month and above each January."""
    day = _Dates()
    out = []
    for i, m in enumerate(months):
        # A date format, translated: "M" (Jan) in English, "n月" (1月) in Chinese.
        label = formats.date_format(m, pgettext("timeline month, a date format", "M"))
        year = (
            pgettext("timeline year", "%(year)s") % {"year": m.year}
            if i == 0 or m.month == 1
            else ""
        )
        out.append({"date": m, "label": label, "year": year, "title": day(m)})
    return out


def timeline(rows: list[dict], year: int, today: date) -> dict:
    """The Gantt chart: bars from start to deadline with the progress, milestones as
    diamonds (done, late or open), the original deadline of an extended task as a dashed
    line, month lines and today's line. The task rows are SVG markup written here in one
    pass (escaped), the few month and today elements are left to the template. Closed and
    terminated tasks are drawn grey, whatever their last light.

    The same pass writes the compact list that phones show instead of the chart (a chart
    a year wide is unreadable at 390 px): per task its light, dates and a progress bar."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    for r in rows:
        start = min(start, r["start_date"])
        end = max(end, r["deadline"], r["baseline_deadline"], *(m[1] for m in r["milestones"]))
    origin = start.toordinal()
    scale = CHART_W / ((end - start).days + 1)

    def x(d: date) -> float:
        return round(LABEL_W + (d.toordinal() - origin) * scale, 1)

    day = _Dates()
    esc = html.escape
    width = LABEL_W + CHART_W + 8
    originally = esc(_("original deadline"))
    stripes, out, compact = [], [], []
    one_day = timedelta(days=1)
    half_row, r_ms = ROW_H / 2, BAR_H / 2 + 1
    for i, r in enumerate(rows):
        y = HEAD_H + i * ROW_H
        if i % 2:
            stripes.append(f'<rect class="g-stripe" x="0" y="{y}" width="{width}" height="22"/>')
        bar_x = x(r["start_date"])
        bar_w = round(max(x(r["deadline"] + one_day) - bar_x, 2), 1)
        bar_y = y + (ROW_H - BAR_H) / 2
        code, light = esc(r["code"]), r["light"]
        tone = light if r["open"] else r["state"]
        dates = f"{day(r['start_date'])} – {day(r['deadline'])}"
        note = f"（{originally} {day(r['baseline_deadline'])}）" if r["extended"] else ""
        out.append(
            f'<g data-testid="gantt-row" data-code="{code}">'
            f"<title>{code} {esc(r['title'])} · {esc(r['light_label'])} · {dates}{note}"
            f" · {r['percent']}%</title>"
            f'<a href="{r["url"]}"><text x="4" y="{y + half_row + 4}">'
            f"{esc(_fit(r['code'] + ' ' + r['title'], LABEL_W - 12))}</text></a>"
            f'<rect class="g-bar g-{tone}" x="{bar_x}" y="{bar_y}" '
            f'width="{bar_w}" height="12" rx="2"/>'
        )
        done_w = round(bar_w * r["percent"] / 100, 1)
        if done_w:
            out.append(
                f'<rect class="g-progress g-{tone}" x="{bar_x}" y="{bar_y}" '
                f'width="{done_w}" height="12" rx="2"/>'
            )
        if r["extended"]:
            bx = x(r["baseline_deadline"] + one_day)
            out.append(f'<line class="g-baseline" x1="{bx}" y1="{y}" x2="{bx}" y2="{y + 22}"/>')
        cy = y + half_row
        for title, due, done in r["milestones"]:
            state = "done" if done else ("late" if due < today else "open")
            cx = x(due)
            out.append(
                f'<polygon class="g-ms {state}" points="{cx},{cy - r_ms} {cx + r_ms},{cy} '
                f'{cx},{cy + r_ms} {cx - r_ms},{cy}"><title>{esc(title)} {day(due)}</title>'
                "</polygon>"
            )
        out.append("</g>")
        compact.append(
            f'<li class="gc-item" data-code="{code}">'
            f'<span class="badge task-light {r["light_badge"]}">{esc(r["light_label"])}</span> '
            f'<a href="{r["url"]}" class="gc-title">{code} {esc(r["title"])}</a>'
            f'<div class="gc-meta"><span>{dates}</span>'
            f'<span class="gc-pct">{r["percent"]}%</span></div>'
            f'<svg class="pct-bar gc-bar" viewBox="0 0 100 6" preserveAspectRatio="none" '
            f'aria-hidden="true"><rect class="pct-bg" width="100" height="6"/>'
            f'<rect class="pct-fill gc-{tone}" width="{r["percent"]}" height="6"/></svg></li>'
        )
    height = HEAD_H + len(rows) * ROW_H + FOOT_H
    months = [
        {**m, "x": x(m["date"])}
        for m in _month_labels(_month_starts(start, end))
        if m["date"] >= start
    ]
    today_x = x(today) if start <= today <= end else None
    return {
        "stripes": mark_safe("".join(stripes)),  # numbers only
        "rows": mark_safe("".join(out)),  # every text in it was escaped above
        "compact": mark_safe("".join(compact)),  # escaped above too
        "count": len(rows),
        "months": months,
        "width": width,
        "height": height,
        "label_w": LABEL_W,
        "chart_end": LABEL_W + CHART_W,
        "today_x": today_x,
        "today_anchor": "end"
        if today_x is not None and today_x > LABEL_W + CHART_W - 40
        else "middle",
        "rows_end": HEAD_H + len(rows) * ROW_H,
        "today_label_y": HEAD_H + len(rows) * ROW_H + FOOT_H - 4,
        "year_y": 11,
        "head_y": HEAD_H - 7,
        "start": start,
        "end": end,
    }


def _url(name: str, pk: int) -> str | None:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def _scope(request, agreement: AnnualAgreement) -> tuple[dict, list, list]:
    """The filter choices the user sees, the active filters and the pair's units."""
    user: User = request.user
    pair = agreement.partnership
    units = list(scope.org_units(user).filter(region__in=pair.region_ids))
    people = list(
        scope.users(user)
        .filter(pk__in=agreement.tasks.exclude(responsible=None).values("responsible"))
        .order_by("full_name", "username")
    )
    active, shown = _filters(request, agreement, units, people)
    return active, shown, units


def board_context(request, agreement: AnnualAgreement, *, print_view: bool = False) -> dict:
    user: User = request.user
    pair = agreement.partnership
    today = timezone.localdate()
    active, shown, units = _scope(request, agreement)
    rows = board_rows(_tasks(agreement, active))

    lights = {"red": 0, "amber": 0, "green": 0}
    by_unit: OrderedDict[int, Tally] = OrderedDict((u.pk, Tally(str(u))) for u in units)
    by_area: OrderedDict[str, Tally] = OrderedDict((k, Tally(str(v))) for k, v in Area.choices)
    completed = 0
    for r in rows:
        if r["status"] != Task.Status.TERMINATED:
            lights[r["light"]] += 1
        completed += r["status"] == Task.Status.COMPLETED
        by_area[r["area"]].add(r)
        for unit_id, label in r["leads"]:
            by_unit.setdefault(unit_id, Tally(label)).add(r)
    total = len(rows)
    querystring = request.GET.urlencode()
    limit = getattr(settings, "CONFERENCE_BOARD_TABLE_ROWS", TABLE_ROWS)
    shown_rows = rows if print_view or total <= limit else rows[:limit]
    return {
        "agreement": agreement,
        "pair": pair,
        "today": today,
        "tasks": shown_rows,
        "more": total - len(shown_rows),
        "rows_url": reverse("conference:board_rows", args=[agreement.pk])
        + (f"?{querystring}" if querystring else ""),
        "total": total,
        "completed": completed,
        "completed_pct": round(100 * completed / total) if total else 0,
        "lights": lights,
        "by_unit": [tally for tally in by_unit.values() if tally.total],
        "by_area": [tally for tally in by_area.values() if tally.total],
        "timeline": timeline(rows, agreement.year, today),
        "filters": shown,
        "filtered": bool(active),
        "querystring": querystring,
        "print": print_view,
        "can_create": services.can_coordinate(user, pair),
        "agreement_url": _url("conference:agreement_detail", agreement.pk),
        "export_url": _url("conference:task_export", agreement.pk),
    }


@login_required
def board(request, pk: int):
    agreement = scope.get_or_404(request.user, AnnualAgreement, pk=pk)
    return render(request, "conference/board.html", board_context(request, agreement))


@login_required
def board_all_rows(request, pk: int):
    """Every row of the (filtered) table, for "show all" on a large board (htmx)."""
    agreement = scope.get_or_404(request.user, AnnualAgreement, pk=pk)
    active, _shown, _units = _scope(request, agreement)
    context = {"tasks": board_rows(_tasks(agreement, active)), "print": False}
    return render(request, "conference/board_table_rows.html", context)


@login_required
def board_print(request, pk: int):
    agreement = scope.get_or_404(request.user, AnnualAgreement, pk=pk)
    context = board_context(request, agreement, print_view=True)
    return render(request, "conference/board_print.html", context)


urlpatterns = [
    path("agreements/<int:pk>/board/", board, name="board"),
    path("agreements/<int:pk>/board/rows/", board_all_rows, name="board_rows"),
    path("agreements/<int:pk>/board/print/", board_print, name="board_print"),
]
