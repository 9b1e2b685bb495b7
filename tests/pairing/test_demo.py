"""The pairing demo data: the article's department pairs, 18 months of contacts with kept and
missed months, secondments 2–3 a year, trainings, visits, this month's reminders; and a
second load duplicates nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from xietong.conference.models import Task
from xietong.core.models import Notification, Partnership
from xietong.pairing import compliance
from xietong.pairing import demo as pairing_demo
from xietong.pairing.models import (
    ContactParticipant,
    DepartmentPair,
    FollowUpAction,
    InspectionVisit,
    ReminderLog,
    Secondment,
    Training,
    TrainingAttendance,
    WorkContact,
)

MODELS = (
    DepartmentPair,
    WorkContact,
    ContactParticipant,
    FollowUpAction,
    Secondment,
    Training,
    TrainingAttendance,
    InspectionVisit,
    ReminderLog,
)


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    """Load the demo once for this module, in a transaction rolled back at its end."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        call_command("demo", "load")
        yield
        transaction.set_rollback(True)


@pytest.fixture
def article_pair(_demo_loaded, db):
    return Partnership.objects.get(developed_side__name="两江新区", partner_side__name="万州区")


def _snapshot() -> dict:
    rows = {}
    for model in MODELS:
        rows[model.__name__] = list(model.objects.order_by("pk").values_list("pk", flat=True))
    rows["statuses"] = list(WorkContact.objects.order_by("pk").values_list("status", flat=True))
    rows["notifications"] = sorted(
        Notification.objects.filter(key__startswith="pairing.").values_list("key", flat=True)
    )
    rows["tasks"] = list(Task.objects.order_by("pk").values_list("code", flat=True))
    return rows


def test_a_second_load_duplicates_nothing(article_pair):
    first = _snapshot()
    assert first["WorkContact"] and first["notifications"]
    pairing_demo.load()
    assert _snapshot() == first


def test_the_articles_department_pairs_are_there(article_pair):
    pairs = {
        (p.developed_unit.name, p.partner_unit.name, p.frequency)
        for p in DepartmentPair.objects.filter(partnership=article_pair)
    }
    assert ("经济运行局", "发展改革委", "monthly") in pairs
    assert ("产业促进局", "经济信息委", "monthly") in pairs
    assert ("投资促进中心", "招商投资促进局", "monthly") in pairs
    assert {f for _d, _p, f in pairs} == {"monthly", "bimonthly", "quarterly"}
    for pair in DepartmentPair.objects.all():
        pair.full_clean()  # units of the right sides, dates in order
        assert pair.developed_lead and pair.partner_lead
    # The sample pairs have theirs, too.
    assert DepartmentPair.objects.exclude(partnership=article_pair).count() >= 4


def test_contacts_cover_the_last_18_months(article_pair):
    today = timezone.localdate()
    months = compliance.last_months(today, 18)
    held = {
        compliance.month_start(day)
        for day in WorkContact.objects.filter(pair__partnership=article_pair).values_list(
            "held_on", flat=True
        )
    }
    # Every past month of the window has contacts of the article's pair; none is older.
    assert set(months[:-1]) <= held
    assert min(held) == months[0]
    assert max(WorkContact.objects.values_list("held_on", flat=True)) < today
    # Every contact is within its pair's dates and confirmed by the other side.
    for contact in WorkContact.objects.select_related("pair"):
        assert contact.pair.started_on <= contact.held_on
        if contact.status == WorkContact.Status.CONFIRMED:
            assert contact.confirmed_by == contact.pair.lead_of(contact.confirming_side)
            assert contact.confirmed_by != contact.recorded_by


