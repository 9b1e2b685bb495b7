"""The meeting scheduler: its invariants over many seeded random instances (hypothesis is
not installed), and its choices on small hand-made cases."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from xietong.enterprise import scheduling
from xietong.enterprise.scheduling import MUST, WOULD_LIKE, Request, schedule


def check_invariants(requests, n_slots, n_tables, blocked, result):
    by_id = {r.id: r for r in requests}
    placed_ids = [p.request for p in result.placed]
    unplaced_ids = [u.request for u in result.unplaced]
    # every request is accounted for exactly once
    assert sorted(placed_ids + unplaced_ids) == sorted(by_id)
    per_slot = Counter(p.slot for p in result.placed)
    seen = set()
    for p in result.placed:
        req = by_id[p.request]
        assert 0 <= p.slot < n_slots
        assert 1 <= p.table <= n_tables
        assert (p.slot, p.table) not in seen, "two meetings at one table"
        seen.add((p.slot, p.table))
        for who in (req.a, req.b):
            assert p.slot not in blocked.get(who, ()), "blocked slot used"
    assert all(n <= n_tables for n in per_slot.values())
    busy = Counter(
        (who, p.slot) for p in result.placed for who in (by_id[p.request].a, by_id[p.request].b)
    )
    assert all(n == 1 for n in busy.values()), "someone double-booked"
    # a must-meet left out while a would-like of one of its parties took a slot they both
    # had free would break "must first": check that no unplaced must could have been placed
    # had it gone first, by re-running with only the musts
    musts = [r for r in requests if r.preference == MUST]
    only_musts = schedule(musts, n_slots, n_tables, blocked)
    assert {p.request for p in only_musts.placed} <= set(placed_ids)


@pytest.mark.parametrize("seed", range(300))
def test_invariants_on_random_instances(seed):
    rng = random.Random(seed)
    people = rng.randint(2, 14)
    n_slots = rng.randint(1, 8)
    n_tables = rng.randint(1, 5)
    requests = []
    for i in range(rng.randint(0, 40)):
        a, b = rng.randrange(people), rng.randrange(people)
        pref = rng.choice([MUST, WOULD_LIKE, WOULD_LIKE, "no_thanks"])
        requests.append(Request(id=1000 - i * 7, a=a, b=b, preference=pref))
    blocked = {
        p: set(rng.sample(range(n_slots), rng.randint(0, n_slots)))
        for p in range(people)
        if rng.random() < 0.3
    }
    result = schedule(requests, n_slots, n_tables, blocked)
    check_invariants(requests, n_slots, n_tables, blocked, result)
    # deterministic, whatever the input order
    shuffled = requests[:]
    rng.shuffle(shuffled)
    assert schedule(shuffled, n_slots, n_tables, blocked) == result


def test_must_meet_goes_first_even_with_a_higher_id():
    reqs = [Request(1, a=1, b=2, preference=WOULD_LIKE), Request(2, a=1, b=3, preference=MUST)]
    result = schedule(reqs, n_slots=1, n_tables=5, blocked={})
    assert [p.request for p in result.placed] == [2]
    assert result.unplaced[0].request == 1
    assert result.unplaced[0].reason == scheduling.NO_COMMON_SLOT


def test_tables_fill_before_the_next_slot_and_reasons_are_given():
    reqs = [Request(i, a=2 * i, b=2 * i + 1, preference=MUST) for i in range(1, 4)]
    result = schedule(reqs, n_slots=1, n_tables=2, blocked={})
    assert [(p.request, p.slot, p.table) for p in result.placed] == [(1, 0, 1), (2, 0, 2)]
    assert [(u.request, u.reason) for u in result.unplaced] == [(3, scheduling.NO_TABLE)]


def test_blocked_slots_are_respected_and_bad_requests_explained():
    reqs = [
        Request(1, a=1, b=2, preference=MUST),
        Request(2, a=2, b=1, preference=MUST),
        Request(3, a=4, b=4, preference=MUST),
        Request(4, a=5, b=6, preference="no_thanks"),
    ]
    result = schedule(reqs, n_slots=3, n_tables=1, blocked={1: {0}, 2: {1}})
    assert [(p.request, p.slot) for p in result.placed] == [(1, 2)]
    reasons = {u.request: u.reason for u in result.unplaced}
    assert reasons == {
        2: scheduling.DUPLICATE,
        3: scheduling.SAME_PARTICIPANT,
        4: scheduling.NOT_WANTED,
    }


def test_negative_sizes_are_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        schedule([], n_slots=-1, n_tables=1)
