"""Writes of plans and their key tasks, of meetings (attendees, resolutions) and of annual
agreements — the records the coordinators keep for the joint conference.

Same contract as ``services.py``: each function takes the acting user first, lets only the
pair's coordinators (either side, the programme's coordinators, the administrator) write,
writes in one transaction (django-auditlog records the rows) and raises PermissionDenied
for a role that may not, ValidationError with the field concerned for a broken rule, and
``versions.EditConflict`` when the object changed since the editor loaded it. A closed plan
is history: nothing of it changes any more.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xietong.core.models import OrgUnit, Partnership, Region, User

from .models import AnnualAgreement, Area, Attendee, KeyTask, Meeting, Plan, Resolution
from .services import can_coordinate, next_meeting_number
from .versions import lock


def _require_coordinator(user: User, partnership: Partnership) -> None:
    if not can_coordinate(user, partnership):
        raise PermissionDenied(_("Your role does not allow this."))


def _require_live(plan: Plan) -> None:
    if plan.status == Plan.Status.CLOSED:
        raise PermissionDenied(
            _("This plan is closed: it is kept as history and can no longer be changed.")
        )


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _apply(obj, fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unexpected fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(obj, name, value)


# --- Plans ----------------------------------------------------------------------------

PLAN_FIELDS = ("kind", "title", "start_year", "end_year", "summary", "adopted_at")


def _check_plan(plan: Plan) -> None:
    errors: dict[str, list[str]] = {}
    if plan.start_year and plan.end_year and plan.end_year < plan.start_year:
        errors["end_year"] = [_("The plan cannot end before it starts.")]
    if plan.adopted_at is not None and plan.adopted_at.partnership_id != plan.partnership_id:
        errors["adopted_at"] = [_("The meeting belongs to another partnership.")]
    if not errors:
        overlap = (
            Plan.objects.filter(partnership_id=plan.partnership_id, kind=plan.kind)
            .exclude(pk=plan.pk)
            .filter(start_year__lte=plan.end_year, end_year__gte=plan.start_year)
            .first()
        )
        if overlap is not None:
            errors["start_year"] = [
                _("“%(plan)s” (%(start)s–%(end)s) already covers some of these years.")
                % {"plan": overlap.title, "start": overlap.start_year, "end": overlap.end_year}
            ]
    _raise(errors)
    plan.full_clean()


@transaction.atomic
def create_plan(
    user: User,
    *,
    partnership: Partnership,
    kind: str,
    title: str,
    start_year: int,
    end_year: int,
    summary: str = "",
    adopted_at: Meeting | None = None,
) -> Plan:
    """Record a live plan of the pair; plans of one kind may not overlap in years."""
    _require_coordinator(user, partnership)
    plan = Plan(
        partnership=partnership,
        kind=kind,
        title=title,
        start_year=start_year,
        end_year=end_year,
        status=Plan.Status.LIVE,
        summary=summary,
        adopted_at=adopted_at,
    )
    _check_plan(plan)
    plan.save()
    return plan


@transaction.atomic
def update_plan(user: User, plan: Plan, *, version: str | None = None, **fields) -> Plan:
    """Change a live plan; its kind stays once annual agreements follow it."""
    _require_coordinator(user, plan.partnership)
    plan = lock(plan, version)
    _require_live(plan)
    old_kind = plan.kind
    _apply(plan, fields, PLAN_FIELDS)
    if plan.kind != old_kind and plan.agreements.exists():
        raise ValidationError(
            {"kind": [_("Annual agreements follow this plan: its kind cannot change.")]}
        )
    _check_plan(plan)
    plan.save()
    return plan


@transaction.atomic
def close_plan(user: User, plan: Plan, *, version: str | None = None) -> Plan:
    """Close a plan: from now on it is read-only history (as the 2021–2025 plan is)."""
    _require_coordinator(user, plan.partnership)
    plan = lock(plan, version)
    _require_live(plan)
    plan.status = Plan.Status.CLOSED
    plan.save(update_fields=["status"])
    return plan


# --- Key tasks ------------------------------------------------------------------------

KEY_TASK_FIELDS = ("area", "code", "title", "description")

# The codes the pairs use: the pinyin initials of the area (产业, 城乡, 科技, 公共) and a number.
AREA_PREFIXES = {
    Area.INDUSTRY: "CY",
    Area.URBAN_RURAL: "CX",
    Area.SCI_TECH: "KJ",
    Area.PUBLIC_SERVICES: "GG",
}
_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def next_key_task_code(plan: Plan, area: str) -> str:
    """The next free code of the area, continuing its numbering (CY3 after CY1, CY2)."""
    taken = set(plan.key_tasks.values_list("code", flat=True))
    prefix, number = AREA_PREFIXES.get(area, "K"), 0
    for code in plan.key_tasks.filter(area=area).values_list("code", flat=True):
        match = _NUMBERED.match(code)
        if match and int(match.group(2)) >= number:
            prefix, number = match.group(1), int(match.group(2))
    number += 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def _check_key_task(key_task: KeyTask) -> None:
    clash = KeyTask.objects.filter(plan_id=key_task.plan_id, code=key_task.code)
    if clash.exclude(pk=key_task.pk).exists():
        raise ValidationError({"code": [_("This plan already has a key task with this code.")]})
    key_task.full_clean()


@transaction.atomic
def create_key_task(
    user: User, plan: Plan, *, area: str, title: str, code: str = "", description: str = ""
) -> KeyTask:
    """Add a key task to a live plan; without a code it gets the area's next one."""
    _require_coordinator(user, plan.partnership)
    _require_live(plan)
    key_task = KeyTask(
        plan=plan,
        area=area,
        code=(code or "").strip() or next_key_task_code(plan, area),
        title=title,
        description=description,
    )
    _check_key_task(key_task)
    key_task.save()
    return key_task