def test_held_missed_unconfirmed_and_returned_months_are_all_there(article_pair):
    today = timezone.localdate()
    rows = compliance.grid(
        DepartmentPair.objects.filter(partnership=article_pair),
        compliance.last_months(today, 18),
        today,
    )
    states = Counter(cell.status for row in rows for cell in row.cells)
    assert states[compliance.HELD] > states[compliance.MISSED] > 0
    assert states[compliance.UNCONFIRMED] > 0
    assert (
        WorkContact.objects.filter(status=WorkContact.Status.RETURNED)
        .exclude(return_reason="")
        .exists()
    )
    # A record returned, corrected and then confirmed keeps its history.
    assert WorkContact.objects.filter(status="confirmed", returned_at__isnull=False).exists()
    # Each pair keeps its own rhythm: not every pair has the same rate.
    rates = {round(row.total.rate, 2) for row in rows}
    assert len(rates) > 2


def test_follow_ups_and_tasks_of_the_current_agreement(article_pair):
    assert FollowUpAction.objects.filter(contact__pair__partnership=article_pair).count() > 10
    made = FollowUpAction.objects.filter(task__isnull=False)
    year = timezone.localdate().year
    if article_pair.agreements.filter(year=year).exists() and timezone.localdate().month > 2:
        assert made.count() == 2
        for action in made:
            assert action.task.code.startswith(f"{year}-DJ")
            assert action.task.agreement.year == year
            assert action.task.pairing_actions.get() == action


def test_secondments_are_two_or_three_a_year(article_pair):
    today = timezone.localdate()
    first = compliance.last_months(today, 18)[0]
    for partnership in Partnership.objects.filter(department_pairs__isnull=False).distinct():
        per_year = Counter(
            Secondment.objects.filter(partnership=partnership, cancelled=False).values_list(
                "starts_on__year", flat=True
            )
        )
        assert set(per_year) == set(range(first.year, today.year + 1))
        assert all(2 <= count <= 3 for count in per_year.values()), per_year
    rows = Secondment.objects.filter(partnership=article_pair)
    assert rows.exclude(final_rating="").exists() and rows.filter(final_rating="").exists()
    for row in rows:
        row.full_clean()  # sent by the partner side to the developed side


def test_trainings_visits_and_this_months_reminders(article_pair):
    trainings = Training.objects.filter(partnership=article_pair)
    assert trainings.count() >= 3
    assert all(t.attendances.count() >= 3 for t in trainings)
    assert TrainingAttendance.objects.filter(user__username="wz_zsj").count() >= 2
    visits = InspectionVisit.objects.filter(partnership=article_pair)
    assert 2 <= visits.count() <= 3
    assert visits.filter(enterprises__name="重庆市万州区三峡机电有限公司").exists()
    assert {v.visiting_side for v in visits} == {"developed", "partner"}
    this_month = f"{timezone.localdate():%Y-%m}"
    logs = ReminderLog.objects.all()
    assert logs.exists()
    for log in logs:
        assert timezone.localtime(log.sent_at).strftime("%Y-%m") == this_month
        kind = "reminder" if log.kind == "reminder" else "escalation"
        assert (
            Notification.objects.filter(key=f"pairing.{kind}.{log.pair_id}.{log.period}").count()
            == log.recipients
        )


def test_meetings_trainings_and_visits_fall_on_working_days(article_pair):
    held = list(WorkContact.objects.values_list("held_on", flat=True))
    held += [t.held_on for t in Training.objects.all()]
    held += [t.ends_on for t in Training.objects.exclude(ends_on=None)]
    for visit in InspectionVisit.objects.all():
        held += [visit.starts_on, visit.ends_on]
    assert len(held) > 100
    assert [day for day in held if day.weekday() >= 5] == []
    # Still spread over the week, not all on one day.
    assert len({day.weekday() for day in held}) == 5


def test_the_working_day_helper_moves_weekends_and_multi_day_meetings():
    from datetime import date

    assert pairing_demo._working_day(date(2026, 8, 15)) == date(2026, 8, 14)  # Sat -> Fri
    assert pairing_demo._working_day(date(2026, 8, 16)) == date(2026, 8, 17)  # Sun -> Mon
    assert pairing_demo._working_day(date(2026, 8, 14), 2) == date(2026, 8, 13)  # Thu–Fri
    assert pairing_demo._working_day(date(2026, 8, 12)) == date(2026, 8, 12)
