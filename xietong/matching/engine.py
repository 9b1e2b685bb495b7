"""The matching engine: a product-level index, tiered retrieval, region preference, updates.

Index (see :class:`Snapshot`)
    * a **vocabulary** of distinct normalised product names (tens of thousands even for a
      million enterprises, because enterprises share product names), with a character index
      (character → names containing it) so that "names ending with M" and "names containing M"
      are found by touching the vocabulary, never the documents;
    * **postings**: for each name, the enterprises listing it, pre-sorted by a static score
      (earlier in the enterprise's list = more important; short lists = specialists beat
      conglomerates). Top-k of a name is a prefix read, so latency does not grow with the
      corpus. Stored as flat numpy arrays (CSR layout);
    * per enterprise: its products (CSR), industry and region codes.

Retrieval for each requested term M of the demand, in tiers that never mix:
    0 ``exact``     the enterprise lists M;
    1 ``kind_of``   it lists a narrower kind of M: a name ending with M (不锈钢焊管 → 焊管) or a
                    subclass of M in the relation graph;
    2 ``related``   it lists a name starting with M (视频监控系统 for 视频): often a registered
                    subclass that does not end with M;
    3 ``contains``  it lists a name containing M elsewhere;
    4 ``industry``  its industry is, ends with or contains M;
    5 ``lexical``   names sharing jieba words with M, only when tiers 0-1 found nothing
                    (a term outside the vocabulary), up to ``LEXICAL_FILL`` results;
    6 ``peer``      reached only through a name containing the buyer's own product.
The buyer's own products are a negative signal: enterprises reached in tiers 2-5 only through
a name containing the buyer's own product are moved after everything else (they are peers).
Scores are tier base + a within-tier key, so sorting by score keeps the tier order.
Within a tier, enterprises of the other side come first when the region preference asks for
it (``prefer``), or only they are kept (``only``); a relevant hit is never moved below a hit
of a lower tier.

Updates: :meth:`Engine.add` (new or changed record) and :meth:`Engine.remove` build a new
immutable :class:`Snapshot` that shares the large base arrays and carries a small delta
(new postings, tombstones); the engine swaps it in under a lock. Readers take the current
snapshot and never see a half-applied change. :meth:`Engine.save` compacts base + delta into
fresh arrays.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import threading
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import demand as demand_mod
from .records import Record
from .text import normalize_name

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .graph import Graph

FORMAT_VERSION = 1
EXACT, KIND_OF, RELATED, CONTAINS, INDUSTRY, LEXICAL, PEER = range(7)
TIER_NAMES = ("exact", "kind_of", "related", "contains", "industry", "lexical", "peer")
_TIER_GAP = 2.0
_TIER_BASE = tuple(_TIER_GAP * (len(TIER_NAMES) - 1 - t) for t in range(len(TIER_NAMES)))
# Within a tier the sort key is static score (0..1] + 2 for the preferred side; scaled so
# that a score never reaches the next tier's base.
_KEY_SCALE = 0.99 * _TIER_GAP / 3.0
_FIELD_PRODUCT, _FIELD_CAPABILITY = 0, 1
# The lexical tier only runs when no enterprise lists the wanted product or a kind of it,
# and only fills a short list: beyond that, word overlap adds guesses, not suppliers.
LEXICAL_FILL = 20
LEXICAL_NAMES = 50  # best-scoring names the lexical tier reads postings of


def static_score(position: int, n_products: int, capability: bool = False) -> float:
    """Importance of a product for an enterprise, in (0, 1]."""
    s = 1.0 / math.sqrt(1.0 + position) / (1.0 + math.log1p(n_products) / 4.0)
    return s * (0.8 if capability else 1.0)


# --------------------------------------------------------------------------- vocabulary
class Vocab:
    """Distinct names with a character/bigram index and a prefix set.

    Append-only: ids are stable and never reused, so one Vocab is shared by every snapshot
    (a reader of an older snapshot may see newer names; they have no postings there).
    Mutated only under the engine's write lock; readers only do lookups.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names: list[str] = []
        self.ids: dict[str, int] = {}
        self.by_gram: dict[str, array] = {}  # character or character bigram -> name ids
        self.prefixes: set[str] = set()  # every prefix of every name (mention scanning)
        self.max_len = 0
        for n in names:
            self.add(n)

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self.ids

    def get(self, name: str) -> int | None:
        return self.ids.get(name)

    def add(self, name: str) -> int:
        vid = self.ids.get(name)
        if vid is not None:
            return vid
        vid = len(self.names)
        self.names.append(name)
        self.ids[name] = vid
        self.max_len = max(self.max_len, len(name))
        grams = set(name) | {name[i : i + 2] for i in range(len(name) - 1)}
        for g in grams:
            lst = self.by_gram.get(g)
            if lst is None:
                lst = self.by_gram[g] = array("i")
            lst.append(vid)
        for i in range(1, len(name) + 1):
            self.prefixes.add(name[:i])
        return vid

    def containing(self, term: str) -> list[int]:
        """Ids of names that contain ``term`` (through its rarest character bigram)."""
        if not term:
            return []
        if len(term) == 1:
            return list(self.by_gram.get(term, ()))
        best = None
        for i in range(len(term) - 1):
            lst = self.by_gram.get(term[i : i + 2])
            if lst is None:
                return []
            if best is None or len(lst) < len(best):
                best = lst
        names = self.names
        return [v for v in best if term in names[v]]


