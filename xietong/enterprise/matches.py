"""Matches: a suggestion (or a counterpart found otherwise) followed up by staff or the
enterprise — proposed → contacted → negotiating → deal (contract value in 万元, date) or no
deal (reason); six months after the proposal the parties are asked once for a follow-up
rating. ``stats`` gives counts, conversion rates and deal values per side, kind and month.

Who sees a match: everyone who sees its posting and is of its pair (staff, coordinators,
whole-pair readers), the poster and the counterpart enterprise. Who moves it: staff and
coordinators of either side of the pair, the poster and the counterpart enterprise.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core.models import Membership, Role, User
from xietong.core.notifications import notify

from . import postings
from .models import Enterprise, Match, MatchEvent, Posting, Suggestion

M = Match.Status
ORDER = [M.PROPOSED, M.CONTACTED, M.NEGOTIATING]
FINAL = {M.DEAL, M.NO_DEAL}
FOLLOW_UP_MONTHS = 6


def _reach(user):
    from .queries import reach

    return reach(user)


def visible(user: User) -> QuerySet[Match]:
    qs = Match.objects.select_related(
        "posting__side", "posting__partnership", "enterprise__side", "other_posting", "created_by"
    )
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    r = _reach(user)
    if r.admin:
        return qs
    pairs = set(r.whole_pairs) | {pair for pair, _side in r.sides}
    q = Q(posting__partnership_id__in=pairs)
    if r.enterprises:
        q |= (
            Q(posting__enterprise_id__in=r.enterprises)
            | Q(enterprise_id__in=r.enterprises)
            | Q(other_posting__enterprise_id__in=r.enterprises)
        )
    q |= Q(created_by=user) | Q(posting__created_by=user)
    return qs.filter(q)


def _party_enterprises(match: Match) -> set[int]:
    ids = {match.posting.enterprise_id, match.enterprise_id}
    if match.other_posting_id:
        ids.add(match.other_posting.enterprise_id)
    return {i for i in ids if i}


def may_move(user: User, match: Match) -> bool:
    r = _reach(user)
    if any(pair == match.posting.partnership_id for pair, _s in r.staff_sides):
        return True
    return bool(_party_enterprises(match) & r.enterprises) or postings.is_poster(
        user, match.posting
    )


def may_propose(user: User, posting: Posting) -> bool:
    r = _reach(user)
    if posting.status != Posting.Status.PUBLISHED:
        return False
    if any(pair == posting.partnership_id for pair, _s in r.staff_sides):
        return True
    return postings.is_poster(user, posting)


def permission(user: User, action: str, obj=None, **ctx) -> bool:
    if obj is None:
        return False  # only through propose()
    return action in ("view",) or (action == "change" and may_move(user, obj))


def parties(match: Match) -> QuerySet[User]:
    ents = _party_enterprises(match)
    q = Q(pk=match.created_by_id) | Q(pk=match.posting.created_by_id)
    if ents:
        q |= Q(
            pk__in=Membership.objects.filter(
                role=Role.ENTERPRISE_USER, enterprise_id__in=ents
            ).values("user_id")
        )
    return User.objects.filter(q, is_active=True)


def _tell(match: Match, key: str, title: str, exclude: User | None = None) -> None:
    url = reverse("enterprise:match_detail", args=[match.pk])
    for user in parties(match):
        if exclude is not None and user.pk == exclude.pk:
            continue
        notify(user, key=f"match-{match.pk}-{key}", title=title, url=url)


def propose(
    user: User,
    posting: Posting,
    *,
    suggestion: Suggestion | None = None,
    enterprise: Enterprise | None = None,
    other_posting: Posting | None = None,
) -> Match:
    """Turn a suggestion (or a named counterpart) into a match."""
    if not may_propose(user, posting):
        raise PermissionDenied(_("Only staff of the pair or the poster propose a match."))
    explanation = ""
    if suggestion is not None:
        if suggestion.posting_id != posting.pk:
            raise ValidationError(_("This suggestion belongs to another posting."))
        from .suggestions import explain

        enterprise, other_posting = suggestion.enterprise, suggestion.other_posting
        explanation = explain(suggestion.match)[:300]
    if enterprise is None and other_posting is None:
        raise ValidationError(_("Name the counterpart enterprise or posting."))
    for other in (enterprise, other_posting):
        if other is not None and other.partnership_id != posting.partnership_id:
            raise ValidationError(_("The counterpart must be of the same pair."))
    existing = Match.objects.filter(
        posting=posting, enterprise=enterprise, other_posting=other_posting
    ).exclude(status=M.NO_DEAL)
    if existing.exists():
        raise ValidationError(_("This counterpart is already matched with the posting."))
    with transaction.atomic():
        match = Match.objects.create(
            posting=posting,
            enterprise=enterprise,
            other_posting=other_posting,
            explanation=explanation,
            created_by=user,
        )
        MatchEvent.objects.create(match=match, actor=user, to_status=match.status)
    _tell(match, "proposed", _("A match was proposed: %(match)s") % {"match": match}, user)
    return match


def advance(
    user: User,
    match: Match,
    status: str,
    *,
    contract_value: Decimal | None = None,
    deal_date: date | None = None,
    reason: str = "",
) -> Match:
    """Move a match forward; a deal needs its contract value and date, no deal a reason."""
    if not may_move(user, match):
        raise PermissionDenied(_("Only the parties or staff of the pair update a match."))
    if status not in M.values:
        raise ValidationError(_("Unknown status: %(status)s") % {"status": status})
    with transaction.atomic():
        match = Match.objects.select_for_update().get(pk=match.pk)
        if match.status in FINAL:
            raise ValidationError(_("This match is already concluded."))
        if status in ORDER and ORDER.index(status) <= ORDER.index(match.status):
            raise ValidationError(_("A match only moves forward."))
        errors = {}
        if status == M.DEAL:
            if contract_value is None or contract_value <= 0:
                errors["contract_value"] = _("Give the contract value (10k yuan).")
            if deal_date is None:
                errors["deal_date"] = _("Give the date of the deal.")
            elif deal_date > timezone.localdate():
                errors["deal_date"] = _("The date of the deal cannot be in the future.")
        if status == M.NO_DEAL and not reason.strip():
            errors["no_deal_reason"] = _("Give the reason why there was no deal.")
        if errors:
            raise ValidationError(errors)
        before = match.status
        match.status = status
        if status == M.DEAL:
            match.contract_value, match.deal_date = contract_value, deal_date
        if status == M.NO_DEAL:
            match.no_deal_reason = reason.strip()
        match.save()
        MatchEvent.objects.create(
            match=match, actor=user, from_status=before, to_status=status, note=reason.strip()
        )
    _tell(
        match,
        status,
        _("Match %(match)s: %(status)s") % {"match": match, "status": match.get_status_display()},
        user,
    )
    return match


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def ask_follow_ups(today: date | None = None) -> int:
    """Ask the parties of every match proposed six months ago or more, once."""
    today = today or timezone.localdate()
    asked = 0
    for match in visible_all().filter(follow_up_asked_on__isnull=True):
        if add_months(timezone.localdate(match.created_at), FOLLOW_UP_MONTHS) > today:
            continue
        if not Match.objects.filter(pk=match.pk, follow_up_asked_on__isnull=True).update(
            follow_up_asked_on=today
        ):
            continue
        _tell(
            match,
            "follow-up",
            _("Six months on: how did the match %(match)s turn out?") % {"match": match},
        )
        asked += 1
    return asked


def visible_all() -> QuerySet[Match]:
    return Match.objects.select_related("posting", "other_posting")


def rate(user: User, match: Match, rating: str) -> Match:
    if not may_move(user, match):
        raise PermissionDenied(_("Only the parties or staff of the pair rate a match."))
    if rating not in Match.Rating.values:
        raise ValidationError(_("Unknown rating: %(rating)s") % {"rating": rating})
    match.follow_up_rating, match.follow_up_at = rating, timezone.now()
    match.save(update_fields=["follow_up_rating", "follow_up_at", "updated_at"])
    MatchEvent.objects.create(
        match=match, actor=user, from_status=match.status, to_status=match.status, note=rating
    )
    return match


def stats(matches: QuerySet[Match]) -> dict:
    """Counts, conversion (deals / matches) and deal values, per side, kind and month."""

    def blank():
        return {"matches": 0, "deals": 0, "no_deals": 0, "value": Decimal(0)}

    groups = {"side": defaultdict(blank), "kind": defaultdict(blank), "month": defaultdict(blank)}
    total = blank()
    kinds = dict(Posting.Kind.choices)
    rows = matches.values_list(
        "posting__side__name", "posting__kind", "created_at", "status", "contract_value"
    )
    for side, kind, created, status, value in rows:
        month = timezone.localtime(created).strftime("%Y-%m")
        for bucket in (
            groups["side"][side],
            groups["kind"][str(kinds.get(kind, kind))],
            groups["month"][month],
            total,
        ):
            bucket["matches"] += 1
            if status == M.DEAL:
                bucket["deals"] += 1
                bucket["value"] += value or 0
            elif status == M.NO_DEAL:
                bucket["no_deals"] += 1

    def finish(bucket):
        bucket["conversion"] = (
            round(100 * bucket["deals"] / bucket["matches"], 1) if bucket["matches"] else 0.0
        )
        return bucket

    return {
        "total": finish(total),
        **{
            name: [(key, finish(b)) for key, b in sorted(group.items())]
            for name, group in groups.items()
        },
    }
