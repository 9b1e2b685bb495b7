"""Compliance rules: periods, month boundaries in Asia/Shanghai, frequencies, rates."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.utils import timezone

from xietong.pairing import compliance, services
from xietong.pairing.compliance import (
    HELD,
    MISSED,
    NOT_APPLICABLE,
    NOT_YET,
    UNCONFIRMED,
    Period,
    Rhythm,
    period_of,
    period_status,
)
from xietong.pairing.models import DepartmentPair, WorkContact

from .conftest import contact

CONFIRMED = WorkContact.Status.CONFIRMED
AWAITING = WorkContact.Status.AWAITING
MONTHLY = Rhythm(date(2025, 1, 1))


def test_it_aligns_periods_to_the_calendar():
    assert period_of(date(2026, 3, 31)) == Period(date(2026, 3, 1), 1)
    assert period_of(date(2026, 4, 1), 2) == Period(date(2026, 3, 1), 2)
    assert period_of(date(2026, 2, 28), 2) == Period(date(2026, 1, 1), 2)
    assert period_of(date(2026, 12, 31), 3) == Period(date(2026, 10, 1), 3)
    assert Period(date(2026, 2, 1)).end == date(2026, 2, 28)
    assert Period(date(2024, 2, 1)).end == date(2024, 2, 29)
    assert Period(date(2026, 11, 1), 2).end == date(2026, 12, 31)
    assert Period(date(2026, 1, 1), 3).previous() == Period(date(2025, 10, 1), 3)


def test_it_counts_the_last_and_first_day_of_a_month_in_that_month():
    march = Period(date(2026, 3, 1))
    april = Period(date(2026, 4, 1))
    on_last_day = [(date(2026, 3, 31), CONFIRMED)]
    assert period_status(MONTHLY, march, on_last_day, date(2026, 4, 1)) == HELD
    assert period_status(MONTHLY, april, on_last_day, date(2026, 4, 30)) == NOT_YET
    assert period_status(MONTHLY, april, on_last_day, date(2026, 5, 1)) == MISSED
    on_first_day = [(date(2026, 4, 1), CONFIRMED)]
    assert period_status(MONTHLY, march, on_first_day, date(2026, 4, 2)) == MISSED
    assert period_status(MONTHLY, april, on_first_day, date(2026, 4, 2)) == HELD


def test_it_keeps_a_month_open_until_its_last_day_ends():
    march = Period(date(2026, 3, 1))
    assert period_status(MONTHLY, march, [], date(2026, 3, 31)) == NOT_YET
    assert period_status(MONTHLY, march, [], date(2026, 4, 1)) == MISSED
    assert period_status(MONTHLY, Period(date(2026, 9, 1)), [], date(2026, 4, 1)) == NOT_YET


def test_it_shows_an_unconfirmed_contact_apart_and_ignores_nothing_else():
    march = Period(date(2026, 3, 1))
    both = [(date(2026, 3, 5), AWAITING), (date(2026, 3, 20), CONFIRMED)]
    assert period_status(MONTHLY, march, both, date(2026, 5, 1)) == HELD
    awaiting = [(date(2026, 3, 5), AWAITING)]
    assert period_status(MONTHLY, march, awaiting, date(2026, 5, 1)) == UNCONFIRMED


def test_a_bimonthly_pair_owes_one_contact_per_two_months():
    rhythm = Rhythm(date(2025, 1, 1), months=2)
    jan_feb = Period(date(2026, 1, 1), 2)
    in_february = [(date(2026, 2, 27), CONFIRMED)]
    assert period_status(rhythm, jan_feb, in_february, date(2026, 3, 1)) == HELD
    assert period_status(rhythm, jan_feb, [], date(2026, 2, 1)) == NOT_YET
    assert period_status(rhythm, jan_feb, [], date(2026, 3, 1)) == MISSED


def test_a_quarterly_pair_owes_one_contact_per_quarter():
    rhythm = Rhythm(date(2025, 1, 1), months=3)
    q2 = period_of(date(2026, 5, 10), 3)
    assert q2 == Period(date(2026, 4, 1), 3)
    assert period_status(rhythm, q2, [(date(2026, 6, 30), CONFIRMED)], date(2026, 7, 1)) == HELD
    assert period_status(rhythm, q2, [], date(2026, 6, 30)) == NOT_YET
    assert period_status(rhythm, q2, [], date(2026, 7, 1)) == MISSED


def test_periods_before_the_start_or_after_the_end_are_not_applicable():
    rhythm = Rhythm(date(2026, 7, 15), ended_on=date(2026, 10, 31))
    today = date(2026, 12, 5)
    assert period_status(rhythm, Period(date(2026, 6, 1)), [], today) == NOT_APPLICABLE
    # Paired mid-month: that month is not owed, the next one is.
    assert period_status(rhythm, Period(date(2026, 7, 1)), [], today) == NOT_APPLICABLE
    assert period_status(rhythm, Period(date(2026, 8, 1)), [], today) == MISSED
    assert period_status(rhythm, Period(date(2026, 10, 1)), [], today) == MISSED
    assert period_status(rhythm, Period(date(2026, 11, 1)), [], today) == NOT_APPLICABLE
    # A contact held in the partial first month still counts.
    held = [(date(2026, 7, 20), CONFIRMED)]
    assert period_status(rhythm, Period(date(2026, 7, 1)), held, today) == HELD


def test_rates_count_periods_by_quarter_for_a_pair_started_mid_year():
    rhythm = Rhythm(date(2026, 5, 1))
    contacts = [(date(2026, 5, 8), CONFIRMED), (date(2026, 7, 3), AWAITING)]
    today = date(2026, 9, 15)
    q2 = compliance.rate(rhythm, compliance.year_periods(rhythm, 2026, 2), contacts, today)
    assert (q2.held, q2.unconfirmed, q2.missed, q2.due) == (1, 0, 1, 2)
    assert q2.rate == 0.5
    q3 = compliance.rate(rhythm, compliance.year_periods(rhythm, 2026, 3), contacts, today)
    assert (q3.held, q3.unconfirmed, q3.missed, q3.not_yet) == (0, 1, 1, 1)
    q1 = compliance.rate(rhythm, compliance.year_periods(rhythm, 2026, 1), contacts, today)
    assert q1.due == 0 and q1.rate is None


def test_a_contact_at_23_30_in_shanghai_on_the_last_day_counts_for_that_month(
    world, people, dept_pair, at
):
    # 2026-03-31 15:30 UTC is 23:30 in Shanghai: still March 31 for the people recording.
    at(datetime(2026, 3, 31, 15, 30, tzinfo=UTC))
    assert timezone.localdate() == date(2026, 3, 31)
    record = services.record_contact(
        people.developed_staff,
        dept_pair,
        held_on=timezone.localdate(),
        form="video",
        host_side="developed",
        topics="一季度对接",
    )
    services.confirm_contact(people.partner_staff, record)
    row = compliance.grid([dept_pair], compliance.last_months(timezone.localdate(), 2))[0]
    assert [(c.month, c.status, c.contacts) for c in row.cells] == [
        (date(2026, 2, 1), MISSED, 0),
        (date(2026, 3, 1), HELD, 1),
    ]
    # Half an hour later it is April 1 in Shanghai (still March 31 in UTC): a new month.
    at(datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    row = compliance.grid([dept_pair], compliance.last_months(timezone.localdate(), 2))[0]
    assert [(c.month, c.status) for c in row.cells] == [
        (date(2026, 3, 1), HELD),
        (date(2026, 4, 1), NOT_YET),
    ]


def test_the_grid_shows_a_year_with_each_state(world, people, dept_pair):
    user = people.developed_staff
    contact(dept_pair, user, date(2026, 1, 31))
    contact(dept_pair, user, date(2026, 2, 1), status=AWAITING)
    contact(dept_pair, user, date(2026, 3, 10), status=WorkContact.Status.RETURNED)
    rows = compliance.grid([dept_pair], compliance.months_of_year(2026), today=date(2026, 4, 10))
    states = [cell.status for cell in rows[0].cells]
    assert states[:5] == [HELD, UNCONFIRMED, MISSED, NOT_YET, NOT_YET]
    assert rows[0].total.held == 1 and rows[0].total.due == 3


def test_the_grid_spreads_a_bimonthly_period_over_its_months(world, people, dept_pair):
    dept_pair.frequency = DepartmentPair.Frequency.BIMONTHLY
    dept_pair.save()
    contact(dept_pair, people.partner_staff, date(2026, 4, 2), recorded_side="partner")
    rows = compliance.grid([dept_pair], compliance.months_of_year(2026)[:6], today=date(2026, 7, 1))
    cells = rows[0].cells
    assert [c.status for c in cells] == [MISSED, MISSED, HELD, HELD, MISSED, MISSED]
    assert [c.contacts for c in cells] == [0, 0, 0, 1, 0, 0]
    assert [c.period_starts for c in cells] == [True, False] * 3
    assert (rows[0].total.held, rows[0].total.missed) == (1, 2)


def test_side_rates_count_each_department_over_all_its_pairs(world, people, dept_pair):
    from tests.factories import OrgUnitFactory

    second = services.create_pair(
        people.developed_coordinator,
        partnership=world.pair_a,
        developed_unit=world.unit_a_dev,
        partner_unit=OrgUnitFactory(region=world.pair_a.partner_side, name="区商务委"),
        started_on=date(2026, 1, 1),
    )
    contact(dept_pair, people.developed_staff, date(2026, 1, 5))
    contact(dept_pair, people.developed_staff, date(2026, 2, 5), host_side="partner")
    contact(second, people.developed_staff, date(2026, 1, 9))
    sides = compliance.side_rates([dept_pair, second], 2026, today=date(2026, 4, 1))
    developed, partner = sides["developed"], sides["partner"]
    assert [(u.unit.name, u.pairs, u.year.held, u.year.due) for u in developed.units] == [
        ("产业促进局", 2, 3, 6)
    ]
    assert sorted((u.unit.name, u.year.held) for u in partner.units) == [
        ("区商务委", 1),
        ("区经济信息委", 2),
    ]
    assert developed.quarters[1].rate == 0.5
    assert (developed.hosted, partner.hosted, developed.recorded) == (2, 1, 3)