class _NameList:
    """Just names and ids: what compaction needs of a vocabulary (no indexes)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.ids: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.names)

    def add(self, name: str) -> int:
        vid = self.ids.get(name)
        if vid is None:
            vid = self.ids[name] = len(self.names)
            self.names.append(name)
        return vid


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Match:
    """Why an enterprise was returned: which of its products matched which demand term."""

    how: str  # exact | kind_of | subclass | related | contains | industry | lexical | peer
    term: str  # the requested term of the demand
    product: str  # the enterprise's product (or industry) that matched
    product_rank: int  # 1-based position in the enterprise's product list (0: industry)
    field: str  # "products" | "capabilities" | "industry"

    def as_dict(self) -> dict:
        return {
            "how": self.how,
            "term": self.term,
            "product": self.product,
            "product_rank": self.product_rank,
            "field": self.field,
        }


class Hit:
    """One ranked enterprise. ``match`` (the explanation) is worked out on first access."""

    __slots__ = (
        "_how",
        "_match",
        "_snap",
        "_term",
        "_tier_no",
        "_vid",
        "doc",
        "id",
        "preferred",
        "score",
        "tier",
    )

    def __init__(self, snap, doc, vid, how, term, tier_no, score, preferred) -> None:
        self._snap, self.doc, self._vid, self._how, self._term = snap, doc, vid, how, term
        self._tier_no, self.score, self.preferred = tier_no, score, preferred
        self.id = snap.doc_id(doc)
        self.tier = TIER_NAMES[tier_no]
        self._match: Match | None = None

    @property
    def region(self) -> str:
        return _region_name(self._snap, self.doc)

    @property
    def match(self) -> Match:
        if self._match is None:
            self._match = _explain(
                self._snap, self.doc, self._vid, self._how, self._term, self._tier_no
            )
        return self._match

    def __repr__(self) -> str:
        return f"Hit({self.id!r}, {self.score:.3f}, {self.tier})"

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "score": round(self.score, 6),
            "tier": self.tier,
            "region": self.region,
            "preferred": self.preferred,
            "match": self.match.as_dict(),
        }


@dataclass
class Result:
    demand: demand_mod.Demand
    hits: list[Hit] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"demand": self.demand.as_dict(), "hits": [h.as_dict() for h in self.hits]}


# --------------------------------------------------------------------------- snapshot
@dataclass
class Base:
    """Immutable compact arrays of the indexed corpus (see the module docstring)."""

    ids: list[str]
    doc_ptr: np.ndarray  # int64 [n+1]
    doc_vid: np.ndarray  # int32 [nnz]
    doc_field: np.ndarray  # int8 [nnz]
    post_ptr: np.ndarray  # int64 [V+1]
    post_doc: np.ndarray  # int32 [nnz], per name sorted by static desc
    post_static: np.ndarray  # float32 [nnz]
    doc_region: np.ndarray  # int16 [n], -1 unknown
    doc_industry: np.ndarray  # int32 [n], -1 unknown
    ind_ptr: np.ndarray  # int64 [I+1]
    ind_doc: np.ndarray  # int32, per industry sorted by doc static
    doc_static: np.ndarray  # float32 [n], specialist score for industry hits

    @property
    def n_docs(self) -> int:
        return len(self.ids)

    @property
    def n_names(self) -> int:
        return len(self.post_ptr) - 1


@dataclass
class Delta:
    """Changes since the base arrays were built (small; copied on every write)."""

    ids: list[str] = field(default_factory=list)  # docs n_base + i
    products: list[tuple[tuple[int, int], ...]] = field(default_factory=list)  # (vid, field)
    region: list[int] = field(default_factory=list)
    industry: list[int] = field(default_factory=list)
    static: list[float] = field(default_factory=list)
    postings: dict[int, tuple[tuple[float, int], ...]] = field(default_factory=dict)
    ind_postings: dict[int, tuple[tuple[float, int], ...]] = field(default_factory=dict)

    def copy(self) -> Delta:
        return Delta(
            list(self.ids),
            list(self.products),
            list(self.region),
            list(self.industry),
            list(self.static),
            dict(self.postings),
            dict(self.ind_postings),
        )


@dataclass
class Snapshot:
    base: Base
    vocab: Vocab
    industries: Vocab
    regions: list[str]
    delta: Delta
    dead: np.ndarray  # bool [n_base + len(delta.ids)]
    id_map: dict[str, int] | None = None  # built on the first write

    @property
    def n_total(self) -> int:
        return self.base.n_docs + len(self.delta.ids)

    def doc_id(self, d: int) -> str:
        ids = self.base.ids
        return ids[d] if d < len(ids) else self.delta.ids[d - len(ids)]

    def doc_region_code(self, d: int) -> int:
        nb = self.base.n_docs
        return int(self.base.doc_region[d]) if d < nb else self.delta.region[d - nb]

    def doc_products(self, d: int) -> list[tuple[int, int]]:
        nb = self.base.n_docs
        if d < nb:
            s, e = self.base.doc_ptr[d], self.base.doc_ptr[d + 1]
            return list(
                zip(
                    self.base.doc_vid[s:e].tolist(),
                    self.base.doc_field[s:e].tolist(),
                    strict=True,
                )
            )
        return list(self.delta.products[d - nb])

    def live_count(self) -> int:
        return int(self.n_total - self.dead.sum())


# --------------------------------------------------------------------------- building
def _build_base(records: Iterable[Record], vocab: Vocab, industries: Vocab, regions: list[str]):
    region_ids = {r: i for i, r in enumerate(regions)}
    ids: list[str] = []
    doc_ptr = array("q", [0])
    doc_vid = array("i")
    doc_field = array("b")
    doc_region = array("h")
    doc_industry = array("i")
    seen: set[str] = set()
    norm: dict[str, str] = {}  # raw industry -> normalised
    vid_of: dict[str, int] = {}  # raw product name -> name id (-1: empty after normalising)
    fields = (_FIELD_PRODUCT, _FIELD_CAPABILITY)
    for r in records:
        if r.id in seen:
            raise ValueError(f"duplicate record id {r.id!r}")
        seen.add(r.id)
        ids.append(r.id)
        mine: set[int] = set()
        for fld, lst in zip(fields, (r.products, r.capabilities), strict=True):
            for p in lst:
                vid = vid_of.get(p)
                if vid is None:
                    n = normalize_name(p)
                    vid = vid_of[p] = vocab.add(n) if n else -1
                if vid >= 0 and vid not in mine:
                    mine.add(vid)
                    doc_vid.append(vid)
                    doc_field.append(fld)
        doc_ptr.append(len(doc_vid))
        reg = r.region.strip()
        if reg and reg not in region_ids:
            region_ids[reg] = len(regions)
            regions.append(reg)
        doc_region.append(region_ids[reg] if reg else -1)
        ind = norm.get(r.industry)
        if ind is None:
            ind = norm[r.industry] = normalize_name(r.industry)
        doc_industry.append(industries.add(ind) if ind else -1)
    n = len(ids)
    doc_vid_np = np.frombuffer(doc_vid, dtype=np.int32).copy()
    doc_field_np = np.frombuffer(doc_field, dtype=np.int8).copy()
    doc_ptr_np = np.frombuffer(doc_ptr, dtype=np.int64).copy()
    n_prods = np.diff(doc_ptr_np)
    owner = np.repeat(np.arange(n, dtype=np.int32), n_prods)
    position = np.arange(len(doc_vid_np), dtype=np.int64) - np.repeat(doc_ptr_np[:-1], n_prods)
    static_np = static_scores(position, n_prods[owner], doc_field_np == _FIELD_CAPABILITY)
    order = np.lexsort((owner, -static_np, doc_vid_np))
    counts = np.bincount(doc_vid_np, minlength=len(vocab))
    post_ptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(counts, out=post_ptr[1:])
    doc_ind = np.frombuffer(doc_industry, dtype=np.int32).copy()
    doc_static_np = static_scores(np.zeros(n, dtype=np.int64), n_prods, np.zeros(n, dtype=bool))
    has = np.nonzero(doc_ind >= 0)[0].astype(np.int32)
    iorder = np.lexsort((has, -doc_static_np[has], doc_ind[has]))
    icounts = np.bincount(doc_ind[has], minlength=len(industries))
    ind_ptr = np.zeros(len(industries) + 1, dtype=np.int64)
    np.cumsum(icounts, out=ind_ptr[1:])
    return Base(
        ids=ids,
        doc_ptr=doc_ptr_np,
        doc_vid=doc_vid_np,
        doc_field=doc_field_np,
        post_ptr=post_ptr,
        post_doc=owner[order],
        post_static=static_np[order],
        doc_region=np.frombuffer(doc_region, dtype=np.int16).copy(),
        doc_industry=doc_ind,
        ind_ptr=ind_ptr,
        ind_doc=has[iorder],
        doc_static=doc_static_np,
    )


def static_scores(position: np.ndarray, n_products: np.ndarray, capability: np.ndarray):
    """Vectorised :func:`static_score` (float32)."""
    s = 1.0 / np.sqrt(1.0 + position) / (1.0 + np.log1p(n_products) / 4.0)
    return np.where(capability, s * 0.8, s).astype(np.float32)


def _record_names(r: Record, vocab: Vocab):
    """(name id, field) of a record's products then capabilities, normalised, deduplicated."""
    out: list[tuple[int, int]] = []
    seen = set()
    for fld, lst in ((_FIELD_PRODUCT, r.products), (_FIELD_CAPABILITY, r.capabilities)):
        for p in lst:
            n = normalize_name(p)
            if n and n not in seen:
                seen.add(n)
                out.append((vocab.add(n), fld))
    return out


