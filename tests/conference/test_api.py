"""The conference API: scope of every endpoint, the supervision workflow through the actions,
field errors, pages and filters. Same rules as the pages: out of scope is 404, a write the
role may not do on a visible object is 403."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from xietong.conference.models import (
    AnnualAgreement,
    Attendee,
    CoordinationIssue,
    ExtensionRequest,
    KeyTask,
    Meeting,
    Plan,
    ProgressReport,
    Task,
    TaskEvent,
    TaskUnit,
)
from xietong.core.models import SecurityEvent

from ..factories import OrgUnitFactory
from .factories import (
    AgreementFactory,
    AttendeeFactory,
    CoordinationIssueFactory,
    KeyTaskFactory,
    MeetingFactory,
    PlanFactory,
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


def test_it_never_deletes_a_meeting_through_the_api(world, coordinator):
    meeting = MeetingFactory(partnership=world.pair_a)
    assert coordinator.delete(f"{API}/meetings/{meeting.pk}/").status_code == 405
    assert Meeting.objects.filter(pk=meeting.pk).exists()


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


# --- Writing meetings ---------------------------------------------------------------------


def en(client: APIClient) -> APIClient:
    """Messages are asserted in English (the msgids), whatever the catalogue says."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def meeting(world):
    return MeetingFactory(partnership=world.pair_a, number=5, date=date(2026, 3, 15))


@pytest.fixture
def other_meeting(world):
    return MeetingFactory(partnership=world.pair_b, number=1)


def test_it_records_a_meeting_with_the_defaults(world, meeting, coordinator):
    body = {"partnership": world.pair_a.pk, "date": "2027-04-10", "minutes": "审议2027年度协议。"}
    response = coordinator.post(f"{API}/meetings/", body, "json")
    assert response.status_code == 201, response.content
    created = Meeting.objects.get(partnership=world.pair_a, number=6)
    assert response.json()["id"] == created.pk and response.json()["version"]
    assert (created.year, created.host_side, created.place, created.status) == (
        2027,
        world.pair_a.partner_side,
        "万州区",
        "planned",
    )


def test_it_refuses_meeting_writes_to_staff_with_403(world, meeting, staff):
    body = {"partnership": world.pair_a.pk, "date": "2027-04-10"}
    assert staff.post(f"{API}/meetings/", body, "json").status_code == 403
    response = staff.patch(f"{API}/meetings/{meeting.pk}/", {"minutes": "x"}, "json")
    assert response.status_code == 403
    for path, payload in [
        ("attendees/", {"side": world.pair_a.partner_side.pk, "name": "王芳"}),
        ("agenda-items/", {"title": "x"}),
        ("resolutions/", {"text": "x"}),
    ]:
        assert staff.post(f"{API}/meetings/{meeting.pk}/{path}", payload, "json").status_code == 403
    meeting.refresh_from_db()
    assert meeting.minutes != "x" and not meeting.attendees.exists()
    assert Meeting.objects.count() == 1


def test_it_answers_404_for_writes_on_a_meeting_of_another_pair(world, other_meeting, coordinator):
    url = f"{API}/meetings/{other_meeting.pk}/"
    assert coordinator.patch(url, {"minutes": "越界"}, "json").status_code == 404
    for path, payload in [
        ("attendees/", {"side": world.pair_b.partner_side.pk, "name": "x"}),
        ("agenda-items/", {"title": "x"}),
        ("resolutions/", {"text": "x"}),
    ]:
        assert coordinator.post(url + path, payload, "json").status_code == 404, path
    attendee = AttendeeFactory(meeting=other_meeting)
    assert coordinator.delete(f"{url}attendees/{attendee.pk}/").status_code == 404
    other_meeting.refresh_from_db()
    assert other_meeting.minutes != "越界" and Attendee.objects.filter(pk=attendee.pk).exists()


def test_it_refuses_a_meeting_for_a_pair_out_of_scope_as_an_unknown_one(world, coordinator):
    body = {"partnership": world.pair_b.pk, "date": "2027-04-10"}
    response = coordinator.post(f"{API}/meetings/", body, "json")
    assert response.status_code == 400 and "partnership" in response.json()
    assert not Meeting.objects.exists()


