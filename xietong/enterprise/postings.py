"""Supply-demand postings: who sees them, who may do what, and their workflow.

Workflow: draft → submitted → approved (published at once when its validity has begun,
otherwise by the daily job on ``valid_from``) or returned with a reason (edit, submit
again) → published → closed (fulfilled / withdrawn by the poster or staff, expired by the
daily job, which reminds the poster ``reminder_days`` before, once). Every step is a
``PostingEvent`` and notifies the people concerned.

Who:
- enterprise users post for their own enterprise; department staff and partnership
  coordinators of a side post for the side (optionally naming one of its enterprises);
- staff and coordinators of the posting's side review — never the person who posted it;
- the poster (its author, its enterprise's users) and the side's staff close and renew it.

Visibility (``visible``, registered with ``core.scope``):
- administrator: all; whole-pair readers: all of their pairs except other people's drafts;
- people of the posting's side (staff, coordinators, sector members, side leaders): every
  posting of the side except other people's drafts; its enterprise: all of its own;
- the other side of the pair (officials and enterprise users): published postings, and
  closed ones for officials;
- the posting side's other enterprises: published supplies, and published demands once
  the partner-first window (``PostingSettings.partner_first_days``, default 14) is over —
  unless the posting is for the partner side only;
- a party that expressed interest keeps seeing the posting;
- other partnerships, and anyone else: nothing (404).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core.audit import record
from xietong.core.models import Membership, Partnership, Role, SecurityEvent, User
from xietong.core.notifications import notify

from .models import Enterprise, Interest, Posting, PostingEvent, PostingSettings
from .services import mask_email, mask_name, mask_phone

S = Posting.Status
# What an edit may change (the workflow fields change only through the transitions).
EDITABLE = [
    "partnership",
    "side",
    "enterprise",
    "kind",
    "direction",
    "title",
    "subject",
    "description",
    "quantity",
    "unit",
    "budget",
    "delivery_period",
    "technical_requirements",
    "location",
    "valid_from",
    "valid_until",
    "visibility",
    "contact_name",
    "contact_phone",
    "contact_email",
]
DEFAULT_PARTNER_FIRST_DAYS = 14


def _reach(user):
    from .queries import reach

    return reach(user)


def settings_of(partnership: Partnership | int) -> PostingSettings:
    pk = getattr(partnership, "pk", partnership)
    found = PostingSettings.objects.filter(partnership_id=pk).first()
    return found or PostingSettings(partnership_id=pk)


# --- Visibility ---------------------------------------------------------------------------


def _published_for_own_side_q(pair_id: int, region_id: int, now) -> Q:
    """Published postings of the side ``region_id`` of pair ``pair_id`` that the side's
    other enterprises see: supplies, and demands after the partner-first window."""
    window = timedelta(days=settings_of(pair_id).partner_first_days)
    return Q(
        partnership_id=pair_id,
        side_id=region_id,
        status=S.PUBLISHED,
        visibility=Posting.Visibility.BOTH,
    ) & (Q(direction=Posting.Direction.SUPPLY) | Q(published_at__lte=now - window))


def visible_q(user: User, now=None) -> Q | None:
    r = _reach(user)
    if r.admin:
        return None
    now = now or timezone.now()
    not_others_draft = ~Q(status=S.DRAFT) | Q(created_by=user)
    q = Q(pk__in=[])
    if r.whole_pairs:
        q |= Q(partnership_id__in=r.whole_pairs) & not_others_draft
    for pair_id, region_id in r.sides:
        q |= Q(partnership_id=pair_id, side_id=region_id) & not_others_draft
        q |= (
            Q(partnership_id=pair_id)
            & ~Q(side_id=region_id)
            & Q(status__in=[S.PUBLISHED, S.CLOSED])
        )
    for pair_id, region_id in r.enterprise_sides:
        q |= Q(partnership_id=pair_id, status=S.PUBLISHED) & ~Q(side_id=region_id)
        q |= _published_for_own_side_q(pair_id, region_id, now)
    if r.enterprises:
        q |= Q(enterprise_id__in=r.enterprises)
    q |= Q(created_by=user)
    q |= Q(pk__in=Interest.objects.filter(user=user).values("posting_id"))
    return q


def visible(user: User, now=None) -> QuerySet[Posting]:
    qs = Posting.objects.select_related("partnership", "side", "enterprise", "created_by")
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    q = visible_q(user, now)
    return qs if q is None else qs.filter(q)


# --- Who may do what ------------------------------------------------------------------------


def is_staff_of(user: User, posting: Posting) -> bool:
    return (posting.partnership_id, posting.side_id) in _reach(user).staff_sides


def is_poster(user: User, posting: Posting) -> bool:
    """The author, or a user of the posting's enterprise."""
    return posting.created_by_id == user.pk or (
        posting.enterprise_id is not None and posting.enterprise_id in _reach(user).enterprises
    )


