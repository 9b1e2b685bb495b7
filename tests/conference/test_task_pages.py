"""The task pages: create, detail and every workflow action, as people use them."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from xietong.conference import services
from xietong.conference.forms_tasks import current_period
from xietong.conference.models import ExtensionRequest, ProgressReport, Task, TaskEvent
from xietong.conference.versions import version_of

from .factories import MilestoneFactory, ProgressReportFactory, TargetFactory, TaskFactory


def detail(task):
    return reverse("conference:task_detail", args=[task.pk])


def url(name, obj):
    return reverse(f"conference:{name}", args=[obj.pk])


def html_of(client, task):
    response = client.get(detail(task))
    assert response.status_code == 200
    return response.content.decode()


def test_it_runs_a_task_through_its_whole_life_in_the_pages(world, agreement, client):
    coord, staff = world.users["partnership_coordinator"], world.users["department_staff"]

    # The coordinator assigns the task to the staff's unit, with a target and a milestone.
    client.force_login(coord)
    response = client.post(
        reverse("conference:task_create", args=[agreement.pk]),
        {
            "code": "2026-101",
            "title": "共建万州数字经济产业园",
            "content": "两地共建园区",
            "area": "industry",
            "kind": "project",
            "lead_units": [world.unit_a_dev.pk],
            "support_units": [world.unit_a_partner.pk],
            "responsible": staff.pk,
            "working_group": [staff.pk],
            "start_date": "2026-02-01",
            "deadline": "2026-12-31",
            "milestones": "完成选址 | 2026-06-30",
            "targets": "引进企业 | 10 | 家",
            "priority": "high",
            "cadence": "monthly",
        },
    )
    task = Task.objects.get(agreement=agreement, code="2026-101")
    assert response.status_code == 302 and response["Location"] == detail(task)
    assert task.stage == Task.Stage.ASSIGNED and task.baseline_deadline == date(2026, 12, 31)
    assert [m.title for m in task.milestones.all()] == ["完成选址"]
    target = task.targets.get()
    assert (target.name, target.measure) == ("引进企业", "家")
    html = html_of(client, task)
    assert 'data-testid="awaiting-acknowledgement"' in html
    assert 'data-testid="action-acknowledge"' not in html  # the coordinator's unit is not lead

    # The lead unit's staff acknowledges (签收).
    client.force_login(staff)
    html = html_of(client, task)
    assert 'data-testid="action-acknowledge"' in html
    assert 'data-testid="action-review-report"' not in html
    assert client.post(url("task_acknowledge", task)).status_code == 302
    task.refresh_from_db()
    assert task.stage == Task.Stage.ACKNOWLEDGED
    assert task.task_units.get(unit=world.unit_a_dev).acknowledged_by == staff
    assert 'data-testid="acknowledged"' in html_of(client, task)

    # The staff reports; the coordinator returns the report with a comment.
    report_data = {"period": "2026-10", "narrative": "完成选址", "percent": 30}
    report_data[f"actual_{target.pk}"] = "3"
    assert client.post(url("task_report", task), report_data).status_code == 302
    first = task.reports.get()
    assert (first.status, first.percent) == (ProgressReport.Status.SUBMITTED, 30)
    assert first.actuals.get().value == 3

    client.force_login(coord)
    assert 'data-testid="action-review-report"' in html_of(client, task)
    response = client.post(
        url("report_review", first), {"decision": "return", "comment": "请补充签约数据"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == ProgressReport.Status.RETURNED
    assert first.review_comment == "请补充签约数据"

    # The staff sees the returned report and reports again; the coordinator accepts.
    client.force_login(staff)
    html = html_of(client, task)
    assert "请补充签约数据" in html
    mine = client.get(reverse("conference:my_tasks")).content.decode()
    assert 'data-testid="returned-report" data-code="2026-101"' in mine
    report_data.update(narrative="完成选址，签约3家", percent=45)
    assert client.post(url("task_report", task), report_data).status_code == 302
    second = task.reports.get(status=ProgressReport.Status.SUBMITTED)

    client.force_login(coord)
    response = client.post(url("report_review", second), {"decision": "accept", "comment": ""})
    assert response.status_code == 302
    task.refresh_from_db()
    target.refresh_from_db()
    assert (task.percent, target.actual, task.stage) == (45, 3, Task.Stage.IN_PROGRESS)
    html = html_of(client, task)
    assert html.count('data-testid="report"') == 2  # the returned one stays visible
    assert 'data-status="returned"' in html and 'data-status="accepted"' in html

    # The staff claims completion (办结); the coordinator closes it (销号).
    client.force_login(staff)
    response = client.post(url("task_claim", task), {"evidence": "园区已投用，入驻企业10家"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.stage == Task.Stage.CLAIMED
    html = html_of(client, task)
    assert 'data-testid="action-claim"' not in html and 'data-testid="action-report"' not in html

    client.force_login(coord)
    assert 'data-testid="action-review"' in html_of(client, task)
    response = client.post(url("task_review", task), {"decision": "close", "comment": "同意销号"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.stage, task.status, task.percent) == ("closed", "completed", 100)
    html = html_of(client, task)
    kinds = list(task.events.values_list("kind", flat=True))
    assert kinds == [
        "assigned",
        "acknowledged",
        "reported",
        "report_returned",
        "reported",
        "report_accepted",
        "claimed",
        "closed",
    ]
    assert html.count('data-testid="event"') == 8
    assert 'data-testid="action-' not in html  # a closed task offers nothing more


def test_it_hides_every_action_from_a_leader(world, task, client):
    ProgressReportFactory(task=task, submitted_by=world.users["department_staff"])
    client.force_login(world.users["leader"])
    html = html_of(client, task)
    assert task.title in html
    assert 'data-testid="action-' not in html


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("task_acknowledge", {}),
        ("task_report", {"period": "2026-10", "narrative": "x", "percent": 10}),
        ("task_claim", {"evidence": "x"}),
        ("task_terminate", {"reason": "x"}),
        ("task_extension", {"new_deadline": "2027-03-31", "reason": "x"}),
    ],
)
def test_it_answers_403_to_a_leader_who_posts_an_action(world, task, client, name, data):
    client.force_login(world.users["leader"])
    assert client.post(url(name, task), data).status_code == 403
    assert task.events.count() == 0 and task.reports.count() == 0


@pytest.mark.parametrize(
    "role", ["partnership_coordinator", "department_staff", "leader", "enterprise_user"]
)
def test_it_answers_404_for_a_task_of_another_pair(world, other_agreement, client, role):
    other = TaskFactory(agreement=other_agreement, lead_units=[world.unit_b])
    report = ProgressReportFactory(task=other, submitted_by=world.users["system_admin"])
    client.force_login(world.users[role])
    assert client.get(detail(other)).status_code == 404
    assert client.get(url("task_edit", other)).status_code == 404
    assert client.post(url("task_acknowledge", other)).status_code == 404
    assert client.post(url("task_terminate", other), {"reason": "x"}).status_code == 404
    assert client.post(url("report_review", report), {"decision": "accept"}).status_code == 404
    assert client.get(url("board", other_agreement)).status_code == 404


def test_it_hides_tasks_from_an_enterprise_user(world, task, client):
    client.force_login(world.users["enterprise_user"])
    assert client.get(detail(task)).status_code == 404


def test_it_shows_a_rule_failure_as_a_message_on_the_page(world, task, client):
    report = ProgressReportFactory(task=task, submitted_by=world.users["department_staff"])
    client.force_login(world.users["partnership_coordinator"])
    response = client.post(url("report_review", report), {"decision": "return", "comment": " "})
    assert response.status_code == 400
    assert 'data-testid="action-error"' in response.content.decode()
    report.refresh_from_db()
    assert report.status == ProgressReport.Status.SUBMITTED


def test_it_refuses_a_malformed_period_and_keeps_what_was_typed(world, task, client):
    client.force_login(world.users["department_staff"])
    response = client.post(
        url("task_report", task), {"period": "2026/10", "narrative": "进展顺利", "percent": 20}
    )
    assert response.status_code == 400
    assert "进展顺利" in response.content.decode()
    assert task.reports.count() == 0


@pytest.mark.parametrize(("cadence", "expected"), [("monthly", "%Y-%m"), ("quarterly", "quarter")])
def test_it_prefills_the_report_period_by_the_cadence(world, task, client, cadence, expected):
    task.cadence = cadence
    task.save()
    today = timezone.localdate()
    period = current_period(cadence, today)
    if expected == "quarter":
        assert period == f"{today.year}Q{(today.month - 1) // 3 + 1}"
    else:
        assert period == today.strftime("%Y-%m")
    client.force_login(world.users["department_staff"])
    assert f'name="period" value="{period}"' in html_of(client, task)


def test_it_computes_periods_for_the_fourth_quarter():
    assert current_period("monthly", date(2026, 11, 27)) == "2026-11"
    assert current_period("quarterly", date(2026, 11, 27)) == "2026Q4"
    assert current_period("quarterly", date(2026, 1, 1)) == "2026Q1"


def test_it_shows_units_people_milestones_and_targets(world, task, client):
    task.working_group.add(world.users["partnership_coordinator"])
    MilestoneFactory(task=task, title="完成规划编制")
    TargetFactory(task=task, name="签约项目", measure="个")
    client.force_login(world.users["leader"])
    html = html_of(client, task)
    assert "产业促进局" in html and "区经济信息委" in html
    assert world.users["department_staff"].display_name in html
    assert world.users["partnership_coordinator"].display_name in html
    assert "完成规划编制" in html and "签约项目" in html


def test_it_lets_the_coordinator_edit_a_task_but_not_its_deadline(world, task, client):
    client.force_login(world.users["partnership_coordinator"])
    page = client.get(url("task_edit", task)).content.decode()
    assert 'name="deadline"' in page and "disabled" in page
    response = client.post(
        url("task_edit", task),
        {
            "code": task.code,
            "title": "改名后的任务",
            "area": "sci_tech",
            "kind": "item",
            "lead_units": [world.unit_a_dev.pk],
            "support_units": [],
            "responsible": world.users["department_staff"].pk,
            "start_date": "2026-02-01",
            "deadline": "2027-12-31",  # ignored: the field is disabled
            "priority": "normal",
            "cadence": "quarterly",
            "targets": "签约项目 | 5 | 个",
            "version": version_of(task),  # as the page carried it
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.area, task.cadence) == ("改名后的任务", "sci_tech", "quarterly")
    assert task.deadline == date(2026, 12, 31) == task.baseline_deadline
    assert list(task.units.all()) == [world.unit_a_dev]
    assert task.targets.get().target_value == 5


def test_it_keeps_staff_out_of_the_edit_page(world, task, client):
    client.force_login(world.users["department_staff"])
    assert client.get(url("task_edit", task)).status_code == 403


def test_it_refuses_a_duplicate_code_in_the_same_agreement(world, task, agreement, client):
    client.force_login(world.users["partnership_coordinator"])
    response = client.post(
        reverse("conference:task_create", args=[agreement.pk]),
        {
            "code": task.code,
            "title": "重复编号",
            "area": "industry",
            "kind": "project",
            "lead_units": [world.unit_a_dev.pk],
            "responsible": world.users["department_staff"].pk,
            "start_date": "2026-02-01",
            "deadline": "2026-12-31",
            "priority": "normal",
            "cadence": "monthly",
        },
    )
    assert response.status_code == 400
    assert agreement.tasks.count() == 1


def test_it_offers_only_the_units_and_people_of_the_pair(world, agreement, client):
    client.force_login(world.users["programme_coordinator"])
    page = client.get(reverse("conference:task_create", args=[agreement.pk])).content.decode()
    assert "产业促进局" in page and "区经济信息委" in page
    assert "区发展改革委" not in page  # pair B's unit
    response = client.post(
        reverse("conference:task_create", args=[agreement.pk]),
        {
            "code": "X-1",
            "title": "越界任务",
            "area": "industry",
            "kind": "project",
            "lead_units": [world.unit_b.pk],
            "responsible": world.users["department_staff"].pk,
            "start_date": "2026-02-01",
            "deadline": "2026-12-31",
            "priority": "normal",
            "cadence": "monthly",
        },
    )
    assert response.status_code == 400
    assert not agreement.tasks.exists()


def test_it_keeps_staff_from_creating_tasks(world, agreement, client):
    client.force_login(world.users["department_staff"])
    assert client.get(reverse("conference:task_create", args=[agreement.pk])).status_code == 403


def test_it_extends_a_deadline_through_a_request_and_keeps_the_baseline(world, task, client):
    client.force_login(world.users["department_staff"])
    response = client.post(
        url("task_extension", task), {"new_deadline": "2027-03-31", "reason": "审批延后"}
    )
    assert response.status_code == 302
    ext = task.extensions.get()
    assert 'data-testid="action-extension"' not in html_of(client, task)  # one pending at a time
    client.force_login(world.users["partnership_coordinator"])
    response = client.post(url("extension_decide", ext), {"decision": "approve", "comment": "同意"})
    assert response.status_code == 302
    task.refresh_from_db()
    ext.refresh_from_db()
    assert ext.status == ExtensionRequest.Status.APPROVED
    assert (task.deadline, task.baseline_deadline) == (date(2027, 3, 31), date(2026, 12, 31))
    assert 'data-testid="baseline"' in html_of(client, task)


def test_it_terminates_a_task_only_with_a_reason(world, task, client):
    client.force_login(world.users["partnership_coordinator"])
    assert client.post(url("task_terminate", task), {"reason": ""}).status_code == 400
    assert client.post(url("task_terminate", task), {"reason": "项目取消"}).status_code == 302
    task.refresh_from_db()
    assert (task.stage, task.termination_reason) == ("terminated", "项目取消")
    assert task.events.filter(kind=TaskEvent.Kind.TERMINATED).exists()


def test_it_links_a_carried_over_task_to_the_earlier_one(world, task, client):
    later = TaskFactory(
        agreement=task.agreement, code="2027-001", carried_from=task, lead_units=[world.unit_a_dev]
    )
    client.force_login(world.users["leader"])
    html = html_of(client, later)
    assert 'data-testid="carried-from"' in html and detail(task) in html
    assert detail(later) in html_of(client, task)


# --- My tasks -----------------------------------------------------------------------------


def test_it_shows_what_is_due_this_week_in_my_tasks(world, agreement, client):
    today = timezone.localdate()
    staff = world.users["department_staff"]
    soon = TaskFactory(
        agreement=agreement,
        code="DUE-1",
        start_date=today - timedelta(days=30),
        deadline=today + timedelta(days=3),
        lead_units=[world.unit_a_dev],
    )
    milestone = TaskFactory(
        agreement=agreement,
        code="DUE-2",
        start_date=today - timedelta(days=30),
        deadline=today + timedelta(days=90),
        lead_units=[world.unit_a_dev],
    )
    MilestoneFactory(task=milestone, title="本周节点", due_date=today + timedelta(days=6))
    TaskFactory(
        agreement=agreement,
        code="LATER",
        start_date=today - timedelta(days=30),
        deadline=today + timedelta(days=60),
        lead_units=[world.unit_a_dev],
    )
    client.force_login(staff)
    html = client.get(reverse("conference:my_tasks")).content.decode()
    assert 'data-testid="due-task" data-code="DUE-1"' in html
    assert 'data-testid="due-task" data-code="DUE-2"' in html and "本周节点" in html
    assert 'data-testid="due-task" data-code="LATER"' not in html
    assert 'data-testid="my-task" data-code="LATER"' in html
    assert soon.title in html


def test_it_lists_tasks_awaiting_my_units_acknowledgement(world, task, client):
    client.force_login(world.users["department_staff"])
    html = client.get(reverse("conference:my_tasks")).content.decode()
    assert f'data-testid="ack-task" data-code="{task.code}"' in html
    services.acknowledge(world.users["department_staff"], task)
    html = client.get(reverse("conference:my_tasks")).content.decode()
    assert 'data-testid="ack-task"' not in html


def test_it_shows_coordinators_what_waits_for_their_review(world, task, other_agreement, client):
    staff = world.users["department_staff"]
    services.submit_report(staff, task, period="2026-10", narrative="进展", percent=20)
    services.request_extension(staff, task, new_deadline=date(2027, 3, 31), reason="延后")
    claimed = TaskFactory(agreement=task.agreement, code="CL-1", lead_units=[world.unit_a_dev])
    services.claim_completion(staff, claimed, evidence="完成")
    elsewhere = TaskFactory(agreement=other_agreement, code="B-1", lead_units=[world.unit_b])
    elsewhere.stage = Task.Stage.CLAIMED
    elsewhere.save()
    client.force_login(world.users["partnership_coordinator"])
    html = client.get(reverse("conference:my_tasks")).content.decode()
    assert f'data-testid="review-report" data-code="{task.code}"' in html
    assert f'data-testid="review-extension" data-code="{task.code}"' in html
    assert 'data-testid="review-claim" data-code="CL-1"' in html
    assert "B-1" not in html  # pair B is not this coordinator's
    client.force_login(staff)
    html = client.get(reverse("conference:my_tasks")).content.decode()
    assert 'data-testid="to-review"' not in html


def test_it_attaches_a_file_to_a_report_and_lists_it(world, task, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users["department_staff"])
    upload = SimpleUploadedFile("进展材料.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = client.post(
        url("task_report", task),
        {"period": "2026-10", "narrative": "附材料", "percent": 10, "attachment": upload},
    )
    assert response.status_code == 302
    attachment = task.reports.get().attachments.get()
    assert attachment.name == "进展材料.pdf" and "进展材料" not in attachment.file.name
    assert "进展材料.pdf" in html_of(client, task)


def test_it_refuses_a_file_whose_content_does_not_match(world, task, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users["department_staff"])
    upload = SimpleUploadedFile("fake.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = client.post(
        url("task_report", task),
        {"period": "2026-10", "narrative": "x", "percent": 10, "attachment": upload},
    )
    assert response.status_code == 400
    assert not task.reports.exists()


def test_it_lets_the_lead_unit_record_a_milestone_reached(world, login, task):
    from xietong.conference.models import TaskEvent

    from .factories import MilestoneFactory

    milestone = MilestoneFactory(task=task, title="完成选址")
    client = login(world.users["department_staff"])
    page = client.get(f"/conference/tasks/{task.pk}/").content.decode()
    assert f"/conference/milestones/{milestone.pk}/done/" in page
    response = client.post(f"/conference/milestones/{milestone.pk}/done/")
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_on is not None
    assert task.events.filter(kind=TaskEvent.Kind.MILESTONE_DONE).count() == 1


def test_it_refuses_a_leader_recording_a_milestone(world, login, task):
    from .factories import MilestoneFactory

    milestone = MilestoneFactory(task=task)
    response = login(world.users["leader"]).post(f"/conference/milestones/{milestone.pk}/done/")
    assert response.status_code == 403
    milestone.refresh_from_db()
    assert milestone.done_on is None


def test_it_hides_another_pairs_milestone(world, login, other_agreement):
    from .factories import MilestoneFactory, TaskFactory

    milestone = MilestoneFactory(task=TaskFactory(agreement=other_agreement))
    client = login(world.users["partnership_coordinator"])
    assert client.post(f"/conference/milestones/{milestone.pk}/done/").status_code == 404
