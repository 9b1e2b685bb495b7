"""Every write and rule of department pairing, secondments, trainings and inspection visits.

Each function takes the acting user first, checks the user's right (``PermissionDenied``)
and the rule (``ValidationError``, with messages by field where a form has the field),
writes in one transaction (django-auditlog records the rows) and notifies through
``core.notifications``. Edits take the ``version`` the editor loaded
(``conference.versions.version_of``) and refuse a stale one with ``EditConflict`` (the API
answers 409).

Who may do what (the ``may_*`` predicates, also used by pages and the API):

- Pairs and the pairing settings are managed by the coordinators of the partnership (either
  side) and of its programme (``may_manage_pairs``).
- A work contact is recorded by someone who acts for a side of the department pair: staff
  of its department on that side, the side's person in charge, or a partnership
  coordinator of that side; a programme coordinator may record it naming the side
  (``may_record``).
- Only the *other* side confirms or returns it, and never the person who recorded it
  (``may_confirm``). A returned record is corrected and resubmitted by its recorder or
  another person of the recording side (``may_resubmit``).
- A follow-up action becomes a task of the pair's annual task list by a coordinator
  (``may_make_task``), through ``conference.services.create_task``.
- Secondments are managed by the coordinators; their evaluations also by the host unit's
  staff and the mentor. Trainings and inspection visits are recorded by the coordinators
  and by the staff of any department of either side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from xietong.conference import services as conference
from xietong.conference.models import AnnualAgreement, Area, Task
from xietong.conference.versions import EDITED, lock
from xietong.core import scope, uploads
from xietong.core.models import Membership, OrgUnit, Partnership, Role, User
from xietong.core.notifications import notify
from xietong.core.uploads import clean_filename, safe_storage_name

from .models import (
    ContactAttachment,
    ContactParticipant,
    DepartmentPair,
    FollowUpAction,
    InspectionVisit,
    PairingSettings,
    Rating,
    Secondment,
    Side,
    Training,
    TrainingAttendance,
    WorkContact,
    region_id_of,
    side_of_region,
)

# --- Who may do what ------------------------------------------------------------------


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied(_("Your role does not allow this."))


def may_manage_pairs(user: User, partnership: Partnership) -> bool:
    """Coordinators of the partnership (either side) or of its programme."""
    return conference.can_coordinate(user, partnership)


def acting_sides(user: User, pair: DepartmentPair) -> set[str]:
    """The sides of ``pair`` the user speaks for: its department's staff and person in charge
    on that side, and the partnership coordinators of that side."""
    if not user or not user.is_authenticated or not user.is_active:
        return set()
    sides: set[str] = set()
    units = scope.grants(user).units
    if pair.developed_unit_id in units or pair.developed_lead_id == user.pk:
        sides.add(Side.DEVELOPED)
    if pair.partner_unit_id in units or pair.partner_lead_id == user.pk:
        sides.add(Side.PARTNER)
    regions = Membership.objects.filter(
        user=user, role=Role.PARTNERSHIP_COORDINATOR, partnership_id=pair.partnership_id
    ).values_list("region_id", flat=True)
    for region_id in regions:
        side = side_of_region(pair.partnership, region_id)
        if side:
            sides.add(side)
    return sides


def _programme_coordinator(user: User, partnership: Partnership) -> bool:
    return partnership.programme_id in scope.grants(user).manage_programmes


def may_record(user: User, pair: DepartmentPair) -> bool:
    """Someone who acts for a side of the pair, or a programme coordinator."""
    return bool(acting_sides(user, pair)) or _programme_coordinator(user, pair.partnership)


def may_edit_contact(user: User, contact: WorkContact) -> bool:
    """The recording side changes its record until the other side has confirmed it."""
    if contact.status == WorkContact.Status.CONFIRMED:
        return False
    return contact.recorded_by_id == user.pk or contact.recorded_side in acting_sides(
        user, contact.pair
    )


def may_confirm(user: User, contact: WorkContact) -> bool:
    """Only the other side confirms or returns a record, never its recorder."""
    if contact.status != WorkContact.Status.AWAITING or contact.recorded_by_id == user.pk:
        return False
    return contact.confirming_side in acting_sides(user, contact.pair)


def may_resubmit(user: User, contact: WorkContact) -> bool:
    return contact.status == WorkContact.Status.RETURNED and may_edit_contact(user, contact)


def may_add_follow_up(user: User, contact: WorkContact) -> bool:
    """Either side of the pair, or a coordinator, notes what follows from a contact."""
    return may_record(user, contact.pair) or may_manage_pairs(user, contact.partnership)


def may_make_task(user: User, action: FollowUpAction) -> bool:
    """Coordinators put a follow-up action on the annual task list (not twice)."""
    return action.task_id is None and may_manage_pairs(user, action.contact.partnership)


def may_attach(user: User, contact: WorkContact) -> bool:
    return may_record(user, contact.pair) or may_manage_pairs(user, contact.partnership)


def _staff_of_sides(user: User, partnership: Partnership) -> bool:
    """The user works in a department of either side of the partnership."""
    units = scope.grants(user).units
    if not units:
        return False
    return OrgUnit.objects.filter(pk__in=units, region_id__in=partnership.region_ids).exists()


def may_manage_secondments(user: User, partnership: Partnership) -> bool:
    return may_manage_pairs(user, partnership)


def may_evaluate(user: User, secondment: Secondment) -> bool:
    """Coordinators, the host unit's staff and the mentor write the evaluations."""
    return (
        may_manage_pairs(user, secondment.partnership)
        or secondment.host_unit_id in scope.grants(user).units
        or (secondment.mentor_id is not None and secondment.mentor_id == user.pk)
    )


