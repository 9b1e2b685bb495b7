"""Does each department pair keep its contact rhythm? (the rules of docs/pairing.md)

A pair owes one work contact per *period*: a calendar month (monthly, the default), two
calendar months (bimonthly: Jan–Feb, Mar–Apr, …) or a calendar quarter. Dates are local
dates in Asia/Shanghai (a contact's ``held_on``; "today" is ``timezone.localdate()``).

The status of a period:

- ``held``: a confirmed contact was held in it;
- ``unconfirmed``: a contact was recorded in it but the other side has not confirmed it
  yet (shown apart; it is not counted as held, and it stops the reminder);
- ``not_applicable``: the pair did not exist for the whole period (started after its
  first day or ended before its last) and no contact was held in it;
- ``not_yet``: the period has not ended (the current one, or a future one);
- ``missed``: the period ended without a contact.

Returned records count for nothing until resubmitted. Rates count periods by the quarter
and year their last day falls in: rate = held / due, where due = held + unconfirmed +
missed (a period that has not ended is due only once a contact was held in it).

The functions up to ``rate`` are pure (no database); ``grid``, ``pair_rates`` and
``side_rates`` read the contacts of the pairs they are given in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import DepartmentPair, Side, WorkContact

HELD = "held"
UNCONFIRMED = "unconfirmed"
NOT_YET = "not_yet"
MISSED = "missed"
NOT_APPLICABLE = "not_applicable"
STATES = (HELD, UNCONFIRMED, NOT_YET, MISSED, NOT_APPLICABLE)

MONTHS_PER_PERIOD = {
    DepartmentPair.Frequency.MONTHLY: 1,
    DepartmentPair.Frequency.BIMONTHLY: 2,
    DepartmentPair.Frequency.QUARTERLY: 3,
}


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_start(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True, order=True)
class Period:
    """A contact period: ``months`` calendar months from ``start`` (a first of month)."""

    start: date
    months: int = 1

    @property
    def end(self) -> date:
        """The last day of the period."""
        return add_months(self.start, self.months) - timedelta(days=1)

    @property
    def key(self) -> str:
        """``YYYY-MM`` of the first month (``ReminderLog.period``)."""
        return f"{self.start:%Y-%m}"

    @property
    def last_month(self) -> date:
        return add_months(self.start, self.months - 1)

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def previous(self) -> Period:
        return Period(add_months(self.start, -self.months), self.months)

    def next(self) -> Period:
        return Period(add_months(self.start, self.months), self.months)

    @property
    def quarter(self) -> tuple[int, int]:
        """(year, quarter) of the period's last day, the one its rate counts in."""
        end = self.end
        return end.year, (end.month - 1) // 3 + 1


def period_of(day: date, months: int = 1) -> Period:
    """The calendar-aligned period of ``months`` months that holds ``day``."""
    first = (day.month - 1) // months * months + 1
    return Period(date(day.year, first, 1), months)


@dataclass(frozen=True)
class Rhythm:
    """What compliance needs to know of a pair, without the database."""

    started_on: date
    ended_on: date | None = None
    months: int = 1

    @classmethod
    def of(cls, pair: DepartmentPair) -> Rhythm:
        return cls(pair.started_on, pair.ended_on, MONTHS_PER_PERIOD.get(pair.frequency, 1))

    def covers(self, period: Period) -> bool:
        """The pair existed for the whole period."""
        return self.started_on <= period.start and (
            self.ended_on is None or self.ended_on >= period.end
        )

    def touches(self, period: Period) -> bool:
        """The pair existed on some day of the period."""
        return self.started_on <= period.end and (
            self.ended_on is None or self.ended_on >= period.start
        )


Contact = tuple[date, str]  # (held_on, status)


def period_status(rhythm: Rhythm, period: Period, contacts: Iterable[Contact], today: date) -> str:
    """The status of one period of a pair on ``today`` (see the module docstring)."""
    statuses = {status for held_on, status in contacts if held_on in period}
    if WorkContact.Status.CONFIRMED in statuses:
        return HELD
    if WorkContact.Status.AWAITING in statuses:
        return UNCONFIRMED
    if not rhythm.covers(period):
        return NOT_APPLICABLE
    if today <= period.end:
        return NOT_YET
    return MISSED


def periods_between(first: date, last: date, months: int) -> list[Period]:
    """The periods that overlap the months from ``first`` to ``last`` (inclusive)."""
    period = period_of(first, months)
    found = []
    while period.start <= last:
        found.append(period)
        period = period.next()
    return found


def months_of_year(year: int) -> list[date]:
    return [date(year, month, 1) for month in range(1, 13)]


def last_months(today: date, count: int) -> list[date]:
    """The first days of the last ``count`` months up to and including ``today``'s."""
    this = month_start(today)
    return [add_months(this, -offset) for offset in range(count - 1, -1, -1)]


@dataclass
class Cell:
    """A month of a pair on the heatmap: the status of the period it belongs to, and how
    many contacts (not returned) were held in the month itself."""

    month: date
    period: Period
    status: str
    contacts: int = 0

    @property
    def period_starts(self) -> bool:
        return self.month == self.period.start


@dataclass
class Rate:
    """Periods counted for a rate (see the module docstring)."""

    held: int = 0
    unconfirmed: int = 0
    missed: int = 0
    not_yet: int = 0

    @property
    def due(self) -> int:
        return self.held + self.unconfirmed + self.missed

    @property
    def rate(self) -> float | None:
        """held / due, None when nothing was due."""
        return self.held / self.due if self.due else None

    def add(self, status: str) -> None:
        if status == HELD:
            self.held += 1
        elif status == UNCONFIRMED:
            self.unconfirmed += 1
        elif status == MISSED:
            self.missed += 1
        elif status == NOT_YET:
            self.not_yet += 1

    def __iadd__(self, other: Rate) -> Rate:
        self.held += other.held
        self.unconfirmed += other.unconfirmed
        self.missed += other.missed
        self.not_yet += other.not_yet
        return self


