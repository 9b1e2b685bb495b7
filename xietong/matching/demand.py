"""Demand understanding: which named product is wanted, which one the buyer makes itself.

A demand such as "我司主营锂电池，现需采购正极材料，年需求量约500吨" names two products. Makers
of 锂电池 are the buyer's peers; the buyer wants suppliers of 正极材料. The parser works in
four steps, none of which depends on a particular sentence template:

1. **Normalise** (:mod:`xietong.matching.text`): width/punctuation folding, amounts removed.
2. **Find mentions**: every substring of a clause that is a product name of the index
   vocabulary is a candidate (a prefix set stops the scan early). Overlapping candidates, and
   candidates that cut through a cue word (``电力供应|商`` when the text says ``电力供应商``),
   are settled by jieba's segmentation, run with the vocabulary and the cue words as a domain
   dictionary; then longer ones win. A single-character name (铜, 锌) counts only when jieba
   cuts it out as a word, so ``供货`` never yields ``货``. Boilerplate words (采购, 生产, 服务,
   产品, 公司… see :mod:`.lexicon`) and cue words glued by function characters (主要产品为)
   are *weak* mentions: used only when nothing else is named.
3. **Assign roles** from the cue words in the same clause, between the mention and its
   neighbouring mentions: before it (采购/求购/需要/上游/一批… → requested; 主营/专业生产/
   我们是做/用于/为保障… → own) and after it (供应商/货源/采购需求/用于… → requested;
   制造商/生产企业/产线/项目/生产原料… → own). Nearer cues weigh more; scanning outwards from
   the mention, the longest cue wins at each position (``生产厂家`` rather than ``生产``); a
   one-character cue (用, 收, 做) must be a jieba word. A clause that ends in a colon
   (``采购需求：M``) is a header of the next one; an aside in brackets (``M（用于P）采购``) is
   skipped. A maker noun followed by a purchase verb marks the subject (``P厂家求购M``, ``P板块
   采购M``: P is own). Links between neighbouring mentions: ``A和B``/``A、B`` share a role;
   ``AB`` with nothing between is one noun phrase whose head B carries the role (进口|不锈钢焊管);
   ``A用B``/``A生产用B`` make A own and B wanted. When a relation graph is known, "A is
   upstream of B" between two mentions settles the roles (A requested, B own).
4. **Decide**: requested = the strong mentions with a requested role; else the strong ones
   without any cue; else the weak ones likewise (boilerplate-like names such as 原材料 can be
   what is asked for when nothing else is); else every mention (flagged ``uncertain``). Own
   products are returned separately; the engine uses them only as a negative signal.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import lexicon
from .text import CLAUSE_BREAKS, clauses, normalize, strip_quantities

if TYPE_CHECKING:
    from collections.abc import Callable

REQUESTED = "requested"
OWN = "own"
NEUTRAL = "neutral"
MODIFIER = "modifier"  # a name that only qualifies the next one (进口|不锈钢焊管)

_ALL_BEFORE = {**{k: (REQUESTED, w) for k, w in lexicon.REQUEST_BEFORE.items()}}
for _k, _w in lexicon.OWN_BEFORE.items():
    if _k not in _ALL_BEFORE or _ALL_BEFORE[_k][1] < _w:
        _ALL_BEFORE[_k] = (OWN, _w)
_ALL_AFTER = {**{k: (REQUESTED, w) for k, w in lexicon.REQUEST_AFTER.items()}}
for _k, _w in lexicon.OWN_AFTER.items():
    if _k not in _ALL_AFTER or _ALL_AFTER[_k][1] < _w:
        _ALL_AFTER[_k] = (OWN, _w)
CUE_WORDS: frozenset[str] = frozenset(_ALL_BEFORE) | frozenset(_ALL_AFTER)
_MAX_CUE = max(len(c) for c in CUE_WORDS)
_WEAK_WORDS = CUE_WORDS | lexicon.BOILERPLATE
_WEAK_BY_LENGTH = sorted(_WEAK_WORDS, key=len, reverse=True)
# Function characters that may glue cue words into a longer "name" (主要产品为, 现需采购).
_GLUE = set("为是的之和与及现需要一批请")


@dataclass(frozen=True)
class Mention:
    """One product name found in the demand."""

    text: str
    start: int
    end: int
    role: str = NEUTRAL
    weak: bool = False
    cues: tuple[str, ...] = ()  # cue words that decided the role


@dataclass
class Demand:
    """What a demand asks for."""

    text: str  # the normalised text that offsets refer to
    requested: list[Mention] = field(default_factory=list)
    own: list[Mention] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    uncertain: bool = False
    keywords: list[str] = field(default_factory=list)  # for the lexical fallback when no mention

    def as_dict(self) -> dict:
        def m(x: Mention) -> dict:
            return {"text": x.text, "role": x.role, "cues": list(x.cues), "weak": x.weak}

        return {
            "requested": [x.text for x in self.requested],
            "own": [x.text for x in self.own],
            "mentions": [m(x) for x in self.mentions],
            "uncertain": self.uncertain,
            "keywords": self.keywords,
        }


@functools.lru_cache(maxsize=65536)
def is_weak(name: str) -> bool:
    """True for boilerplate and for cue words glued by function characters (主要产品为).

    A name made of two such words without glue (产品研制) is a real product name.
    """
    if name in _WEAK_WORDS:
        return True
    rest = name
    for w in _WEAK_BY_LENGTH:
        if w in rest:
            rest = rest.replace(w, "")
    return 0 < len(rest) < len(name) and all(ch in _GLUE for ch in rest)


_BASE_LOCK = threading.Lock()
_BASE: tuple[dict, int] | None = None


def _base_dictionary() -> tuple[dict, int]:
    """jieba's bundled dictionary (word -> frequency, total), loaded once per process."""
    global _BASE
    with _BASE_LOCK:
        if _BASE is None:
            import jieba

            tok = jieba.Tokenizer()
            tok.initialize()
            _BASE = (tok.FREQ, tok.total)
        return _BASE