def may_edit(user: User, posting: Posting) -> bool:
    return posting.editable and (is_poster(user, posting) or is_staff_of(user, posting))


def may_review(user: User, posting: Posting) -> bool:
    """Staff of the posting's side, never the person who posted it."""
    return (
        posting.status == S.SUBMITTED
        and posting.created_by_id != user.pk
        and not is_poster(user, posting)
        and is_staff_of(user, posting)
    )


def may_close(user: User, posting: Posting) -> bool:
    return posting.status != S.CLOSED and (is_poster(user, posting) or is_staff_of(user, posting))


def may_express_interest(user: User, posting: Posting) -> bool:
    """Enterprises of the pair and staff of its other side; those who only read (programme
    coordinators, leaders, sector members, the administrator) send no interest."""
    r = _reach(user)
    acts = any(pair == posting.partnership_id for pair, _side in r.staff_sides | r.enterprise_sides)
    return (
        posting.status == S.PUBLISHED
        and acts
        and not is_poster(user, posting)
        and not is_staff_of(user, posting)
    )


def may_answer_interest(user: User, posting: Posting) -> bool:
    return is_poster(user, posting) or is_staff_of(user, posting)


def posting_places(user: User) -> list[tuple[Partnership, int, Enterprise | None]]:
    """Where the user may post: (pair, side id, fixed enterprise or None)."""
    r = _reach(user)
    places = []
    for ent in Enterprise.objects.filter(pk__in=r.enterprises).select_related("partnership"):
        places.append((ent.partnership, ent.side_id, ent))
    sides = r.staff_sides
    pairs = Partnership.objects.in_bulk({pair for pair, _side in sides})
    for pair_id, region_id in sorted(sides):
        places.append((pairs[pair_id], region_id, None))
    return places


def may_create(user: User, partnership_id: int, side_id: int, enterprise_id: int | None) -> bool:
    for pair, side, ent in posting_places(user):
        if pair.pk == partnership_id and side == side_id:
            if ent is None or ent.pk == enterprise_id:
                return True
    return False


def permission(user: User, action: str, obj=None, **ctx) -> bool:
    """``core.scope.can`` for postings (``obj`` is already visible)."""
    if obj is None:
        return action == "create" and bool(posting_places(user))
    if action == "change":
        return may_edit(user, obj)
    if action == "delete":
        return obj.status == S.DRAFT and (is_poster(user, obj) or is_staff_of(user, obj))
    return action == "view"


# --- People to notify -----------------------------------------------------------------------


def reviewers(posting: Posting) -> QuerySet[User]:
    members = Membership.objects.filter(
        Q(role=Role.DEPARTMENT_STAFF, org_unit__region_id=posting.side_id)
        | Q(
            role=Role.PARTNERSHIP_COORDINATOR,
            partnership_id=posting.partnership_id,
            region_id=posting.side_id,
        )
    )
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True).exclude(
        pk=posting.created_by_id
    )


def posters(posting: Posting) -> QuerySet[User]:
    """The author and the users of the posting's enterprise."""
    q = Q(pk=posting.created_by_id)
    if posting.enterprise_id:
        q |= Q(
            pk__in=Membership.objects.filter(
                role=Role.ENTERPRISE_USER, enterprise_id=posting.enterprise_id
            ).values("user_id")
        )
    return User.objects.filter(q, is_active=True)


