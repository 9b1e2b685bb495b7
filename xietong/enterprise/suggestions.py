"""Matching in the product: one engine (``xietong.matching``) per partnership, built from
the pair's enterprises (main products in order, product records, capabilities, technologies)
and its published postings; suggestions for a published posting with an explanation a
civil servant understands, led by the industry chain link (``chains.py``).

The index of a pair lives in ``XIETONG_VAR_DIR/matching/<programme id>/<pair id>`` as a
saved index plus a journal of the changes since (``xietong.matching.store``): the huey job
``tasks.update_index`` appends one line whenever a record changes (signals in
``signals.py``), every process replays the lines it has not seen on its next read, and the
journal is folded into a full save now and then; ``xietong enterprise reindex`` rebuilds it.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xietong.core.models import Partnership
from xietong.matching import Engine, Record
from xietong.matching.store import IndexStore

from . import chains
from .models import Enterprise, MainProduct, Posting, Product, Suggestion
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
    """The live indexes of the pairs (``xietong.matching.store.IndexStore``), loaded lazily;
    thread-safe. An update appends one line to the pair's journal; every process (gunicorn
    workers, the huey worker) replays the lines it has not seen on its next read."""

    def __init__(self) -> None:
        self._stores: dict[str, IndexStore] = {}
        self._lock = threading.RLock()

    @staticmethod
    def directory(pair: Partnership) -> Path:
        return Path(settings.VAR_DIR) / "matching" / str(pair.programme_id) / str(pair.pk)

    def store(self, pair: Partnership) -> IndexStore:
        directory = str(self.directory(pair))
        with self._lock:
            store = self._stores.get(directory)
            if store is None:
                store = self._stores[directory] = IndexStore(directory)
            return store

    def engine(self, pair: Partnership) -> Engine:
        store = self.store(pair)
        with self._lock:
            if not store.exists():
                return self.rebuild(pair)
            return store.engine()

    def rebuild(self, pair: Partnership) -> Engine:
        engine = Engine.build(records(pair.pk))
        self.install(pair, engine)
        return engine

    def install(self, pair: Partnership, engine: Engine) -> None:
        """Save ``engine`` as the pair's whole index."""
        self.store(pair).replace(engine)

    def update(self, pair: Partnership, add: list[Record], remove: list[str]) -> Engine:
        store = self.store(pair)
        with self._lock:
            if not store.exists():
                self.rebuild(pair)
            return store.update(add, remove)

    def forget(self) -> None:
        with self._lock:
            self._stores.clear()


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


def industry_codes(enterprise_ids) -> dict[int, list[str]]:
    """GB/T 4754 codes of enterprises, by enterprise id, in code order."""
    out: dict[int, list[str]] = {}
    rows = Enterprise.industries.through.objects.filter(enterprise_id__in=enterprise_ids)
    for eid, code in rows.values_list("enterprise_id", "industrycode__code").order_by(
        "enterprise_id", "industrycode__code"
    ):
        out.setdefault(eid, []).append(code)
    return out


def item_classes(posting: Posting, engine: Engine) -> dict[str, str]:
    """The GB/T 4754 class of each item of a posting (its first three), when one is on a chain.

    For a supply, the poster makes the item: its own class when it has exactly one on a
    chain. Otherwise (and for a demand, whose poster buys the item) votes choose, among the
    supplier's classes if it has several: the classes of the enterprises the engine finds
    making the item or a kind of it (the class they share wins), and the class of the
    poster's own product record of that name.
    """
    own = []
    if posting.enterprise_id and posting.direction == Posting.Direction.SUPPLY:
        own = industry_codes([posting.enterprise_id]).get(posting.enterprise_id, [])
        own = [c for c in own if chains.links_of(c)]
    out: dict[str, str] = {}
    for item in subject_terms(posting)[:3]:
        if len(own) == 1:
            out[item] = own[0]
            continue
        votes: Counter[str] = Counter()
        if posting.enterprise_id:
            named = Product.objects.filter(
                enterprise_id=posting.enterprise_id, name=item, industry__isnull=False
            ).values_list("industry__code", flat=True)
            votes.update({code: 3 for code in named})
        hits = engine.search(f"需采购{item}。", top=20, region_mode=None).hits
        makers = [
            int(h.id.partition(":")[2])
            for h in hits
            if h.tier in ("exact", "kind_of") and h.id.startswith("enterprise:")
        ]
        for codes in industry_codes(makers).values():
            votes.update(codes)
        pool = own or [c for c, _n in votes.most_common() if chains.links_of(c)]
        if pool:
            out[item] = max(pool, key=lambda c: (votes[c], -pool.index(c)))
    return out