def test_it_answers_a_taken_meeting_number_with_a_field_error(world, meeting, coordinator):
    body = {"partnership": world.pair_a.pk, "date": "2027-04-10", "number": 5}
    response = coordinator.post(f"{API}/meetings/", body, "json")
    assert response.status_code == 400 and list(response.json()) == ["number"]


def test_it_updates_a_meeting_and_refuses_a_stale_version_with_409(world, meeting, coordinator):
    url = f"{API}/meetings/{meeting.pk}/"
    version = coordinator.get(url).json()["version"]
    response = coordinator.patch(url, {"minutes": "第一次修改", "version": version}, "json")
    assert response.status_code == 200 and response.json()["minutes"] == "第一次修改"
    assert response.json()["version"] != version
    stale = en(coordinator).patch(url, {"minutes": "过期的修改", "version": version}, "json")
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]
    assert stale.json()["version"] == response.json()["version"]
    meeting.refresh_from_db()
    assert (meeting.minutes, meeting.number) == ("第一次修改", 5)


def test_it_refuses_to_move_a_meeting_to_another_pair(world, meeting):
    client = client_for(world.users["programme_coordinator"])
    body = {"partnership": world.pair_b.pk}
    response = client.patch(f"{API}/meetings/{meeting.pk}/", body, "json")
    assert response.status_code == 400 and "partnership" in response.json()
    meeting.refresh_from_db()
    assert meeting.partnership == world.pair_a


def test_it_adds_and_removes_attendees_through_sub_routes(world, meeting, coordinator):
    url = f"{API}/meetings/{meeting.pk}/attendees/"
    body = {
        "side": world.pair_a.partner_side.pk,
        "org_unit": world.unit_a_partner.pk,
        "name": "王芳",
    }
    response = coordinator.post(url, body, "json")
    assert response.status_code == 201, response.content
    attendee = Attendee.objects.get(meeting=meeting)
    assert (attendee.name, attendee.org_unit) == ("王芳", world.unit_a_partner)
    wrong_side = dict(body, side=world.pair_a.developed_side.pk)
    response = coordinator.post(url, wrong_side, "json")
    assert response.status_code == 400 and list(response.json()) == ["org_unit"]
    assert coordinator.delete(f"{url}{attendee.pk}/").status_code == 204
    assert not meeting.attendees.exists()
    assert coordinator.delete(f"{url}{attendee.pk}/").status_code == 404


def test_it_puts_an_issue_on_the_agenda_and_takes_it_off(world, meeting, coordinator):
    issue = CoordinationIssueFactory(partnership=world.pair_a, title="物流通道建设滞后")
    url = f"{API}/meetings/{meeting.pk}/agenda-items/"
    response = coordinator.post(url, {"issue": issue.pk, "presenter": "万州区"}, "json")
    assert response.status_code == 201 and response.json()["title"] == "物流通道建设滞后"
    issue.refresh_from_db()
    assert issue.status == CoordinationIssue.Status.ON_AGENDA
    assert coordinator.delete(f"{url}{response.json()['id']}/").status_code == 204
    issue.refresh_from_db()
    assert issue.status == CoordinationIssue.Status.OPEN


def test_it_numbers_resolutions_and_keeps_one_that_has_tasks(world, meeting, task, coordinator):
    url = f"{API}/meetings/{meeting.pk}/resolutions/"
    first = coordinator.post(url, {"text": "共建汽车零部件配套产业园。"}, "json")
    second = coordinator.post(url, {"text": "联合举办招商推介会。"}, "json")
    assert (first.json()["number"], second.json()["number"]) == (1, 2)
    assert coordinator.post(url, {"number": 2, "text": "x"}, "json").status_code == 400
    Task.objects.filter(pk=task.pk).update(resolution_id=first.json()["id"])
    response = coordinator.delete(f"{url}{first.json()['id']}/")
    assert response.status_code == 400 and "non_field_errors" in response.json()
    assert coordinator.delete(f"{url}{second.json()['id']}/").status_code == 204
    assert list(meeting.resolutions.values_list("number", flat=True)) == [1]