def url_of(posting: Posting) -> str:
    return reverse("enterprise:posting_detail", args=[posting.pk])


def _tell(users, posting: Posting, key: str, title: str, body: str = "") -> None:
    for user in users:
        notify(user, key=f"posting-{posting.pk}-{key}", title=title, body=body, url=url_of(posting))


def _event(posting, kind, actor, before="", note=""):
    return PostingEvent.objects.create(
        posting=posting,
        kind=kind,
        actor=actor,
        from_status=before,
        to_status=posting.status,
        note=note,
    )


# --- Workflow -------------------------------------------------------------------------------


def create(user: User, posting: Posting) -> Posting:
    """Save a new draft (``posting`` unsaved, validated by the form or the serializer)."""
    if not may_create(user, posting.partnership_id, posting.side_id, posting.enterprise_id):
        raise PermissionDenied(_("You may not post for this side or enterprise."))
    posting.created_by = user
    posting.status = S.DRAFT
    posting.full_clean()
    with transaction.atomic():
        posting.save()
        _event(posting, PostingEvent.Kind.CREATED, user)
    return posting


def edit(user: User, posting: Posting) -> Posting:
    """Save changes to a draft or a returned posting."""
    stored = _fresh(posting)
    if not may_edit(user, stored):
        raise PermissionDenied(_("Only drafts and returned postings are edited, by the poster."))
    if not may_create(user, posting.partnership_id, posting.side_id, posting.enterprise_id):
        raise PermissionDenied(_("You may not post for this side or enterprise."))
    posting.status = stored.status
    posting.full_clean()
    with transaction.atomic():
        posting.save(update_fields=[*EDITABLE, "updated_at"])
        _event(posting, PostingEvent.Kind.EDITED, user, posting.status)
    return posting


def _locked(posting: Posting) -> Posting:
    return Posting.objects.select_for_update().select_related("partnership").get(pk=posting.pk)


def _fresh(posting: Posting) -> Posting:
    """The posting as stored now (a caller may hold a copy from before a transition)."""
    return Posting.objects.select_related("partnership", "enterprise").get(pk=posting.pk)


def submit(user: User, posting: Posting) -> Posting:
    if not (is_poster(user, posting) or is_staff_of(user, posting)):
        raise PermissionDenied(_("Only the poster submits a posting."))
    with transaction.atomic():
        posting = _locked(posting)
        if posting.status not in (S.DRAFT, S.RETURNED):
            raise ValidationError(_("Only a draft or a returned posting can be submitted."))
        posting.full_clean()
        before = posting.status
        posting.status, posting.submitted_at = S.SUBMITTED, timezone.now()
        posting.save(update_fields=["status", "submitted_at", "updated_at"])
        event = _event(posting, PostingEvent.Kind.SUBMITTED, user, before)
    _tell(
        reviewers(posting),
        posting,
        f"submitted-{event.pk}",
        _("Posting to review: %(title)s") % {"title": posting.title},
    )
    return posting


def review(user: User, posting: Posting, *, approve: bool, reason: str = "") -> Posting:
    """Approve (published at once when valid from today or earlier) or return with a reason."""
    posting = _fresh(posting)
    if not may_review(user, posting):
        if posting.status == S.SUBMITTED and is_poster(user, posting):
            raise PermissionDenied(_("You cannot review a posting you posted yourself."))
        if posting.status != S.SUBMITTED:
            raise ValidationError(_("Only a submitted posting can be reviewed."))
        raise PermissionDenied(_("Only department staff of the posting's side review it."))
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError(_("Give the reason for returning the posting."))
    with transaction.atomic():
        posting = _locked(posting)
        if posting.status != S.SUBMITTED:
            raise ValidationError(_("Only a submitted posting can be reviewed."))
        before = posting.status
        posting.status = S.APPROVED if approve else S.RETURNED
        posting.reviewed_by = user
        posting.return_reason = "" if approve else reason
        posting.save(update_fields=["status", "reviewed_by", "return_reason", "updated_at"])
        event = _event(
            posting,
            PostingEvent.Kind.APPROVED if approve else PostingEvent.Kind.RETURNED,
            user,
            before,
            reason,
        )
    if approve:
        _tell(
            posters(posting),
            posting,
            f"approved-{event.pk}",
            _("Your posting was approved: %(title)s") % {"title": posting.title},
        )
        if posting.valid_from <= timezone.localdate():
            posting = publish(posting, user)
    else:
        _tell(
            posters(posting),
            posting,
            f"returned-{event.pk}",
            _("Your posting was returned: %(title)s") % {"title": posting.title},
            reason,
        )
    return posting


