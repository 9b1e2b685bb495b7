"""The meeting scheduler: its invariants over instances drawn by hypothesis (derandomized,
so every run checks the same 300 instances), with and without fixed (pinned) placements,
and its choices on small hand-made cases."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xietong.enterprise import scheduling
from xietong.enterprise.scheduling import MUST, WOULD_LIKE, Request, schedule


def check_invariants(requests, n_slots, n_tables, blocked, result, fixed=None):
    fixed = fixed or {}
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
    # had it gone first, by re-running with only the musts (and the same pinned meetings)
    musts = [r for r in requests if r.preference == MUST or r.id in fixed]
    only_musts = schedule(musts, n_slots, n_tables, blocked, fixed)
    assert {p.request for p in only_musts.placed} <= set(placed_ids)
    # a pinned meeting stays exactly where it was pinned, unless it was released
    where = {p.request: (p.slot, p.table) for p in result.placed}
    released = set(result.released)
    assert released <= set(fixed)
    for rid, spot in fixed.items():
        if rid not in released:
            assert where[rid] == spot, "a pinned meeting moved"


@st.composite
def instances(draw):
    """People, slots, tables, requests between them (some to oneself, some "no thanks"),
    blocked slots, and a random generator for the shuffles and pins below."""
    people = draw(st.integers(2, 14))
    n_slots = draw(st.integers(1, 8))
    n_tables = draw(st.integers(1, 5))
    person = st.integers(0, people - 1)
    pairs = draw(
        st.lists(
            st.tuples(person, person, st.sampled_from([MUST, WOULD_LIKE, "no_thanks"])),
            max_size=40,
        )
    )
    requests = [
        Request(id=1000 - i * 7, a=a, b=b, preference=pref) for i, (a, b, pref) in enumerate(pairs)
    ]
    blocked = draw(st.dictionaries(person, st.sets(st.integers(0, n_slots - 1))))
    return requests, n_slots, n_tables, blocked, draw(st.randoms(use_true_random=False))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(instances())
def test_invariants_on_random_instances(instance):
    requests, n_slots, n_tables, blocked, rng = instance
    result = schedule(requests, n_slots, n_tables, blocked)
    check_invariants(requests, n_slots, n_tables, blocked, result)
    # deterministic, whatever the input order
    shuffled = requests[:]
    rng.shuffle(shuffled)
    assert schedule(shuffled, n_slots, n_tables, blocked) == result
    # pin some of the placed ones where they are, move others anywhere (maybe impossibly),
    # then rebuild: the valid pins stay, nobody is double-booked, must-meets still first
    pins = {p.request: (p.slot, p.table) for p in result.placed if rng.random() < 0.4}
    again = schedule(shuffled, n_slots, n_tables, blocked, pins)
    check_invariants(requests, n_slots, n_tables, blocked, again, pins)
    assert again.released == [], "pins taken from a valid schedule are all possible"
    moved = dict(pins)
    for p in result.placed:
        if rng.random() < 0.2:
            moved[p.request] = (rng.randint(-1, n_slots), rng.randint(0, n_tables + 1))
    mixed = schedule(shuffled, n_slots, n_tables, blocked, moved)
    check_invariants(requests, n_slots, n_tables, blocked, mixed, moved)
    assert schedule(requests, n_slots, n_tables, blocked, moved) == mixed


def test_pinned_meetings_stay_and_the_rest_go_around_them():
    reqs = [
        Request(1, a=1, b=2, preference=MUST),
        Request(2, a=1, b=3, preference=MUST),
        Request(3, a=4, b=5, preference=WOULD_LIKE),
    ]
    first = schedule(reqs, n_slots=2, n_tables=1, blocked={})
    assert [(p.request, p.slot) for p in first.placed] == [(1, 0), (2, 1)]
    # the organiser moves request 2 to slot 0: it is pinned; 1 goes to slot 1 around it
    again = schedule(reqs, n_slots=2, n_tables=1, blocked={}, fixed={2: (0, 1)})
    assert [(p.request, p.slot, p.table) for p in again.placed] == [(2, 0, 1), (1, 1, 1)]
    assert [(u.request, u.reason) for u in again.unplaced] == [(3, scheduling.NO_TABLE)]
    assert again.released == []


def test_a_pin_that_became_impossible_is_released_and_placed_anew():
    reqs = [Request(1, a=1, b=2, preference=MUST), Request(2, a=3, b=4, preference=MUST)]
    # slot 0 is now blocked for participant 1; table 9 does not exist
    result = schedule(reqs, n_slots=2, n_tables=1, blocked={1: {0}}, fixed={1: (0, 1), 2: (1, 9)})
    assert sorted(result.released) == [1, 2]
    assert sorted((p.request, p.slot) for p in result.placed) == [(1, 1), (2, 0)]


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
