"""Networking events (企业家联谊活动) of a pair, with 1:1 meeting scheduling.

Who sees what (registered with ``core.scope`` at import; ``views_events`` imports this):

- an event: whoever sees records of its pair here (``queries.reach``): the administrator,
  whole-pair readers, people of either side, enterprise users of either side's region;
  anyone else gets a 404;
- its meeting requests: the organisers and other internal readers of the pair see all;
  an enterprise user sees only those sent or received by its own enterprise.

Organisers are the partnership coordinators and department staff of either side of the
pair (and the administrator): they create and open the event, build, adjust and publish
the schedule and record outcomes. An enterprise registers itself (or an organiser registers
it), asks other participants for meetings and answers the requests it receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core import scope
from xietong.core.models import User

from . import scheduling
from .models import (
    BlockedSlot,
    Enterprise,
    Event,
    Match,
    MeetingRequest,
    Registration,
    ScheduledMeeting,
)

E = Event.Status
R = MeetingRequest.Status
ANSWER_DAYS = 3  # a request waits this long for an answer (never past the event's start)


def _reach(user):
    from .queries import reach

    return reach(user)


def pair_ids(user: User) -> set[int] | None:
    """The pairs whose events ``user`` sees; None means all."""
    r = _reach(user)
    if r.admin:
        return None
    return set(r.whole_pairs) | {p for p, _s in r.sides} | {p for p, _s in r.enterprise_sides}


def visible(user: User) -> QuerySet[Event]:
    qs = Event.objects.select_related("partnership")
    pairs = pair_ids(user)
    return qs if pairs is None else qs.filter(partnership_id__in=pairs)


def visible_registrations(user: User) -> QuerySet[Registration]:
    qs = Registration.objects.select_related("event", "enterprise")
    pairs = pair_ids(user)
    return qs if pairs is None else qs.filter(event__partnership_id__in=pairs)


def visible_requests(user: User) -> QuerySet[MeetingRequest]:
    qs = MeetingRequest.objects.select_related(
        "from_registration__enterprise", "to_registration__enterprise", "from_registration__event"
    )
    r = _reach(user)
    if r.admin:
        return qs
    internal = set(r.whole_pairs) | {p for p, _s in r.sides}
    q = Q(from_registration__event__partnership_id__in=internal)
    q |= Q(from_registration__enterprise_id__in=r.enterprises)
    q |= Q(to_registration__enterprise_id__in=r.enterprises)
    return qs.filter(q)


def is_organiser(user: User, event: Event) -> bool:
    """Staff of either side of the event's pair organise it (the administrator only reads:
    no business writes)."""
    return may_organise_pair(user, event.partnership_id)


def may_organise_pair(user: User, partnership_id: int) -> bool:
    return any(p == partnership_id for p, _s in _reach(user).staff_sides)


def acts_for(user: User, registration: Registration) -> bool:
    """May ``user`` act for the registered enterprise (its own user, or an organiser)?"""
    return registration.enterprise_id in _reach(user).enterprises or is_organiser(
        user, registration.event
    )


def permission(user: User, action: str, obj=None, **ctx) -> bool:
    """``core.scope.can`` for events (``obj`` is already visible)."""
    if obj is None:
        pair = ctx.get("partnership_id")
        return action == "create" and pair is not None and may_organise_pair(user, pair)
    if action in ("change", "delete"):
        return is_organiser(user, obj)
    return action == "view"


def visible_meetings(user: User) -> QuerySet[ScheduledMeeting]:
    """Scheduled meetings: the organisers and internal readers of the pair see all; an
    enterprise user those of its own enterprise."""
    qs = ScheduledMeeting.objects.select_related(
        "event", "request__from_registration__enterprise", "request__to_registration__enterprise"
    )
    r = _reach(user)
    if r.admin:
        return qs
    internal = set(r.whole_pairs) | {p for p, _s in r.sides}
    q = Q(event__partnership_id__in=internal)
    q |= Q(request__from_registration__enterprise_id__in=r.enterprises)
    q |= Q(request__to_registration__enterprise_id__in=r.enterprises)
    return qs.filter(q)


def _no_direct_writes(*args, **kwargs) -> bool:
    return False  # written only through the services below


scope.register(Event, visible, permission)
scope.register(Registration, visible_registrations, _no_direct_writes)
scope.register(MeetingRequest, visible_requests, _no_direct_writes)
scope.register(ScheduledMeeting, visible_meetings, _no_direct_writes)


# --- Event ----------------------------------------------------------------------------------


def create(user: User, event: Event) -> Event:
    if not may_organise_pair(user, event.partnership_id):
        raise PermissionDenied(_("Only the organisers of the pair create its events."))
    event.created_by = user
    event.status = E.DRAFT
    event.full_clean()
    event.save()
    return event


EDITABLE = (
    "title",
    "date",
    "place",
    "themes",
    "capacity",
    "start_time",
    "slot_minutes",
    "slot_count",
    "tables",
)


def update(user: User, event: Event, changes: dict) -> Event:
    """Change an event's details (organisers) before its schedule is drafted; the pair never
    changes, and the capacity cannot drop below the enterprises already registered."""
    _organiser(user, event)
    _status(event, E.DRAFT, E.OPEN)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({k: _("This field cannot be changed.") for k in sorted(unknown)})
    for key, value in changes.items():
        setattr(event, key, value)
    registered = event.registrations.count()
    if event.capacity < registered:
        raise ValidationError(
            {"capacity": _("%(n)d enterprises are already registered.") % {"n": registered}}
        )
    event.full_clean()
    event.save()
    return event


def open_registration(user: User, event: Event) -> Event:
    _organiser(user, event)
    _status(event, E.DRAFT)
    event.status = E.OPEN
    event.save(update_fields=["status"])
    return event


def _organiser(user: User, event: Event) -> None:
    if not is_organiser(user, event):
        raise PermissionDenied(_("Only the organisers of the pair may do this."))


def _status(event: Event, *allowed: str) -> None:
    if event.status not in allowed:
        raise ValidationError(
            _("Not possible while the event is “%(status)s”.")
            % {"status": event.get_status_display()}
        )


def starts_at(event: Event) -> datetime:
    return timezone.make_aware(datetime.combine(event.date, event.start_time))


# --- Registration and requests --------------------------------------------------------------


def register(user: User, event: Event, enterprise: Enterprise, delegates: str) -> Registration:
    _status(event, E.OPEN)
    if enterprise.partnership_id != event.partnership_id:
        raise ValidationError(
            {"enterprise": _("Only enterprises of the event's pair can take part.")}
        )
    if enterprise.pk not in _reach(user).enterprises and not is_organiser(user, event):
        raise PermissionDenied(_("You can register only your own enterprise."))
    if not delegates.strip():
        raise ValidationError({"delegates": _("Name at least one delegate.")})
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if locked.registrations.filter(enterprise=enterprise).exists():
            raise ValidationError({"enterprise": _("This enterprise is already registered.")})
        if locked.registrations.count() >= locked.capacity:
            raise ValidationError(
                _("The event is full (%(n)d enterprises).") % {"n": locked.capacity}
            )
        return Registration.objects.create(
            event=event, enterprise=enterprise, delegates=delegates.strip(), created_by=user
        )


def request_meeting(
    user: User,
    sender: Registration,
    addressee: Registration,
    preference: str = MeetingRequest.Preference.WOULD_LIKE,
    message: str = "",
    now: datetime | None = None,
) -> MeetingRequest:
    now = now or timezone.now()
    event = sender.event
    if addressee.event_id != sender.event_id:
        raise ValidationError(_("Meetings are requested between participants of one event."))
    if addressee.pk == sender.pk:
        raise ValidationError(_("An enterprise cannot ask to meet itself."))
    if not acts_for(user, sender):
        raise PermissionDenied(_("You can send requests only for your own enterprise."))
    _status(event, E.OPEN, E.SCHEDULED)
    if preference not in MeetingRequest.Preference.values:
        raise ValidationError({"preference": _("Unknown preference.")})
    existing = MeetingRequest.objects.filter(
        Q(from_registration=sender, to_registration=addressee)
        | Q(from_registration=addressee, to_registration=sender)
    ).exclude(status__in=[R.DECLINED, R.EXPIRED])
    if existing.exists():
        raise ValidationError(_("A request between these two enterprises is already open."))
    expires_at = min(now + timedelta(days=ANSWER_DAYS), starts_at(event))
    if expires_at <= now:
        raise ValidationError(_("The event has already started."))
    old = MeetingRequest.objects.filter(from_registration=sender, to_registration=addressee)
    old.delete()  # a declined or expired request may be sent again
    return MeetingRequest.objects.create(
        from_registration=sender,
        to_registration=addressee,
        preference=preference,
        message=message.strip(),
        expires_at=expires_at,
    )


def may_answer(user: User, req: MeetingRequest) -> bool:
    return req.status == R.PENDING and req.to_registration.enterprise_id in _reach(user).enterprises


def answer(
    user: User, req: MeetingRequest, *, accept: bool, now: datetime | None = None
) -> MeetingRequest:
    now = now or timezone.now()
    if req.to_registration.enterprise_id not in _reach(user).enterprises:
        raise PermissionDenied(_("Only the enterprise asked may answer this request."))
    if req.status == R.PENDING and req.expires_at <= now:
        req.status = R.EXPIRED
        req.save(update_fields=["status"])
    if req.status != R.PENDING:
        raise ValidationError(
            _("This request is “%(status)s” and can no longer be answered.")
            % {"status": req.get_status_display()}
        )
    req.status = R.ACCEPTED if accept else R.DECLINED
    req.answered_at = now
    req.save(update_fields=["status", "answered_at"])
    return req


def expire_requests(now: datetime | None = None) -> int:
    """Daily job hook: pending requests past their answer date expire. Returns how many."""
    now = now or timezone.now()
    return MeetingRequest.objects.filter(status=R.PENDING, expires_at__lte=now).update(
        status=R.EXPIRED
    )


def set_blocked_slots(user: User, registration: Registration, slots: list[int]) -> None:
    if not acts_for(user, registration):
        raise PermissionDenied(_("You can change only your own enterprise's availability."))
    event = registration.event
    _status(event, E.OPEN, E.SCHEDULED)
    wrong = [s for s in slots if not 0 <= s < event.slot_count]
    if wrong:
        raise ValidationError(
            _("Slot %(slot)d does not exist: the event has slots 1 to %(n)d.")
            % {"slot": wrong[0] + 1, "n": event.slot_count}
        )
    with transaction.atomic():
        registration.blocked_slots.all().delete()
        BlockedSlot.objects.bulk_create(
            BlockedSlot(registration=registration, slot=s) for s in sorted(set(slots))
        )


# --- Schedule -------------------------------------------------------------------------------


@dataclass
class Left:
    request: MeetingRequest
    reason: str


def build_schedule(user: User, event: Event) -> list[Left]:
    """Place the event's accepted requests (replacing the draft, but keeping the meetings an
    organiser pinned where they are); returns those left out."""
    _organiser(user, event)
    _status(event, E.OPEN, E.SCHEDULED)
    accepted = {
        r.pk: r
        for r in MeetingRequest.objects.filter(
            from_registration__event=event, status=R.ACCEPTED
        ).select_related("from_registration__enterprise", "to_registration__enterprise")
    }
    blocked: dict[int, set[int]] = {}
    for b in BlockedSlot.objects.filter(registration__event=event):
        blocked.setdefault(b.registration_id, set()).add(b.slot)
    pinned = {m.request_id: m for m in event.meetings.filter(pinned=True)}
    result = scheduling.schedule(
        [
            scheduling.Request(r.pk, r.from_registration_id, r.to_registration_id, r.preference)
            for r in accepted.values()
        ],
        event.slot_count,
        event.tables,
        blocked,
        fixed={rid: (m.slot, m.table) for rid, m in pinned.items() if rid in accepted},
    )
    kept = {
        p.request for p in result.placed if p.request in pinned and p.request not in result.released
    }
    with transaction.atomic():
        event.meetings.exclude(request_id__in=kept).delete()
        ScheduledMeeting.objects.bulk_create(
            ScheduledMeeting(event=event, request_id=p.request, slot=p.slot, table=p.table)
            for p in result.placed
            if p.request not in kept
        )
        event.status = E.SCHEDULED
        event.save(update_fields=["status"])
    return [Left(accepted[u.request], reason_text(u.reason)) for u in result.unplaced]


def reason_text(reason: str) -> str:
    """The scheduler's reason for leaving a request out, translated."""
    texts = {
        scheduling.NOT_WANTED: _("not wanted"),
        scheduling.SAME_PARTICIPANT: _("a participant cannot meet itself"),
        scheduling.DUPLICATE: _("the two already meet"),
        scheduling.NO_COMMON_SLOT: _("no slot in which both are free"),
        scheduling.NO_TABLE: _("every table is taken in the slots in which both are free"),
    }
    return texts.get(reason, reason)