def publish(posting: Posting, actor: User | None = None) -> Posting:
    """An approved posting goes live: suggestions are computed, the poster is told."""
    with transaction.atomic():
        posting = _locked(posting)
        if posting.status != S.APPROVED:
            return posting
        posting.status, posting.published_at = S.PUBLISHED, timezone.now()
        posting.save(update_fields=["status", "published_at", "updated_at"])
        _event(posting, PostingEvent.Kind.PUBLISHED, actor, S.APPROVED)
    from . import suggestions

    suggestions.refresh(posting)
    _tell(
        posters(posting),
        posting,
        "published",
        _("Your posting is published: %(title)s") % {"title": posting.title},
    )
    return posting


def close(user: User | None, posting: Posting, outcome: str, note: str = "") -> Posting:
    """Fulfilled or withdrawn (the poster or staff), expired (the daily job: user None)."""
    if outcome not in Posting.Outcome.values:
        raise ValidationError(_("Unknown outcome: %(outcome)s") % {"outcome": outcome})
    posting = _fresh(posting)
    if posting.status == S.CLOSED:
        raise ValidationError(_("This posting is already closed."))
    if user is not None and not may_close(user, posting):
        raise PermissionDenied(_("Only the poster or staff of its side close a posting."))
    if outcome == Posting.Outcome.EXPIRED and user is not None:
        raise ValidationError(_("Postings expire by themselves at the end of their validity."))
    with transaction.atomic():
        posting = _locked(posting)
        if posting.status == S.CLOSED:
            raise ValidationError(_("This posting is already closed."))
        if outcome == Posting.Outcome.FULFILLED and posting.status != S.PUBLISHED:
            raise ValidationError(_("Only a published posting can be fulfilled."))
        before = posting.status
        posting.status, posting.outcome, posting.closed_at = S.CLOSED, outcome, timezone.now()
        posting.save(update_fields=["status", "outcome", "closed_at", "updated_at"])
        _event(posting, PostingEvent.Kind.CLOSED, user, before, note or outcome)
    title = _("Posting closed (%(outcome)s): %(title)s") % {
        "outcome": posting.get_outcome_display(),
        "title": posting.title,
    }
    _tell(posters(posting), posting, f"closed-{outcome}", title)
    if before == S.PUBLISHED:
        interested = User.objects.filter(pk__in=posting.interests.values("user_id"), is_active=True)
        _tell(interested, posting, f"closed-{outcome}", title)
    return posting


def renew(user: User, posting: Posting, valid_until: date) -> Posting:
    posting = _fresh(posting)
    if not may_close(user, posting) or posting.status != S.PUBLISHED:
        raise PermissionDenied(_("Only the poster or staff of its side renew a published posting."))
    if valid_until <= posting.valid_until:
        raise ValidationError(_("The new end of validity must be later than the current one."))
    with transaction.atomic():
        posting = _locked(posting)
        old = posting.valid_until
        posting.valid_until, posting.reminder_sent_on = valid_until, None
        posting.save(update_fields=["valid_until", "reminder_sent_on", "updated_at"])
        _event(posting, PostingEvent.Kind.RENEWED, user, S.PUBLISHED, f"{old} → {valid_until}")
    return posting