def _link_fields(link: chains.Link | None) -> dict:
    return {"chain": link.chain, "link": link.key} if link else {}


def _downstream(posting: Posting, engine: Engine, classes: dict[str, str]) -> list[tuple]:
    """Enterprises of the pair whose industry is a link further down the chain of the
    offered items: the buyers of a supply. Ranked by the engine on the downstream links'
    most common main products (makers of them first, partner side preferred); the rest
    after them. Rows: (sort key, partner side, score, fields, match)."""
    down = set()
    for code in classes.values():
        down |= chains.downstream_codes(code)
    if not down:
        return []
    candidates = Enterprise.objects.filter(
        partnership_id=posting.partnership_id, industries__code__in=down
    ).exclude(pk=posting.enterprise_id or 0)
    side_of = dict(candidates.values_list("pk", "side_id"))
    if not side_of:
        return []
    codes_of = industry_codes(
        Enterprise.objects.filter(pk__in=candidates.values("pk")).values("pk")
    )
    relations: dict[int, tuple[str, chains.Relation]] = {}
    for eid, codes in codes_of.items():
        found = [(item, chains.relation(code, codes)) for item, code in classes.items()]
        found = [(item, rel) for item, rel in found if rel is not None]
        if found:
            relations[eid] = min(found, key=lambda x: x[1].distance)
    # The engine's relevance to the chain: makers of what the downstream links mostly make,
    # read from the candidates that are on those links only (a vehicle maker that also makes
    # parts lists parts too).
    pure = [e for e, codes in codes_of.items() if e in relations and set(codes) <= down]
    names = [
        n
        for n, _c in MainProduct.objects.filter(
            enterprise__in=Enterprise.objects.filter(pk__in=pure or list(relations)).values("pk")
        )
        .exclude(name__in=list(classes))
        .values_list("name")
        .annotate(c=Count("pk"))
        .order_by("-c", "name")[:8]
    ]
    hit_of: dict[int, tuple[float, str]] = {}
    if names:
        result = engine.search(
            f"需采购{'、'.join(names)}。",
            top=min(max(TOP * 5, len(relations)), 1000),
            region=str(posting.side_id),
            region_mode="prefer",
        )
        for h in result.hits:
            kind, _sep, pk = h.id.partition(":")
            if kind == "enterprise" and pk.isdigit() and int(pk) in relations:
                hit_of.setdefault(int(pk), (h.score, h.match.product))
    # Buyers that also make an offered item (in-house makers, competitors too) come after
    # the others of their link.
    rivals = set(
        MainProduct.objects.filter(
            enterprise_id__in=Enterprise.objects.filter(pk__in=list(relations)).values("pk"),
            name__in=list(classes),
        ).values_list("enterprise_id", flat=True)
    )
    ranked = sorted(
        relations,
        key=lambda e: (
            side_of[e] == posting.side_id,
            relations[e][1].distance,
            e in rivals,
            -hit_of.get(e, (0.0, ""))[0],
            e,
        ),
    )[:TOP]
    firms = _enterprises(posting.partnership_id).in_bulk(ranked)
    rows = []
    for eid in ranked:
        ent = firms.get(eid)
        if ent is None:
            continue
        item, rel = relations[eid]
        score, product = hit_of.get(eid, (0.0, ""))
        if not product:
            own = [m.name for m in ent.main_products.all()]
            product = next((n for n in own if n in names), own[0] if own else "")
        if not product:
            code = next((c for c in codes_of[eid] if c in rel.buyer.members), "")
            product = next((i.name for i in ent.industries.all() if i.code == code), "")
        partner = ent.side_id != posting.side_id
        match = {
            "how": "downstream",
            "term": item,
            "product": product,
            "product_rank": 0,
            "field": "products",
            **_link_fields(rel.item),
            "buyer_link": rel.buyer.key,
        }
        key = (not partner, 1, rel.distance, eid in rivals, -score)
        rows.append((key, partner, score, {"enterprise": ent}, match))
    return rows