@transaction.atomic
def update_key_task(
    user: User, key_task: KeyTask, *, version: str | None = None, **fields
) -> KeyTask:
    _require_coordinator(user, key_task.plan.partnership)
    _require_live(key_task.plan)
    key_task = lock(key_task, version)
    _apply(key_task, fields, KEY_TASK_FIELDS)
    _check_key_task(key_task)
    key_task.save()
    return key_task


@transaction.atomic
def move_key_task(user: User, key_task: KeyTask, *, direction: str) -> bool:
    """Move a key task up or down within its area; False when it is already at that end.

    Key tasks are listed in the order of their codes, the numbers they carry in the plan's
    text, so moving one swaps its code with its neighbour's: the tasks implementing either
    stay linked to the same key task, which is renumbered as the plan's text would be.
    """
    if direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Move “up” or “down”.")]})
    plan = key_task.plan
    _require_coordinator(user, plan.partnership)
    _require_live(plan)
    siblings = list(
        KeyTask.objects.select_for_update().filter(plan=plan, area=key_task.area).order_by("code")
    )
    index = next(i for i, kt in enumerate(siblings) if kt.pk == key_task.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return False
    mine, theirs = siblings[index], siblings[other]
    codes = mine.code, theirs.code
    mine.code = uuid.uuid4().hex[:20]  # the pair's codes are unique: step aside first
    mine.save(update_fields=["code"])
    theirs.code = codes[0]
    theirs.save(update_fields=["code"])
    mine.code = codes[1]
    mine.save(update_fields=["code"])
    return True


@transaction.atomic
def delete_key_task(user: User, key_task: KeyTask) -> None:
    """Remove a key task of a live plan that no task implements."""
    _require_coordinator(user, key_task.plan.partnership)
    _require_live(key_task.plan)
    count = key_task.tasks.count()
    if count:
        raise ValidationError(
            _(
                "“%(key_task)s” cannot be deleted: %(count)d task(s) of the annual agreements "
                "implement it. Link them to another key task first."
            )
            % {"key_task": key_task, "count": count}
        )
    key_task.delete()


# --- Meetings -------------------------------------------------------------------------

MEETING_FIELDS = (
    "number",
    "year",
    "date",
    "host_side",
    "place",
    "convener_developed",
    "convener_partner",
    "status",
    "minutes",
)


def _meeting_defaults_and_checks(meeting: Meeting) -> None:
    """Left empty: the pair's next number, the year of the date, the partner side as host
    and as place (joint conferences meet in principle in the less developed district)."""
    pair = meeting.partnership
    if not meeting.number:
        meeting.number = next_meeting_number(pair)
    if not meeting.year and meeting.date:
        meeting.year = meeting.date.year
    if meeting.host_side_id is None:
        meeting.host_side = pair.partner_side
    if not (meeting.place or "").strip():
        meeting.place = pair.partner_side.name
    errors: dict[str, list[str]] = {}
    if meeting.host_side_id not in pair.region_ids:
        errors["host_side"] = [_("The host must be one of the two sides of the pair.")]
    clash = Meeting.objects.filter(partnership=pair, number=meeting.number)
    if clash.exclude(pk=meeting.pk).exists():
        errors["number"] = [_("This partnership already has a meeting with this number.")]
    _raise(errors)
    meeting.full_clean()


@transaction.atomic
def create_meeting(user: User, *, partnership: Partnership, date: date, **fields) -> Meeting:
    """Record a joint conference of the pair, with the defaults above for what is left out."""
    _require_coordinator(user, partnership)
    meeting = Meeting(partnership=partnership, date=date)
    _apply(meeting, fields, MEETING_FIELDS)
    _meeting_defaults_and_checks(meeting)
    meeting.save()
    return meeting


@transaction.atomic
def update_meeting(
    user: User, meeting: Meeting, *, version: str | None = None, **fields
) -> Meeting:
    """Change a meeting; a number, year or host left empty keeps the one it has."""
    _require_coordinator(user, meeting.partnership)
    meeting = lock(meeting, version)
    keep = ("number", "year", "host_side")
    fields = {k: v for k, v in fields.items() if v is not None or k not in keep}
    _apply(meeting, fields, MEETING_FIELDS)
    _meeting_defaults_and_checks(meeting)
    meeting.save()
    return meeting


@transaction.atomic
def add_attendee(
    user: User,
    meeting: Meeting,
    *,
    side: Region,
    name: str,
    org_unit: OrgUnit | None = None,
    title: str = "",
) -> Attendee:
    """An attendee of one side, optionally of one of that side's units."""
    _require_coordinator(user, meeting.partnership)
    errors: dict[str, list[str]] = {}
    if side.pk not in meeting.partnership.region_ids:
        errors["side"] = [_("The side must be one of the two sides of the pair.")]
    elif org_unit is not None and org_unit.region_id != side.pk:
        errors["org_unit"] = [_("This unit is not on the chosen side.")]
    if not (name or "").strip():
        errors["name"] = [_("Give the attendee's name.")]
    _raise(errors)
    attendee = Attendee(meeting=meeting, side=side, org_unit=org_unit, name=name, title=title)
    attendee.full_clean()
    attendee.save()
    return attendee


@transaction.atomic
def remove_attendee(user: User, attendee: Attendee) -> None:
    _require_coordinator(user, attendee.meeting.partnership)
    attendee.delete()


@transaction.atomic
def add_resolution(
    user: User, meeting: Meeting, *, text: str, number: int | None = None
) -> Resolution:
    """A decision of the meeting (议定事项), numbered after the last one unless given."""
    _require_coordinator(user, meeting.partnership)
    if not number:
        last = meeting.resolutions.order_by("-number").values_list("number", flat=True).first()
        number = (last or 0) + 1
    errors: dict[str, list[str]] = {}
    if meeting.resolutions.filter(number=number).exists():
        errors["number"] = [_("This meeting already has a resolution numbered so.")]
    if not (text or "").strip():
        errors["text"] = [_("Write down what was decided.")]
    _raise(errors)
    return Resolution.objects.create(meeting=meeting, number=number, text=text)


@transaction.atomic
def remove_resolution(user: User, resolution: Resolution) -> None:
    """Take a resolution off the record, unless tasks were made of it."""
    _require_coordinator(user, resolution.meeting.partnership)
    if resolution.tasks.exists():
        raise ValidationError(_("This resolution has tasks and cannot be removed."))
    resolution.delete()


# --- Annual agreements ----------------------------------------------------------------

AGREEMENT_FIELDS = ("year", "title", "status", "meeting", "plan", "preamble")


def live_implementation_plan(partnership: Partnership) -> Plan | None:
    return partnership.plans.filter(kind=Plan.Kind.IMPLEMENTATION, status=Plan.Status.LIVE).first()


def _agreement_defaults_and_checks(agreement: AnnualAgreement) -> None:
    """Left empty: the pair's live implementation plan, and a title naming pair and year."""
    pair = agreement.partnership
    if agreement.plan is None:
        agreement.plan = live_implementation_plan(pair)
    if not (agreement.title or "").strip() and agreement.year:
        agreement.title = _("%(pair)s annual agreement %(year)s") % {
            "pair": pair,
            "year": agreement.year,
        }
    errors: dict[str, list[str]] = {}
    if agreement.meeting is not None and agreement.meeting.partnership_id != pair.pk:
        errors["meeting"] = [_("The meeting belongs to another partnership.")]
    if agreement.plan is not None:
        if agreement.plan.partnership_id != pair.pk:
            errors["plan"] = [_("The plan belongs to another partnership.")]
        elif agreement.plan.kind != Plan.Kind.IMPLEMENTATION:
            errors["plan"] = [_("Choose a five-year implementation plan.")]
    clash = AnnualAgreement.objects.filter(partnership=pair, year=agreement.year)
    if clash.exclude(pk=agreement.pk).exists():
        errors["year"] = [
            _("This partnership already has an agreement for %(year)s.") % {"year": agreement.year}
        ]
    _raise(errors)
    agreement.full_clean()


@transaction.atomic
def create_agreement(
    user: User, *, partnership: Partnership, year: int, **fields
) -> AnnualAgreement:
    """Record the annual agreement of a year (one per pair and year)."""
    _require_coordinator(user, partnership)
    agreement = AnnualAgreement(partnership=partnership, year=year)
    _apply(agreement, fields, AGREEMENT_FIELDS)
    _agreement_defaults_and_checks(agreement)
    agreement.save()
    return agreement


@transaction.atomic
def update_agreement(
    user: User, agreement: AnnualAgreement, *, version: str | None = None, **fields
) -> AnnualAgreement:
    _require_coordinator(user, agreement.partnership)
    agreement = lock(agreement, version)
    _apply(agreement, fields, AGREEMENT_FIELDS)
    _agreement_defaults_and_checks(agreement)
    agreement.save()
    return agreement
