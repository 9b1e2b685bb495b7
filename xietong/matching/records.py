"""Input records and reading them from JSON Lines.

A record is an enterprise: ``id`` and ``text`` always, and when known ``name``, ``industry``,
``products`` (ordered by importance, most important first), ``capabilities`` and ``region``.
A record without a ``products`` list gets its products from the profile text when the text
has a product list ("主营产品：A、B、C。"); otherwise it can only be found through its industry
and the lexical fallback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .text import normalize_name

if TYPE_CHECKING:
    from collections.abc import Iterator

_PRODUCT_LIST = re.compile(r"(?:主营产品|主要产品|主营业务|产品|主营)\s*[:：]\s*([^。;；\n]+)")
_SPLIT = re.compile(r"[、,，;；/\s]+")


class RecordError(ValueError):
    """A record or query line that cannot be used; the message says what and where."""


@dataclass
class Record:
    id: str
    text: str = ""
    name: str = ""
    industry: str = ""
    products: list[str] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    region: str = ""

    @classmethod
    def from_dict(cls, d: dict, where: str = "record") -> Record:
        if not isinstance(d, dict):
            raise RecordError(f"{where}: expected a JSON object, got {type(d).__name__}")
        rid = d.get("id")
        if rid is None or str(rid).strip() == "":
            raise RecordError(f"{where}: missing 'id'")
        if "text" not in d and "products" not in d:
            raise RecordError(f"{where}: record {rid!r} has neither 'text' nor 'products'")
        products = d.get("products")
        if products is None:
            products = products_from_text(d.get("text") or "")
        if not isinstance(products, list):
            raise RecordError(f"{where}: 'products' of {rid!r} must be a list of strings")
        caps = d.get("capabilities") or []
        if not isinstance(caps, list):
            raise RecordError(f"{where}: 'capabilities' of {rid!r} must be a list of strings")
        return cls(
            id=str(rid),
            text=d.get("text") or "",
            name=d.get("name") or "",
            industry=d.get("industry") or "",
            products=[str(p) for p in products if p],
            capabilities=[str(c) for c in caps if c],
            region=str(d.get("region") or ""),
        )


def products_from_text(text: str) -> list[str]:
    """Product names listed in a profile text ("主营产品：A、B、C。"), in order."""
    m = _PRODUCT_LIST.search(text or "")
    if not m:
        return []
    return [p for p in (normalize_name(x) for x in _SPLIT.split(m.group(1))) if p]


def read_jsonl(path: str, kind: str = "record") -> Iterator[tuple[int, dict]]:
    """Yield ``(line number, object)`` of a JSON Lines file; bad lines raise RecordError."""
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise RecordError(f"{path}:{lineno}: invalid JSON in {kind} line: {e}") from e
            yield lineno, obj


def read_records(path: str) -> Iterator[Record]:
    for lineno, obj in read_jsonl(path, "corpus"):
        yield Record.from_dict(obj, where=f"{path}:{lineno}")