def refresh(posting: Posting) -> list[Suggestion]:
    """Compute the suggestions of a published posting (replacing earlier ones).

    A demand gets enterprises that make or can do what it asks for, and published supplies;
    a supply gets published demands asking for it, and the enterprises of the links further
    down the chain of what it offers (its buyers, ``chains.py``). Peers (reached only
    through the poster's own products) and the poster's own enterprise are left out; the
    partner side comes first. Each suggestion records the chain link it sits on.
    """
    # The published posting belongs in the index; its items then are known names, which
    # the engine's demand parser recognises in the query.
    engine = service.update(posting.partnership, [posting_record(posting)], [])
    is_demand = posting.direction == Posting.Direction.DEMAND
    classes = item_classes(posting, engine)
    context = chains.links_of(next(iter(classes.values()), ""))
    context_chain = context[0].chain if context else None
    if is_demand and posting.enterprise_id:
        # A supplier is placed on the buyer's chain when it belongs there (aluminium rolling
        # is 汽车·原材料 for a parts maker, 新材料·材料 otherwise).
        own = chains.placement(
            industry_codes([posting.enterprise_id]).get(posting.enterprise_id, [])
        )
        context_chain = own.chain if own else context_chain
    result = engine.search(
        query_text(posting), top=TOP * 3, region=str(posting.side_id), region_mode="prefer"
    )
    wanted_direction = Posting.Direction.SUPPLY if is_demand else Posting.Direction.DEMAND
    hits = [h for h in result.hits if h.tier != "peer" and h.match.how != "peer"]
    ids = {"enterprise": set(), "posting": set()}
    for h in hits:
        kind, _sep, pk = h.id.partition(":")
        if kind in ids and pk.isdigit():
            ids[kind].add(int(pk))
    if not is_demand:
        ids["enterprise"] = set()  # a supply's enterprises are its buyers (_downstream)
    firms = Enterprise.objects.filter(partnership_id=posting.partnership_id).in_bulk(
        ids["enterprise"]
    )
    others = Posting.objects.filter(
        partnership_id=posting.partnership_id,
        status=Posting.Status.PUBLISHED,
        direction=wanted_direction,
    ).in_bulk(ids["posting"])
    codes = industry_codes(
        list(firms) + [p.enterprise_id for p in others.values() if p.enterprise_id]
    )
    item_codes = set(classes.values())
    rows = []
    for h in hits:
        kind, _sep, pk = h.id.partition(":")
        pk = int(pk) if pk.isdigit() else 0
        if kind == "enterprise":
            if not is_demand or pk == posting.enterprise_id:
                continue
            target = firms.get(pk)
            # the supplier's class of the wanted item first, when it has it
            mine = codes.get(pk, [])
            mine = sorted(mine, key=lambda c: c not in item_codes)
            link = chains.placement(mine, context_chain)
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
            if is_demand or target is None:
                link = chains.placement(codes.get(getattr(target, "enterprise_id", 0), []))
            else:  # a demand asking for what this supply offers: the item's link
                link = context[0] if context else None
            fields = {"other_posting": target}
        if target is None:
            continue
        partner = target.side_id != posting.side_id
        match = {
            **h.match.as_dict(),
            "target": "posting" if "other_posting" in fields else "enterprise",
            **_link_fields(link),
        }
        if not is_demand:
            match["offered"] = True
        rows.append(((not partner, 0, 0, False, -h.score), partner, h.score, fields, match))
    if not is_demand:
        rows += _downstream(posting, engine, classes)
    rows.sort(key=lambda r: r[0])
    with transaction.atomic():
        posting.suggestions.all().delete()
        made = Suggestion.objects.bulk_create(
            Suggestion(
                posting=posting,
                rank=i,
                score=round(score, 4),
                partner_side=partner,
                match=match,
                **fields,
            )
            for i, (_key, partner, score, fields, match) in enumerate(rows[:TOP], start=1)
        )
    return made


