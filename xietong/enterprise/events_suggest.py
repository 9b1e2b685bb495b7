"""Meeting suggestions at a networking event, from the pair's matching engine.

For one registered participant the engine is asked twice: once with each of its own
published demands (the same query a demand's suggestions use, ``suggestions.query_text``),
and once with what it makes and can do (main products first, then capabilities). Of the
enterprises found, only the other participants of the event count; the partner side comes
first, then those found through a demand, then the engine's score. Participants it already
has an open request with (sent or received) are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from . import suggestions
from .models import Enterprise, MeetingRequest, Posting, Registration

SEARCH_TOP = 200  # hits asked of the engine per query (the pair's whole index is a few hundred)
TOP = 5
_LINES = re.compile(r"[\n;；]+")


@dataclass
class MeetingSuggestion:
    registration: Registration  # the participant worth meeting
    score: float
    partner_side: bool
    explanation: str


def _lines(text: str) -> list[str]:
    return [x.strip() for x in _LINES.split(text or "") if x.strip()]


def offer_text(ent: Enterprise) -> str:
    """What the enterprise makes and can do, as a list the engine's parser reads."""
    terms = [p.name for p in ent.main_products.all()[:5]]
    terms += [t for t in _lines(ent.processes)[:3] + _lines(ent.equipment)[:2] if t not in terms]
    return "、".join(terms)


def _queries(ent: Enterprise) -> list[tuple[str, str, Posting | None]]:
    """(kind, text, demand) of each query: the enterprise's demands, then its offer."""
    out: list[tuple[str, str, Posting | None]] = []
    demands = Posting.objects.filter(
        enterprise=ent,
        partnership_id=ent.partnership_id,
        status=Posting.Status.PUBLISHED,
        direction=Posting.Direction.DEMAND,
    ).order_by("-published_at", "-pk")[:3]
    for posting in demands:
        out.append(("demand", suggestions.query_text(posting), posting))
    offer = offer_text(ent)
    if offer:
        out.append(("offer", offer, None))
    return out


def _explanation(kind: str, match: dict, demand: Posting | None) -> str:
    if kind == "demand" and demand is not None:
        why = suggestions.explain({**match, "target": "enterprise"})
        return _("For your demand “%(title)s”: %(why)s") % {"title": demand.title, "why": why}
    return _("Its “%(product)s” is close to your “%(term)s”.") % {
        "product": match.get("product", ""),
        "term": match.get("term", ""),
    }


def suggest(registration: Registration, top: int = TOP) -> list[MeetingSuggestion]:
    """The other participants of the event worth meeting for ``registration``, best first.

    The caller decides who may read them (the participant itself and the organisers)."""
    event = registration.event
    ent = (
        Enterprise.objects.filter(pk=registration.enterprise_id)
        .prefetch_related("main_products")
        .get()
    )
    others = {
        r.enterprise_id: r
        for r in event.registrations.exclude(pk=registration.pk).select_related("enterprise__side")
    }
    open_with = set()
    mine = MeetingRequest.objects.filter(
        Q(from_registration=registration) | Q(to_registration=registration)
    ).exclude(status__in=[MeetingRequest.Status.DECLINED, MeetingRequest.Status.EXPIRED])
    for a, b in mine.values_list(
        "from_registration__enterprise_id", "to_registration__enterprise_id"
    ):
        open_with.update((a, b))
    for pk in open_with:
        others.pop(pk, None)
    if not others:
        return []
    engine = suggestions.service.engine(event.partnership)
    best: dict[int, tuple[int, float, str]] = {}  # enterprise id → (query order, score, why)
    for order, (kind, text, demand) in enumerate(_queries(ent)):
        result = engine.search(text, top=SEARCH_TOP, region=str(ent.side_id), region_mode="prefer")
        for hit in result.hits:
            if hit.tier == "peer" or hit.match.how == "peer":
                continue
            prefix, _sep, pk = hit.id.partition(":")
            if prefix != "enterprise" or not pk.isdigit() or int(pk) not in others:
                continue
            pk = int(pk)
            if pk in best and best[pk][0] <= order:
                continue
            best[pk] = (order, hit.score, _explanation(kind, hit.match.as_dict(), demand))
    rows = [
        MeetingSuggestion(
            registration=others[pk],
            score=round(score, 4),
            partner_side=others[pk].enterprise.side_id != ent.side_id,
            explanation=why,
        )
        for pk, (order, score, why) in best.items()
    ]
    order_of = {pk: v[0] for pk, v in best.items()}
    rows.sort(
        key=lambda s: (
            not s.partner_side,
            order_of[s.registration.enterprise_id],
            -s.score,
            s.registration.pk,
        )
    )
    return rows[:top]
