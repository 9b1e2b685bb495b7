"""The conference demo data of 两江新区 ↔ 万州区: five years of history, the live plan and the
2026 task list in every stage, consistent with the rules for today, and idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from xietong.conference import services
from xietong.conference.models import (
    AgendaItem,
    AnnualAgreement,
    Area,
    Attendee,
    CoordinationIssue,
    ExtensionRequest,
    KeyTask,
    Meeting,
    Milestone,
    Plan,
    ProgressReport,
    Resolution,
    Target,
    TargetActual,
    Task,
    TaskEvent,
    TaskUnit,
)
from xietong.core.models import Partnership, User

MODELS = (
    Plan,
    KeyTask,
    Meeting,
    AgendaItem,
    Attendee,
    Resolution,
    AnnualAgreement,
    Task,
    TaskUnit,
    Milestone,
    Target,
    ProgressReport,
    TargetActual,
    ExtensionRequest,
    TaskEvent,
    CoordinationIssue,
)


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    """Load the demo once for this module, inside a transaction rolled back at its end; each
    test runs in a savepoint of it (the load takes seconds)."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        call_command("demo", "load")
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(_demo_loaded, db):
    return Partnership.objects.get(developed_side__name="两江新区", partner_side__name="万州区")


@pytest.fixture
def tasks_2026(demo):
    return Task.objects.filter(agreement__partnership=demo, agreement__year=2026)


def _snapshot():
    rows = {model.__name__: model.objects.count() for model in MODELS}
    rows["event ids"] = list(TaskEvent.objects.order_by("pk").values_list("pk", flat=True))
    rows["tasks"] = list(
        Task.objects.order_by("pk").values_list("code", "stage", "status", "light", "deadline")
    )
    return rows


def test_it_changes_nothing_when_run_twice(demo):
    first = _snapshot()
    call_command("demo", "load")
    assert _snapshot() == first


def test_it_closes_the_2021_2025_plan_and_keeps_the_2026_2030_plan_live(demo):
    plans = Plan.objects.filter(partnership=demo, kind=Plan.Kind.IMPLEMENTATION)
    status = {(p.start_year, p.end_year): p.status for p in plans}
    assert status == {(2021, 2025): Plan.Status.CLOSED, (2026, 2030): Plan.Status.LIVE}
    closed = plans.get(start_year=2021)
    assert closed.title == "两江新区管委会万州区人民政府对口协同发展实施方案（2021年-2025年）"
    for plan in plans:
        assert set(plan.key_tasks.values_list("area", flat=True)) == set(Area.values)


def test_it_holds_one_conference_a_year_in_wanzhou(demo):
    meetings = Meeting.objects.filter(partnership=demo).order_by("number")
    assert [(m.number, m.year) for m in meetings] == [(n, 2020 + n) for n in range(1, 7)]
    assert {m.host_side.name for m in meetings} == {"万州区"}
    assert all(m.resolutions.exists() and m.status == Meeting.Status.HELD for m in meetings)


def test_it_closes_the_agreements_of_2021_to_2025_with_their_tasks_done(demo):
    for year in range(2021, 2026):
        agreement = AnnualAgreement.objects.get(partnership=demo, year=year)
        assert agreement.status == AnnualAgreement.Status.CLOSED
        assert agreement.meeting.year == year
        assert agreement.tasks.filter(stage=Task.Stage.CLOSED, status="completed").count() >= 3
    assert not Task.objects.filter(agreement__year__lt=2026).exclude(
        stage__in=[Task.Stage.CLOSED, Task.Stage.TERMINATED]
    )


def test_it_lists_about_thirty_tasks_of_2026_in_every_stage_and_area(tasks_2026):
    assert 25 <= tasks_2026.count() <= 35
    assert set(tasks_2026.values_list("stage", flat=True)) == set(Task.Stage.values)
    assert set(tasks_2026.values_list("area", flat=True)) == set(Area.values)
    assert set(tasks_2026.values_list("light", flat=True)) == set(Task.Light.values)
    agreement = tasks_2026.first().agreement
    assert agreement.status == AnnualAgreement.Status.ADOPTED
    assert agreement.meeting.number == 6 and agreement.plan.start_year == 2026