def may_manage_trainings(user: User, partnership: Partnership) -> bool:
    return may_manage_pairs(user, partnership) or _staff_of_sides(user, partnership)


def may_manage_visits(user: User, partnership: Partnership) -> bool:
    return may_manage_pairs(user, partnership) or _staff_of_sides(user, partnership)


def _partnership_of(obj) -> Partnership:
    if isinstance(obj, WorkContact):
        return obj.pair.partnership
    if isinstance(obj, ContactParticipant | FollowUpAction | ContactAttachment):
        return obj.contact.pair.partnership
    if isinstance(obj, TrainingAttendance):
        return obj.training.partnership
    if hasattr(obj, "pair"):
        return obj.pair.partnership
    return obj.partnership


def permission(user: User, action: str, obj=None, **ctx) -> bool:
    """``core.scope.can`` for pairing objects (the caller already sees ``obj``)."""
    if action in ("list", "view"):
        return True
    if isinstance(obj, WorkContact):
        if action == "delete":
            return obj.status != WorkContact.Status.CONFIRMED and may_edit_contact(user, obj)
        return may_edit_contact(user, obj)
    if isinstance(obj, ContactParticipant | FollowUpAction | ContactAttachment):
        return may_edit_contact(user, obj.contact) or may_manage_pairs(
            user, obj.contact.partnership
        )
    if isinstance(obj, Secondment) and action == "change":
        return may_manage_secondments(user, obj.partnership) or may_evaluate(user, obj)
    if isinstance(obj, Training | TrainingAttendance):
        return may_manage_trainings(user, _partnership_of(obj))
    if isinstance(obj, InspectionVisit):
        return may_manage_visits(user, obj.partnership)
    if obj is not None:
        return may_manage_pairs(user, _partnership_of(obj))
    pair = ctx.get("pair")
    if pair is not None:
        return may_record(user, pair)
    partnership = ctx.get("partnership")
    if partnership is not None:
        return may_manage_trainings(user, partnership)
    g = scope.grants(user)
    return bool(g.coordinate_partnerships or g.manage_programmes or g.units)


# --- People of a side ------------------------------------------------------------------


def side_members(partnership: Partnership, side: str) -> QuerySet[User]:
    """Active people with an internal role on one side of the pair: staff of its
    departments, and the partnership coordinators, sector groups and leaders of that side."""
    region_id = region_id_of(partnership, side)
    memberships = Membership.objects.filter(
        Q(org_unit__region_id=region_id) | Q(partnership=partnership, region_id=region_id)
    ).exclude(role__in=[Role.ENTERPRISE_USER, Role.SECURITY_AUDITOR, Role.SYSTEM_ADMIN])
    return User.objects.filter(pk__in=memberships.values("user_id"), is_active=True)


def unit_staff(unit_ids: Iterable[int]) -> QuerySet[User]:
    ids = [pk for pk in unit_ids if pk]
    return User.objects.filter(
        is_active=True,
        memberships__role=Role.DEPARTMENT_STAFF,
        memberships__org_unit_id__in=ids,
    ).distinct()


def coordinators_of(partnership: Partnership) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        memberships__role=Role.PARTNERSHIP_COORDINATOR,
        memberships__partnership=partnership,
    ).distinct()


def people_of_side(pair: DepartmentPair, side: str) -> list[User]:
    """Whom to tell on one side of a department pair: its person in charge and the staff of
    its department."""
    people: dict[int, User] = {}
    lead = pair.lead_of(side)
    if lead is not None and lead.is_active:
        people[lead.pk] = lead
    for person in unit_staff([pair.unit_of(side).pk]).order_by("pk"):
        people.setdefault(person.pk, person)
    return list(people.values())


# --- Settings --------------------------------------------------------------------------


def settings_for(partnership: Partnership) -> PairingSettings:
    """The partnership's pairing settings; an unsaved row with the defaults if it has none."""
    row = PairingSettings.objects.filter(partnership=partnership).first()
    return row or PairingSettings(partnership=partnership)


@transaction.atomic
def update_settings(
    user: User,
    partnership: Partnership,
    *,
    reminder_day: int,
    secondment_minimum: int,
    secondment_target: int,
    version: str | None = None,
) -> PairingSettings:
    """Coordinators set the reminder day (1–28) and the yearly secondment range."""
    _require(may_manage_pairs(user, partnership))
    row = PairingSettings.objects.filter(partnership=partnership).first()
    if row is not None:
        row = lock(row, version)
    else:
        row = PairingSettings(partnership=partnership)
    row.reminder_day = reminder_day
    row.secondment_minimum = secondment_minimum
    row.secondment_target = secondment_target
    row.full_clean()
    row.save()
    return row


# --- Department pairs ------------------------------------------------------------------


def _lead_errors(partnership: Partnership, developed_lead, partner_lead) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, side, person in (
        ("developed_lead", Side.DEVELOPED, developed_lead),
        ("partner_lead", Side.PARTNER, partner_lead),
    ):
        if person is not None and not side_members(partnership, side).filter(pk=person.pk).exists():
            errors[name] = [
                _("%(person)s is not a member of this side of the partnership.")
                % {"person": person.display_name}
            ]
    return errors