def run_daily(today: date | None = None) -> dict[str, int]:
    """Publish approved postings whose validity began, remind posters N days before the end
    (once), close expired postings. Safe to run twice a day."""
    today = today or timezone.localdate()
    done = {"published": 0, "reminded": 0, "expired": 0}
    for posting in Posting.objects.filter(status=S.APPROVED, valid_from__lte=today):
        if posting.valid_until < today:
            close(None, posting, Posting.Outcome.EXPIRED)
            done["expired"] += 1
        else:
            publish(posting)
            done["published"] += 1
    for posting in Posting.objects.filter(status=S.PUBLISHED, valid_until__lt=today):
        close(None, posting, Posting.Outcome.EXPIRED)
        done["expired"] += 1
    for posting in Posting.objects.filter(
        status=S.PUBLISHED, reminder_sent_on__isnull=True, valid_until__gte=today
    ).select_related("partnership"):
        days = settings_of(posting.partnership_id).reminder_days
        if posting.valid_until - timedelta(days=days) > today:
            continue
        claimed = Posting.objects.filter(pk=posting.pk, reminder_sent_on__isnull=True).update(
            reminder_sent_on=today
        )
        if not claimed:
            continue
        _event(posting, PostingEvent.Kind.REMINDED, None, S.PUBLISHED)
        _tell(
            posters(posting),
            posting,
            f"reminder-{posting.valid_until}",
            _("Your posting expires on %(date)s: renew it if it is still open — %(title)s")
            % {"date": posting.valid_until.isoformat(), "title": posting.title},
        )
        done["reminded"] += 1
    return done


# --- Contact gated by an accepted interest ---------------------------------------------------


def express_interest(user: User, posting: Posting, message: str) -> Interest:
    posting = _fresh(posting)
    if not may_express_interest(user, posting):
        raise PermissionDenied(_("You cannot express interest in this posting."))
    message = message.strip()
    if not message:
        raise ValidationError(_("Write a short message to the poster."))
    if posting.interests.filter(user=user).exists():
        raise ValidationError(_("You have already expressed interest in this posting."))
    from .services import own_enterprise

    with transaction.atomic():
        interest = Interest.objects.create(
            posting=posting, user=user, enterprise=own_enterprise(user), message=message
        )
        _event(posting, PostingEvent.Kind.INTEREST, user, posting.status, message)
    who = interest.enterprise.name if interest.enterprise else (user.get_full_name() or user)
    _tell(
        posters(posting),
        posting,
        f"interest-{interest.pk}",
        _("%(who)s is interested in your posting: %(title)s")
        % {"who": who, "title": posting.title},
        message,
    )
    return interest


def answer_interest(user: User, interest: Interest, *, accept: bool) -> Interest:
    posting = interest.posting
    if not may_answer_interest(user, posting):
        raise PermissionDenied(_("Only the poster answers expressions of interest."))
    if interest.status != Interest.Status.PENDING:
        raise ValidationError(_("This expression of interest has already been answered."))
    interest.status = Interest.Status.ACCEPTED if accept else Interest.Status.DECLINED
    interest.decided_at = timezone.now()
    interest.save(update_fields=["status", "decided_at"])
    _event(
        posting,
        PostingEvent.Kind.INTEREST_ACCEPTED if accept else PostingEvent.Kind.INTEREST_DECLINED,
        user,
        posting.status,
    )
    title = (
        _("Your interest was accepted; the contact details are on the posting: %(title)s")
        if accept
        else _("Your interest was declined: %(title)s")
    ) % {"title": posting.title}
    notify(
        interest.user,
        key=f"interest-{interest.pk}-{interest.status}",
        title=title,
        url=url_of(posting),
    )
    return interest


def contact_for(user: User, posting: Posting, request=None) -> dict[str, str | bool]:
    """The poster's contact as ``user`` may see it: clear for the posting's own side and
    for a party whose interest was accepted (recorded as an unmask), masked otherwise."""
    clear = {
        "name": posting.contact_name,
        "phone": posting.contact_phone,
        "email": posting.contact_email,
        "revealed": True,
    }
    if is_poster(user, posting) or is_staff_of(user, posting):
        return clear
    if posting.interests.filter(user=user, status=Interest.Status.ACCEPTED).exists():
        record(
            SecurityEvent.Kind.UNMASK,
            request,
            user=user,
            detail=f"posting {posting.pk}: contact (accepted interest)",
        )
        return clear
    return {
        "name": mask_name(posting.contact_name),
        "phone": mask_phone(posting.contact_phone),
        "email": mask_email(posting.contact_email),
        "revealed": False,
    }
