"""The supervision workflow of a task, by the service functions, and the rules of a new
task: units and people of the pair, checked alike for the form, the import and the API."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from xietong.conference import services
from xietong.conference.models import ProgressReport, Task, TaskEvent
from xietong.core.models import Role

from ..factories import MembershipFactory, UserFactory


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


# --- People of the pair --------------------------------------------------------------------


@pytest.fixture
def outsider(world):
    """Staff of pair B's unit: a member of the platform, not of pair A."""
    user = UserFactory(username="yz_staff", full_name="渝中员工")
    MembershipFactory(user=user, role=Role.DEPARTMENT_STAFF, org_unit=world.unit_b)
    return user


def _new_task(world, agreement, **changes):
    values = {
        "agreement": agreement,
        "code": "2026-201",
        "title": "共建产业园",
        "area": "industry",
        "kind": "project",
        "start_date": date(2026, 3, 1),
        "deadline": date(2026, 12, 31),
        "lead_units": [world.unit_a_dev],
        "support_units": [world.unit_a_partner],
        "responsible": world.users["department_staff"],
    }
    values.update(changes)
    return services.create_task(world.users["partnership_coordinator"], **values)


def test_it_assigns_people_of_either_side_of_the_pair(world, agreement):
    partner_staff = UserFactory(username="wz_staff")
    MembershipFactory(user=partner_staff, role=Role.DEPARTMENT_STAFF, org_unit=world.unit_a_partner)
    task = _new_task(world, agreement, working_group=[partner_staff, world.users["leader"]])
    assert set(task.working_group.all()) == {partner_staff, world.users["leader"]}
    assert task.events.get().kind == TaskEvent.Kind.ASSIGNED


def test_it_refuses_a_responsible_person_outside_the_pair_on_the_field(world, agreement, outsider):
    with pytest.raises(ValidationError) as caught:
        _new_task(world, agreement, responsible=outsider)
    assert list(caught.value.message_dict) == ["responsible"]
    assert "渝中员工" in caught.value.message_dict["responsible"][0]
    assert not Task.objects.exists()


def test_it_refuses_a_working_group_member_outside_the_pair(world, agreement, outsider):
    with pytest.raises(ValidationError) as caught:
        _new_task(world, agreement, working_group=[world.users["leader"], outsider])
    assert list(caught.value.message_dict) == ["working_group"]
    assert not Task.objects.exists()


def test_it_refuses_an_inactive_person_and_an_enterprise_user(world, agreement):
    retired = world.users["department_staff"]
    retired.is_active = False
    retired.save()
    with pytest.raises(ValidationError) as caught:
        _new_task(world, agreement, responsible=retired)
    assert "responsible" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        _new_task(world, agreement, responsible=world.users["enterprise_user"])
    assert "responsible" in caught.value.message_dict


def test_editing_keeps_a_person_who_left_but_refuses_a_new_outsider(world, task, outsider):
    coord = world.users["partnership_coordinator"]
    task.working_group.add(outsider)  # joined when still a member, say
    kwargs = {
        "code": task.code,
        "title": "改名",
        "area": task.area,
        "kind": task.kind,
        "start_date": task.start_date,
        "lead_units": [world.unit_a_dev],
        "responsible": task.responsible,
        "working_group": [outsider],
    }
    services.update_task(coord, task, **kwargs)
    task.refresh_from_db()
    assert task.title == "改名"
    with pytest.raises(ValidationError) as caught:
        services.update_task(coord, task, **{**kwargs, "responsible": outsider})
    assert list(caught.value.message_dict) == ["responsible"]


