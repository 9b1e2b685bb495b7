"""The monthly work-contact log and the yearly compliance table as xlsx sheets (through
core.exports, which keeps names typed by users from becoming formulas). The callers pass
querysets already scoped to the user (``queries.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import Prefetch, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import compliance
from .models import ContactParticipant, DepartmentPair, FollowUpAction, Side, WorkContact

Sheet = tuple[str, list[str], list[Sequence]]


def state_label(state: str) -> str:
    """The name of a compliance state, as the heatmap's legend shows it."""
    return {
        compliance.HELD: pgettext("compliance", "Held"),
        compliance.UNCONFIRMED: pgettext("compliance", "Awaiting confirmation"),
        compliance.NOT_YET: pgettext("compliance", "Not yet due"),
        compliance.MISSED: pgettext("compliance", "Missed"),
        compliance.NOT_APPLICABLE: pgettext("compliance", "Not applicable"),
    }[state]


def percent(rate: compliance.Rate) -> str:
    """``83%`` or ``—`` when nothing was due."""
    value = rate.rate
    return "—" if value is None else f"{round(value * 100)}%"


def _people(contact: WorkContact, side: str) -> str:
    parts = []
    for p in contact.participants.all():
        if p.side == side:
            extra = "，".join(x for x in (p.unit, p.title) if x)
            parts.append(f"{p.name}（{extra}）" if extra else p.name)
    return "、".join(parts)


def _actions(contact: WorkContact) -> str:
    lines = []
    for i, a in enumerate(contact.follow_ups.all(), start=1):
        line = f"{i}. {a.text}（{Side(a.owner_side).label}"
        if a.due_on:
            line += f"，{_('due')} {a.due_on.isoformat()}"
        if a.task_id:
            line += f"，{_('task')} {a.task.code}"
        lines.append(line + "）")
    return "\n".join(lines)


def contact_log_headers() -> list[str]:
    return [
        _("Held on"),
        _("Partnership"),
        _("Department of the developed side"),
        _("Department of the partner side"),
        _("Form"),
        _("Host side"),
        _("Place"),
        _("Topics"),
        _("Outcomes"),
        _("Participants of the developed side"),
        _("Participants of the partner side"),
        _("Follow-up actions"),
        _("Recorded by"),
        _("Recorded for"),
        _("Status"),
        _("Confirmed by"),
        _("Confirmed on"),
        _("Reason for return"),
    ]


def contact_row(contact: WorkContact) -> list:
    pair = contact.pair
    confirmed = timezone.localtime(contact.confirmed_at).date() if contact.confirmed_at else None
    return [
        contact.held_on.isoformat(),
        str(pair.partnership),
        pair.developed_unit.name,
        pair.partner_unit.name,
        contact.form_label,
        contact.get_host_side_display(),
        contact.place,
        contact.topics,
        contact.outcomes,
        _people(contact, Side.DEVELOPED),
        _people(contact, Side.PARTNER),
        _actions(contact),
        contact.recorded_by.display_name,
        contact.get_recorded_side_display(),
        contact.get_status_display(),
        contact.confirmed_by.display_name if contact.confirmed_by_id else "",
        confirmed.isoformat() if confirmed else "",
        contact.return_reason if contact.status == WorkContact.Status.RETURNED else "",
    ]


def contact_log_sheets(contacts: QuerySet[WorkContact], month: date | None) -> list[Sheet]:
    """The contact log (of ``month`` when given), oldest first, with participants and
    follow-up actions in a constant number of queries."""
    if month is not None:
        contacts = contacts.filter(held_on__year=month.year, held_on__month=month.month)
    rows = (
        contacts.select_related(
            "pair__partnership__developed_side", "pair__partnership__partner_side"
        )
        .prefetch_related(
            Prefetch("participants", queryset=ContactParticipant.objects.order_by("side", "pk")),
            Prefetch("follow_ups", queryset=FollowUpAction.objects.select_related("task")),
        )
        .order_by("held_on", "pair__partnership_id", "pk")
    )
    title = (
        _("Work contacts %(month)s") % {"month": formats.date_format(month, "YEAR_MONTH_FORMAT")}
        if month
        else _("Work contacts")
    )
    return [(title, contact_log_headers(), [contact_row(c) for c in rows])]


def compliance_sheets(
    pairs: QuerySet[DepartmentPair] | Sequence[DepartmentPair],
    year: int,
    today: date | None = None,
) -> list[Sheet]:
    """Pairs × the 12 months of ``year`` with each month's state, the quarterly and yearly
    rates; a second sheet with each side's departments over all their pairs."""
    today = today or timezone.localdate()
    pairs = list(pairs)
    months = compliance.months_of_year(year)
    grid = compliance.grid(pairs, months, today)
    rates = {r.pair.pk: r for r in compliance.pair_rates(pairs, year, today)}
    quarter_names = [_("Q%(q)s") % {"q": q} for q in (1, 2, 3, 4)]
    headers = [
        _("Partnership"),
        _("Department of the developed side"),
        _("Department of the partner side"),
        _("Contact frequency"),
        *[formats.date_format(m, "YEAR_MONTH_FORMAT") for m in months],
        *quarter_names,
        _("Year rate"),
        _("Periods held"),
        _("Periods due"),
    ]
    rows = []
    for row in grid:
        pair = row.pair
        rate = rates[pair.pk]
        rows.append(
            [
                str(pair.partnership),
                pair.developed_unit.name,
                pair.partner_unit.name,
                pair.get_frequency_display(),
                *[state_label(cell.status) for cell in row.cells],
                *[percent(rate.quarters[q]) for q in (1, 2, 3, 4)],
                percent(rate.year),
                rate.year.held,
                rate.year.due,
            ]
        )
    side_headers = [
        _("Side"),
        _("Department"),
        _("Pairs"),
        *quarter_names,
        _("Year rate"),
        _("Periods held"),
        _("Periods due"),
    ]
    side_rows = []
    for side, totals in compliance.side_rates(pairs, year, today).items():
        label = str(Side(side).label)
        for unit in totals.units:
            side_rows.append(
                [
                    label,
                    unit.unit.name,
                    unit.pairs,
                    *[percent(unit.quarters[q]) for q in (1, 2, 3, 4)],
                    percent(unit.year),
                    unit.year.held,
                    unit.year.due,
                ]
            )
        side_rows.append(
            [
                label,
                _("Whole side"),
                len(pairs),
                *[percent(totals.quarters[q]) for q in (1, 2, 3, 4)],
                percent(totals.year),
                totals.year.held,
                totals.year.due,
            ]
        )
    return [
        (_("Compliance %(year)d") % {"year": year}, headers, rows),
        (_("Rates by side"), side_headers, side_rows),
    ]
