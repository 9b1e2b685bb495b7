"""Industry chains (产业链) and their links (环节), keyed by GB/T 4754-2017 class codes.

The reference is the data file ``data/chains.csv`` (its header states the basis): six
chains — automobile, electronic information, equipment manufacturing, biomedicine, new
materials, food — each a sequence of links (raw materials → parts and components →
complete products → sales and services), each link a set of classes. Every class listed
has one home link; a class may also be an input of links of other chains (aluminium rolling
is 新材料·材料 and also 汽车·原材料).

Pure functions over the file (read once); nothing here touches the database.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PATH = Path(__file__).resolve().parent / "data" / "chains.csv"


@dataclass(frozen=True)
class Link:
    chain: str  # key, e.g. "automobile"
    key: str  # e.g. "parts"
    order: int  # position along the chain; a link buys from links of lower order
    chain_zh: str
    chain_en: str
    name_zh: str
    name_en: str
    codes: frozenset[str]  # home classes
    also: frozenset[str]  # classes homed elsewhere that are inputs of this link too

    @property
    def members(self) -> frozenset[str]:
        return self.codes | self.also

    def chain_name(self, language: str = "zh") -> str:
        return self.chain_zh if language.startswith("zh") else self.chain_en

    def name(self, language: str = "zh") -> str:
        return self.name_zh if language.startswith("zh") else self.name_en


@dataclass(frozen=True)
class Relation:
    """An item's link and a buyer's link further down the same chain."""

    item: Link
    buyer: Link

    @property
    def distance(self) -> int:
        return self.buyer.order - self.item.order


@cache
def _reference() -> tuple[tuple[Link, ...], dict[str, Link], dict[str, tuple[Link, ...]]]:
    with open(PATH, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    links: list[Link] = []
    home: dict[str, Link] = {}
    for row in rows:
        link = Link(
            chain=row["chain"],
            key=row["link"],
            order=int(row["order"]),
            chain_zh=row["chain_zh"],
            chain_en=row["chain_en"],
            name_zh=row["link_zh"],
            name_en=row["link_en"],
            codes=frozenset((row["codes"] or "").split()),
            also=frozenset((row["also"] or "").split()),
        )
        if any(x.chain == link.chain and x.key == link.key for x in links):
            raise ValueError(f"{PATH.name}: link {link.chain}/{link.key} listed twice")
        for code in link.codes:
            if code in home:
                raise ValueError(f"{PATH.name}: class {code} has two homes")
            home[code] = link
        links.append(link)
    member: dict[str, list[Link]] = {}
    for link in links:
        for code in sorted(link.also):
            if code not in home:
                raise ValueError(
                    f"{PATH.name}: {link.chain}/{link.key} lists {code}, homed nowhere"
                )
        for code in link.members:
            member.setdefault(code, []).append(link)
    # home first, then the links the class is an input of, in file order
    by_code = {
        code: tuple(sorted(lst, key=lambda x: (x is not home[code], links.index(x))))
        for code, lst in member.items()
    }
    return tuple(links), home, by_code


def all_links() -> tuple[Link, ...]:
    return _reference()[0]


def all_codes() -> set[str]:
    return set(_reference()[2])


def get(chain: str, link: str) -> Link | None:
    return next((x for x in all_links() if x.chain == chain and x.key == link), None)


def links_of(code: str) -> tuple[Link, ...]:
    """Every link class ``code`` belongs to, its home first."""
    return _reference()[2].get(code, ())


def chain_link(code: str) -> tuple[str, str, int] | None:
    """(chain, link, order) of the home link of a class, e.g. ("automobile", "parts", 2)."""
    link = _reference()[1].get(code)
    return (link.chain, link.key, link.order) if link else None


def downstream_codes(code: str) -> set[str]:
    """Classes of the links further down every chain ``code`` belongs to: its buyers."""
    out: set[str] = set()
    for link in links_of(code):
        for other in all_links():
            if other.chain == link.chain and other.order > link.order:
                out |= other.members
    out.discard(code)
    return out


def relation(item_code: str, buyer_codes: list[str]) -> Relation | None:
    """How a buyer (its industry classes) sits downstream of an item's class: the closest
    pair of links of one chain, preferring the buyer's home chain, then the item's."""
    best, best_key = None, None
    item_links = links_of(item_code)
    for b_code in buyer_codes:
        b_links = links_of(b_code)
        for i_rank, item in enumerate(item_links):
            for b_rank, buyer in enumerate(b_links):
                if buyer.chain != item.chain or buyer.order <= item.order:
                    continue
                key = (buyer.order - item.order, b_rank > 0, i_rank > 0)
                if best_key is None or key < best_key:
                    best, best_key = Relation(item, buyer), key
    return best


def placement(codes: list[str], chain: str | None = None) -> Link | None:
    """The link an enterprise (its industry classes, main one first) occupies: in ``chain``
    when one of its classes belongs there, else the home link of its first listed class."""
    if chain:
        for code in codes:
            for link in links_of(code):
                if link.chain == chain:
                    return link
    for code in codes:
        found = links_of(code)
        if found:
            return found[0]
    return None
