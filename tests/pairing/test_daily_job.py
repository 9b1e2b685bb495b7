"""The daily job: reminders from the reminder day, escalation of missed periods, once each."""

from __future__ import annotations

from datetime import date

from django.core.management import call_command
from django.urls import reverse

from tests.factories import OrgUnitFactory
from xietong.core.models import Notification
from xietong.pairing import services
from xietong.pairing.models import PairingSettings, ReminderLog, WorkContact
from xietong.pairing.tasks import run_daily

from .conftest import contact


def reminders(user):
    return Notification.objects.filter(user=user, key__startswith="pairing.reminder.")


def escalations(user):
    return Notification.objects.filter(user=user, key__startswith="pairing.escalation.")


def test_no_reminder_before_the_reminder_day(world, people, dept_pair):
    contact(dept_pair, people.developed_staff, date(2026, 4, 30))
    result = run_daily(date(2026, 5, 19))
    assert result.reminded == 0
    assert not reminders(people.developed_staff).exists()


def test_reminders_are_sent_once_when_the_job_runs_twice(world, people, dept_pair):
    contact(dept_pair, people.developed_staff, date(2026, 4, 30))
    first = run_daily(date(2026, 5, 20))
    assert (first.reminded, first.escalated) == (1, 0)
    for person in (people.developed_staff, people.partner_staff):
        note = reminders(person).get()
        assert note.key == f"pairing.reminder.{dept_pair.pk}.2026-05"
        assert "产业促进局 ↔ 区经济信息委" in note.title
        assert note.url == reverse("pairing:pair_detail", args=[dept_pair.pk])
    second = run_daily(date(2026, 5, 20))
    third = run_daily(date(2026, 5, 21))
    assert (second.reminded, second.notifications, third.reminded) == (0, 0, 0)
    assert reminders(people.developed_staff).count() == 1
    log = ReminderLog.objects.get(pair=dept_pair)
    assert (log.period, log.kind, log.recipients) == ("2026-05", "reminder", 2)


def test_a_recorded_contact_stops_the_reminder_even_unconfirmed(world, people, dept_pair):
    contact(dept_pair, people.developed_staff, date(2026, 4, 30))
    contact(dept_pair, people.developed_staff, date(2026, 5, 6), status=WorkContact.Status.AWAITING)
    assert run_daily(date(2026, 5, 25)).reminded == 0


def test_a_partnership_chooses_its_own_reminder_day(world, people, dept_pair):
    contact(dept_pair, people.developed_staff, date(2026, 4, 30))
    PairingSettings.objects.create(partnership=world.pair_a, reminder_day=10)
    assert run_daily(date(2026, 5, 10)).reminded == 1


def test_the_default_day_comes_from_the_setting(world, people, dept_pair, settings):
    settings.PAIRING_REMINDER_DAY = 25
    contact(dept_pair, people.developed_staff, date(2026, 4, 30))
    assert run_daily(date(2026, 5, 24)).reminded == 0
    assert run_daily(date(2026, 5, 25)).reminded == 1


def test_a_quarterly_pair_is_reminded_in_the_last_month_of_its_quarter(world, people, dept_pair):
    dept_pair.frequency = "quarterly"
    dept_pair.save()
    contact(dept_pair, people.developed_staff, date(2026, 3, 2))
    assert run_daily(date(2026, 5, 21)).reminded == 0
    assert run_daily(date(2026, 6, 21)).reminded == 1
    assert ReminderLog.objects.get().period == "2026-04"


def test_a_missed_month_is_escalated_once_to_the_coordinators(world, people, dept_pair):
    contact(dept_pair, people.developed_staff, date(2026, 3, 31))
    first = run_daily(date(2026, 5, 1))  # April had no contact
    assert first.escalated == 1
    for person in (people.developed_coordinator, people.partner_coordinator):
        note = escalations(person).get()
        assert note.key == f"pairing.escalation.{dept_pair.pk}.2026-04"
        assert note.url == reverse("pairing:compliance") + f"?partnership={world.pair_a.pk}"
    assert not escalations(people.developed_staff).exists()
    assert run_daily(date(2026, 5, 1)).escalated == 0
    assert run_daily(date(2026, 5, 2)).escalated == 0
    assert escalations(people.developed_coordinator).count() == 1


def test_a_held_month_is_not_escalated_and_a_new_pair_owes_nothing_yet(world, people, dept_pair):
    contact(dept_pair, people.developed_staff, date(2026, 4, 30))
    late = services.create_pair(
        people.developed_coordinator,
        partnership=world.pair_a,
        developed_unit=world.unit_a_dev,
        partner_unit=OrgUnitFactory(region=world.pair_a.partner_side, name="区商务委"),
        started_on=date(2026, 4, 16),
    )
    result = run_daily(date(2026, 5, 1))
    assert result.escalated == 0
    assert not ReminderLog.objects.filter(pair=late).exists()


def test_the_command_runs_the_job_for_a_date(world, people, dept_pair, capsys):
    call_command("pairing", "daily", "--date", "2026-05-01")
    assert "1 escalated" in capsys.readouterr().out