def _check_pair(pair: DepartmentPair, errors: dict[str, list[str]]) -> None:
    try:
        pair.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    duplicate = DepartmentPair.objects.filter(
        partnership_id=pair.partnership_id,
        developed_unit_id=pair.developed_unit_id,
        partner_unit_id=pair.partner_unit_id,
    ).exclude(pk=pair.pk)
    if pair.developed_unit_id and pair.partner_unit_id and duplicate.exists():
        errors.setdefault("partner_unit", []).append(_("These two departments are already paired."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_pair(
    user: User,
    *,
    partnership: Partnership,
    developed_unit: OrgUnit,
    partner_unit: OrgUnit,
    started_on: date,
    frequency: str = DepartmentPair.Frequency.MONTHLY,
    developed_lead: User | None = None,
    partner_lead: User | None = None,
    note: str = "",
) -> DepartmentPair:
    """Pair a department of the developed side with one of the partner side; each person in
    charge must be a member of their side. A department may be in several pairs."""
    _require(may_manage_pairs(user, partnership))
    pair = DepartmentPair(
        partnership=partnership,
        developed_unit=developed_unit,
        partner_unit=partner_unit,
        started_on=started_on,
        frequency=frequency,
        developed_lead=developed_lead,
        partner_lead=partner_lead,
        note=note,
    )
    _check_pair(pair, _lead_errors(partnership, developed_lead, partner_lead))
    pair.save()
    return pair


PAIR_FIELDS = (
    "developed_unit",
    "partner_unit",
    "frequency",
    "developed_lead",
    "partner_lead",
    "started_on",
    "ended_on",
    "note",
)


@transaction.atomic
def update_pair(user: User, pair: DepartmentPair, *, version: str | None = None, **changes):
    """Coordinators change a pair (``PAIR_FIELDS``); a person newly put in charge must be a
    member of their side. Work contacts already recorded must stay within its dates."""
    _require(may_manage_pairs(user, pair.partnership))
    unknown = set(changes) - set(PAIR_FIELDS)
    if unknown:
        raise TypeError(f"update_pair() got unexpected fields {sorted(unknown)}")
    pair = lock(pair, version)
    new_developed = changes.get("developed_lead", pair.developed_lead)
    new_partner = changes.get("partner_lead", pair.partner_lead)
    errors = _lead_errors(
        pair.partnership,
        new_developed if new_developed and new_developed.pk != pair.developed_lead_id else None,
        new_partner if new_partner and new_partner.pk != pair.partner_lead_id else None,
    )
    for name, value in changes.items():
        setattr(pair, name, value)
    _contacts_within(pair, errors)
    _check_pair(pair, errors)
    pair.save()
    return pair


def _contacts_within(pair: DepartmentPair, errors: dict[str, list[str]]) -> None:
    contacts = pair.contacts.exclude(status=WorkContact.Status.RETURNED)
    if pair.started_on and contacts.filter(held_on__lt=pair.started_on).exists():
        errors.setdefault("started_on", []).append(
            _("Work contacts of this pair were held before this date.")
        )
    if pair.ended_on and contacts.filter(held_on__gt=pair.ended_on).exists():
        errors.setdefault("ended_on", []).append(
            _("Work contacts of this pair were held after this date.")
        )


@transaction.atomic
def end_pair(
    user: User, pair: DepartmentPair, *, ended_on: date, version: str | None = None
) -> DepartmentPair:
    """End a pairing on ``ended_on``: no contact is due after it, its history stays."""
    return update_pair(user, pair, version=version, ended_on=ended_on)


@transaction.atomic
def delete_pair(user: User, pair: DepartmentPair) -> None:
    """Delete a pairing entered by mistake. A pair with work contacts keeps its history:
    it is ended, never deleted."""
    _require(permission(user, "delete", pair))
    pair = DepartmentPair.objects.select_for_update().get(pk=pair.pk)
    if pair.contacts.exists():
        raise ValidationError(_("This pair has work contacts: end it instead of deleting it."))
    pair.delete()


# --- Work contacts ---------------------------------------------------------------------


@dataclass
class Participant:
    side: str
    name: str
    unit: str = ""
    title: str = ""
    user: User | None = None


@dataclass
class FollowUp:
    text: str
    owner_side: str
    due_on: date | None = None


def _as_participant(value) -> Participant:
    return value if isinstance(value, Participant) else Participant(**value)


def _as_follow_up(value) -> FollowUp:
    return value if isinstance(value, FollowUp) else FollowUp(**value)


def _contact_errors(
    pair: DepartmentPair,
    *,
    held_on: date,
    form: str,
    form_other: str,
    host_side: str,
    topics: str,
    participants: list[Participant],
    follow_ups: list[FollowUp],
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if held_on > today:
        errors.setdefault("held_on", []).append(
            _("A work contact is recorded once it has been held; this date is in the future.")
        )
    if held_on < pair.started_on:
        errors.setdefault("held_on", []).append(
            _("The departments were paired only from %(date)s.") % {"date": _day(pair.started_on)}
        )
    if pair.ended_on and held_on > pair.ended_on:
        errors.setdefault("held_on", []).append(
            _("The pairing ended on %(date)s.") % {"date": _day(pair.ended_on)}
        )
    if form not in WorkContact.Form.values:
        errors.setdefault("form", []).append(_("Choose the form of the contact."))
    elif form == WorkContact.Form.OTHER and not form_other.strip():
        errors.setdefault("form_other", []).append(_("Say what form the contact took."))
    if host_side not in Side.values:
        errors.setdefault("host_side", []).append(_("Choose the host side."))
    if not topics.strip():
        errors.setdefault("topics", []).append(_("Say what the contact was about."))
    for person in participants:
        if person.side not in Side.values or not person.name.strip():
            errors.setdefault("participants", []).append(
                _("Each participant needs a name and a side.")
            )
            break
    for action in follow_ups:
        if action.owner_side not in Side.values or not action.text.strip():
            errors.setdefault("follow_ups", []).append(
                _("Each follow-up action needs a text and the side that owns it.")
            )
            break
    return errors


def _day(value: date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the pairing pages are not mounted (yet)
        return ""


def contact_url(contact: WorkContact) -> str:
    return _url("pairing:contact_detail", contact.pk)


def notify_confirmers(contact: WorkContact) -> None:
    """Ask the other side to confirm a (re)submitted record."""
    pair = contact.pair
    title = _("Please confirm the work contact of %(date)s: %(pair)s") % {
        "date": _day(contact.held_on),
        "pair": pair,
    }
    body = _("%(person)s recorded a %(form)s. Confirm it or return it with a reason.") % {
        "person": contact.recorded_by.display_name,
        "form": contact.form_label,
    }
    # One request per submission: the first, then one after each return.
    if contact.returned_at is None:
        stamp = f"r{contact.recorded_at:%Y%m%d%H%M%S%f}"
    else:
        stamp = f"s{contact.returned_at:%Y%m%d%H%M%S%f}"
    for person in people_of_side(pair, contact.confirming_side):
        if person.pk == contact.recorded_by_id:
            continue
        notify(
            person,
            key=f"pairing.confirm.{contact.pk}.{stamp}",
            title=title,
            body=body,
            url=contact_url(contact),
        )


def _set_participants(contact: WorkContact, participants: list[Participant]) -> None:
    contact.participants.all().delete()
    for person in participants:
        ContactParticipant.objects.create(
            contact=contact,
            side=person.side,
            user=person.user,
            name=person.name.strip(),
            unit=person.unit.strip(),
            title=person.title.strip(),
        )


@transaction.atomic
def record_contact(
    user: User,
    pair: DepartmentPair,
    *,
    held_on: date,
    form: str,
    host_side: str,
    topics: str,
    form_other: str = "",
    place: str = "",
    outcomes: str = "",
    participants: Iterable[Participant | dict] = (),
    follow_ups: Iterable[FollowUp | dict] = (),
    recorded_side: str | None = None,
) -> WorkContact:
    """A side of the pair records a contact it held; it awaits the other side's confirmation.

    ``recorded_side`` is the side the user speaks for; it may be left out when the user
    acts for one side only (a programme coordinator names it).
    """
    _require(may_record(user, pair))
    sides = acting_sides(user, pair)
    if recorded_side is None:
        if len(sides) != 1:
            raise ValidationError(
                {"recorded_side": _("Say for which side of the pair you record this contact.")}
            )
        recorded_side = next(iter(sides))
    elif recorded_side not in Side.values:
        raise ValidationError({"recorded_side": _("Choose the host side.")})
    elif sides and recorded_side not in sides:
        raise PermissionDenied(_("You do not act for this side of the pair."))
    participants = [_as_participant(p) for p in participants]
    follow_ups = [_as_follow_up(a) for a in follow_ups]
    errors = _contact_errors(
        pair,
        held_on=held_on,
        form=form,
        form_other=form_other,
        host_side=host_side,
        topics=topics,
        participants=participants,
        follow_ups=follow_ups,
    )
    if errors:
        raise ValidationError(errors)
    contact = WorkContact.objects.create(
        pair=pair,
        held_on=held_on,
        form=form,
        form_other=form_other.strip() if form == WorkContact.Form.OTHER else "",
        host_side=host_side,
        place=place.strip(),
        topics=topics.strip(),
        outcomes=outcomes.strip(),
        recorded_by=user,
        recorded_side=recorded_side,
    )
    _set_participants(contact, participants)
    for action in follow_ups:
        FollowUpAction.objects.create(
            contact=contact,
            text=action.text.strip(),
            owner_side=action.owner_side,
            due_on=action.due_on,
            created_by=user,
        )
    notify_confirmers(contact)
    return contact


CONTACT_FIELDS = ("held_on", "form", "form_other", "host_side", "place", "topics", "outcomes")


def _apply_contact_changes(
    contact: WorkContact, changes: dict, participants: Iterable | None
) -> None:
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields {sorted(unknown)}")
    for name, value in changes.items():
        setattr(contact, name, value.strip() if isinstance(value, str) else value)
    if contact.form != WorkContact.Form.OTHER:
        contact.form_other = ""
    people = [_as_participant(p) for p in participants] if participants is not None else []
    errors = _contact_errors(
        contact.pair,
        held_on=contact.held_on,
        form=contact.form,
        form_other=contact.form_other,
        host_side=contact.host_side,
        topics=contact.topics,
        participants=people,
        follow_ups=[],
    )
    if errors:
        raise ValidationError(errors)
    if participants is not None:
        _set_participants(contact, people)


@transaction.atomic
def update_contact(
    user: User,
    contact: WorkContact,
    *,
    version: str | None = None,
    participants: Iterable[Participant | dict] | None = None,
    **changes,
) -> WorkContact:
    """The recording side corrects its record while it is not yet confirmed; a record
    awaiting confirmation stays awaiting, a returned one stays returned until resubmitted."""
    _require(may_edit_contact(user, contact))
    contact = lock(contact, version)
    _require(may_edit_contact(user, contact))
    _apply_contact_changes(contact, changes, participants)
    contact.save()
    return contact


@transaction.atomic
def confirm_contact(user: User, contact: WorkContact, *, version: str | None = None) -> WorkContact:
    """The other side confirms that the contact took place as recorded."""
    contact = lock(contact, version)
    if contact.status != WorkContact.Status.AWAITING:
        raise ValidationError(_("This record is not awaiting confirmation."))
    _require_confirmer(user, contact)
    contact.status = WorkContact.Status.CONFIRMED
    contact.confirmed_by, contact.confirmed_at = user, timezone.now()
    contact.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    notify(
        contact.recorded_by,
        key=f"pairing.confirmed.{contact.pk}",
        title=_("Work contact of %(date)s confirmed: %(pair)s")
        % {"date": _day(contact.held_on), "pair": contact.pair},
        body=_("Confirmed by %(person)s.") % {"person": user.display_name},
        url=contact_url(contact),
    )
    return contact


def _require_confirmer(user: User, contact: WorkContact) -> None:
    """Only a person of the other side, not the recorder, confirms or returns a record."""
    sides = acting_sides(user, contact.pair)
    if contact.recorded_by_id == user.pk or (
        contact.confirming_side not in sides and contact.recorded_side in sides
    ):
        raise PermissionDenied(
            _(
                "A work contact is confirmed by the other side of the pair: the side that "
                "recorded it cannot confirm or return it."
            )
        )
    _require(contact.confirming_side in sides)


@transaction.atomic
def return_contact(
    user: User, contact: WorkContact, *, reason: str, version: str | None = None
) -> WorkContact:
    """The other side returns a record it does not recognise, saying why."""
    contact = lock(contact, version)
    if contact.status != WorkContact.Status.AWAITING:
        raise ValidationError(_("This record is not awaiting confirmation."))
    _require_confirmer(user, contact)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the record is returned.")})
    contact.status = WorkContact.Status.RETURNED
    contact.returned_by, contact.returned_at = user, timezone.now()
    contact.return_reason = reason.strip()
    contact.save(update_fields=["status", "returned_by", "returned_at", "return_reason"])
    notify(
        contact.recorded_by,
        key=f"pairing.returned.{contact.pk}.{contact.returned_at:%Y%m%d%H%M%S}",
        title=_("Work contact of %(date)s returned: %(pair)s")
        % {"date": _day(contact.held_on), "pair": contact.pair},
        body=_("%(person)s returned it: %(reason)s")
        % {"person": user.display_name, "reason": contact.return_reason},
        url=contact_url(contact),
    )
    return contact


@transaction.atomic
def resubmit_contact(
    user: User,
    contact: WorkContact,
    *,
    version: str | None = None,
    participants: Iterable[Participant | dict] | None = None,
    **changes,
) -> WorkContact:
    """The recording side corrects a returned record and sends it for confirmation again;
    the reason for the return stays on the record until it is confirmed or returned anew."""
    contact = lock(contact, version)
    if contact.status != WorkContact.Status.RETURNED:
        raise ValidationError(_("Only a returned record can be resubmitted."))
    _require(may_resubmit(user, contact))
    _apply_contact_changes(contact, changes, participants)
    contact.status = WorkContact.Status.AWAITING
    contact.save()
    notify_confirmers(contact)
    return contact


@transaction.atomic
def delete_contact(user: User, contact: WorkContact) -> None:
    """The recording side withdraws a record that is not confirmed (a mistaken entry)."""
    _require(permission(user, "delete", contact))
    contact.delete()


# --- Follow-up actions -----------------------------------------------------------------


@transaction.atomic
def add_follow_up(
    user: User, contact: WorkContact, *, text: str, owner_side: str, due_on: date | None = None
) -> FollowUpAction:
    _require(may_add_follow_up(user, contact))
    errors: dict[str, list[str]] = {}
    if not text.strip():
        errors["text"] = [_("Describe the action.")]
    if owner_side not in Side.values:
        errors["owner_side"] = [_("Choose the side that owns the action.")]
    if errors:
        raise ValidationError(errors)
    return FollowUpAction.objects.create(
        contact=contact, text=text.strip(), owner_side=owner_side, due_on=due_on, created_by=user
    )


def current_agreement(partnership: Partnership, today: date | None = None):
    """The annual agreement whose task list takes new tasks: the one of this year, adopted
    or still a draft (not closed)."""
    today = today or timezone.localdate()
    return (
        AnnualAgreement.objects.filter(partnership=partnership, year=today.year)
        .exclude(status=AnnualAgreement.Status.CLOSED)
        .first()
    )


def _next_code(agreement: AnnualAgreement) -> str:
    """``<year>-DJ<nn>``: tasks that came from department pairing (对接), numbered in turn."""
    prefix = f"{agreement.year}-DJ"
    taken = set(agreement.tasks.filter(code__startswith=prefix).values_list("code", flat=True))
    number = len(taken) + 1
    while f"{prefix}{number:02d}" in taken:
        number += 1
    return f"{prefix}{number:02d}"


@transaction.atomic
def follow_up_to_task(
    user: User,
    action: FollowUpAction,
    *,
    agreement: AnnualAgreement | None = None,
    code: str | None = None,
    title: str | None = None,
    area: str = Area.INDUSTRY,
    kind: str = Task.Kind.ITEM,
    deadline: date | None = None,
) -> Task:
    """Put a follow-up action on the pair's current annual task list
    (``conference.services.create_task``): the owner side's department leads, the other
    supports, its person in charge is responsible; the task and the action link each other.
    """
    action = FollowUpAction.objects.select_for_update().get(pk=action.pk)
    contact = action.contact
    pair = contact.pair
    partnership = pair.partnership
    _require(may_manage_pairs(user, partnership))
    if action.task_id is not None:
        raise ValidationError(_("This action is already a task of the task list."))
    today = timezone.localdate()
    if agreement is None:
        agreement = current_agreement(partnership, today)
        if agreement is None:
            raise ValidationError(
                _(
                    "The partnership has no annual agreement for %(year)s yet: adopt or draft "
                    "it first, then turn the action into a task."
                )
                % {"year": today.year}
            )
    elif agreement.partnership_id != partnership.pk:
        raise ValidationError(_("The agreement belongs to another partnership."))
    elif agreement.status == AnnualAgreement.Status.CLOSED:
        raise ValidationError(_("This annual agreement is closed."))
    start = max(today, date(agreement.year, 1, 1))
    if deadline is None:
        deadline = action.due_on if action.due_on and action.due_on >= start else None
        deadline = deadline or max(date(agreement.year, 12, 31), start)
    lead = pair.lead_of(action.owner_side)
    if lead is not None and not conference.pair_members(partnership).filter(pk=lead.pk).exists():
        lead = None
    owner_unit = pair.unit_of(action.owner_side)
    other_unit = pair.unit_of(Side.other(action.owner_side))
    content = _("From the work contact of %(date)s (%(pair)s): %(topics)s") % {
        "date": _day(contact.held_on),
        "pair": pair,
        "topics": contact.topics,
    }
    task = conference.create_task(
        user,
        agreement=agreement,
        code=code or _next_code(agreement),
        title=(title or action.text).strip()[:200],
        content=content,
        area=area,
        kind=kind,
        start_date=start,
        deadline=deadline,
        lead_units=[owner_unit],
        support_units=[other_unit],
        responsible=lead,
    )
    action.task = task
    action.save(update_fields=["task"])
    return task


# --- Attachments -----------------------------------------------------------------------


def max_upload_bytes() -> int:
    return settings.PAIRING_UPLOAD_MAX_MB * 1024 * 1024


def validate_upload(upload: UploadedFile) -> tuple[str, str]:
    """Size (``XIETONG_PAIRING_UPLOAD_MAX_MB``), extension and content (``core.uploads``);
    returns (extension, content type)."""
    try:
        return uploads.validate_upload(upload, max_upload_bytes())
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc


@transaction.atomic
def add_attachment(user: User, contact: WorkContact, upload: UploadedFile) -> ContactAttachment:
    """Attach a file to a contact; stored under a generated name (never the user's)."""
    _require(may_attach(user, contact))
    ext, content_type = validate_upload(upload)
    name = clean_filename(upload.name)
    upload.name = safe_storage_name(ext)
    return ContactAttachment.objects.create(
        contact=contact,
        file=upload,
        name=name,
        size=upload.size,
        content_type=content_type,
        uploaded_by=user,
    )


@transaction.atomic
def remove_attachment(user: User, attachment: ContactAttachment) -> None:
    contact = attachment.contact
    _require(
        attachment.uploaded_by_id == user.pk
        or may_edit_contact(user, contact)
        or may_manage_pairs(user, contact.partnership)
    )
    attachment.file.delete(save=False)
    attachment.delete()


# --- Secondments -----------------------------------------------------------------------

SECONDMENT_FIELDS = (
    "person_name",
    "user",
    "person_title",
    "sending_unit",
    "host_unit",
    "position",
    "starts_on",
    "ends_on",
    "mentor",
    "mentor_name",
    "goals",
)


def _full_clean(obj, exclude: Iterable[str] = ()) -> None:
    obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)


@transaction.atomic
def create_secondment(user: User, /, *, partnership: Partnership, **values) -> Secondment:
    """Coordinators record a cadre of the partner side seconded to a developed-side unit.
    The acting user is positional only: ``user=`` in ``values`` is the seconded cadre's
    account."""
    _require(may_manage_secondments(user, partnership))
    unknown = set(values) - set(SECONDMENT_FIELDS)
    if unknown:
        raise TypeError(f"create_secondment() got unexpected fields {sorted(unknown)}")
    secondment = Secondment(partnership=partnership, **values)
    _full_clean(secondment)
    secondment.save()
    return secondment


@transaction.atomic
def update_secondment(
    user: User, secondment: Secondment, /, *, version: str | None = None, **changes
) -> Secondment:
    _require(may_manage_secondments(user, secondment.partnership))
    unknown = set(changes) - set(SECONDMENT_FIELDS)
    if unknown:
        raise TypeError(f"update_secondment() got unexpected fields {sorted(unknown)}")
    secondment = lock(secondment, version)
    for name, value in changes.items():
        setattr(secondment, name, value)
    _full_clean(secondment)
    secondment.save()
    return secondment


@transaction.atomic
def evaluate_secondment(
    user: User,
    secondment: Secondment,
    *,
    stage: str,
    evaluation: str,
    rating: str,
    version: str | None = None,
) -> Secondment:
    """Write the mid-term (``stage="mid"``) or final (``"final"``) evaluation with a rating.
    The mid-term one once the secondment has started, the final one from its last month."""
    _require(may_evaluate(user, secondment))
    secondment = lock(secondment, version)
    if stage not in ("mid", "final"):
        raise ValueError(f"unknown evaluation stage {stage!r}")
    errors: dict[str, list[str]] = {}
    if rating not in Rating.values:
        errors["rating"] = [_("Choose a rating.")]
    if not evaluation.strip():
        errors["evaluation"] = [_("Write the evaluation.")]
    today = timezone.localdate()
    if secondment.cancelled:
        errors.setdefault("evaluation", []).append(_("This secondment was cancelled."))
    elif today < secondment.starts_on:
        errors.setdefault("evaluation", []).append(_("The secondment has not started yet."))
    elif stage == "final" and (today.year, today.month) < (
        secondment.ends_on.year,
        secondment.ends_on.month,
    ):
        errors.setdefault("evaluation", []).append(
            _("The final evaluation is written from the last month of the secondment.")
        )
    if errors:
        raise ValidationError(errors)
    setattr(secondment, f"{stage}_evaluation", evaluation.strip())
    setattr(secondment, f"{stage}_rating", rating)
    secondment.save(update_fields=[f"{stage}_evaluation", f"{stage}_rating"])
    return secondment


@transaction.atomic
def cancel_secondment(
    user: User, secondment: Secondment, *, reason: str, version: str | None = None
) -> Secondment:
    _require(may_manage_secondments(user, secondment.partnership))
    secondment = lock(secondment, version)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the secondment is cancelled.")})
    secondment.cancelled, secondment.cancel_reason = True, reason.strip()
    secondment.save(update_fields=["cancelled", "cancel_reason"])
    return secondment


@dataclass(frozen=True)
class SecondmentProgress:
    """A year's secondments of a partnership against its range (``PairingSettings``)."""

    year: int
    minimum: int
    target: int
    actual: int

    @property
    def state(self) -> str:
        """``met`` (at or above the target), ``within`` (at least the minimum), ``short``."""
        if self.actual >= self.target:
            return "met"
        if self.actual >= self.minimum:
            return "within"
        return "short"


def secondment_progress(partnership: Partnership, year: int) -> SecondmentProgress:
    """Secondments that start in ``year`` (not cancelled) against the yearly range."""
    row = settings_for(partnership)
    actual = Secondment.objects.filter(
        partnership=partnership, starts_on__year=year, cancelled=False
    ).count()
    return SecondmentProgress(year, row.secondment_minimum, row.secondment_target, actual)


# --- Trainings -------------------------------------------------------------------------

TRAINING_FIELDS = ("title", "held_on", "ends_on", "place", "topics", "trainers", "host_unit")


@dataclass
class Attendee:
    name: str
    hours: Decimal
    side: str = Side.PARTNER
    unit: OrgUnit | None = None
    unit_name: str = ""
    user: User | None = None


def _as_attendee(value) -> Attendee:
    return value if isinstance(value, Attendee) else Attendee(**value)


def _attendee_errors(partnership: Partnership, attendees: list[Attendee]) -> list[str]:
    errors = []
    seen: set[int] = set()
    for person in attendees:
        if not person.name.strip():
            errors.append(_("Each attendee needs a name."))
        if person.side not in Side.values:
            errors.append(_("Choose the attendee's side."))
        if person.hours is None or Decimal(person.hours) < 0:
            errors.append(_("Hours cannot be negative."))
        if person.unit is not None and person.unit.region_id != region_id_of(
            partnership, person.side
        ):
            errors.append(
                _("%(unit)s is not a department of the attendee's side.") % {"unit": person.unit}
            )
        if person.user is not None:
            if person.user.pk in seen:
                errors.append(
                    _("%(person)s is listed twice.") % {"person": person.user.display_name}
                )
            seen.add(person.user.pk)
    return list(dict.fromkeys(errors))


def _set_attendees(training: Training, attendees: list[Attendee]) -> None:
    training.attendances.all().delete()
    for person in attendees:
        TrainingAttendance.objects.create(
            training=training,
            user=person.user,
            name=person.name.strip(),
            unit=person.unit,
            unit_name=(person.unit_name or (person.unit.name if person.unit else "")).strip(),
            side=person.side,
            hours=Decimal(person.hours),
        )


@transaction.atomic
def create_training(
    user: User,
    *,
    partnership: Partnership,
    attendees: Iterable[Attendee | dict] = (),
    **values,
) -> Training:
    """Record a training session with its attendees and the hours each attended."""
    _require(may_manage_trainings(user, partnership))
    unknown = set(values) - set(TRAINING_FIELDS)
    if unknown:
        raise TypeError(f"create_training() got unexpected fields {sorted(unknown)}")
    training = Training(partnership=partnership, **values)
    people = [_as_attendee(a) for a in attendees]
    errors: dict[str, list[str]] = {}
    try:
        _full_clean(training)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if problems := _attendee_errors(partnership, people):
        errors["attendees"] = problems
    if errors:
        raise ValidationError(errors)
    training.save()
    _set_attendees(training, people)
    return training


@transaction.atomic
def update_training(
    user: User,
    training: Training,
    *,
    version: str | None = None,
    attendees: Iterable[Attendee | dict] | None = None,
    **changes,
) -> Training:
    _require(may_manage_trainings(user, training.partnership))
    unknown = set(changes) - set(TRAINING_FIELDS)
    if unknown:
        raise TypeError(f"update_training() got unexpected fields {sorted(unknown)}")
    training = lock(training, version)
    for name, value in changes.items():
        setattr(training, name, value)
    errors: dict[str, list[str]] = {}
    try:
        _full_clean(training)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    people = [_as_attendee(a) for a in attendees] if attendees is not None else None
    if people is not None and (problems := _attendee_errors(training.partnership, people)):
        errors["attendees"] = problems
    if errors:
        raise ValidationError(errors)
    training.save()
    if people is not None:
        _set_attendees(training, people)
    return training


@transaction.atomic
def delete_training(user: User, training: Training) -> None:
    """Delete a training recorded by mistake, with its attendances (the trainees'
    records lose its hours)."""
    _require(may_manage_trainings(user, training.partnership))
    training.delete()


def training_values(training: Training) -> list:
    """What the training edit form changes, for its version token: the row and its
    attendees (rewritten on each save, so compared by content, not by id)."""
    own = [(f.attname, f.value_to_string(training)) for f in Training._meta.concrete_fields]
    people = sorted(
        (a.user_id or 0, a.name, a.unit_id or 0, a.unit_name, a.side, f"{a.hours:f}")
        for a in training.attendances.all()
    )
    return [own, people]


def visit_values(visit: InspectionVisit) -> list:
    """The visit's row and its enterprises, for the version token of its edit form."""
    own = [(f.attname, f.value_to_string(visit)) for f in InspectionVisit._meta.concrete_fields]
    return [own, sorted(e.pk for e in visit.enterprises.all())]


# A stale edit of the attendees or of the enterprises is a conflict too (versions.EDITED).
EDITED[Training] = training_values
EDITED[InspectionVisit] = visit_values


@dataclass
class TrainingRecord:
    """One person's training record: the sessions attended and the hours in total."""

    name: str
    unit: str
    side: str
    user_id: int | None
    hours: Decimal = Decimal("0")
    sessions: list[TrainingAttendance] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.sessions)


def training_records(attendances: QuerySet[TrainingAttendance]) -> list[TrainingRecord]:
    """Per-person records from (already scoped) attendances: a person with an account is one
    record whatever the spelling; without one, the name and unit as written identify them.
    Most hours first."""
    records: dict[tuple, TrainingRecord] = {}
    rows = attendances.select_related("training", "unit").order_by("training__held_on", "pk")
    for row in rows:
        key = ("user", row.user_id) if row.user_id else ("name", row.name, row.unit_label)
        record = records.get(key)
        if record is None:
            record = records[key] = TrainingRecord(
                name=row.name, unit=row.unit_label, side=row.side, user_id=row.user_id
            )
        record.hours += row.hours
        record.sessions.append(row)
    return sorted(records.values(), key=lambda r: (-r.hours, r.name))


# --- Inspection visits -----------------------------------------------------------------

VISIT_FIELDS = (
    "visiting_side",
    "starts_on",
    "ends_on",
    "destination",
    "lead",
    "purpose",
    "findings",
    "follow_ups",
)


def _enterprise_errors(partnership: Partnership, enterprises) -> list[str]:
    return [
        _("%(name)s is not an enterprise of this partnership.") % {"name": e.name}
        for e in enterprises
        if e.partnership_id != partnership.pk
    ]


@transaction.atomic
def create_visit(
    user: User, *, partnership: Partnership, enterprises: Iterable = (), **values
) -> InspectionVisit:
    """Record an enterprise delegation's visit to the other side, with the enterprises
    involved (of either side of the partnership)."""
    _require(may_manage_visits(user, partnership))
    unknown = set(values) - set(VISIT_FIELDS)
    if unknown:
        raise TypeError(f"create_visit() got unexpected fields {sorted(unknown)}")
    enterprises = list(enterprises)
    visit = InspectionVisit(partnership=partnership, recorded_by=user, **values)
    errors: dict[str, list[str]] = {}
    try:
        _full_clean(visit, exclude=["recorded_by"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if problems := _enterprise_errors(partnership, enterprises):
        errors["enterprises"] = problems
    if errors:
        raise ValidationError(errors)
    visit.save()
    visit.enterprises.set(enterprises)
    return visit


@transaction.atomic
def update_visit(
    user: User,
    visit: InspectionVisit,
    *,
    version: str | None = None,
    enterprises: Iterable | None = None,
    **changes,
) -> InspectionVisit:
    _require(may_manage_visits(user, visit.partnership))
    unknown = set(changes) - set(VISIT_FIELDS)
    if unknown:
        raise TypeError(f"update_visit() got unexpected fields {sorted(unknown)}")
    visit = lock(visit, version)
    for name, value in changes.items():
        setattr(visit, name, value)
    errors: dict[str, list[str]] = {}
    try:
        _full_clean(visit, exclude=["recorded_by"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if enterprises is not None:
        enterprises = list(enterprises)
        if problems := _enterprise_errors(visit.partnership, enterprises):
            errors["enterprises"] = problems
    if errors:
        raise ValidationError(errors)
    visit.save()
    if enterprises is not None:
        visit.enterprises.set(enterprises)
    return visit


@transaction.atomic
def delete_visit(user: User, visit: InspectionVisit) -> None:
    """Delete an inspection visit recorded by mistake (with its list of enterprises)."""
    _require(may_manage_visits(user, visit.partnership))
    visit.enterprises.clear()  # recorded by auditlog as an m2m change before the row goes
    visit.delete()