class Segmenter:
    """jieba with the index vocabulary and the cue words as a domain dictionary.

    One ``jieba.Tokenizer`` per segmenter (never the global one, so several engines do not
    share state). Adding words takes a lock; ``cut`` only reads the frequency table.
    """

    def __init__(self) -> None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        freq, total = _base_dictionary()
        self._tok = jieba.Tokenizer()
        # A private copy of jieba's general dictionary (loaded once per process).
        self._tok.FREQ, self._tok.total, self._tok.initialized = dict(freq), total, True
        self._lock = threading.Lock()
        self._known: set[str] = set()
        self.add_words(CUE_WORDS, freq=200_000)

    def add_words(self, words, freq: int = 50_000) -> None:
        with self._lock:
            tok = self._tok
            for w in words:
                if len(w) < 2 or w in self._known:
                    continue
                self._known.add(w)
                if tok.FREQ.get(w, 0) < freq:
                    tok.add_word(w, freq)

    def cut(self, text: str) -> list[str]:
        return list(self._tok.cut(text, HMM=False))

    def cut_for_search(self, text: str) -> list[str]:
        return list(self._tok.cut_for_search(text, HMM=False))


class _LazyBounds:
    """jieba word boundaries of a text, segmented on first use only (most demands never
    need them: no one-character name or cue, no names cutting through each other)."""

    __slots__ = ("_seg", "_set", "_text")

    def __init__(self, seg: Segmenter, text: str) -> None:
        self._seg, self._text, self._set = seg, text, None

    def __contains__(self, pos: object) -> bool:
        if self._set is None:
            self._set = _boundaries(self._seg, self._text)
        return pos in self._set


def _boundaries(seg: Segmenter, text: str) -> set[int]:
    pos = 0
    out = {0}
    for tok in seg.cut(text):
        pos += len(tok)
        out.add(pos)
    return out


def _cue_hits(
    window: str, table: dict, at_end: bool, offset: int = 0, bounds: set[int] | None = None
) -> list[tuple[str, str, float, int]]:
    """Cues in ``window``: (cue, role, weight, distance to the mention).

    Scanned from the mention outwards; at each position the longest cue wins and the
    characters it covers are skipped (``为原料`` is one cue, not ``为`` + ``原料``). A
    one-character cue (用, 收, 做) counts only where jieba cuts it out as a word (``bounds``:
    word boundaries of the text, ``offset``: where the window starts in it), so the 用 of
    应用 is no cue.
    """

    def word(a: int, b: int) -> bool:
        return b - a > 1 or bounds is None or (offset + a in bounds and offset + b in bounds)

    hits = []
    n = len(window)
    if at_end:  # cues before the mention: scan from its left edge backwards
        e = n
        while e > 0:
            best = None
            for ln in range(min(_MAX_CUE, e), 0, -1):
                if window[e - ln : e] in table and word(e - ln, e):
                    best = window[e - ln : e]
                    break
            if best:
                role, weight = table[best]
                hits.append((best, role, weight, n - e))
                e -= len(best)
            else:
                e -= 1
    else:  # cues after the mention: scan from its right edge forwards
        s = 0
        while s < n:
            best = None
            for ln in range(min(_MAX_CUE, n - s), 0, -1):
                if window[s : s + ln] in table and word(s, s + ln):
                    best = window[s : s + ln]
                    break
            if best:
                role, weight = table[best]
                hits.append((best, role, weight, s))
                s += len(best)
            else:
                s += 1
    return hits