def move_meeting(user: User, meeting: ScheduledMeeting, slot: int, table: int) -> ScheduledMeeting:
    """Move a meeting to another slot (0-based) and table, if both parties and the table are
    free there; the moved meeting is pinned (a rebuild keeps it there)."""
    event = meeting.event
    _organiser(user, event)
    _status(event, E.SCHEDULED, E.PUBLISHED)
    if not 0 <= slot < event.slot_count:
        raise ValidationError(
            {"slot": _("The event has slots 1 to %(n)d.") % {"n": event.slot_count}}
        )
    if not 1 <= table <= event.tables:
        raise ValidationError(
            {"table": _("The event has tables 1 to %(n)d.") % {"n": event.tables}}
        )
    others = event.meetings.exclude(pk=meeting.pk).filter(slot=slot)
    if others.filter(table=table).exists():
        raise ValidationError({"table": _("Table %(t)d is taken in that slot.") % {"t": table}})
    parties = [meeting.request.from_registration_id, meeting.request.to_registration_id]
    busy = others.filter(
        Q(request__from_registration_id__in=parties) | Q(request__to_registration_id__in=parties)
    )
    if busy.exists():
        raise ValidationError(
            {"slot": _("One of the two enterprises already meets someone in that slot.")}
        )
    if BlockedSlot.objects.filter(registration_id__in=parties, slot=slot).exists():
        raise ValidationError(
            {"slot": _("One of the two enterprises is not available in that slot.")}
        )
    meeting.slot, meeting.table, meeting.pinned = slot, table, True
    meeting.save(update_fields=["slot", "table", "pinned"])
    return meeting


