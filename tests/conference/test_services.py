"""The supervision workflow of a task, by the service functions."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from xietong.conference import services
from xietong.conference.models import ProgressReport, Task, TaskEvent


def test_it_acknowledges_for_the_users_lead_unit_and_moves_the_stage(world, task):
    services.acknowledge(world.users["department_staff"], task)
    task.refresh_from_db()
    assert task.stage == Task.Stage.ACKNOWLEDGED
    assert task.events.filter(kind=TaskEvent.Kind.ACKNOWLEDGED).count() == 1


def test_it_refuses_acknowledgement_from_a_unit_not_leading(world, task):
    with pytest.raises(PermissionDenied):
        services.acknowledge(world.users["leader"], task)


def test_it_runs_a_task_from_report_to_closure(world, task):
    staff, coord = world.users["department_staff"], world.users["partnership_coordinator"]
    report = services.submit_report(staff, task, period="2026-03", narrative="完成选址", percent=40)
    task.refresh_from_db()
    assert task.stage == Task.Stage.IN_PROGRESS
    services.review_report(coord, report, accept=True)
    task.refresh_from_db()
    assert task.percent == 40 and task.last_accepted_report_on is not None
    services.claim_completion(staff, task, evidence="园区已投用")
    services.review_completion(coord, task, accept=True)
    task.refresh_from_db()
    assert (task.stage, task.status, task.percent) == ("closed", "completed", 100)


def test_it_returns_a_report_only_with_a_reason(world, task):
    report = services.submit_report(
        world.users["department_staff"], task, period="2026-03", narrative="x", percent=10
    )
    coord = world.users["partnership_coordinator"]
    with pytest.raises(ValidationError):
        services.review_report(coord, report, accept=False, comment=" ")
    services.review_report(coord, report, accept=False, comment="请补充数据")
    report.refresh_from_db()
    assert report.status == ProgressReport.Status.RETURNED


def test_it_keeps_the_original_deadline_as_the_baseline(world, task):
    ext = services.request_extension(
        world.users["department_staff"], task, new_deadline=date(2027, 3, 31), reason="审批延后"
    )
    services.decide_extension(world.users["partnership_coordinator"], ext, approve=True)
    task.refresh_from_db()
    assert task.deadline == date(2027, 3, 31)
    assert task.baseline_deadline == date(2026, 12, 31) and task.extended


@pytest.mark.parametrize(
    ("today", "light", "status"),
    [
        (date(2026, 12, 27), "green", "not_started"),  # 4 days before: still green
        (date(2026, 12, 28), "amber", "not_started"),  # 3 days before the deadline
        (date(2026, 12, 31), "amber", "not_started"),  # the deadline day itself
        (date(2027, 1, 1), "red", "lagging"),  # the day after
    ],
)
def test_it_lights_a_task_by_its_deadline(task, today, light, status):
    task.last_accepted_report_on = today - timedelta(days=1)
    assert services.light_of(task, today, services.Rules(), []) == (light, status)


def test_it_turns_amber_after_35_days_without_an_accepted_report(task):
    task.last_accepted_report_on = date(2026, 5, 1)
    rules = services.Rules()
    assert services.light_of(task, date(2026, 6, 4), rules, [])[0] == "green"  # 34 days
    assert services.light_of(task, date(2026, 6, 5), rules, [])[0] == "amber"  # 35 days