def chain_label(match: dict) -> str:
    """The chain link a suggestion sits on, e.g. 汽车产业链·零部件环节 ("" when unknown)."""
    link = chains.get(match.get("chain") or "", match.get("link") or "")
    if link is None:
        return ""
    language = get_language() or settings.LANGUAGE_CODE
    return _("%(chain)s chain · %(link)s link") % {
        "chain": link.chain_name(language),
        "link": link.name(language),
    }


def _reason(match: dict) -> str:
    how, term, product = match.get("how"), match.get("term", ""), match.get("product", "")
    rank = match.get("product_rank") or 0
    if how == "downstream":
        buyer = chains.get(match.get("chain") or "", match.get("buyer_link") or "")
        language = get_language() or settings.LANGUAGE_CODE
        return _(
            "the enterprise makes “%(product)s” (%(their_link)s); the offered “%(item)s”"
            " supplies it upstream."
        ) % {
            "product": product,
            "their_link": buyer.name(language) if buyer else "",
            "item": term,
        }
    if how == "industry":
        return _("The enterprise's industry “%(product)s” fits the requested “%(term)s”.") % {
            "product": product,
            "term": term,
        }
    if match.get("target") == "posting" and match.get("offered"):
        values = {"product": product, "term": term}
        if how == "exact":
            return _("The demand asks for “%(product)s”, exactly the offered “%(term)s”.") % values
        if how in ("kind_of", "subclass"):
            return _("The demand asks for “%(product)s”, a kind of the offered “%(term)s”.") % (
                values
            )
        if how == "related":
            return _("The demand asks for “%(product)s”, related to the offered “%(term)s”.") % (
                values
            )
        if how == "contains":
            return (
                _("The demand asks for “%(product)s”, which contains the offered “%(term)s”.")
                % values
            )
        return _("The demand asks for “%(product)s”, worded like the offer.") % values
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


def explain(match: dict) -> str:
    """Why a counterpart was suggested, in plain words, led by its chain link when known.

    E.g. 汽车产业链·零部件环节：该企业第2主营产品「不锈钢焊管」属于所需「焊管」的一种。
    or, for a buyer of a supply,
    汽车产业链·零部件环节：该企业主营新能源乘用车（整车），所供铝合金轮毂为其上游配套。
    """
    why = _reason(match)
    where = chain_label(match)
    if not where:
        return capfirst(why)
    if why[:2].isascii() and why[:2].istitle():
        why = why[:1].lower() + why[1:]  # English: the reason continues the sentence
    return capfirst(_("%(where)s: %(why)s") % {"where": where, "why": why})


def may_see_suggestions(user, posting: Posting) -> bool:
    """The poster and the pair's officials see whom the engine proposes; other enterprises
    see the posting, not the list of its candidate counterparts."""
    from . import postings
    from .queries import reach

    r = reach(user)
    pair = posting.partnership_id
    internal = r.admin or pair in r.whole_pairs or any(p == pair for p, _s in r.sides)
    return internal or postings.is_poster(user, posting)


def visible_suggestions(user, posting: Posting) -> list[Suggestion]:
    """The posting's suggestions whose counterpart the user may see (none for enterprises
    other than the poster's)."""
    from xietong.core import scope

    if not may_see_suggestions(user, posting):
        return []
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