def unpin_meeting(user: User, meeting: ScheduledMeeting) -> ScheduledMeeting:
    """Let the next rebuild place the meeting again like any other."""
    _organiser(user, meeting.event)
    _status(meeting.event, E.SCHEDULED, E.PUBLISHED)
    meeting.pinned = False
    meeting.save(update_fields=["pinned"])
    return meeting


def publish(user: User, event: Event) -> Event:
    _organiser(user, event)
    _status(event, E.SCHEDULED)
    event.status = E.PUBLISHED
    event.save(update_fields=["status"])
    return event


def mark_held(user: User, event: Event, today=None) -> Event:
    _organiser(user, event)
    _status(event, E.PUBLISHED)
    if event.date > (today or timezone.localdate()):
        raise ValidationError(_("The event has not taken place yet."))
    event.status = E.HELD
    event.save(update_fields=["status"])
    return event


def record_outcome(
    user: User,
    meeting: ScheduledMeeting,
    *,
    held: bool,
    follow_up: str = "",
    deal: bool = False,
    match: Match | None = None,
) -> ScheduledMeeting:
    _organiser(user, meeting.event)
    _status(meeting.event, E.HELD)
    if deal and not held:
        raise ValidationError({"deal": _("A meeting that did not take place made no agreement.")})
    if match is not None:
        if not scope.queryset(user, Match).filter(pk=match.pk).exists():
            raise ValidationError({"match": _("That match is not one you can see.")})
        if match.posting.partnership_id != meeting.event.partnership_id:
            raise ValidationError({"match": _("The match belongs to another pair.")})
    meeting.held, meeting.follow_up, meeting.deal, meeting.match = (
        held,
        follow_up.strip(),
        deal,
        match,
    )
    meeting.save(update_fields=["held", "follow_up", "deal", "match"])
    return meeting


