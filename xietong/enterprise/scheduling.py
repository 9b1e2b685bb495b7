"""Placing 1:1 meetings of a networking event in slots × tables (pure, no Django).

``schedule`` takes the meetings to place (each between two participants, with a priority)
and returns where each one goes. Guarantees:

- fixed placements (meetings an organiser pinned) stay where they are, when they are still
  possible (a valid slot and table, both parties free, neither blocked, table not taken by
  an earlier fixed one); one that is not is released and placed like any other request;
- nobody is in two meetings in the same slot, and nobody meets in a slot they blocked;
- at most ``n_tables`` meetings share a slot (tables are numbered 1..n_tables);
- apart from the fixed ones, must-meet requests are placed before would-like ones, then
  in request id order, each in the earliest slot both parties are free with the lowest
  free table;
- the same input always gives the same output;
- a request that cannot be placed is returned with the reason why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MUST = "must"
WOULD_LIKE = "would_like"
PRIORITY = {MUST: 0, WOULD_LIKE: 1}

# Reasons a request is left out (English; callers translate them for display).
NOT_WANTED = "not wanted"
SAME_PARTICIPANT = "a participant cannot meet itself"
DUPLICATE = "the two already meet"
NO_COMMON_SLOT = "no slot in which both are free"
NO_TABLE = "every table is taken in the slots in which both are free"


@dataclass(frozen=True)
class Request:
    id: int
    a: int  # participant ids
    b: int
    preference: str = WOULD_LIKE


@dataclass(frozen=True)
class Placed:
    request: int
    slot: int  # 0-based
    table: int  # 1-based


@dataclass(frozen=True)
class Unplaced:
    request: int
    reason: str


@dataclass
class Result:
    placed: list[Placed]
    unplaced: list[Unplaced]
    released: list[int] = field(default_factory=list)  # fixed ones that could not stay


def schedule(
    requests: Iterable[Request],
    n_slots: int,
    n_tables: int,
    blocked: Mapping[int, Iterable[int]] | None = None,
    fixed: Mapping[int, tuple[int, int]] | None = None,
) -> Result:
    """Place ``requests``; ``fixed`` maps a request id to the (slot, table) it is pinned to."""
    if n_slots < 0 or n_tables < 0:
        raise ValueError(f"slots and tables cannot be negative (got {n_slots}, {n_tables})")
    blocked_sets = {p: set(slots) for p, slots in (blocked or {}).items()}
    busy: dict[int, set[int]] = {}
    used_tables: list[set[int]] = [set() for _ in range(n_slots)]
    met: set[frozenset[int]] = set()
    result = Result(placed=[], unplaced=[])
    ordered = sorted(requests, key=lambda r: (PRIORITY.get(r.preference, 9), r.id))

    def take(req: Request, slot: int, table: int) -> None:
        used_tables[slot].add(table)
        busy.setdefault(req.a, set()).add(slot)
        busy.setdefault(req.b, set()).add(slot)
        met.add(frozenset((req.a, req.b)))
        result.placed.append(Placed(req.id, slot, table))

    done: set[int] = set()
    for req in ordered:  # the pinned first, in the same order as the rest
        if req.id not in (fixed or {}):
            continue
        slot, table = fixed[req.id]
        keep = (
            req.preference in PRIORITY
            and req.a != req.b
            and frozenset((req.a, req.b)) not in met
            and 0 <= slot < n_slots
            and 1 <= table <= n_tables
            and table not in used_tables[slot]
            and all(
                slot not in busy.get(p, ()) and slot not in blocked_sets.get(p, ())
                for p in (req.a, req.b)
            )
        )
        if keep:
            take(req, slot, table)
            done.add(req.id)
        else:
            result.released.append(req.id)
    for req in ordered:
        if req.id in done:
            continue
        if req.preference not in PRIORITY:
            result.unplaced.append(Unplaced(req.id, NOT_WANTED))
            continue
        if req.a == req.b:
            result.unplaced.append(Unplaced(req.id, SAME_PARTICIPANT))
            continue
        if frozenset((req.a, req.b)) in met:
            result.unplaced.append(Unplaced(req.id, DUPLICATE))
            continue
        unavailable = (
            busy.get(req.a, set())
            | busy.get(req.b, set())
            | blocked_sets.get(req.a, set())
            | blocked_sets.get(req.b, set())
        )
        free_slots = [s for s in range(n_slots) if s not in unavailable]
        if not free_slots:
            result.unplaced.append(Unplaced(req.id, NO_COMMON_SLOT))
            continue
        slot = next((s for s in free_slots if len(used_tables[s]) < n_tables), None)
        if slot is None:
            result.unplaced.append(Unplaced(req.id, NO_TABLE))
            continue
        table = min(t for t in range(1, n_tables + 1) if t not in used_tables[slot])
        take(req, slot, table)
    return result
