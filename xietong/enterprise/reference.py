"""Reference data of the enterprise app: GB/T 4754-2017 industry codes and the labels.

The industry table is read from the copy shipped in ``data/`` (its source is noted in
``data/README.md``), never retyped. Loading is idempotent: rows are matched by code.
"""

from __future__ import annotations

import csv
from pathlib import Path

INDUSTRY_CSV = Path(__file__).resolve().parent / "data" / "gbt4754-2017.csv"
LEVELS = {"section", "division", "group", "class"}

# (code, name): recognitions given to enterprises by the state and the city.
LABELS = [
    ("zhuanjingtexin", "专精特新"),
    ("little-giant", "专精特新“小巨人”"),
    ("high-tech", "高新技术企业"),
    ("tech-sme", "科技型中小企业"),
    ("champion", "制造业单项冠军"),
    ("gazelle", "瞪羚企业"),
    ("listed", "上市企业"),
]


def read_industry_codes(path: Path = INDUSTRY_CSV) -> list[dict[str, str]]:
    """The rows of the CSV, checked: a bad file stops the load with the line that is wrong."""
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            code, name, level = row.get("code", ""), row.get("name", ""), row.get("level", "")
            if not code or not name or level not in LEVELS or len(code) > 4:
                raise ValueError(f"{path}:{line}: not an industry code row: {row}")
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "level": level,
                    "parent": row.get("parent", ""),
                    "section": row.get("section", ""),
                }
            )
    return rows


def load_industry_codes(model) -> tuple[int, int]:
    """Create missing codes and correct changed ones; returns (created, updated)."""
    existing = {obj.code: obj for obj in model.objects.all()}
    created, changed = [], []
    for row in read_industry_codes():
        obj = existing.get(row["code"])
        if obj is None:
            created.append(model(**row))
        elif any(getattr(obj, k) != v for k, v in row.items()):
            for k, v in row.items():
                setattr(obj, k, v)
            changed.append(obj)
    model.objects.bulk_create(created, batch_size=500)
    if changed:
        model.objects.bulk_update(changed, ["name", "level", "parent", "section"], batch_size=500)
    return len(created), len(changed)


def load_labels(model) -> None:
    for order, (code, name) in enumerate(LABELS, start=1):
        model.objects.update_or_create(code=code, defaults={"name": name, "sort_order": order})
