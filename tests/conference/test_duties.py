"""Who does which act of the conference: separation of duties in supervision (督查督办),
leaders read only, the administrator keeps to accounts and master data, the light rules
are internal, and a task edited after someone else's edit is refused (409)."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from xietong.conference import services
from xietong.conference.models import CoordinationIssue, LightRules, ProgressReport, Task
from xietong.conference.versions import version_of
from xietong.core.models import Role

from ..factories import MembershipFactory, UserFactory
from .factories import TargetFactory


@pytest.fixture
def coord(world):
    return world.users["partnership_coordinator"]


@pytest.fixture
def other_coord(world):
    """The coordinator of the partner side (万州区) of pair A."""
    user = UserFactory(username="wz_coord", full_name="万州协调员")
    MembershipFactory(
        user=user,
        role=Role.PARTNERSHIP_COORDINATOR,
        partnership=world.pair_a,
        region=world.pair_a.partner_side,
    )
    return user


def _said(message) -> str:
    """A message as the pages and the API say it (in the site's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


# --- Separation of duties ---------------------------------------------------------------


def test_a_coordinator_may_not_review_the_report_they_submitted(world, task, coord):
    report = services.submit_report(coord, task, period="2026-03", narrative="代报", percent=20)
    with pytest.raises(services.SeparationOfDuties) as caught:
        services.review_report(coord, report, accept=True)
    assert str(caught.value) == str(services.OWN_REPORT)
    with pytest.raises(services.SeparationOfDuties):
        services.review_report(coord, report, accept=False, comment="撤回")
    report.refresh_from_db()
    assert report.status == ProgressReport.Status.SUBMITTED


def test_another_coordinator_reviews_it(world, task, coord, other_coord):
    report = services.submit_report(coord, task, period="2026-03", narrative="代报", percent=20)
    services.review_report(other_coord, report, accept=True)
    report.refresh_from_db()
    assert (report.status, report.reviewed_by) == (ProgressReport.Status.ACCEPTED, other_coord)


def test_a_coordinator_may_not_close_the_completion_they_claimed(world, task, coord):
    services.claim_completion(coord, task, evidence="代为办结")
    with pytest.raises(services.SeparationOfDuties):
        services.review_completion(coord, task, accept=True)
    task.refresh_from_db()
    assert task.stage == Task.Stage.CLAIMED
    # The programme's coordinator reviews it.
    services.review_completion(world.users["programme_coordinator"], task, accept=True)
    task.refresh_from_db()
    assert task.stage == Task.Stage.CLOSED


def test_a_claim_returned_and_claimed_again_by_staff_is_reviewed_by_the_coordinator(
    world, task, coord, other_coord
):
    services.claim_completion(coord, task, evidence="代为办结")
    services.review_completion(other_coord, task, accept=False, comment="佐证不足")
    services.claim_completion(world.users["department_staff"], task, evidence="补充佐证")
    assert services.claimed_by(task) == world.users["department_staff"].pk
    services.review_completion(coord, task, accept=True)  # the latest claim is not theirs
    task.refresh_from_db()
    assert task.stage == Task.Stage.CLOSED


def test_the_page_says_why_the_claimer_may_not_review(world, task, coord, client):
    services.claim_completion(coord, task, evidence="代为办结")
    client.force_login(coord)
    page = client.get(reverse("conference:task_detail", args=[task.pk]))
    assert page.context["rights"].own_claim and not page.context["rights"].review
    assert 'data-testid="action-review"' not in page.content.decode()
    response = client.post(
        reverse("conference:task_review", args=[task.pk]), {"decision": "close", "comment": ""}
    )
    assert response.status_code == 403
    assert _said(services.OWN_CLAIM) in response.content.decode()
    task.refresh_from_db()
    assert task.stage == Task.Stage.CLAIMED


def test_the_page_refuses_the_author_of_a_report_its_review(world, task, coord, client):
    own = services.submit_report(coord, task, period="2026-03", narrative="代报", percent=20)
    staff = services.submit_report(
        world.users["department_staff"], task, period="2026-04", narrative="自报", percent=30
    )
    client.force_login(coord)
    page = client.get(reverse("conference:task_detail", args=[task.pk]))
    reviewable = {r.pk: r.reviewable for r in page.context["reports"]}
    assert reviewable == {own.pk: False, staff.pk: True}
    response = client.post(
        reverse("conference:report_review", args=[own.pk]), {"decision": "accept", "comment": ""}
    )
    assert response.status_code == 403
    assert _said(services.OWN_REPORT) in response.content.decode()
    own.refresh_from_db()
    assert own.status == ProgressReport.Status.SUBMITTED


def test_the_api_refuses_self_review_with_the_reason(world, task, coord):
    report = services.submit_report(coord, task, period="2026-03", narrative="代报", percent=20)
    response = _api(coord).post(
        f"/api/v1/reports/{report.pk}/review/", {"accept": True}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == _said(services.OWN_REPORT)
    services.claim_completion(coord, task, evidence="代为办结")
    response = _api(coord).post(f"/api/v1/tasks/{task.pk}/review/", {"accept": True}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == _said(services.OWN_CLAIM)
    task.refresh_from_db()
    assert task.stage == Task.Stage.CLAIMED


def test_my_review_queue_leaves_out_what_i_submitted_or_claimed(
    world, task, coord, other_coord, client
):
    own = services.submit_report(coord, task, period="2026-03", narrative="代报", percent=20)
    services.claim_completion(coord, task, evidence="代为办结")
    client.force_login(coord)
    context = client.get(reverse("conference:my_tasks")).context
    assert own.pk not in [r.pk for r in context["review_reports"]]
    assert task.pk not in [t.pk for t in context["review_claims"]]
    client.force_login(other_coord)
    context = client.get(reverse("conference:my_tasks")).context
    assert [r.pk for r in context["review_reports"]] == [own.pk]
    assert [t.pk for t in context["review_claims"]] == [task.pk]


# --- Leaders read; who raises an issue --------------------------------------------------


@pytest.mark.parametrize("role", ["leader", "system_admin", "security_auditor", "enterprise_user"])
def test_only_acting_roles_raise_an_issue(world, role, client):
    user = world.users[role]
    with pytest.raises(PermissionDenied):
        services.raise_issue(user, world.pair_a, title="问题")
    client.force_login(user)
    url = reverse("conference:issue_create")
    assert client.get(url).status_code == 403
    response = client.post(url, {"partnership": world.pair_a.pk, "title": "问题"})
    assert response.status_code == 403
    assert not CoordinationIssue.objects.exists()


@pytest.mark.parametrize(
    "role", ["programme_coordinator", "partnership_coordinator", "department_staff",
             "sector_group_member"],
)  # fmt: skip
def test_the_pairs_acting_roles_raise_an_issue(world, role):
    issue = services.raise_issue(world.users[role], world.pair_a, title="用地指标不足")
    assert issue.partnership == world.pair_a


def test_a_leader_who_also_works_in_a_unit_raises_issues_as_staff(world):
    leader = world.users["leader"]
    MembershipFactory(user=leader, role=Role.DEPARTMENT_STAFF, org_unit=world.unit_a_dev)
    assert list(services.issue_partnerships(leader)) == [world.pair_a]


# --- Traffic-light rules: internal ----------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_light_rules_are_not_found_for_an_enterprise_user(world, method, client):
    client.force_login(world.users["enterprise_user"])
    url = reverse("conference:light_rules", args=[world.programme.pk])
    data = {"amber_days_before_due": 1, "amber_days_without_report": 1}
    response = getattr(client, method)(url, data)
    assert response.status_code == 404
    assert not LightRules.objects.exists()


def test_the_administrator_reads_the_light_rules_but_does_not_set_them(world, client):
    client.force_login(world.users["system_admin"])
    url = reverse("conference:light_rules", args=[world.programme.pk])
    page = client.get(url)
    assert page.status_code == 200 and not page.context["can_edit"]
    response = client.post(url, {"amber_days_before_due": 1, "amber_days_without_report": 1})
    assert response.status_code == 403
    assert not LightRules.objects.exists()


# --- The administrator: accounts and master data, no conference business -----------------


def test_the_administrator_does_no_business_act_of_the_conference(world, agreement, task):
    admin = world.users["system_admin"]
    assert not services.can_coordinate(admin, world.pair_a)
    report = services.submit_report(
        world.users["department_staff"], task, period="2026-03", narrative="x", percent=10
    )
    new_task = {
        "code": "2026-777",
        "title": "x",
        "area": "industry",
        "kind": "project",
        "start_date": task.start_date,
        "deadline": task.deadline,
        "lead_units": [world.unit_a_dev],
    }
    for act in (
        lambda: services.create_task(admin, agreement=agreement, **new_task),
        lambda: services.review_report(admin, report, accept=True),
        lambda: services.terminate(admin, task, reason="x"),
        lambda: services.submit_report(admin, task, period="2026-04", narrative="x", percent=1),
    ):
        with pytest.raises(PermissionDenied):
            act()
    assert not agreement.tasks.filter(code="2026-777").exists()


def test_the_administrator_reads_a_task_without_its_actions(world, task, client):
    client.force_login(world.users["system_admin"])
    response = client.get(reverse("conference:task_detail", args=[task.pk]))
    assert response.status_code == 200
    assert task.title in response.content.decode()
    rights = response.context["rights"]
    assert not (rights.edit or rights.report or rights.terminate or rights.coordinate)


# --- Editing a task: conflicts ----------------------------------------------------------------


def _edit_form(task, **changes) -> dict:
    data = {
        "code": task.code,
        "title": task.title,
        "content": task.content,
        "area": task.area,
        "kind": task.kind,
        "lead_units": [tu.unit_id for tu in task.task_units.filter(role="lead")],
        "support_units": [tu.unit_id for tu in task.task_units.filter(role="support")],
        "responsible": task.responsible_id,
        "start_date": task.start_date.isoformat(),
        "milestones": "",
        "targets": "",
        "priority": task.priority,
        "cadence": task.cadence,
        "key_task": "",
    }
    data.update(changes)
    return data


def _update(user, task, **changes):
    values = {
        "code": task.code,
        "title": task.title,
        "area": task.area,
        "kind": task.kind,
        "start_date": task.start_date,
        "lead_units": [tu.unit for tu in task.task_units.filter(role="lead")],
        "support_units": [tu.unit for tu in task.task_units.filter(role="support")],
        "responsible": task.responsible,
    }
    return services.update_task(user, task, **{**values, **changes})


def test_a_stale_task_edit_is_refused_with_the_input_kept_and_the_saved_value_shown(
    world, task, coord, other_coord, client
):
    url = reverse("conference:task_edit", args=[task.pk])
    client.force_login(coord)
    form = client.get(url).context["form"]
    version = form.initial["version"]
    assert version == version_of(task)
    _update(other_coord, task, title="万州方面改过的名称")  # someone else saves meanwhile
    response = client.post(url, _edit_form(task, title="我的新名称", version=version))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'value="我的新名称"' in html  # the input is kept
    errors = response.context["form"].errors
    assert sorted(errors) == ["__all__", "title"]  # only the field that differs
    assert "万州方面改过的名称" in errors["title"][0] and "万州方面改过的名称" in html
    task.refresh_from_db()
    assert task.title == "万州方面改过的名称"
    # Saving again (with the version the 409 page carries) replaces it, knowingly.
    fresh = response.context["form"].data["version"]
    assert fresh == version_of(task)
    response = client.post(url, _edit_form(task, title="我的新名称", version=fresh))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "我的新名称"


def test_a_task_edit_conflicts_on_its_units_and_targets_too(world, task, coord):
    version = version_of(task)
    _update(coord, task, support_units=[])
    assert version_of(task) != version
    version = version_of(task)
    TargetFactory(task=task, name="引进项目", target_value=Decimal("10"))
    assert version_of(task) != version


def test_the_supervision_cycle_does_not_make_a_task_edit_conflict(world, task, coord):
    version = version_of(task)
    report = services.submit_report(
        world.users["department_staff"], task, period="2026-03", narrative="x", percent=30
    )
    services.review_report(coord, report, accept=True)
    task = Task.objects.get(pk=task.pk)
    assert task.percent == 30
    _update(coord, task, title="改名", version=version)  # no EditConflict
    task.refresh_from_db()
    assert task.title == "改名"


def test_the_api_refuses_a_stale_task_update_with_409(world, task, coord, other_coord):
    read = _api(coord).get(f"/api/v1/tasks/{task.pk}/").json()
    assert read["version"] == version_of(task)
    changed = _api(other_coord).patch(
        f"/api/v1/tasks/{task.pk}/", {"title": "万州改名", "version": read["version"]},
        format="json",
    )  # fmt: skip
    assert changed.status_code == 200 and changed.json()["title"] == "万州改名"
    stale = _api(coord).patch(
        f"/api/v1/tasks/{task.pk}/", {"title": "两江改名", "version": read["version"]},
        format="json",
    )  # fmt: skip
    assert stale.status_code == 409
    assert stale.json()["version"] == changed.json()["version"]
    task.refresh_from_db()
    assert task.title == "万州改名"


def test_the_api_updates_a_task_and_keeps_what_is_left_out(world, task, coord):
    TargetFactory(task=task, name="引进项目", target_value=Decimal("10"))
    response = _api(coord).patch(
        f"/api/v1/tasks/{task.pk}/", {"priority": "high", "targets": [
            {"name": "引进项目", "target_value": "12", "measure": "个"}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["priority"] == "high" and body["title"] == task.title
    assert [(t["name"], Decimal(t["target_value"])) for t in body["targets"]] == [
        ("引进项目", Decimal("12"))
    ]
    assert {u["role"] for u in body["units"]} == {"lead", "support"}


def test_the_api_does_not_move_a_deadline_by_an_update(world, task, coord):
    response = _api(coord).patch(
        f"/api/v1/tasks/{task.pk}/", {"deadline": "2030-12-31"}, format="json"
    )
    assert response.status_code == 400 and "deadline" in response.json()
    old = task.deadline
    task.refresh_from_db()
    assert task.deadline == old


def test_the_api_refuses_a_task_update_to_staff_and_the_administrator(world, task):
    for role in ("department_staff", "system_admin", "leader"):
        response = _api(world.users[role]).patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "越权"}, format="json"
        )
        assert response.status_code == 403, role
    task.refresh_from_db()
    assert task.title != "越权"


# --- Numbers in the forms --------------------------------------------------------------------


def test_the_report_form_shows_target_actuals_without_trailing_zeros(world, task, client):
    TargetFactory(task=task, name="签约金额", target_value=Decimal("5000"), actual=Decimal("4400"))
    TargetFactory(task=task, name="引进项目", target_value=Decimal("10"), actual=Decimal("3.00"))
    TargetFactory(task=task, name="投资强度", target_value=Decimal("2"), actual=Decimal("1.25"))
    client.force_login(world.users["department_staff"])
    html = client.get(reverse("conference:task_detail", args=[task.pk])).content.decode()
    assert 'value="4400"' in html and 'value="3"' in html and 'value="1.25"' in html
    assert "4400.00" not in html and 'value="3.00"' not in html


def test_the_task_edit_form_shows_targets_without_trailing_zeros(world, task, coord, client):
    TargetFactory(task=task, name="签约金额", target_value=Decimal("4400.00"), measure="万元")
    client.force_login(coord)
    form = client.get(reverse("conference:task_edit", args=[task.pk])).context["form"]
    assert form.initial["targets"] == "签约金额 | 4400 | 万元"
