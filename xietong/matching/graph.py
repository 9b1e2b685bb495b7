"""An optional product relation graph: subclass and upstream-material edges.

The attraction app will feed industry chains; the engine uses the graph for two things:
enterprises listing a registered subclass of the wanted product are a kind of it (tier
``kind_of``, how ``subclass``), and when a demand names two products of which one is an
upstream material of the other, the upstream one is what is wanted.

File format (JSON Lines, one edge per line)::

    {"head": "不锈钢焊管", "relation": "subclass_of", "tail": "焊管"}
    {"head": "正极材料", "relation": "upstream_of", "tail": "锂电池"}
"""

from __future__ import annotations

from collections import defaultdict

from .records import RecordError, read_jsonl
from .text import normalize_name

RELATIONS = ("subclass_of", "upstream_of")


class Graph:
    def __init__(self) -> None:
        self._children: dict[str, set[str]] = defaultdict(set)
        self._upstream: dict[str, set[str]] = defaultdict(set)  # product -> its materials

    def add(self, head: str, relation: str, tail: str) -> None:
        h, t = normalize_name(head), normalize_name(tail)
        if not h or not t:
            raise ValueError("graph edge with an empty product name")
        if relation == "subclass_of":
            self._children[t].add(h)
        elif relation == "upstream_of":
            self._upstream[t].add(h)
        else:
            raise ValueError(f"unknown relation {relation!r}; expected one of {RELATIONS}")

    def subclasses(self, name: str, depth: int = 3) -> list[str]:
        """Transitive subclasses of ``name`` (breadth-first, up to ``depth`` levels)."""
        out: list[str] = []
        seen = {name}
        frontier = [name]
        for _ in range(depth):
            nxt = []
            for n in frontier:
                for c in sorted(self._children.get(n, ())):
                    if c not in seen:
                        seen.add(c)
                        out.append(c)
                        nxt.append(c)
            frontier = nxt
        return out

    def is_upstream(self, material: str, product: str) -> bool:
        return material in self._upstream.get(product, ())

    @classmethod
    def from_jsonl(cls, path: str) -> Graph:
        g = cls()
        for lineno, obj in read_jsonl(path, "graph"):
            try:
                g.add(obj["head"], obj["relation"], obj["tail"])
            except (KeyError, TypeError, ValueError) as e:
                raise RecordError(f"{path}:{lineno}: bad graph edge: {e}") from e
        return g