def _record_entries(r: Record, vocab: Vocab) -> list[tuple[int, int, float]]:
    """(name id, field, static score) of a record's products then capabilities."""
    names = _record_names(r, vocab)
    total = len(names)
    return [
        (vid, fld, static_score(i, total, fld == _FIELD_CAPABILITY))
        for i, (vid, fld) in enumerate(names)
    ]


# --------------------------------------------------------------------------- engine
class Engine:
    """Build, query, update and persist a matching index. Reads are thread-safe."""

    def __init__(self, snapshot: Snapshot, graph: Graph | None = None) -> None:
        self._snap = snapshot
        self._lock = threading.Lock()
        self.graph = graph
        self._seg = demand_mod.Segmenter()
        self._seg.add_words(snapshot.vocab.names)

    # ---- construction
    @classmethod
    def build(cls, records: Iterable[Record], graph: Graph | None = None) -> Engine:
        vocab, industries, regions = Vocab(), Vocab(), []
        base = _build_base(records, vocab, industries, regions)
        snap = Snapshot(
            base, vocab, industries, regions, Delta(), np.zeros(base.n_docs, dtype=bool)
        )
        return cls(snap, graph)

    @property
    def snapshot(self) -> Snapshot:
        return self._snap

    def __len__(self) -> int:
        return self._snap.live_count()

    # ---- updates
    def add(self, record: Record) -> None:
        """Add a record, or replace the record with the same id."""
        self.add_many([record])

    def add_many(self, records: Iterable[Record]) -> None:
        records = list(records)
        with self._lock:
            old = self._snap
            id_map = dict(old.id_map) if old.id_map is not None else self._id_map(old)
            vocab = old.vocab  # append-only, shared (see Vocab)
            industries = old.industries
            regions = list(old.regions)
            delta = old.delta.copy()
            dead = old.dead
            new_names = []
            grow = 0
            kill = []
            for r in records:
                if r.id in id_map:
                    kill.append(id_map[r.id])
                d = old.n_total + grow
                grow += 1
                id_map[r.id] = d
                n_before = len(vocab)
                entries = _record_entries(r, vocab)
                new_names.extend(vocab.names[n_before:])
                delta.ids.append(r.id)
                delta.products.append(tuple((v, f) for v, f, _s in entries))
                reg = r.region.strip()
                if reg and reg not in regions:
                    regions.append(reg)
                delta.region.append(regions.index(reg) if reg else -1)
                ind = normalize_name(r.industry)
                iid = industries.add(ind) if ind else -1
                delta.industry.append(iid)
                st = static_score(0, len(entries))
                delta.static.append(st)
                for v, _f, s in entries:
                    delta.postings[v] = tuple(
                        sorted((*delta.postings.get(v, ()), (s, d)), key=lambda x: -x[0])
                    )
                if iid >= 0:
                    delta.ind_postings[iid] = tuple(
                        sorted((*delta.ind_postings.get(iid, ()), (st, d)), key=lambda x: -x[0])
                    )
            dead = np.concatenate([dead, np.zeros(grow, dtype=bool)])
            if kill:
                dead[kill] = True
            self._seg.add_words(new_names)
            self._snap = Snapshot(old.base, vocab, industries, regions, delta, dead, id_map)

    def remove(self, record_id: str) -> bool:
        """Remove a record; returns False when the id is not indexed."""
        with self._lock:
            old = self._snap
            id_map = dict(old.id_map) if old.id_map is not None else self._id_map(old)
            d = id_map.pop(str(record_id), None)
            if d is None:
                return False
            dead = old.dead.copy()
            dead[d] = True
            self._snap = Snapshot(
                old.base, old.vocab, old.industries, old.regions, old.delta, dead, id_map
            )
            return True

    @staticmethod
    def _id_map(snap: Snapshot) -> dict[str, int]:
        m = {}
        for d in range(snap.n_total):
            if not snap.dead[d]:
                m[snap.doc_id(d)] = d
        return m

    # ---- persistence
    def save(self, directory: str) -> None:
        """Write the index (base + delta compacted) to ``directory`` atomically."""
        snap = self._snap
        if not snap.delta.ids and not snap.dead.any() and snap.base.n_names == len(snap.vocab):
            # nothing changed since the base arrays were built: write them as they are
            base, vocab, industries, regions = snap.base, snap.vocab, snap.industries, snap.regions
        else:
            records = self._live_records(snap)
            vocab, industries, regions = _NameList(), _NameList(), list(snap.regions)
            # Keep vocabulary ids stable across save/load (and names with no enterprise left).
            for n in snap.vocab.names:
                vocab.add(n)
            for n in snap.industries.names:
                industries.add(n)
            base = _build_base(records, vocab, industries, regions)
        parent = os.path.dirname(os.path.abspath(directory)) or "."
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".matching-", dir=parent)
        try:
            os.chmod(tmp, 0o755)
            for name in (
                "doc_ptr",
                "doc_vid",
                "doc_field",
                "post_ptr",
                "post_doc",
                "post_static",
                "doc_region",
                "doc_industry",
                "ind_ptr",
                "ind_doc",
                "doc_static",
            ):
                np.save(os.path.join(tmp, name + ".npy"), getattr(base, name), allow_pickle=False)
            _write_lines(os.path.join(tmp, "ids.txt"), base.ids)
            _write_lines(os.path.join(tmp, "names.txt"), vocab.names)
            _write_lines(os.path.join(tmp, "industries.txt"), industries.names)
            _write_lines(os.path.join(tmp, "regions.txt"), regions)
            meta = {"format": FORMAT_VERSION, "docs": base.n_docs, "names": len(vocab)}
            with open(os.path.join(tmp, "meta.json"), "w", encoding="utf-8") as f:
                json.dump(meta, f)
            if os.path.isdir(directory):
                old = directory.rstrip("/") + ".old"
                shutil.rmtree(old, ignore_errors=True)
                os.rename(directory, old)
                os.rename(tmp, directory)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, directory)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, directory: str, graph: Graph | None = None, mmap: bool = True) -> Engine:
        meta_path = os.path.join(directory, "meta.json")
        if not os.path.isfile(meta_path):
            raise FileNotFoundError(f"{directory}: not a matching index (no meta.json)")
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(
                f"{directory}: index format {meta.get('format')}, expected {FORMAT_VERSION};"
                " rebuild it with `xietong matching build`"
            )

        def arr(name):
            return np.load(
                os.path.join(directory, name + ".npy"),
                mmap_mode="r" if mmap else None,
                allow_pickle=False,
            )

        base = Base(
            ids=_read_lines(os.path.join(directory, "ids.txt")),
            doc_ptr=arr("doc_ptr"),
            doc_vid=arr("doc_vid"),
            doc_field=arr("doc_field"),
            post_ptr=arr("post_ptr"),
            post_doc=arr("post_doc"),
            post_static=arr("post_static"),
            doc_region=arr("doc_region"),
            doc_industry=arr("doc_industry"),
            ind_ptr=arr("ind_ptr"),
            ind_doc=arr("ind_doc"),
            doc_static=arr("doc_static"),
        )
        vocab = Vocab(_read_lines(os.path.join(directory, "names.txt")))
        industries = Vocab(_read_lines(os.path.join(directory, "industries.txt")))
        regions = _read_lines(os.path.join(directory, "regions.txt"))
        if len(base.ids) != meta["docs"] or len(vocab) != meta["names"]:
            raise ValueError(f"{directory}: index files do not agree with meta.json")
        snap = Snapshot(
            base, vocab, industries, regions, Delta(), np.zeros(base.n_docs, dtype=bool)
        )
        return cls(snap, graph)

    def _live_records(self, snap: Snapshot):
        names = snap.vocab.names
        inds = snap.industries.names
        nb = snap.base.n_docs
        for d in range(snap.n_total):
            if snap.dead[d]:
                continue
            prods, caps = [], []
            for v, f in snap.doc_products(d):
                (caps if f == _FIELD_CAPABILITY else prods).append(names[v])
            ind = int(snap.base.doc_industry[d]) if d < nb else snap.delta.industry[d - nb]
            reg = snap.doc_region_code(d)
            yield Record(
                id=snap.doc_id(d),
                products=prods,
                capabilities=caps,
                industry=inds[ind] if ind >= 0 else "",
                region=snap.regions[reg] if reg >= 0 else "",
            )

    # ---- queries
    def understand(self, text: str) -> demand_mod.Demand:
        snap = self._snap
        return self._understand(snap, text)

    def _understand(self, snap: Snapshot, text: str) -> demand_mod.Demand:
        upstream = self.graph.is_upstream if self.graph is not None else None
        return demand_mod.parse(text, snap.vocab, snap.vocab.max_len, self._seg, upstream)

    def search(
        self,
        text: str,
        top: int = 10,
        region: str | None = None,
        region_mode: str | None = "prefer",
    ) -> Result:
        """Rank enterprises for a demand.

        ``region`` is the buyer's region; ``region_mode`` is ``"prefer"`` (enterprises of
        other regions first within each tier), ``"only"`` (only other regions) or ``None``.
        """
        if region_mode not in (None, "prefer", "only"):
            raise ValueError(f"region_mode must be None, 'prefer' or 'only', not {region_mode!r}")
        if top <= 0:
            raise ValueError("top must be positive")
        snap = self._snap
        dem = self._understand(snap, text)
        buyer = None
        if region and region_mode:
            buyer = snap.regions.index(region) if region in snap.regions else -2
        return Result(dem, _rank(snap, dem, top, buyer, region_mode, self.graph, self._seg))