def test_it_turns_a_resolution_into_tasks_through_the_api(world, meeting, agreement, coordinator):
    resolution = ResolutionFactory(meeting=meeting, number=1, text="共建电子信息产业园。")
    url = f"{API}/meetings/{meeting.pk}/resolutions/{resolution.pk}/tasks/"
    item = {k: v for k, v in new_task_payload(world, agreement).items() if k != "agreement"}
    body = {"agreement": agreement.pk, "tasks": [item, dict(item, code="2026-051", title="招引")]}
    response = coordinator.post(url, body, "json")
    assert response.status_code == 201, response.content
    assert [t["code"] for t in response.json()] == ["2026-050", "2026-051"]
    assert set(resolution.tasks.values_list("code", flat=True)) == {"2026-050", "2026-051"}
    detail = coordinator.get(f"{API}/meetings/{meeting.pk}/").json()
    assert sorted(detail["resolutions"][0]["tasks"]) == sorted(t["id"] for t in response.json())


def test_it_refuses_resolution_tasks_with_a_bad_row_and_creates_none(
    world, meeting, agreement, other_agreement, coordinator
):
    resolution = ResolutionFactory(meeting=meeting, number=1)
    url = f"{API}/meetings/{meeting.pk}/resolutions/{resolution.pk}/tasks/"
    item = {k: v for k, v in new_task_payload(world, agreement).items() if k != "agreement"}
    late = dict(item, code="2026-051", start_date="2026-06-01", deadline="2026-05-01")
    response = coordinator.post(
        url, {"agreement": agreement.pk, "tasks": [item, item, late]}, "json"
    )
    assert response.status_code == 400
    rows = response.json()["tasks"]
    assert [set(row) for row in rows] == [set(), {"code"}, {"deadline"}]
    body = {"agreement": other_agreement.pk, "tasks": [item]}
    assert coordinator.post(url, body, "json").status_code == 400
    assert not Task.objects.exists()
    assert (
        staff_client(world)
        .post(url, {"agreement": agreement.pk, "tasks": [item]}, "json")
        .status_code
        == 403
    )


def staff_client(world) -> APIClient:
    return client_for(world.users["department_staff"])


# --- Writing agreements -------------------------------------------------------------------


def test_it_records_an_agreement_with_the_live_plan_and_a_title(world, coordinator):
    plan = PlanFactory(partnership=world.pair_a)
    meeting = MeetingFactory(partnership=world.pair_a, year=2027)
    body = {
        "partnership": world.pair_a.pk,
        "year": 2027,
        "meeting": meeting.pk,
        "status": "adopted",
    }
    response = coordinator.post(f"{API}/agreements/", body, "json")
    assert response.status_code == 201, response.content
    created = AnnualAgreement.objects.get(partnership=world.pair_a, year=2027)
    assert (created.plan, created.meeting, created.status) == (plan, meeting, "adopted")
    assert "2027" in created.title and response.json()["title"] == created.title


def test_it_answers_a_second_agreement_for_a_year_with_a_field_error(world, agreement, coordinator):
    body = {"partnership": world.pair_a.pk, "year": 2026}
    response = coordinator.post(f"{API}/agreements/", body, "json")
    assert response.status_code == 400 and list(response.json()) == ["year"]


def test_it_updates_an_agreement_but_not_for_staff_nor_another_pair(
    world, agreement, other_agreement, coordinator, staff
):
    url = f"{API}/agreements/{agreement.pk}/"
    assert staff.patch(url, {"preamble": "x"}, "json").status_code == 403
    other = f"{API}/agreements/{other_agreement.pk}/"
    assert coordinator.patch(other, {"preamble": "x"}, "json").status_code == 404
    response = coordinator.patch(url, {"preamble": "为深入推进对口协同发展……"}, "json")
    assert response.status_code == 200
    agreement.refresh_from_db()
    other_agreement.refresh_from_db()
    assert agreement.preamble == "为深入推进对口协同发展……" and other_agreement.preamble == ""


def test_it_refuses_a_plan_of_another_pair_for_an_agreement(world, agreement):
    client = client_for(world.users["programme_coordinator"])
    foreign = PlanFactory(partnership=world.pair_b)
    body = {"plan": foreign.pk}
    response = client.patch(f"{API}/agreements/{agreement.pk}/", body, "json")
    assert response.status_code == 400 and list(response.json()) == ["plan"]


