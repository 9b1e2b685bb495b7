"""The conference API: scope of every endpoint, the supervision workflow through the actions,
field errors, pages and filters. Same rules as the pages: out of scope is 404, a write the
role may not do on a visible object is 403."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from xietong.conference.models import (
    ExtensionRequest,
    ProgressReport,
    Task,
    TaskEvent,
    TaskUnit,
)
from xietong.core.models import SecurityEvent

from ..factories import OrgUnitFactory
from .factories import (
    AgreementFactory,
    MeetingFactory,
    ProgressReportFactory,
    ResolutionFactory,
    TargetFactory,
    TaskFactory,
)

API = "/api/v1"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def other_task(world, other_agreement):
    return TaskFactory(
        agreement=other_agreement,
        code="2026-901",
        title="渝中城口文旅联合推介",
        lead_units=[world.unit_b],
    )


@pytest.fixture
def staff(world):
    return client_for(world.users["department_staff"])


@pytest.fixture
def coordinator(world):
    return client_for(world.users["partnership_coordinator"])


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def new_task_payload(world, agreement, **overrides) -> dict:
    payload = {
        "agreement": agreement.pk,
        "code": "2026-050",
        "title": "共建万州电子信息产业园",
        "content": "两江新区产业促进局牵头，引导电子信息配套企业向万州转移。",
        "area": "industry",
        "kind": "project",
        "start_date": "2026-03-01",
        "deadline": "2026-12-31",
        "lead_units": [world.unit_a_dev.pk, world.unit_a_partner.pk],
        "support_units": [],
        "responsible": world.users["department_staff"].pk,
        "milestones": [{"title": "完成园区规划", "due_date": "2026-06-30"}],
        "targets": [{"name": "引进配套企业", "target_value": "8", "measure": "家"}],
    }
    payload.update(overrides)
    return payload


# --- Scope --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [
        "partnership_coordinator",
        "department_staff",
        "sector_group_member",
        "leader",
    ],
)
def test_it_lists_only_the_tasks_of_the_users_own_pair(world, task, other_task, role):
    response = client_for(world.users[role]).get(f"{API}/tasks/")
    assert ids(response) == [task.pk]


def test_it_lists_the_tasks_of_every_pair_of_the_programme_to_its_coordinator(
    world, task, other_task
):
    response = client_for(world.users["programme_coordinator"]).get(f"{API}/tasks/")
    assert sorted(ids(response)) == sorted([task.pk, other_task.pk])


@pytest.mark.parametrize("role", ["enterprise_user", "security_auditor", "nobody"])
@pytest.mark.parametrize("collection", ["tasks", "meetings", "agreements", "reports"])
def test_it_shows_nothing_of_the_conference_to_outsiders(world, task, role, collection):
    MeetingFactory(partnership=world.pair_a)
    ProgressReportFactory(task=task, submitted_by=world.users["department_staff"])
    client = client_for(world.users[role])
    assert ids(client.get(f"{API}/{collection}/")) == []


@pytest.mark.parametrize("role", ["enterprise_user", "security_auditor"])
def test_it_answers_404_to_outsiders_asking_for_a_task_by_id(world, task, role):
    assert client_for(world.users[role]).get(f"{API}/tasks/{task.pk}/").status_code == 404


def test_it_answers_404_for_a_task_of_another_pair(world, other_task, coordinator):
    assert coordinator.get(f"{API}/tasks/{other_task.pk}/").status_code == 404


@pytest.mark.parametrize(
    "path, body",
    [
        ("acknowledge/", {}),
        ("reports/", {"period": "2026-03", "narrative": "x", "percent": 10}),
        ("claim/", {"evidence": "x"}),
        ("review/", {"accept": True}),
        ("extensions/", {"new_deadline": "2027-06-30", "reason": "x"}),
        ("terminate/", {"reason": "x"}),
    ],
)
def test_it_answers_404_to_every_action_on_a_task_of_another_pair(
    world, other_task, coordinator, path, body
):
    response = coordinator.post(f"{API}/tasks/{other_task.pk}/{path}", body, "json")
    assert response.status_code == 404
    other_task.refresh_from_db()
    assert other_task.stage == Task.Stage.ASSIGNED
    assert not other_task.reports.exists()


def test_it_answers_404_for_a_report_of_another_pair(world, other_task, coordinator):
    report = ProgressReportFactory(task=other_task, submitted_by=world.users["system_admin"])
    assert coordinator.get(f"{API}/reports/{report.pk}/").status_code == 404
    response = coordinator.post(f"{API}/reports/{report.pk}/review/", {"accept": True}, "json")
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.status == ProgressReport.Status.SUBMITTED


def test_it_shows_a_task_with_its_units_milestones_and_targets(world, task, staff):
    task.milestones.create(title="完成选址", due_date=date(2026, 5, 31))
    TargetFactory(task=task, name="入驻配套企业", target_value=12, measure="家")
    body = staff.get(f"{API}/tasks/{task.pk}/").json()
    assert body["title"] == "共建万州汽车零部件配套产业园"
    assert {(u["name"], u["role"]) for u in body["units"]} == {
        ("产业促进局", "lead"),
        ("区经济信息委", "support"),
    }
    assert [m["title"] for m in body["milestones"]] == ["完成选址"]
    assert body["targets"][0]["name"] == "入驻配套企业"
    assert body["targets"][0]["measure"] == "家"
    assert body["responsible"]["username"] == "department_staff"
    assert body["baseline_deadline"] == "2026-12-31"


def test_it_lists_meetings_and_agreements_of_the_users_pair_only(world, agreement, staff):
    mine = MeetingFactory(partnership=world.pair_a, number=6, year=2026)
    ResolutionFactory(meeting=mine, number=1, text="共建汽车零部件配套产业园。")
    MeetingFactory(partnership=world.pair_b, number=6, year=2026)
    AgreementFactory(partnership=world.pair_b, year=2025)
    assert ids(staff.get(f"{API}/meetings/")) == [mine.pk]
    assert ids(staff.get(f"{API}/agreements/")) == [agreement.pk]
    meeting = staff.get(f"{API}/meetings/{mine.pk}/").json()
    assert meeting["resolutions"][0]["text"] == "共建汽车零部件配套产业园。"


def test_it_refuses_to_change_meetings_and_agreements_through_the_api(
    world, agreement, coordinator
):
    response = coordinator.patch(f"{API}/agreements/{agreement.pk}/", {"title": "x"}, "json")
    assert response.status_code == 405
    agreement.refresh_from_db()
    assert agreement.title != "x"


# --- The workflow through the actions -----------------------------------------------------


def test_it_lets_the_lead_units_staff_acknowledge_its_task(world, task, staff):
    response = staff.post(f"{API}/tasks/{task.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["task"]["stage"] == "acknowledged"
    unit = TaskUnit.objects.get(task=task, unit=world.unit_a_dev)
    assert unit.acknowledged_by == world.users["department_staff"]
    assert task.events.filter(kind=TaskEvent.Kind.ACKNOWLEDGED).count() == 1


def test_it_refuses_acknowledgement_to_a_leader_with_403(world, task):
    response = client_for(world.users["leader"]).post(f"{API}/tasks/{task.pk}/acknowledge/")
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.stage == Task.Stage.ASSIGNED
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.DENIED).exists()


def test_it_lets_the_lead_units_staff_submit_a_report_with_target_actuals(world, task, staff):
    target = TargetFactory(task=task, name="入驻配套企业", target_value=12, measure="家")
    body = {
        "period": "2026-03",
        "narrative": "完成园区选址，签约配套企业3家。",
        "percent": 30,
        "actuals": [{"target": target.pk, "value": "3"}],
    }
    response = staff.post(f"{API}/tasks/{task.pk}/reports/", body, "json")
    assert response.status_code == 201, response.content
    report = ProgressReport.objects.get(task=task)
    assert report.submitted_by == world.users["department_staff"]
    assert report.unit == world.unit_a_dev
    assert report.actuals.get().value == 3
    task.refresh_from_db()
    assert task.stage == Task.Stage.IN_PROGRESS


def test_it_answers_a_bad_report_with_field_errors(world, task, staff):
    body = {"period": "March", "narrative": "", "percent": 130}
    response = staff.post(f"{API}/tasks/{task.pk}/reports/", body, "json")
    assert response.status_code == 400
    assert set(response.json()) == {"period", "narrative", "percent"}
    assert not task.reports.exists()


def test_it_refuses_the_review_of_a_report_to_staff_with_403(world, task, staff):
    report = ProgressReportFactory(task=task, submitted_by=world.users["department_staff"])
    response = staff.post(f"{API}/reports/{report.pk}/review/", {"accept": True}, "json")
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == ProgressReport.Status.SUBMITTED


def test_it_lets_the_coordinator_accept_a_report(world, task, coordinator):
    report = ProgressReportFactory(
        task=task, percent=45, submitted_by=world.users["department_staff"]
    )
    response = coordinator.post(f"{API}/reports/{report.pk}/review/", {"accept": True}, "json")
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    task.refresh_from_db()
    assert task.percent == 45
    assert task.last_accepted_report_on is not None


def test_it_asks_the_coordinator_for_a_comment_to_return_a_report(world, task, coordinator):
    report = ProgressReportFactory(task=task, submitted_by=world.users["department_staff"])
    url = f"{API}/reports/{report.pk}/review/"
    response = coordinator.post(url, {"accept": False, "comment": " "}, "json")
    assert response.status_code == 400
    assert "comment" in response.json()
    response = coordinator.post(url, {"accept": False, "comment": "请补充配套企业名单"}, "json")
    assert response.status_code == 200
    report.refresh_from_db()
    assert (report.status, report.review_comment) == ("returned", "请补充配套企业名单")


def test_it_refuses_to_review_a_report_twice(world, task, coordinator):
    report = ProgressReportFactory(
        task=task, status="accepted", submitted_by=world.users["department_staff"]
    )
    response = coordinator.post(f"{API}/reports/{report.pk}/review/", {"accept": True}, "json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_it_runs_a_claim_and_its_review_to_closure(world, task, staff, coordinator):
    response = staff.post(f"{API}/tasks/{task.pk}/claim/", {"evidence": "园区已投用"}, "json")
    assert response.status_code == 200
    assert response.json()["stage"] == "claimed"
    assert staff.post(f"{API}/tasks/{task.pk}/review/", {"accept": True}, "json").status_code == 403
    response = coordinator.post(f"{API}/tasks/{task.pk}/review/", {"accept": True}, "json")
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.stage, task.status, task.percent) == ("closed", "completed", 100)


def test_it_extends_a_deadline_on_approval_and_keeps_the_baseline(world, task, staff, coordinator):
    response = staff.post(
        f"{API}/tasks/{task.pk}/extensions/",
        {"new_deadline": "2027-03-31", "reason": "用地审批延后"},
        "json",
    )
    assert response.status_code == 201, response.content
    ext = ExtensionRequest.objects.get(task=task)
    url = f"{API}/tasks/{task.pk}/extensions/{ext.pk}/decide/"
    assert staff.post(url, {"approve": True}, "json").status_code == 403
    response = coordinator.post(url, {"approve": True, "comment": "同意"}, "json")
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.deadline, task.baseline_deadline) == (date(2027, 3, 31), date(2026, 12, 31))


def test_it_refuses_an_extension_to_an_earlier_date_with_a_field_error(world, task, staff):
    response = staff.post(
        f"{API}/tasks/{task.pk}/extensions/",
        {"new_deadline": "2026-06-30", "reason": "x"},
        "json",
    )
    assert response.status_code == 400
    assert "new_deadline" in response.json()


def test_it_lets_only_the_coordinator_terminate_a_task(world, task, staff, coordinator):
    url = f"{API}/tasks/{task.pk}/terminate/"
    assert staff.post(url, {"reason": "项目取消"}, "json").status_code == 403
    response = coordinator.post(url, {"reason": "企业投资计划调整，项目取消"}, "json")
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.stage, task.termination_reason) == ("terminated", "企业投资计划调整，项目取消")


# --- Creating a task ----------------------------------------------------------------------


def test_it_lets_the_coordinator_assign_a_task(world, agreement, coordinator):
    response = coordinator.post(f"{API}/tasks/", new_task_payload(world, agreement), "json")
    assert response.status_code == 201, response.content
    task = Task.objects.get(agreement=agreement, code="2026-050")
    assert response.json()["id"] == task.pk
    assert task.stage == Task.Stage.ASSIGNED
    assert set(task.task_units.values_list("unit", "role")) == {
        (world.unit_a_dev.pk, "lead"),
        (world.unit_a_partner.pk, "lead"),
    }
    assert task.milestones.get().title == "完成园区规划"
    assert task.targets.get().target_value == 8
    assert task.events.get().kind == TaskEvent.Kind.ASSIGNED


def test_it_refuses_task_creation_to_staff_with_403(world, agreement, staff):
    response = staff.post(f"{API}/tasks/", new_task_payload(world, agreement), "json")
    assert response.status_code == 403
    assert not Task.objects.exists()


def test_it_answers_a_deadline_before_the_start_with_a_field_error(world, agreement, coordinator):
    payload = new_task_payload(world, agreement, start_date="2026-06-01", deadline="2026-05-01")
    response = coordinator.post(f"{API}/tasks/", payload, "json")
    assert response.status_code == 400
    assert list(response.json()) == ["deadline"]
    assert not Task.objects.exists()


def test_it_refuses_a_unit_of_another_pair_that_the_user_cannot_see(world, agreement, coordinator):
    payload = new_task_payload(world, agreement, lead_units=[world.unit_b.pk])
    response = coordinator.post(f"{API}/tasks/", payload, "json")
    assert response.status_code == 400
    assert "lead_units" in response.json()
    assert not Task.objects.exists()


def test_it_refuses_a_visible_unit_that_is_not_on_either_side_of_the_pair(world, agreement):
    client = client_for(world.users["programme_coordinator"])  # sees pair B's units too
    payload = new_task_payload(world, agreement, support_units=[world.unit_b.pk])
    response = client.post(f"{API}/tasks/", payload, "json")
    assert response.status_code == 400
    assert "区发展改革委" in response.json()["support_units"][0]
    assert not Task.objects.exists()


def test_it_refuses_a_duplicate_code_in_the_agreement(world, agreement, task, coordinator):
    payload = new_task_payload(world, agreement, code=task.code)
    response = coordinator.post(f"{API}/tasks/", payload, "json")
    assert response.status_code == 400
    assert "code" in response.json()


def test_it_refuses_an_agreement_of_another_pair_as_if_it_did_not_exist(
    world, other_agreement, coordinator
):
    response = coordinator.post(f"{API}/tasks/", new_task_payload(world, other_agreement), "json")
    assert response.status_code == 400
    assert "agreement" in response.json()
    assert not Task.objects.exists()


# --- Pages and filters --------------------------------------------------------------------


def test_it_pages_the_task_list(world, agreement, coordinator):
    for n in range(5):
        TaskFactory(agreement=agreement, code=f"2026-1{n:02d}", lead_units=[world.unit_a_dev])
    body = coordinator.get(f"{API}/tasks/", {"page_size": 2, "page": 3}).json()
    assert body["count"] == 5
    assert [row["code"] for row in body["results"]] == ["2026-104"]
    assert body["next"] is None and body["previous"]


def test_it_filters_tasks_by_area_light_and_stage(world, agreement, coordinator):
    red = TaskFactory(agreement=agreement, area="public_services", light="red", stage="claimed")
    TaskFactory(agreement=agreement, area="public_services", light="green")
    TaskFactory(agreement=agreement, area="industry", light="red", stage="claimed")
    query = {"area": "public_services", "light": "red", "stage": "claimed"}
    assert ids(coordinator.get(f"{API}/tasks/", query)) == [red.pk]


def test_it_filters_tasks_by_agreement_and_status(world, agreement, task, coordinator):
    older = AgreementFactory(partnership=world.pair_a, year=2025)
    lagging = TaskFactory(agreement=older, status="lagging")
    TaskFactory(agreement=older, status="in_progress")
    query = {"agreement": older.pk, "status": "lagging"}
    assert ids(coordinator.get(f"{API}/tasks/", query)) == [lagging.pk]


def test_it_filters_tasks_by_lead_or_supporting_unit(world, agreement, task, coordinator):
    other_unit = OrgUnitFactory(region=world.pair_a.partner_side, name="区商务委")
    TaskFactory(agreement=agreement, lead_units=[other_unit])
    assert ids(coordinator.get(f"{API}/tasks/", {"unit": world.unit_a_partner.pk})) == [task.pk]


def test_it_treats_a_filter_on_a_unit_out_of_scope_as_an_unknown_one(world, task, coordinator):
    hidden = coordinator.get(f"{API}/tasks/", {"unit": world.unit_b.pk})
    missing = coordinator.get(f"{API}/tasks/", {"unit": 999999})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()


def test_it_filters_reports_by_task_and_status(world, agreement, task, coordinator):
    second = TaskFactory(agreement=agreement, lead_units=[world.unit_a_dev])
    author = world.users["department_staff"]
    returned = ProgressReportFactory(task=task, status="returned", submitted_by=author)
    ProgressReportFactory(task=task, status="accepted", submitted_by=author)
    ProgressReportFactory(task=second, status="returned", submitted_by=author)
    query = {"task": task.pk, "status": "returned"}
    assert ids(coordinator.get(f"{API}/reports/", query)) == [returned.pk]


def test_it_refuses_to_create_a_report_outside_a_task(world, task, staff):
    body = {"task": task.pk, "period": "2026-03", "narrative": "x", "percent": 10}
    assert staff.post(f"{API}/reports/", body, "json").status_code == 405
    assert not task.reports.exists()


def test_it_describes_the_conference_endpoints_in_the_schema(world, client):
    client.force_login(world.users["leader"])
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    for path in ("/api/v1/tasks/{id}/acknowledge/", "/api/v1/reports/{id}/review/"):
        assert path in schema
