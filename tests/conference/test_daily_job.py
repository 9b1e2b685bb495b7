"""The daily job: traffic lights by the rules, reminders, escalation, one digest a day.

The task of the fixture is due on 2026-12-31 and led by 两江新区产业促进局, whose staff
member is the responsible person. A report was accepted on 2026-12-20, so only the deadline
decides its light unless a test says otherwise.
"""

from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from xietong.conference import tasks as jobs
from xietong.conference.models import CoordinationIssue, LightRules, Task, TaskEvent
from xietong.core.models import Notification, Role

from ..factories import MembershipFactory, UserFactory
from .factories import LightRulesFactory, MilestoneFactory, TaskFactory


@pytest.fixture
def task(task):
    task.last_accepted_report_on = date(2026, 12, 20)
    task.stage = Task.Stage.IN_PROGRESS
    task.save()
    return task


@pytest.fixture
def partner_coordinator(world):
    """The 万州区 side's coordinator of pair A (the world has the 两江新区 side's)."""
    user = UserFactory(username="wz_coord")
    MembershipFactory(
        user=user,
        role=Role.PARTNERSHIP_COORDINATOR,
        partnership=world.pair_a,
        region=world.pair_a.partner_side,
    )
    return user


def _light(task, today):
    jobs.run_daily(today)
    task.refresh_from_db()
    return task.light


@pytest.mark.parametrize(
    ("today", "light"),
    [
        (date(2026, 12, 27), "green"),  # four days before the deadline
        (date(2026, 12, 28), "amber"),  # three days before: amber from this day on
        (date(2026, 12, 31), "amber"),  # the deadline itself is still amber
        (date(2027, 1, 1), "red"),  # the day after the deadline: overdue
    ],
)
def test_it_lights_a_task_by_its_deadline_on_the_boundary_days(task, today, light):
    assert _light(task, today) == light


def test_it_counts_the_day_in_shanghai_not_in_utc(task):
    late_on_new_years_eve = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    assert timezone.localdate(late_on_new_years_eve) == date(2026, 12, 31)
    assert _light(task, timezone.localdate(late_on_new_years_eve)) == "amber"
    just_after_midnight = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January
    assert just_after_midnight.date() == date(2026, 12, 31)  # UTC would still say 31 Dec
    assert _light(task, timezone.localdate(just_after_midnight)) == "red"


def test_the_scheduled_job_runs_for_todays_date_in_shanghai(task, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 31, 16, 30, tzinfo=UTC))
    jobs.daily_job.call_local()
    task.refresh_from_db()
    assert (task.light, task.status) == ("red", "lagging")


def test_it_is_scheduled_at_one_in_the_morning_shanghai_time():
    from huey.contrib.djhuey import HUEY

    # huey hands the schedule naive UTC times by default, naive local times otherwise.
    one_am_shanghai = datetime(2026, 12, 31, 17, 0) if HUEY.utc else datetime(2027, 1, 1, 1, 0)
    one_am_utc = datetime(2027, 1, 1, 1, 0) if HUEY.utc else datetime(2027, 1, 1, 9, 0)
    assert jobs.at_one_local(one_am_shanghai)
    assert not jobs.at_one_local(one_am_utc)


def test_it_turns_amber_after_35_days_without_an_accepted_report(task):
    task.last_accepted_report_on = date(2026, 5, 1)
    task.save()
    assert _light(task, date(2026, 6, 4)) == "green"  # 34 days
    assert _light(task, date(2026, 6, 5)) == "amber"  # 35 days


def test_it_turns_amber_three_days_before_an_open_milestone(task):
    MilestoneFactory(task=task, title="完成选址", due_date=date(2026, 6, 30))
    assert _light(task, date(2026, 6, 26)) == "green"
    assert _light(task, date(2026, 6, 27)) == "amber"


def test_it_ignores_a_milestone_already_done(task):
    MilestoneFactory(task=task, due_date=date(2026, 6, 30), done_on=date(2026, 6, 20))
    assert _light(task, date(2026, 7, 2)) == "green"


def test_it_turns_red_when_a_milestone_is_overdue(task):
    MilestoneFactory(task=task, due_date=date(2026, 6, 30))
    assert _light(task, date(2026, 7, 1)) == "red"


def test_it_applies_the_rules_of_the_programme(world, task):
    LightRulesFactory(programme=world.programme, amber_days_before_due=7)
    assert _light(task, date(2026, 12, 23)) == "green"
    assert _light(task, date(2026, 12, 24)) == "amber"