# --- Plans and key tasks ------------------------------------------------------------------


def plan_payload(world, **overrides) -> dict:
    payload = {
        "partnership": world.pair_a.pk,
        "kind": "implementation",
        "title": "两江新区对口协同万州区实施方案（2031年-2035年）",
        "start_year": 2031,
        "end_year": 2035,
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def live_plan(world):
    return PlanFactory(partnership=world.pair_a)


def test_it_records_a_plan_and_lists_it_with_its_key_tasks(world, live_plan, coordinator, staff):
    KeyTaskFactory(plan=live_plan, code="CY1", title="共建汽车产业链")
    PlanFactory(partnership=world.pair_b)
    response = coordinator.post(f"{API}/plans/", plan_payload(world), "json")
    assert response.status_code == 201, response.content
    created = Plan.objects.get(start_year=2031)
    assert (created.status, response.json()["status"]) == ("live", "live")
    assert sorted(ids(staff.get(f"{API}/plans/"))) == sorted([live_plan.pk, created.pk])
    body = staff.get(f"{API}/plans/{live_plan.pk}/").json()
    assert [kt["code"] for kt in body["key_tasks"]] == ["CY1"]


def test_it_answers_plan_field_errors(world, live_plan, coordinator):
    response = coordinator.post(
        f"{API}/plans/", plan_payload(world, start_year=2028, end_year=2032), "json"
    )
    assert response.status_code == 400 and list(response.json()) == ["start_year"]
    response = coordinator.post(
        f"{API}/plans/", plan_payload(world, start_year=2035, end_year=2031), "json"
    )
    assert response.status_code == 400 and list(response.json()) == ["end_year"]
    assert Plan.objects.count() == 1


def test_it_refuses_plan_writes_to_staff_with_403_and_hides_other_pairs_with_404(
    world, live_plan, coordinator, staff
):
    key_task = KeyTaskFactory(plan=live_plan)
    assert staff.post(f"{API}/plans/", plan_payload(world), "json").status_code == 403
    assert staff.patch(f"{API}/plans/{live_plan.pk}/", {"title": "x"}, "json").status_code == 403
    assert staff.post(f"{API}/plans/{live_plan.pk}/close/", {}, "json").status_code == 403
    body = {"plan": live_plan.pk, "area": "industry", "title": "x"}
    assert staff.post(f"{API}/key-tasks/", body, "json").status_code == 403
    assert staff.delete(f"{API}/key-tasks/{key_task.pk}/").status_code == 403
    foreign = PlanFactory(partnership=world.pair_b)
    foreign_key_task = KeyTaskFactory(plan=foreign)
    assert coordinator.get(f"{API}/plans/{foreign.pk}/").status_code == 404
    assert (
        coordinator.patch(f"{API}/plans/{foreign.pk}/", {"title": "x"}, "json").status_code == 404
    )
    assert coordinator.post(f"{API}/plans/{foreign.pk}/close/", {}, "json").status_code == 404
    assert coordinator.delete(f"{API}/key-tasks/{foreign_key_task.pk}/").status_code == 404
    response = coordinator.post(f"{API}/key-tasks/", dict(body, plan=foreign.pk), "json")
    assert response.status_code == 400 and "plan" in response.json()
    live_plan.refresh_from_db()
    foreign.refresh_from_db()
    assert (live_plan.title, live_plan.status, foreign.status) != ("x", "closed", "closed")
    assert KeyTask.objects.count() == 2 and not Plan.objects.filter(start_year=2031).exists()


def test_it_closes_a_plan_which_then_refuses_changes_with_403(world, live_plan, coordinator):
    key_task = KeyTaskFactory(plan=live_plan)
    response = coordinator.post(f"{API}/plans/{live_plan.pk}/close/", {}, "json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    patch = coordinator.patch(f"{API}/plans/{live_plan.pk}/", {"title": "x"}, "json")
    assert patch.status_code == 403
    body = {"plan": live_plan.pk, "area": "industry", "title": "新增"}
    assert coordinator.post(f"{API}/key-tasks/", body, "json").status_code == 403
    assert (
        coordinator.patch(f"{API}/key-tasks/{key_task.pk}/", {"title": "x"}, "json").status_code
        == 403
    )
    assert coordinator.delete(f"{API}/key-tasks/{key_task.pk}/").status_code == 403
    live_plan.refresh_from_db()
    assert (
        live_plan.title != "x"
        and KeyTask.objects.filter(pk=key_task.pk, title=key_task.title).exists()
    )


def test_it_refuses_a_stale_plan_version_with_409(world, live_plan, coordinator):
    url = f"{API}/plans/{live_plan.pk}/"
    version = coordinator.get(url).json()["version"]
    assert coordinator.patch(url, {"summary": "甲", "version": version}, "json").status_code == 200
    response = coordinator.patch(url, {"summary": "乙", "version": version}, "json")
    assert response.status_code == 409
    response = coordinator.post(f"{API}/plans/{live_plan.pk}/close/", {"version": version}, "json")
    assert response.status_code == 409
    live_plan.refresh_from_db()
    assert (live_plan.summary, live_plan.status) == ("甲", "live")


def test_it_adds_edits_moves_and_deletes_key_tasks(world, live_plan, coordinator):
    KeyTaskFactory(plan=live_plan, area="industry", code="CY1", title="甲")
    body = {"plan": live_plan.pk, "area": "industry", "title": "乙"}
    response = coordinator.post(f"{API}/key-tasks/", body, "json")
    assert response.status_code == 201 and response.json()["code"] == "CY2"
    second = KeyTask.objects.get(title="乙")
    url = f"{API}/key-tasks/{second.pk}/"
    response = coordinator.patch(url, {"description": "承接产业转移"}, "json")
    assert response.status_code == 200 and response.json()["description"] == "承接产业转移"
    response = coordinator.post(f"{url}move/", {"direction": "up"}, "json")
    assert response.status_code == 200 and response.json()["code"] == "CY1"
    assert coordinator.post(f"{url}move/", {"direction": "sideways"}, "json").status_code == 400
    assert list(live_plan.key_tasks.values_list("title", flat=True)) == ["乙", "甲"]
    assert coordinator.patch(url, {"code": "CY2"}, "json").status_code == 400  # taken
    assert coordinator.delete(url).status_code == 204
    assert list(live_plan.key_tasks.values_list("title", flat=True)) == ["甲"]


def test_it_refuses_to_delete_a_key_task_that_tasks_implement(world, live_plan, agreement):
    key_task = KeyTaskFactory(plan=live_plan)
    TaskFactory(agreement=agreement, key_task=key_task)
    client = en(client_for(world.users["partnership_coordinator"]))
    response = client.delete(f"{API}/key-tasks/{key_task.pk}/")
    assert response.status_code == 400
    assert "cannot be deleted" in response.json()["non_field_errors"][0]
    assert KeyTask.objects.filter(pk=key_task.pk).exists()


def test_it_describes_the_write_endpoints_in_the_schema(world, client):
    client.force_login(world.users["leader"])
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert {"post"} <= set(paths["/api/v1/meetings/"])
    assert {"put", "patch"} <= set(paths["/api/v1/meetings/{id}/"])
    assert "delete" not in paths["/api/v1/meetings/{id}/"]
    for path in (
        "/api/v1/meetings/{id}/attendees/",
        "/api/v1/meetings/{id}/attendees/{item_id}/",
        "/api/v1/meetings/{id}/agenda-items/",
        "/api/v1/meetings/{id}/resolutions/",
        "/api/v1/meetings/{id}/resolutions/{item_id}/tasks/",
        "/api/v1/plans/{id}/close/",
        "/api/v1/key-tasks/{id}/move/",
    ):
        assert path in paths, path
    assert {"post"} <= set(paths["/api/v1/agreements/"])
    assert {"post"} <= set(paths["/api/v1/plans/"])
    assert {"post"} <= set(paths["/api/v1/key-tasks/"])
    assert "version" in schema["components"]["schemas"]["PatchedMeetingRequest"]["properties"]