def rate(
    rhythm: Rhythm, periods: Sequence[Period], contacts: Sequence[Contact], today: date
) -> Rate:
    """Count the statuses of ``periods`` of one pair."""
    result = Rate()
    for period in periods:
        result.add(period_status(rhythm, period, contacts, today))
    return result


def year_periods(rhythm: Rhythm, year: int, quarter: int | None = None) -> list[Period]:
    """The periods of a pair whose last day falls in ``year`` (and ``quarter``)."""
    found = periods_between(date(year, 1, 1), date(year, 12, 1), rhythm.months)
    return [
        p for p in found if p.end.year == year and (quarter is None or p.quarter == (year, quarter))
    ]


# --- Reading the database -----------------------------------------------------------------


def contacts_by_pair(pairs: Sequence[DepartmentPair], first: date, last: date) -> dict:
    """(held_on, status) of the pairs' contacts between ``first`` and ``last``, returned
    ones left out, by pair id (one query)."""
    found: dict[int, list[Contact]] = {pair.pk: [] for pair in pairs}
    rows = (
        WorkContact.objects.filter(pair__in=[p.pk for p in pairs], held_on__range=(first, last))
        .exclude(status=WorkContact.Status.RETURNED)
        .values_list("pair_id", "held_on", "status")
    )
    for pair_id, held_on, status in rows:
        found[pair_id].append((held_on, status))
    return found


@dataclass
class Row:
    pair: DepartmentPair
    cells: list[Cell]
    total: Rate = field(default_factory=Rate)


def grid(
    pairs: Iterable[DepartmentPair], months: Sequence[date], today: date | None = None
) -> list[Row]:
    """The heatmap: for each pair a cell per month (``months`` are first days, in order),
    and the rate over the periods shown (each period counted once)."""
    today = today or timezone.localdate()
    pairs = list(pairs)
    if not pairs or not months:
        return [Row(pair, []) for pair in pairs]
    first = period_of(months[0], 3).start  # the widest period that can hold the first month
    last = add_months(months[-1], 3)
    contacts = contacts_by_pair(pairs, first, last)
    rows = []
    for pair in pairs:
        rhythm = Rhythm.of(pair)
        cells, counted = [], set()
        total = Rate()
        mine = contacts[pair.pk]
        for month in months:
            period = period_of(month, rhythm.months)
            status = period_status(rhythm, period, mine, today)
            in_month = sum(1 for held_on, _ in mine if month_start(held_on) == month)
            cells.append(Cell(month, period, status, in_month))
            if period not in counted:
                counted.add(period)
                total.add(status)
        rows.append(Row(pair, cells, total))
    return rows


@dataclass
class PairRates:
    pair: DepartmentPair
    year: Rate
    quarters: dict[int, Rate]


def pair_rates(
    pairs: Iterable[DepartmentPair], year: int, today: date | None = None
) -> list[PairRates]:
    """Per pair: the rate of ``year`` and of each of its quarters."""
    today = today or timezone.localdate()
    pairs = list(pairs)
    contacts = contacts_by_pair(pairs, date(year, 1, 1), date(year, 12, 31)) if pairs else {}
    found = []
    for pair in pairs:
        rhythm = Rhythm.of(pair)
        quarters = {
            q: rate(rhythm, year_periods(rhythm, year, q), contacts[pair.pk], today)
            for q in (1, 2, 3, 4)
        }
        total = Rate()
        for part in quarters.values():
            total += part
        found.append(PairRates(pair, total, quarters))
    return found


@dataclass
class UnitRates:
    unit: object
    year: Rate = field(default_factory=Rate)
    quarters: dict[int, Rate] = field(default_factory=lambda: {q: Rate() for q in (1, 2, 3, 4)})
    pairs: int = 0


@dataclass
class SideRates:
    """A side's departments, each over all its pairs, and the side's total; ``hosted`` and
    ``recorded`` count the confirmed contacts of the year the side hosted / recorded."""

    side: str
    year: Rate = field(default_factory=Rate)
    quarters: dict[int, Rate] = field(default_factory=lambda: {q: Rate() for q in (1, 2, 3, 4)})
    units: list[UnitRates] = field(default_factory=list)
    hosted: int = 0
    recorded: int = 0


def side_rates(
    pairs: QuerySet[DepartmentPair] | Iterable[DepartmentPair], year: int, today: date | None = None
) -> dict[str, SideRates]:
    """Rates by side and by department: each department counts the periods of all the pairs
    it is in, so a department that keeps one pair and neglects another shows it."""
    pairs = list(pairs)
    per_pair = pair_rates(pairs, year, today)
    sides = {side: SideRates(side) for side in Side.values}
    units: dict[tuple[str, int], UnitRates] = {}
    for rates in per_pair:
        for side in Side.values:
            unit = rates.pair.unit_of(side)
            entry = units.get((side, unit.pk))
            if entry is None:
                entry = units[(side, unit.pk)] = UnitRates(unit)
                sides[side].units.append(entry)
            entry.pairs += 1
            entry.year += rates.year
            sides[side].year += rates.year
            for q, part in rates.quarters.items():
                entry.quarters[q] += part
                sides[side].quarters[q] += part
    if pairs:
        confirmed = WorkContact.objects.filter(
            pair__in=[p.pk for p in pairs],
            held_on__year=year,
            status=WorkContact.Status.CONFIRMED,
        )
        for side in Side.values:
            sides[side].hosted = confirmed.filter(host_side=side).count()
            sides[side].recorded = confirmed.filter(recorded_side=side).count()
    return sides