def test_it_records_a_light_change_once(task):
    jobs.run_daily(date(2026, 12, 28))
    jobs.run_daily(date(2026, 12, 28))
    events = task.events.filter(kind=TaskEvent.Kind.LIGHT_CHANGED)
    assert events.count() == 1


def test_it_notifies_the_responsible_person_and_the_lead_units_staff(world, task):
    colleague = UserFactory(username="lj_staff2")
    MembershipFactory(user=colleague, role=Role.DEPARTMENT_STAFF, org_unit=world.unit_a_dev)
    supporter = UserFactory(username="wz_staff")
    MembershipFactory(user=supporter, role=Role.DEPARTMENT_STAFF, org_unit=world.unit_a_partner)
    jobs.run_daily(date(2026, 12, 28))
    notified = set(Notification.objects.values_list("user__username", flat=True))
    assert notified == {"department_staff", "lj_staff2"}


def test_it_tells_why_a_task_is_amber(world, task):
    jobs.run_daily(date(2026, 12, 28))
    note = Notification.objects.get(user=world.users["department_staff"])
    assert task.code in note.title
    assert "2026" in note.body


def test_running_twice_a_day_sends_the_same_notifications_and_one_email(task):
    jobs.run_daily(date(2026, 12, 28))
    count = Notification.objects.count()
    jobs.run_daily(date(2026, 12, 28))
    assert count > 0
    assert Notification.objects.count() == count
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["department_staff@example.cn"]
    assert task.code in mail.outbox[0].body


def test_it_emails_nothing_when_nothing_is_due(task):
    result = jobs.run_daily(date(2026, 12, 1))
    assert result.notifications == 0
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_it_escalates_an_overdue_task_once_to_the_coordinators_of_both_sides(
    world, task, partner_coordinator
):
    jobs.run_daily(date(2027, 1, 2))
    jobs.run_daily(date(2027, 1, 2))
    jobs.run_daily(date(2027, 1, 3))
    issue = CoordinationIssue.objects.get(task=task)
    assert issue.partnership == world.pair_a
    assert issue.status == CoordinationIssue.Status.OPEN
    coordinators = {world.users["partnership_coordinator"], partner_coordinator}
    escalated = Notification.objects.filter(key__startswith="conference.escalated.")
    assert {n.user for n in escalated} == coordinators
    assert task.events.filter(kind=TaskEvent.Kind.ESCALATED).count() == 1


def test_it_does_not_tell_another_pairs_coordinator(world, task):
    other = UserFactory(username="yz_coord")
    MembershipFactory(
        user=other,
        role=Role.PARTNERSHIP_COORDINATOR,
        partnership=world.pair_b,
        region=world.pair_b.developed_side,
    )
    jobs.run_daily(date(2027, 1, 2))
    assert not Notification.objects.filter(user=other).exists()


def test_it_does_not_escalate_again_after_the_issue_is_resolved_while_still_overdue(task):
    jobs.run_daily(date(2027, 1, 2))
    CoordinationIssue.objects.filter(task=task).update(status=CoordinationIssue.Status.RESOLVED)
    jobs.run_daily(date(2027, 1, 3))
    assert CoordinationIssue.objects.filter(task=task).count() == 1


def test_it_leaves_closed_tasks_alone(world, agreement):
    closed = TaskFactory(
        agreement=agreement,
        lead_units=[world.unit_a_dev],
        stage=Task.Stage.CLOSED,
        status=Task.Status.COMPLETED,
        deadline=date(2026, 3, 1),
    )
    jobs.run_daily(date(2027, 1, 2))
    closed.refresh_from_db()
    assert (closed.light, closed.status) == ("green", "completed")
    assert not CoordinationIssue.objects.filter(task=closed).exists()


def test_the_command_runs_the_job_for_a_given_date(task):
    call_command("conference", "daily", "--date", "2027-01-02")
    task.refresh_from_db()
    assert task.light == "red"
    assert CoordinationIssue.objects.filter(task=task).exists()


def test_the_command_changes_the_rules_of_a_programme(world, task):
    call_command("conference", "rules", "--programme", world.programme.code, "--amber-days", "7")
    assert _light(task, date(2026, 12, 24)) == "amber"
    rules = LightRules.objects.get(programme=world.programme)
    assert (rules.amber_days_before_due, rules.amber_days_without_report) == (7, 35)