def test_it_has_an_overdue_task_in_red_escalated_to_the_issue_list(tasks_2026):
    today = timezone.localdate()
    overdue = tasks_2026.filter(deadline__lt=today, stage=Task.Stage.IN_PROGRESS)
    assert overdue.exists()
    for task in overdue:
        assert (task.light, task.status) == (Task.Light.RED, Task.Status.LAGGING)
        assert task.issues.filter(status=CoordinationIssue.Status.OPEN).count() == 1
        assert task.events.filter(kind=TaskEvent.Kind.ESCALATED).exists()


def test_it_lights_every_task_as_the_rules_give_it_today(demo, tasks_2026):
    today, rules = timezone.localdate(), services.rules_for(demo)
    for task in Task.objects.filter(agreement__partnership=demo):
        dues = [m.due_date for m in task.milestones.all() if m.done_on is None]
        assert services.light_of(task, today, rules, dues) == (task.light, task.status), task.code


def test_it_keeps_the_baseline_of_the_task_extended_on_approval(tasks_2026):
    approved = ExtensionRequest.objects.get(
        task__in=tasks_2026, status=ExtensionRequest.Status.APPROVED
    )
    task = approved.task
    assert task.deadline == approved.new_deadline
    assert task.baseline_deadline < task.deadline
    assert ExtensionRequest.objects.filter(task__in=tasks_2026, status="pending").exists()


def test_it_has_reports_by_the_staff_reviewed_by_the_coordinators(tasks_2026):
    reports = ProgressReport.objects.filter(task__in=tasks_2026)
    lj_staff, lj_coord = (
        User.objects.get(username="lj_staff"),
        User.objects.get(username="lj_coord"),
    )
    wz_staff, wz_coord = (
        User.objects.get(username="wz_staff"),
        User.objects.get(username="wz_coord"),
    )
    assert reports.filter(submitted_by=lj_staff, reviewed_by=lj_coord).exists()
    assert reports.filter(submitted_by=wz_staff, reviewed_by=wz_coord).exists()
    assert set(reports.values_list("status", flat=True)) == set(ProgressReport.Status.values)
    returned = reports.filter(status=ProgressReport.Status.RETURNED)
    assert all(report.review_comment for report in returned)


def test_it_keeps_each_tasks_history_in_step_with_its_stage(demo):
    for task in Task.objects.filter(agreement__partnership=demo):
        kinds = list(task.events.values_list("kind", flat=True))
        assert kinds[0] == TaskEvent.Kind.ASSIGNED, task.code
        acknowledged = task.task_units.filter(role="lead", acknowledged_at__isnull=False)
        assert kinds.count(TaskEvent.Kind.ACKNOWLEDGED) == acknowledged.count(), task.code
        assert kinds.count(TaskEvent.Kind.REPORTED) == task.reports.count(), task.code
        if task.stage == Task.Stage.CLOSED:
            assert kinds[-1] == TaskEvent.Kind.CLOSED and task.closed_on, task.code
        if task.stage == Task.Stage.CLAIMED:
            assert kinds[-1] == TaskEvent.Kind.CLAIMED, task.code
        if task.stage == Task.Stage.TERMINATED:
            assert TaskEvent.Kind.TERMINATED in kinds and task.termination_reason, task.code


def test_it_names_a_responsible_person_of_the_lead_unit_for_every_task(demo):
    for task in Task.objects.filter(agreement__partnership=demo):
        lead_units = set(task.task_units.filter(role="lead").values_list("unit", flat=True))
        their_units = set(task.responsible.memberships.values_list("org_unit", flat=True))
        assert lead_units & their_units, task.code


def test_it_carries_the_unfinished_2025_task_into_2026(tasks_2026):
    carried = tasks_2026.get(carried_from__isnull=False)
    assert carried.carried_from.agreement.year == 2025
    assert carried.events.filter(kind=TaskEvent.Kind.CARRIED_OVER).exists()


def test_it_lets_a_responsible_person_of_the_demo_sign_in(demo, client):
    response = client.post(
        "/accounts/login/", {"username": "wz_wjw", "password": "Xietong@2026demo"}
    )
    assert response.status_code == 302


def test_it_leaves_nothing_for_the_daily_job_to_change_today(demo):
    from xietong.conference.tasks import run_daily

    before = _snapshot()
    result = run_daily(timezone.localdate())
    assert (result.changed, result.escalated) == (0, 0)
    assert _snapshot() == before