def candidate_matches(user: User, meeting: ScheduledMeeting) -> list[Match]:
    """Matches of the pair the user sees that a meeting's outcome may be linked to: those
    between the two parties first, then those of one of them, then the pair's others."""
    req = meeting.request
    parties = {req.from_registration.enterprise_id, req.to_registration.enterprise_id}
    qs = (
        scope.queryset(user, Match)
        .filter(posting__partnership_id=meeting.event.partnership_id)
        .select_related("posting", "enterprise", "other_posting")
    )
    own = Q(enterprise_id__in=parties) | Q(posting__enterprise_id__in=parties)
    own |= Q(other_posting__enterprise_id__in=parties)
    involved = list(qs.filter(own).order_by("-pk"))

    def both(m: Match) -> bool:
        other = m.enterprise_id or (m.other_posting.enterprise_id if m.other_posting else None)
        return {m.posting.enterprise_id, other} == parties

    involved.sort(key=lambda m: not both(m))
    rest = qs.exclude(pk__in=[m.pk for m in involved]).order_by("-pk")[:50]
    return involved + list(rest)


# --- Figures and agenda ---------------------------------------------------------------------


@dataclass
class Figures:
    registrations: int
    requests: int
    accepted: int
    answered: int  # accepted, declined or expired
    scheduled: int
    held: int
    deals: int

    @property
    def acceptance_rate(self) -> float | None:
        return round(100 * self.accepted / self.answered, 1) if self.answered else None