# --------------------------------------------------------------------------- ranking
def _term_tiers(snap: Snapshot, term: str, graph: Graph | None):
    """Name ids per tier for one requested term: {tier: [(vid, how)]}."""
    vocab = snap.vocab
    out: dict[int, list[tuple[int, str]]] = {EXACT: [], KIND_OF: [], RELATED: [], CONTAINS: []}
    for vid in vocab.containing(term):
        name = vocab.names[vid]
        if name == term:
            out[EXACT].append((vid, "exact"))
        elif name.endswith(term):
            out[KIND_OF].append((vid, "kind_of"))
        elif name.startswith(term):
            out[RELATED].append((vid, "related"))
        else:
            out[CONTAINS].append((vid, "contains"))
    if graph is not None:
        have = {v for v, _h in out[KIND_OF]} | {v for v, _h in out[EXACT]}
        for sub in graph.subclasses(term):
            vid = vocab.get(sub)
            if vid is not None and vid not in have:
                have.add(vid)
                out[KIND_OF].append((vid, "subclass"))
                out[RELATED] = [(v, h) for v, h in out[RELATED] if v != vid]
                out[CONTAINS] = [(v, h) for v, h in out[CONTAINS] if v != vid]
    return out


def _lexical_names(snap: Snapshot, words: list[str], exclude: set[int]) -> list[tuple[int, float]]:
    """Names containing jieba words of the demand: idf / length scoring over the vocabulary."""
    vocab = snap.vocab
    n = max(len(vocab), 1)
    scores: dict[int, float] = {}
    names = vocab.names
    for w in set(words):
        rare = min((len(vocab.by_gram.get(w[i : i + 2], ())) for i in range(len(w) - 1)), default=0)
        if not rare or rare > max(200, n // 20):  # absent, or too common to tell anything
            continue
        vids = vocab.containing(w)
        if not vids or len(vids) > max(50, n // 50):
            continue
        idf = math.log(1 + n / len(vids))
        for v in vids:
            if v not in exclude:
                scores[v] = scores.get(v, 0.0) + idf / (1.0 + 0.1 * len(names[v]))
    best = sorted(scores.items(), key=lambda x: -x[1])[:LEXICAL_NAMES]
    if not best:
        return []
    top = best[0][1]
    return [(v, s / top) for v, s in best]


def _gather(snap: Snapshot, vids: list[int], cap: int):
    """(docs, statics, vids, truncated) of the first ``cap`` postings of each name (+ delta)."""
    b = snap.base
    v = np.asarray([x for x in vids if x < b.n_names], dtype=np.int64)
    starts = np.asarray(b.post_ptr[v])
    full = np.asarray(b.post_ptr[v + 1]) - starts
    lens = np.minimum(full, cap)
    truncated = bool((full > cap).any())
    total = int(lens.sum())
    if total:
        offs = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
        idx = offs + np.arange(total)
        docs = [np.asarray(b.post_doc[idx])]
        stat = [np.asarray(b.post_static[idx])]
        owner = [np.repeat(v.astype(np.int32), lens)]
    else:
        docs, stat, owner = [], [], []
    if snap.delta.postings:
        for x in vids:
            extra = snap.delta.postings.get(x)
            if extra:
                docs.append(np.array([d for _s, d in extra], dtype=np.int32))
                stat.append(np.array([s for s, _d in extra], dtype=np.float32))
                owner.append(np.full(len(extra), x, dtype=np.int32))
    if not docs:
        e = np.empty(0, dtype=np.int32)
        return e, np.empty(0, dtype=np.float32), e, False
    if len(docs) == 1:
        return docs[0], stat[0], owner[0], truncated
    return np.concatenate(docs), np.concatenate(stat), np.concatenate(owner), truncated


def _gather_industry(snap: Snapshot, iids: list[int], cap: int):
    b = snap.base
    docs, stat = [], []
    truncated = False
    for i in iids:
        if i < len(b.ind_ptr) - 1:
            s, e = int(b.ind_ptr[i]), int(b.ind_ptr[i + 1])
            truncated |= e - s > cap
            e = min(e, s + cap)
            d = np.asarray(b.ind_doc[s:e])
            docs.append(d)
            stat.append(np.asarray(b.doc_static[d]))
        extra = snap.delta.ind_postings.get(i)
        if extra:
            docs.append(np.array([d for _s, d in extra], dtype=np.int32))
            stat.append(np.array([s for s, _d in extra], dtype=np.float32))
    if not docs:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32), False
    return np.concatenate(docs), np.concatenate(stat), truncated


def _regions_of(snap: Snapshot, docs: np.ndarray) -> np.ndarray:
    nb = snap.base.n_docs
    if len(docs) == 0 or docs.max() < nb:
        return np.asarray(snap.base.doc_region[docs])
    out = np.empty(len(docs), dtype=np.int16)
    lo = docs < nb
    out[lo] = snap.base.doc_region[docs[lo]]
    hi = np.nonzero(~lo)[0]
    dr = snap.delta.region
    out[hi] = [dr[int(docs[i]) - nb] for i in hi]
    return out


def _rank(snap, dem, top, buyer, region_mode, graph, seg) -> list[Hit]:
    terms = [m.text for m in dem.requested]
    own_terms = [m.text for m in dem.own]
    # candidate names per tier, with (vid, how, term)
    tiers: dict[int, list[tuple[int, str, str]]] = {t: [] for t in range(len(TIER_NAMES))}
    seen_vid: set[int] = set()
    for term in terms:
        per = _term_tiers(snap, term, graph)
        for t in (EXACT, KIND_OF, RELATED, CONTAINS):
            for vid, how in per[t]:
                if vid in seen_vid:
                    continue
                seen_vid.add(vid)
                name = snap.vocab.names[vid]
                peer = t in (RELATED, CONTAINS) and any(o in name for o in own_terms)
                tiers[PEER if peer else t].append((vid, how, term))
    lex_weight: dict[int, float] = {}

    def add_lexical() -> None:
        # jieba words of the requested terms (or of the whole demand when nothing is named)
        words = []
        for term in terms:
            words += [w for w in seg.cut_for_search(term) if len(w) > 1 and w != term]
        if not terms:
            words = list(dem.keywords)
        words = [w for w in words if not demand_mod.is_weak(w)]
        for vid, sc in _lexical_names(snap, words, seen_vid) if words else ():
            peer = any(o in snap.vocab.names[vid] for o in own_terms)
            tiers[PEER if peer else LEXICAL].append((vid, "lexical", terms[0] if terms else ""))
            lex_weight[vid] = sc

    taken: dict[int, Hit] = {}
    order: list[int] = []
    product_hits = 0  # hits of the exact and kind_of tiers
    for t in (EXACT, KIND_OF, RELATED, CONTAINS, INDUSTRY, LEXICAL, PEER):
        if len(order) >= top:
            break
        if t == RELATED:
            product_hits = len(order)
        if t == LEXICAL:
            if product_hits or len(order) >= min(top, LEXICAL_FILL):
                continue  # the product is known and supplied: no word-level guessing
            add_lexical()
        if t == INDUSTRY:
            iids = sorted(
                {i for term in terms or dem.keywords for i in snap.industries.containing(term)}
            )
            if not iids:
                continue
            how_of = {}
        else:
            if not tiers[t]:
                continue
            vids = [v for v, _h, _t in tiers[t]]
            how_of = {v: (h, term) for v, h, term in tiers[t]}
        # Postings are sorted by static score, so the best ``need`` of a tier are within the
        # first ``need`` of each list; the margin covers duplicates and dead records, and the
        # cap doubles when the region preference needs more of the other side.
        need = top - len(order)
        cap = 2 * need + 8
        while True:
            if t == INDUSTRY:
                docs, stat, truncated = _gather_industry(snap, iids, cap)
                owner = np.full(len(docs), -1, dtype=np.int32)
            else:
                docs, stat, owner, truncated = _gather(snap, vids, cap)
                if t == LEXICAL and len(docs):
                    w = np.zeros(len(snap.vocab), dtype=np.float32)
                    w[list(lex_weight)] = list(lex_weight.values())
                    stat = stat * w[owner]
            sel = _select(snap, docs, stat, buyer, region_mode)
            if sel is None:
                break
            docs, stat, owner, preferred = sel[0], sel[1], owner[sel[2]], sel[3]
            # records ranked in an earlier tier may come again: count them as a margin
            got = int(preferred.sum()) if buyer is not None else len(docs)
            if got >= need + len(taken) or not truncated:
                break
            cap *= 4
        if sel is None:
            continue
        key = stat + np.where(preferred, 2.0, 0.0).astype(np.float32)
        k = min(len(key), need + len(taken) + 8)
        part = np.argpartition(-key, k - 1)[:k] if k < len(key) else np.arange(len(key))
        idx = part[np.lexsort((docs[part], -key[part]))]
        base = _TIER_BASE[t]
        for d, v, kv, pf in zip(
            docs[idx].tolist(),
            owner[idx].tolist(),
            key[idx].tolist(),
            preferred[idx].tolist(),
            strict=True,
        ):
            if d in taken:
                continue
            if t == INDUSTRY:
                how, term = "industry", _industry_term(snap, d, terms)
            else:
                how, term = how_of[v]
            taken[d] = Hit(snap, d, v, how, term, t, base + _KEY_SCALE * kv, pf)
            order.append(d)
            if len(order) >= top:
                break
    return [taken[d] for d in order]


def _select(snap, docs, stat, buyer, region_mode):
    """Drop removed records; mark (or keep only) the preferred side."""
    if not len(docs):
        return None
    idx = np.nonzero(~snap.dead[docs])[0]
    docs, stat = docs[idx], stat[idx]
    preferred = np.zeros(len(docs), dtype=bool)
    if buyer is not None and len(docs):
        regs = _regions_of(snap, docs)
        preferred = (regs != buyer) & (regs >= 0)
        if region_mode == "only":
            idx, docs, stat = idx[preferred], docs[preferred], stat[preferred]
            preferred = preferred[preferred]
    if not len(docs):
        return None
    return docs, stat, idx, preferred


def _region_name(snap: Snapshot, d: int) -> str:
    code = snap.doc_region_code(d)
    return snap.regions[code] if code >= 0 else ""


def _industry_term(snap: Snapshot, d: int, terms: list[str]) -> str:
    nb = snap.base.n_docs
    iid = int(snap.base.doc_industry[d]) if d < nb else snap.delta.industry[d - nb]
    name = snap.industries.names[iid] if iid >= 0 else ""
    return next((t for t in terms if t in name), terms[0] if terms else "")


def _explain(snap: Snapshot, d: int, vid: int, how: str, term: str, tier: int) -> Match:
    if tier == INDUSTRY:
        nb = snap.base.n_docs
        iid = int(snap.base.doc_industry[d]) if d < nb else snap.delta.industry[d - nb]
        return Match("industry", term, snap.industries.names[iid], 0, "industry")
    prods = snap.doc_products(d)
    rank, fld = 0, _FIELD_PRODUCT
    for i, (v, f) in enumerate(prods):
        if v == vid:
            rank, fld = i + 1, f
            break
    return Match(
        "peer" if tier == PEER else how,
        term,
        snap.vocab.names[vid],
        rank,
        "capabilities" if fld == _FIELD_CAPABILITY else "products",
    )


def _write_lines(path: str, items: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for x in items:
            if "\n" in x or "\r" in x:
                raise ValueError(f"cannot store a name with a line break: {x!r}")
            f.write(x + "\n")


def _read_lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]
