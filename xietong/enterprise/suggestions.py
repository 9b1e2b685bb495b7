"""Matching in the product: one engine (``xietong.matching``) per partnership, built from
the pair's enterprises (main products in order, product records, capabilities, technologies)
and its published postings; suggestions for a published posting with an explanation a
civil servant understands.

The index of a pair lives in ``XIETONG_VAR_DIR/matching/<programme id>/<pair id>``; it is
loaded on first use (and again when another process saved a newer one), updated by the
huey job ``tasks.update_index`` whenever a record changes (signals in ``signals.py``), and
rebuilt by ``xietong enterprise reindex``.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from xietong.core.models import Partnership
from xietong.matching import Engine, Record

from .models import Enterprise, Posting, Suggestion
from .services import _lines

SPLIT = re.compile(r"[、,，;；/\s]+")
TOP = 20


# --- Records ------------------------------------------------------------------------------


def subject_terms(posting: Posting) -> list[str]:
    return [t for t in (x.strip() for x in SPLIT.split(posting.subject or "")) if t]


def enterprise_record(ent: Enterprise) -> Record:
    products = [p.name for p in ent.main_products.all()]
    for p in ent.products.all():
        if p.name not in products:
            products.append(p.name)
    capabilities = [*_lines(ent.processes), *_lines(ent.equipment), *_lines(ent.certifications)]
    capabilities += [t.name for t in ent.technologies.all()]
    industry = next((i.name for i in ent.industries.all()), "")
    return Record(
        id=f"enterprise:{ent.pk}",
        name=ent.name,
        text=ent.description,
        industry=industry,
        products=products,
        capabilities=capabilities,
        region=str(ent.side_id),
    )


def posting_record(posting: Posting) -> Record:
    return Record(
        id=f"posting:{posting.pk}",
        name=posting.title,
        text=posting.description,
        products=subject_terms(posting),
        region=str(posting.side_id),
    )


def _enterprises(pair_id: int):
    return Enterprise.objects.filter(partnership_id=pair_id).prefetch_related(
        "main_products", "products", "technologies", "industries"
    )


def records(pair_id: int) -> list[Record]:
    out = [enterprise_record(e) for e in _enterprises(pair_id)]
    out += [
        posting_record(p)
        for p in Posting.objects.filter(partnership_id=pair_id, status=Posting.Status.PUBLISHED)
    ]
    return out


# --- The engines ----------------------------------------------------------------------------


class EngineService:
    """The engines of the pairs, loaded lazily; thread-safe."""

    def __init__(self) -> None:
        self._engines: dict[int, tuple[Engine, float]] = {}
        self._lock = threading.RLock()

    @staticmethod
    def directory(pair: Partnership) -> Path:
        return Path(settings.VAR_DIR) / "matching" / str(pair.programme_id) / str(pair.pk)

    @staticmethod
    def _stamp(directory: Path) -> float:
        try:
            return os.stat(directory / "meta.json").st_mtime_ns
        except FileNotFoundError:
            return -1

    def engine(self, pair: Partnership) -> Engine:
        directory = self.directory(pair)
        with self._lock:
            stamp = self._stamp(directory)
            cached = self._engines.get(pair.pk)
            if cached and cached[1] == stamp and stamp != -1:
                return cached[0]
            if stamp == -1:
                return self.rebuild(pair)
            engine = Engine.load(str(directory))
            self._engines[pair.pk] = (engine, stamp)
            return engine

    def rebuild(self, pair: Partnership) -> Engine:
        engine = Engine.build(records(pair.pk))
        self._save(pair, engine)
        return engine

    def _save(self, pair: Partnership, engine: Engine) -> None:
        directory = self.directory(pair)
        with self._lock:
            engine.save(str(directory))
            self._engines[pair.pk] = (engine, self._stamp(directory))

    def update(self, pair: Partnership, add: list[Record], remove: list[str]) -> None:
        with self._lock:
            engine = self.engine(pair)
            for rid in remove:
                engine.remove(rid)
            if add:
                engine.add_many(add)
            self._save(pair, engine)

    def forget(self) -> None:
        with self._lock:
            self._engines.clear()


service = EngineService()


def update_record(kind: str, pk: int, pair_id: int) -> None:
    """Bring one enterprise or posting of pair ``pair_id`` up to date in its index."""
    pair = Partnership.objects.filter(pk=pair_id).first()
    if pair is None:
        return
    rid = f"{kind}:{pk}"
    if kind == "enterprise":
        ent = _enterprises(pair_id).filter(pk=pk).first()
        add = [enterprise_record(ent)] if ent else []
    else:
        posting = Posting.objects.filter(
            pk=pk, partnership_id=pair_id, status=Posting.Status.PUBLISHED
        ).first()
        add = [posting_record(posting)] if posting else []
    service.update(pair, add, [] if add else [rid])


# --- Suggestions ------------------------------------------------------------------------------


def query_text(posting: Posting) -> str:
    """The demand as the engine's parser reads it: the wanted items, the poster's own main
    products (so that makers of the same things are recognised as peers), then the text."""
    terms = "、".join(subject_terms(posting))
    text = f"需采购{terms}。"
    if posting.enterprise_id:
        own = [p.name for p in posting.enterprise.main_products.all()[:5]]
        own = [p for p in own if p not in subject_terms(posting)]
        if own:
            text += f"我司主营{'、'.join(own)}。"
    return (text + posting.description).strip()


def refresh(posting: Posting) -> list[Suggestion]:
    """Compute the suggestions of a published posting (replacing earlier ones).

    A demand gets enterprises that make or can do what it asks for, and published supplies;
    a supply gets published demands asking for it. Peers (reached only through the poster's
    own products) and the poster's own enterprise are left out; the partner side comes first.
    """
    # The published posting belongs in the index; its items then are known names, which
    # the engine's demand parser recognises in the query.
    service.update(posting.partnership, [posting_record(posting)], [])
    engine = service.engine(posting.partnership)
    result = engine.search(
        query_text(posting), top=TOP * 3, region=str(posting.side_id), region_mode="prefer"
    )
    wanted_direction = (
        Posting.Direction.SUPPLY
        if posting.direction == Posting.Direction.DEMAND
        else Posting.Direction.DEMAND
    )
    hits = [h for h in result.hits if h.tier != "peer" and h.match.how != "peer"]
    ids = {"enterprise": set(), "posting": set()}
    for h in hits:
        kind, _sep, pk = h.id.partition(":")
        if kind in ids and pk.isdigit():
            ids[kind].add(int(pk))
    firms = Enterprise.objects.filter(partnership_id=posting.partnership_id).in_bulk(
        ids["enterprise"]
    )
    others = Posting.objects.filter(
        partnership_id=posting.partnership_id,
        status=Posting.Status.PUBLISHED,
        direction=wanted_direction,
    ).in_bulk(ids["posting"])
    rows = []
    for h in hits:
        kind, _sep, pk = h.id.partition(":")
        pk = int(pk) if pk.isdigit() else 0
        if kind == "enterprise":
            if posting.direction != Posting.Direction.DEMAND or pk == posting.enterprise_id:
                continue
            target = firms.get(pk)
            side_id = target.side_id if target else None
            fields = {"enterprise": target}
        else:
            if pk == posting.pk:
                continue
            target = others.get(pk)
            if (
                target is not None
                and target.enterprise_id
                and (target.enterprise_id == posting.enterprise_id)
            ):
                target = None
            side_id = target.side_id if target else None
            fields = {"other_posting": target}
        if target is None:
            continue
        rows.append((side_id != posting.side_id, h.score, fields, h.match.as_dict()))
    rows.sort(key=lambda r: (not r[0], -r[1]))
    with transaction.atomic():
        posting.suggestions.all().delete()
        made = Suggestion.objects.bulk_create(
            Suggestion(
                posting=posting,
                rank=i,
                score=round(score, 4),
                partner_side=partner,
                match={**match, "target": "posting" if "other_posting" in fields else "enterprise"},
                **fields,
            )
            for i, (partner, score, fields, match) in enumerate(rows[:TOP], start=1)
        )
    return made


def explain(match: dict) -> str:
    """Why a counterpart was suggested, in plain words (e.g. 该企业第2主营产品「不锈钢焊管」
    属于所需「焊管」的一种)."""
    how, term, product = match.get("how"), match.get("term", ""), match.get("product", "")
    rank = match.get("product_rank") or 0
    if how == "industry":
        return _("The enterprise's industry “%(product)s” fits the requested “%(term)s”.") % {
            "product": product,
            "term": term,
        }
    if match.get("target") == "posting":
        subject = _("This posting's item")
    elif match.get("field") == "capabilities":
        subject = _("The enterprise's capability")
    else:
        subject = _("Main product no. %(rank)d of the enterprise") % {"rank": rank}
    values = {"subject": subject, "product": product, "term": term}
    if how == "exact":
        return _("%(subject)s “%(product)s” is exactly the requested “%(term)s”.") % values
    if how in ("kind_of", "subclass"):
        return _("%(subject)s “%(product)s” is a kind of the requested “%(term)s”.") % values
    if how == "related":
        return _("%(subject)s “%(product)s” is related to the requested “%(term)s”.") % values
    if how == "contains":
        return _("%(subject)s “%(product)s” contains the requested “%(term)s”.") % values
    return _("%(subject)s “%(product)s” is worded like the request.") % values


def visible_suggestions(user, posting: Posting) -> list[Suggestion]:
    """The posting's suggestions whose counterpart the user may see."""
    from xietong.core import scope

    items = list(
        posting.suggestions.select_related("enterprise__side", "other_posting__side").order_by(
            "rank"
        )
    )
    firm_ids = {s.enterprise_id for s in items if s.enterprise_id}
    post_ids = {s.other_posting_id for s in items if s.other_posting_id}
    seen_firms = set(
        scope.queryset(user, Enterprise).filter(pk__in=firm_ids).values_list("pk", flat=True)
    )
    seen_posts = set(
        scope.queryset(user, Posting).filter(pk__in=post_ids).values_list("pk", flat=True)
    )
    out = []
    for s in items:
        if (s.enterprise_id and s.enterprise_id in seen_firms) or (
            s.other_posting_id and s.other_posting_id in seen_posts
        ):
            s.explanation = explain(s.match)
            out.append(s)
    return out