def figures(event: Event) -> Figures:
    reqs = MeetingRequest.objects.filter(from_registration__event=event)
    meetings = event.meetings.all()
    return Figures(
        registrations=event.registrations.count(),
        requests=reqs.count(),
        accepted=reqs.filter(status=R.ACCEPTED).count(),
        answered=reqs.exclude(status=R.PENDING).count(),
        scheduled=meetings.count(),
        held=meetings.filter(held=True).count(),
        deals=meetings.filter(deal=True).count(),
    )


def agenda(registration: Registration) -> list[ScheduledMeeting]:
    """The meetings of one participant, in slot order."""
    return list(
        ScheduledMeeting.objects.filter(
            Q(request__from_registration=registration) | Q(request__to_registration=registration)
        )
        .select_related(
            "request__from_registration__enterprise", "request__to_registration__enterprise"
        )
        .order_by("slot")
    )


def other_party(meeting: ScheduledMeeting, registration: Registration) -> Registration:
    req = meeting.request
    return (
        req.to_registration
        if req.from_registration_id == registration.pk
        else req.from_registration
    )


def grid(event: Event) -> list[tuple[int, object, list[ScheduledMeeting | None]]]:
    """Rows of (slot index, start time, one cell per table) for the organisers' grid."""
    cells = {
        (m.slot, m.table): m
        for m in event.meetings.select_related(
            "request__from_registration__enterprise", "request__to_registration__enterprise"
        )
    }
    return [
        (s, event.slot_start(s), [cells.get((s, t)) for t in range(1, event.tables + 1)])
        for s in range(event.slot_count)
    ]