def test_the_task_form_refuses_an_outsider_on_the_field(world, agreement, outsider, client):
    client.force_login(world.users["programme_coordinator"])  # sees pair B's people too
    response = client.post(
        reverse("conference:task_create", args=[agreement.pk]),
        {
            "code": "2026-201",
            "title": "共建产业园",
            "area": "industry",
            "kind": "project",
            "lead_units": [world.unit_a_dev.pk],
            "responsible": outsider.pk,
            "working_group": [outsider.pk],
            "start_date": "2026-03-01",
            "deadline": "2026-12-31",
            "priority": "normal",
            "cadence": "monthly",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert {"responsible", "working_group"} <= set(form.errors)
    assert not agreement.tasks.exists()


def test_the_api_answers_400_on_the_field_for_an_outsider(world, agreement, outsider):
    client = APIClient()
    client.force_authenticate(world.users["programme_coordinator"])  # sees pair B's people
    payload = {
        "agreement": agreement.pk,
        "code": "2026-201",
        "title": "共建产业园",
        "area": "industry",
        "kind": "project",
        "start_date": "2026-03-01",
        "deadline": "2026-12-31",
        "lead_units": [world.unit_a_dev.pk],
        "responsible": outsider.pk,
    }
    response = client.post("/api/v1/tasks/", payload, "json")
    assert response.status_code == 400
    assert list(response.json()) == ["responsible"]
    assert "渝中员工" in response.json()["responsible"][0]
    payload.update(responsible=world.users["department_staff"].pk, working_group=[outsider.pk])
    response = client.post("/api/v1/tasks/", payload, "json")
    assert response.status_code == 400 and list(response.json()) == ["working_group"]
    assert not Task.objects.exists()


def test_it_creates_many_tasks_in_bulk_with_their_audit_entries(world, agreement):
    coord = world.users["partnership_coordinator"]
    specs = [
        services.NewTask(
            code=f"B-{i}",
            title=f"批量任务{i}",
            area="industry",
            kind="project",
            start_date=date(2026, 3, 1),
            deadline=date(2026, 12, 31),
            lead_units=[world.unit_a_dev],
            support_units=[world.unit_a_partner],
            responsible=world.users["department_staff"],
            working_group=[world.users["leader"]],
            milestones=[("完成选址", date(2026, 6, 30))],
            targets=[("引进项目", Decimal("10"), "个")],
        )
        for i in range(3)
    ]
    tasks = services.create_tasks(coord, agreement, specs)
    assert [t.code for t in Task.objects.order_by("code")] == ["B-0", "B-1", "B-2"]
    for task in tasks:
        assert {(tu.unit, tu.role) for tu in task.task_units.all()} == {
            (world.unit_a_dev, "lead"),
            (world.unit_a_partner, "support"),
        }
        assert list(task.working_group.all()) == [world.users["leader"]]
        assert task.milestones.get().title == "完成选址"
        assert task.targets.get().target_value == 10
        assert task.events.get().actor == coord
    created = LogEntry.objects.filter(action=LogEntry.Action.CREATE)
    task_entries = created.filter(content_type__model="task")
    assert task_entries.count() == 3 and {e.actor for e in task_entries} == {coord}
    assert task_entries.get(object_id=tasks[0].pk).changes_dict["code"] == ["None", "B-0"]
    assert created.filter(content_type__model="taskunit").count() == 6
    assert created.filter(content_type__model="milestone").count() == 3
    assert created.filter(content_type__model="target").count() == 3


def test_it_names_each_bad_task_of_a_bulk_create_and_writes_none(world, agreement, outsider):
    good = dict(
        title="任务",
        area="industry",
        kind="project",
        start_date=date(2026, 3, 1),
        deadline=date(2026, 12, 31),
        lead_units=[world.unit_a_dev],
    )
    specs = [
        services.NewTask(code="C-1", **good),
        services.NewTask(code="C-2", **{**good, "lead_units": [world.unit_b]}),
        services.NewTask(code="C-3", responsible=outsider, **good),
        services.NewTask(code="C-1", **good),
    ]
    with pytest.raises(services.InvalidTasks) as caught:
        services.create_tasks(world.users["partnership_coordinator"], agreement, specs)
    assert {i: sorted(e) for i, e in caught.value.by_task.items()} == {
        1: ["lead_units"],
        2: ["responsible"],
        3: ["code"],
    }
    assert (
        not Task.objects.exists()
        and not LogEntry.objects.filter(content_type__model="task").exists()
    )