def _decay(weight: float, dist: int) -> float:
    return weight / (1.0 + 0.4 * dist)


def _cue_spans(text: str) -> list[tuple[int, int]]:
    """Occurrences of cue words of two or more characters (for the crossing test)."""
    spans = []
    for i in range(len(text)):
        for ln in range(min(_MAX_CUE, len(text) - i), 1, -1):
            if text[i : i + ln] in CUE_WORDS:
                spans.append((i, i + ln))
                break
    return spans


def _crosses(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """True when the spans overlap and neither contains the other."""
    overlap = a[0] < b[1] and b[0] < a[1]
    a_in_b = b[0] <= a[0] and a[1] <= b[1]
    b_in_a = a[0] <= b[0] and b[1] <= a[1]
    return overlap and not a_in_b and not b_in_a


def find_mentions(
    text: str, vocab, max_len: int, seg: Segmenter | None, bounds: set[int] | None = None
) -> list[Mention]:
    """Non-overlapping product mentions of ``text`` (already normalised), left to right.

    ``vocab`` needs ``ids`` (name -> id) and ``prefixes`` (every prefix of every name), so
    the scan stops extending a substring as soon as no name starts with it.
    """
    ids, prefixes = vocab.ids, vocab.prefixes
    found = []
    for cs, ce in clauses(text):
        for i in range(cs, ce):
            for j in range(i + 1, min(ce, i + max_len) + 1):
                name = text[i:j]
                if name not in prefixes:
                    break
                if name in ids and name.strip() == name:
                    found.append((i, j, name))
    if not found:
        return []
    cue_spans = _cue_spans(text)
    # jieba decides between overlapping names, between a name and a cue word that cut
    # through each other (电力供应|商 vs 电力|供应商; 需要|货物驳运 vs 需|要货), and whether a
    # one-character name is a word.
    cross_cue = {(i, j) for i, j, _n in found if any(_crosses((i, j), c) for c in cue_spans)}
    need_bounds = (
        seg is not None
        and (
            bool(cross_cue)
            or any(j - i == 1 for i, j, _n in found)
            or any(  # found is ordered by start: compare each name with the ones after it
                _crosses((i, j), (a, b))
                for k, (i, j, _n) in enumerate(found)
                for a, b, _m in itertools.takewhile(lambda f, j=j: f[0] < j, found[k + 1 :])
            )
        )
    )
    if not need_bounds:
        bounds = None
    elif bounds is None:
        bounds = _boundaries(seg, text)
    cands = []
    for i, j, name in found:
        aligned = bounds is None or (i in bounds and j in bounds)
        if (j - i == 1 or (i, j) in cross_cue) and not aligned:
            continue
        weak = is_weak(name)
        cands.append((not weak, aligned, j - i, -i, name, (i, j), weak))
    cands.sort(reverse=True)
    taken: list[tuple[int, int]] = []
    out = []
    for _s, _a, _l, _i, name, (i, j), weak in cands:
        if any(i < tj and ti < j for ti, tj in taken):
            continue
        taken.append((i, j))
        out.append(Mention(name, i, j, weak=weak))
    out.sort(key=lambda m: m.start)
    return out


# "P厂家求购M", "P企业现需采购M": a maker noun followed by a purchase verb marks its
# product as the buyer's own (the subject of the sentence), whatever the maker noun says.
_SUBJECT = re.compile(
    r"^[^,。]{0,4}?(?:生产|制造)?(?:厂家|厂商|企业|公司|工厂|厂|单位|商家|制造商|生产商|板块|"
    r"事业部|部门|分公司|子公司|车间|基地|项目部|项目|产线|生产线)"
    r"[^,。]{0,4}?(?:求购|采购|寻找|寻求|需要|征集|诚征|订购|购买|收购|急需|需)"
)
_CONJ = {"和", "及", "与", "以及", "或", "或者", "跟", "、", "还有", "及其", "和/或"}
_FOR = {
    "用",
    "专用",
    "用的",
    "所用",
    "所需",
    "配套",
    "配套用",
    "生产用",
    "制造用",
    "加工用",
    "生产所需",
    "生产所用",
    "生产用的",
}
_FOR_BY_LENGTH = sorted(_FOR, key=len, reverse=True)


def assign_roles(
    text: str, mentions: list[Mention], bounds: set[int] | None = None
) -> list[Mention]:
    """Give every mention a role from the cue words around it (see the module docstring).

    ``bounds``: jieba word boundaries of ``text`` (one-character cues must be words).
    """
    spans = clauses(text)

    def clause_of(pos: int) -> tuple[int, int, int]:
        for k, (s, e) in enumerate(spans):
            if s <= pos < e:
                return k, s, e
        return -1, pos, pos

    strong = [m for m in mentions if not m.weak] or mentions
    decided: list[tuple[str, tuple[str, ...]]] = []
    made_by_buyer: list[bool] = []  # an own cue before it: 专业生产P, 主营P
    for m in mentions:
        k, cs, ce = clause_of(m.start)
        prev_end = max([x.end for x in strong if x.end <= m.start and x is not m] + [cs])
        next_start = min([x.start for x in strong if x.start >= m.end and x is not m] + [ce])
        before = text[prev_end : m.start]
        after, after_at = text[m.end : next_start], m.end
        if not after and m.end < len(text) and text[m.end] in "(（":
            # "M（用于P）采购": the aside is skipped, the clause goes on after it
            close = text.find(")", m.end)
            if close > 0:
                nxt = [e for s, e in spans if s > close]
                tail_end = min([x.start for x in strong if x.start > close] + nxt[:1] + [len(text)])
                after, after_at = text[close + 1 : tail_end], close + 1
        own_before = _cue_hits(before, _ALL_BEFORE, True, prev_end, bounds)
        hits = own_before + _cue_hits(after, _ALL_AFTER, False, after_at, bounds)
        subject = _SUBJECT.match(text[m.end : ce])
        if subject:
            hits.append((subject.group(0), OWN, 1.3, 0))
        # A header clause ending with a colon ("采购需求：M") introduces the next clause
        # when no cue of the mention's own clause precedes it.
        if not own_before and prev_end == cs and k > 0 and text[cs - 1] == ":":
            ps, pe = spans[k - 1]
            header = text[ps:pe]
            hits += [
                (c, r, w, d + 1) for c, r, w, d in _cue_hits(header, _ALL_BEFORE, True, ps, bounds)
            ]
            hits += [
                (c, r, w, d + 1)
                for c, r, w, d in _cue_hits(header, _ALL_AFTER, True, ps, bounds)
                if r == REQUESTED
            ]
        req = max((_decay(w, d) for c, r, w, d in hits if r == REQUESTED), default=0.0)
        own = max((_decay(w, d) for c, r, w, d in hits if r == OWN), default=0.0)
        if req == 0 and own == 0:
            role = NEUTRAL
        elif req > own:
            role = REQUESTED
        elif own > req:
            role = OWN
        else:
            role = NEUTRAL
        decided.append((role, tuple(c for c, r, _w, _d in hits if r == role)))
        made_by_buyer.append(any(r == OWN for _c, r, _w, _d in own_before))
    _link(text, mentions, decided, made_by_buyer)
    return [
        Mention(m.text, m.start, m.end, role, m.weak, cues)
        for m, (role, cues) in zip(mentions, decided, strict=True)
    ]


def _link(text: str, mentions: list[Mention], decided: list, made_by_buyer: list[bool]) -> None:
    """Coordination and purpose links between neighbouring strong mentions (in place).

    ``A和B`` / ``A、B``: a mention without cues takes the role of its coordinated neighbour.
    ``AB`` with nothing between: A modifies the head noun B, B takes A's role.
    ``A用B`` / ``A生产用B`` (B for use in A): A is the buyer's own product, B is wanted —
    unless A is the object of the buyer's production verb (专业生产烟用添加剂: one compound
    name of the buyer's product, B is own too).
    """
    idx = [i for i, m in enumerate(mentions) if not m.weak]
    for _ in range(2):  # forward and backward propagation through lists "A、B和C"
        for a, b in itertools.pairwise(idx):
            between = text[mentions[a].end : mentions[b].start]
            (ra, ca), (rb, cb) = decided[a], decided[b]
            # "起重机限重器用传感器": a short unknown word may sit between A and 用
            for_word = next((f for f in _FOR_BY_LENGTH if between.endswith(f)), None)
            if (
                for_word
                and len(between) - len(for_word) <= 4
                and not any(ch in CLAUSE_BREAKS for ch in between)
            ):
                between = for_word
            if between in _FOR and made_by_buyer[a]:
                if rb != REQUESTED or set(cb) <= {between, "用", "以"}:
                    decided[b] = (OWN, (between,))
            elif between in _FOR:
                decided[a] = (OWN, (*ca, between))
                decided[b] = (REQUESTED, (*cb, between))
            elif between == "" and NEUTRAL in (ra, rb) and MODIFIER not in (ra, rb):
                # "进口|不锈钢焊管", "砌块|机械车间": one noun phrase; the head noun on the
                # right carries the role of the phrase, the left name only qualifies it.
                role = rb if rb != NEUTRAL else ra
                decided[b] = (role, (*cb, "head"))
                tag = ("head:" + mentions[b].text,)
                decided[a] = (MODIFIER, tag) if role == REQUESTED else (role, (*ca, *tag))
            elif between in _CONJ:
                if rb == NEUTRAL and ra != NEUTRAL:
                    decided[b] = (ra, (*cb, "coordination"))
                elif ra == NEUTRAL and rb != NEUTRAL:
                    decided[a] = (rb, (*ca, "coordination"))


def parse(
    raw: str,
    vocab,
    max_len: int,
    seg: Segmenter | None = None,
    upstream: Callable[[str, str], bool] | None = None,
) -> Demand:
    """Understand a demand against a product vocabulary (``ids`` and ``prefixes``).

    ``upstream(a, b)`` — optional — tells whether product ``a`` is an upstream material of
    product ``b`` in a relation graph; it overrides cue words when two mentions are related.
    """
    text = strip_quantities(normalize(raw))
    bounds = _LazyBounds(seg, text) if seg is not None and text else None
    mentions = assign_roles(text, find_mentions(text, vocab, max_len, seg, bounds), bounds)
    demand = Demand(text=text, mentions=mentions)
    strong = [m for m in mentions if not m.weak]
    weak = [m for m in mentions if m.weak]
    if upstream is not None and len(strong) > 1:
        strong = _apply_graph(strong, upstream)
        demand.mentions = sorted(weak + strong, key=lambda m: m.start)
    pool = strong or weak
    # Weak mentions that are themselves cue words (配套, 企业) come last of all.
    plain = [m for m in weak if m.text not in CUE_WORDS]
    requested = (
        [m for m in strong if m.role == REQUESTED]
        or [m for m in strong if m.role == NEUTRAL]
        or [m for m in plain if m.role == REQUESTED]
        or [m for m in plain if m.role == NEUTRAL]
        or [m for m in weak if m.role == REQUESTED]
        or [m for m in weak if m.role == NEUTRAL]
    )
    if not requested:
        requested = list(pool)
        demand.uncertain = bool(pool)
    seen = set()
    for m in requested:
        if m.text not in seen:
            seen.add(m.text)
            demand.requested.append(m)
    wanted = {m.text for m in demand.requested}
    demand.own = [m for m in pool if m.role == OWN and m.text not in wanted]
    if not mentions and seg is not None:
        demand.keywords = [
            t
            for t in seg.cut_for_search(text)
            if len(t.strip()) > 1 and not is_weak(t) and not t.strip(",。:").isdigit()
        ]
    return demand


def _apply_graph(pool: list[Mention], upstream: Callable[[str, str], bool]) -> list[Mention]:
    roles = {id(m): m.role for m in pool}
    for a in pool:
        for b in pool:
            if a is not b and a.text != b.text and upstream(a.text, b.text):
                roles[id(a)] = REQUESTED
                if roles[id(b)] != REQUESTED or b.role != REQUESTED:
                    roles[id(b)] = OWN
    return [
        Mention(m.text, m.start, m.end, roles[id(m)], m.weak, (*m.cues, "graph:upstream"))
        if roles[id(m)] != m.role
        else m
        for m in pool
    ]
