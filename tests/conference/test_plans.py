"""Plans with their key tasks, and annual agreements: their pages, planned against actual,
and drafting next year's agreement with the unfinished tasks carried over."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from xietong.conference import plan_services, services
from xietong.conference.models import AnnualAgreement, KeyTask, Plan, Task, TaskEvent, TaskUnit

from .factories import (
    AgreementFactory,
    KeyTaskFactory,
    MeetingFactory,
    MilestoneFactory,
    PlanFactory,
    TargetFactory,
    TaskFactory,
)


def _url(name, *args):
    return reverse(f"conference:{name}", args=args)


def _in_english(client):
    """Messages are asserted in English (the msgids), whatever the catalogue says."""
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


@pytest.fixture
def plans(world):
    closed = PlanFactory(
        partnership=world.pair_a,
        title="两江新区对口协同万州区实施方案（2021年-2025年）",
        start_year=2021,
        end_year=2025,
        status=Plan.Status.CLOSED,
    )
    live = PlanFactory(
        partnership=world.pair_a, title="两江新区对口协同万州区实施方案（2026年-2030年）"
    )
    return closed, live


# --- Plans ----------------------------------------------------------------------------


def test_it_lists_the_live_plan_and_the_closed_one_as_history(world, login, plans):
    closed, live = plans
    PlanFactory(partnership=world.pair_b, title="渝中城口实施方案")
    response = login(world.users["leader"]).get(_url("plan_list"))
    (pair, (live_plans, closed_plans)), *rest = response.context["groups"]
    assert response.status_code == 200 and not rest
    assert (pair, live_plans, closed_plans) == (world.pair_a, [live], [closed])
    assert "渝中城口实施方案" not in response.content.decode()


def test_it_groups_key_tasks_by_area_with_the_tasks_implementing_them(
    world, login, plans, agreement
):
    _closed, live = plans
    industry = KeyTaskFactory(plan=live, area="industry", title="共建汽车产业链")
    KeyTaskFactory(plan=live, area="public_services", title="教育医疗资源共享")
    TaskFactory(agreement=agreement, key_task=industry, title="引进汽车零部件企业")
    response = login(world.users["department_staff"]).get(_url("plan_detail", live.pk))
    areas = {
        value: [kt.title for kt in items] for value, _label, items in response.context["areas"]
    }
    assert areas == {
        "industry": ["共建汽车产业链"],
        "urban_rural": [],
        "sci_tech": [],
        "public_services": ["教育医疗资源共享"],
    }
    html = response.content.decode()
    assert "引进汽车零部件企业" in html


def test_it_marks_the_2021_2025_plan_as_closed_history(world, login, plans):
    closed, _live = plans
    response = login(world.users["partnership_coordinator"]).get(_url("plan_detail", closed.pk))
    assert response.status_code == 200
    assert 'data-testid="plan-status"' in response.content.decode()
    assert response.context["plan"].status == "closed"


def test_it_answers_404_for_a_plan_of_another_pair(world, login):
    plan = PlanFactory(partnership=world.pair_b)
    assert (
        login(world.users["partnership_coordinator"]).get(_url("plan_detail", plan.pk)).status_code
        == 404
    )


# --- Plans: create, edit, close -------------------------------------------------------


def _plan_data(world, **overrides) -> dict:
    data = {
        "partnership": world.pair_a.pk,
        "kind": "implementation",
        "title": "两江新区对口协同万州区实施方案（2031年-2035年）",
        "start_year": 2031,
        "end_year": 2035,
        "summary": "“十六五”时期实施方案。",
    }
    data.update(overrides)
    return data


def _edit_data(client, url, **changes) -> dict:
    """What the edit page shows (its version included), with ``changes`` typed in."""
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "partnership"}
    data.update(changes)
    return data


def test_it_lets_a_coordinator_record_a_plan(world, login, plans):
    client = login(world.users["partnership_coordinator"])
    assert _url("plan_create") in client.get(_url("plan_list")).content.decode()
    meeting = MeetingFactory(partnership=world.pair_a)
    response = client.post(_url("plan_create"), _plan_data(world, adopted_at=meeting.pk))
    plan = Plan.objects.get(start_year=2031)
    assert response.status_code == 302 and response["Location"] == _url("plan_detail", plan.pk)
    assert (plan.partnership, plan.status, plan.adopted_at) == (world.pair_a, "live", meeting)


def test_it_refuses_a_plan_overlapping_one_of_the_same_kind(world, login, plans):
    response = login(world.users["partnership_coordinator"]).post(
        _url("plan_create"), _plan_data(world, start_year=2028, end_year=2032)
    )
    assert response.status_code == 200
    error = response.context["form"].errors["start_year"][0]
    assert "2026—2030年" in error and "已覆盖其中部分年份" in error
    assert not Plan.objects.filter(start_year=2028).exists()


def test_it_refuses_a_plan_ending_before_it_starts(world, login):
    response = login(world.users["partnership_coordinator"]).post(
        _url("plan_create"), _plan_data(world, start_year=2035, end_year=2031)
    )
    assert response.status_code == 200 and response.context["form"].errors["end_year"]
    assert not Plan.objects.exists()


def test_it_edits_a_live_plan(world, login, plans):
    _closed, live = plans
    client = login(world.users["programme_coordinator"])
    url = _url("plan_edit", live.pk)
    response = client.post(url, _edit_data(client, url, summary="聚焦四大领域。"))
    assert response.status_code == 302
    live.refresh_from_db()
    assert live.summary == "聚焦四大领域。"


def test_it_keeps_the_input_and_shows_a_conflict_when_someone_saved_meanwhile(world, login, plans):
    _closed, live = plans
    client = _in_english(login(world.users["partnership_coordinator"]))
    url = _url("plan_edit", live.pk)
    mine = _edit_data(client, url, title="我的标题", summary="我的摘要")
    plan_services.update_plan(world.users["programme_coordinator"], live, title="他人的标题")
    response = client.post(url, mine)
    assert response.status_code == 409
    html = response.content.decode()
    assert "我的标题" in html and "我的摘要" in html  # the input is kept
    assert "他人的标题" in html  # and the value saved meanwhile is shown beside it
    form = response.context["form"]
    assert "changed by someone else" in str(form.non_field_errors())
    live.refresh_from_db()
    assert (live.title, live.summary) == ("他人的标题", "")
    # Saving again, knowingly, replaces the other's value.
    again = dict(mine, version=form["version"].value())
    assert client.post(url, again).status_code == 302
    live.refresh_from_db()
    assert (live.title, live.summary) == ("我的标题", "我的摘要")


def test_it_refuses_an_edit_without_the_version(world, login, plans):
    _closed, live = plans
    client = login(world.users["partnership_coordinator"])
    url = _url("plan_edit", live.pk)
    data = _edit_data(client, url, title="无版本")
    del data["version"]
    assert client.post(url, data).status_code == 200
    live.refresh_from_db()
    assert live.title != "无版本"


def test_it_closes_a_plan_which_is_then_read_only(world, login, plans):
    _closed, live = plans
    key_task = KeyTaskFactory(plan=live)
    client = login(world.users["partnership_coordinator"])
    page = client.get(_url("plan_detail", live.pk))
    assert _url("plan_close", live.pk) in page.content.decode()
    response = client.post(_url("plan_close", live.pk), {"version": page.context["version"]})
    assert response.status_code == 302
    live.refresh_from_db()
    assert live.status == Plan.Status.CLOSED
    html = client.get(_url("plan_detail", live.pk)).content.decode()
    for name in ("plan_edit", "plan_close", "plan_key_task_create"):
        assert _url(name, live.pk) not in html, name
    assert _url("plan_key_task_edit", key_task.pk) not in html
    assert client.get(_url("plan_edit", live.pk)).status_code == 403
    assert client.get(_url("plan_key_task_create", live.pk)).status_code == 403
    assert client.get(_url("plan_key_task_edit", key_task.pk)).status_code == 403
    response = client.post(_url("plan_key_task_delete", key_task.pk))
    assert response.status_code == 403 and KeyTask.objects.filter(pk=key_task.pk).exists()


def test_it_does_not_close_a_plan_changed_since_it_was_shown(world, login, plans):
    _closed, live = plans
    client = _in_english(login(world.users["partnership_coordinator"]))
    version = client.get(_url("plan_detail", live.pk)).context["version"]
    plan_services.update_plan(world.users["programme_coordinator"], live, title="改名")
    response = client.post(_url("plan_close", live.pk), {"version": version}, follow=True)
    live.refresh_from_db()
    assert live.status == Plan.Status.LIVE
    assert "changed by someone else" in response.content.decode()


@pytest.mark.parametrize("role", ["department_staff", "leader", "sector_group_member"])
def test_it_shows_no_plan_buttons_and_refuses_plan_writes_to_readers(world, login, plans, role):
    _closed, live = plans
    key_task = KeyTaskFactory(plan=live)
    client = login(world.users[role])
    assert _url("plan_create") not in client.get(_url("plan_list")).content.decode()
    html = client.get(_url("plan_detail", live.pk)).content.decode()
    assert _url("plan_edit", live.pk) not in html
    assert _url("plan_key_task_edit", key_task.pk) not in html
    assert client.get(_url("plan_create")).status_code == 403
    assert client.post(_url("plan_create"), _plan_data(world)).status_code == 403
    assert client.get(_url("plan_edit", live.pk)).status_code == 403
    assert client.post(_url("plan_close", live.pk)).status_code == 403
    assert client.get(_url("plan_key_task_create", live.pk)).status_code == 403
    assert client.get(_url("plan_key_task_edit", key_task.pk)).status_code == 403
    assert (
        client.post(_url("plan_key_task_move", key_task.pk), {"direction": "up"}).status_code == 403
    )
    assert client.post(_url("plan_key_task_delete", key_task.pk)).status_code == 403
    live.refresh_from_db()
    assert live.status == "live" and KeyTask.objects.filter(pk=key_task.pk).exists()
    assert not Plan.objects.filter(start_year=2031).exists()


def test_it_answers_404_to_a_pair_a_coordinator_for_plan_pages_of_pair_b(world, login):
    plan = PlanFactory(partnership=world.pair_b)
    key_task = KeyTaskFactory(plan=plan)
    client = login(world.users["partnership_coordinator"])
    for name, arg in [
        ("plan_edit", plan.pk),
        ("plan_key_task_create", plan.pk),
        ("plan_key_task_edit", key_task.pk),
        ("plan_key_task_delete", key_task.pk),
    ]:
        assert client.get(_url(name, arg)).status_code == 404, name
    for name, arg in [
        ("plan_close", plan.pk),
        ("plan_key_task_move", key_task.pk),
        ("plan_key_task_delete", key_task.pk),
    ]:
        assert client.post(_url(name, arg), {"direction": "up"}).status_code == 404, name
    response = client.post(_url("plan_create"), _plan_data(world, partnership=world.pair_b.pk))
    assert response.status_code == 200 and "partnership" in response.context["form"].errors
    plan.refresh_from_db()
    assert plan.status == "live" and not Plan.objects.filter(start_year=2031).exists()


# --- Key tasks ------------------------------------------------------------------------


def test_it_adds_a_key_task_with_the_areas_next_code(world, login, plans):
    _closed, live = plans
    KeyTaskFactory(plan=live, area="industry", code="CY1")
    KeyTaskFactory(plan=live, area="industry", code="CY2")
    client = login(world.users["partnership_coordinator"])
    page = client.get(_url("plan_key_task_create", live.pk) + "?area=industry")
    assert page.context["form"].initial["code"] == "CY3"
    url = _url("plan_key_task_create", live.pk)
    response = client.post(url, {"area": "industry", "title": "共建新能源汽车配套基地"})
    created = live.key_tasks.get(title="共建新能源汽车配套基地")
    assert response.status_code == 302 and created.code == "CY3"
    assert response["Location"].endswith(f"#key-task-{created.pk}")
    client.post(url, {"area": "sci_tech", "title": "共建中试基地"})
    assert live.key_tasks.get(title="共建中试基地").code == "KJ1"


def test_it_refuses_a_key_task_code_the_plan_already_has(world, login, plans):
    _closed, live = plans
    KeyTaskFactory(plan=live, code="CY1")
    response = login(world.users["partnership_coordinator"]).post(
        _url("plan_key_task_create", live.pk), {"area": "industry", "code": "CY1", "title": "重复"}
    )
    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert live.key_tasks.count() == 1


def test_it_edits_a_key_task_and_detects_a_conflict(world, login, plans):
    _closed, live = plans
    key_task = KeyTaskFactory(plan=live, code="CX1", area="urban_rural", title="旧标题")
    client = login(world.users["partnership_coordinator"])
    url = _url("plan_key_task_edit", key_task.pk)
    stale = _edit_data(client, url, title="新标题")
    assert client.post(url, stale).status_code == 302
    key_task.refresh_from_db()
    assert key_task.title == "新标题"
    response = client.post(url, dict(stale, title="过期的修改"))
    assert response.status_code == 409
    key_task.refresh_from_db()
    assert key_task.title == "新标题"


def test_it_reorders_key_tasks_within_an_area(world, login, plans):
    _closed, live = plans
    first = KeyTaskFactory(plan=live, area="industry", code="CY1", title="甲")
    second = KeyTaskFactory(plan=live, area="industry", code="CY2", title="乙")
    third = KeyTaskFactory(plan=live, area="industry", code="CY3", title="丙")
    task = TaskFactory(agreement=AgreementFactory(partnership=world.pair_a), key_task=third)
    client = login(world.users["partnership_coordinator"])
    client.post(_url("plan_key_task_move", third.pk), {"direction": "up"})
    client.post(_url("plan_key_task_move", first.pk), {"direction": "up"})  # already first
    response = client.get(_url("plan_detail", live.pk))
    (_value, _label, industry), *_rest = response.context["areas"]
    assert [(kt.code, kt.title) for kt in industry] == [("CY1", "甲"), ("CY2", "丙"), ("CY3", "乙")]
    task.refresh_from_db()
    assert task.key_task == third  # the task still implements the same key task
    second.refresh_from_db()
    assert second.code == "CY3"


def test_it_refuses_to_delete_a_key_task_that_tasks_implement(world, login, plans, agreement):
    _closed, live = plans
    key_task = KeyTaskFactory(plan=live, code="GG1", area="public_services")
    task = TaskFactory(agreement=agreement, key_task=key_task, title="教育医疗资源共享任务")
    client = _in_english(login(world.users["partnership_coordinator"]))
    page = client.get(_url("plan_key_task_delete", key_task.pk)).content.decode()
    assert 'data-testid="key-task-in-use"' in page and task.title in page
    assert 'data-testid="confirm-delete"' not in page
    response = client.post(_url("plan_key_task_delete", key_task.pk), follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert KeyTask.objects.filter(pk=key_task.pk).exists()


def test_it_deletes_a_key_task_no_task_implements(world, login, plans):
    _closed, live = plans
    key_task = KeyTaskFactory(plan=live)
    client = login(world.users["partnership_coordinator"])
    assert (
        'data-testid="confirm-delete"'
        in client.get(_url("plan_key_task_delete", key_task.pk)).content.decode()
    )
    response = client.post(_url("plan_key_task_delete", key_task.pk))
    assert response.status_code == 302 and response["Location"] == _url("plan_detail", live.pk)
    assert not KeyTask.objects.filter(pk=key_task.pk).exists()


# --- Agreements: pages ----------------------------------------------------------------


def test_it_lists_the_agreements_of_the_users_pairs_newest_first(
    world, login, agreement, other_agreement
):
    older = AgreementFactory(partnership=world.pair_a, year=2025)
    response = login(world.users["partnership_coordinator"]).get(_url("agreement_list"))
    assert response.context["groups"] == [(world.pair_a, [agreement, older])]
    assert other_agreement.title not in response.content.decode()


def test_it_creates_an_agreement_adopted_at_a_meeting_with_the_live_plan(world, login, plans):
    _closed, live = plans
    meeting = MeetingFactory(partnership=world.pair_a, year=2027)
    client = login(world.users["partnership_coordinator"])
    form = client.get(_url("agreement_create")).context["form"]
    assert (form.initial["meeting"], form.initial["plan"], form.initial["year"]) == (
        meeting,
        live,
        2027,
    )
    response = client.post(
        _url("agreement_create"),
        {"partnership": world.pair_a.pk, "year": 2027, "status": "adopted", "meeting": meeting.pk},
    )
    created = AnnualAgreement.objects.get(partnership=world.pair_a, year=2027)
    assert response.status_code == 302
    assert (created.meeting, created.plan) == (meeting, live)
    assert "2027" in created.title


def test_it_refuses_a_second_agreement_for_the_same_year(world, login, agreement):
    response = login(world.users["partnership_coordinator"]).post(
        _url("agreement_create"),
        {"partnership": world.pair_a.pk, "year": 2026, "title": "重复", "status": "draft"},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert AnnualAgreement.objects.filter(partnership=world.pair_a).count() == 1


def test_it_lets_department_staff_view_but_not_create_or_edit_agreements(world, login, agreement):
    client = login(world.users["department_staff"])
    assert client.get(_url("agreement_detail", agreement.pk)).status_code == 200
    assert client.get(_url("agreement_create")).status_code == 403
    assert client.get(_url("agreement_edit", agreement.pk)).status_code == 403
    assert client.get(_url("agreement_carry_over", agreement.pk)).status_code == 403


def test_it_answers_404_to_a_pair_a_coordinator_for_an_agreement_of_pair_b(
    world, login, other_agreement
):
    client = login(world.users["partnership_coordinator"])
    for name in ("agreement_detail", "agreement_edit", "agreement_carry_over", "agreement_docx"):
        assert client.get(_url(name, other_agreement.pk)).status_code == 404, name


def test_it_hides_agreements_from_an_enterprise_user(world, login, agreement):
    client = login(world.users["enterprise_user"])
    assert client.get(_url("agreement_detail", agreement.pk)).status_code == 404
    assert agreement.title not in client.get(_url("agreement_list")).content.decode()


def test_it_edits_an_agreement(world, login, agreement):
    client = login(world.users["partnership_coordinator"])
    version = client.get(_url("agreement_edit", agreement.pk)).context["form"].initial["version"]
    response = client.post(
        _url("agreement_edit", agreement.pk),
        {
            "year": 2026,
            "title": "2026年度协议（修订）",
            "status": "adopted",
            "preamble": "序言",
            "version": version,
        },
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.title, agreement.preamble) == ("2026年度协议（修订）", "序言")


def test_it_shows_the_task_list_with_links_to_the_board_and_task_creation(
    world, login, agreement, task
):
    html = login(world.users["partnership_coordinator"]).get(_url("agreement_detail", agreement.pk))
    content = html.content.decode()
    assert task.title in content and "产业促进局" in content
    assert _url("board", agreement.pk) in content
    assert _url("task_create", agreement.pk) in content


def test_it_shows_planned_against_actual_by_area(world, login, agreement):
    TaskFactory(agreement=agreement, area="industry")
    TaskFactory(
        agreement=agreement,
        area="industry",
        stage=Task.Stage.CLOSED,
        status=Task.Status.COMPLETED,
        closed_on=date(2026, 11, 30),
    )
    TaskFactory(
        agreement=agreement,
        area="sci_tech",
        stage=Task.Stage.CLOSED,
        status=Task.Status.COMPLETED,
        closed_on=date(2027, 1, 10),
    )
    TaskFactory(agreement=agreement, area="sci_tech", stage=Task.Stage.TERMINATED)
    client = login(world.users["leader"])
    summary = client.get(_url("agreement_detail", agreement.pk)).context["summary"]
    rows = {row["area"]: row for row in summary["by_area"]}
    industry, sci_tech = rows["industry"], rows["sci_tech"]
    assert (industry["planned"], industry["closed"], industry["rate"]) == (2, 1, 50)
    assert (sci_tech["planned"], sci_tech["closed"], sci_tech["closed_late"]) == (1, 0, 1)
    assert (summary["planned"], summary["closed"]) == (3, 1)


# --- Carry-over -----------------------------------------------------------------------


@pytest.fixture
def year_end(world, agreement, task):
    """The 2026 agreement near its end: one open task (``task``) with history, one closed."""
    MilestoneFactory(
        task=task, title="完成选址", due_date=date(2026, 5, 1), done_on=date(2026, 5, 1)
    )
    MilestoneFactory(task=task, title="一期投产", due_date=date(2027, 6, 30))
    TargetFactory(task=task, name="入驻企业", actual=4)
    task.stage, task.percent = Task.Stage.IN_PROGRESS, 60
    task.save()
    closed = TaskFactory(
        agreement=agreement,
        code="2026-002",
        stage=Task.Stage.CLOSED,
        status=Task.Status.COMPLETED,
        lead_units=[world.unit_a_dev],
    )
    return task, closed


def test_it_carries_unfinished_tasks_over_and_skips_closed_ones(world, agreement, year_end):
    task, closed = year_end
    coord = world.users["partnership_coordinator"]
    draft = services.carry_over(coord, agreement, year=2027, task_ids=[task.pk, closed.pk])
    assert (draft.year, draft.status, draft.previous) == (2027, "draft", agreement)
    (copy,) = draft.tasks.all()
    assert (copy.code, copy.title, copy.carried_from) == (task.code, task.title, task)
    assert (copy.stage, copy.percent, copy.deadline) == ("assigned", 60, date(2027, 12, 31))
    assert [(tu.unit, tu.role) for tu in copy.task_units.order_by("role")] == [
        (world.unit_a_dev, TaskUnit.Role.LEAD),
        (world.unit_a_partner, TaskUnit.Role.SUPPORT),
    ]
    assert [m.title for m in copy.milestones.all()] == ["一期投产"]
    assert [(t.name, t.actual) for t in copy.targets.all()] == [("入驻企业", 4)]
    assert task.events.filter(kind=TaskEvent.Kind.CARRIED_OVER).count() == 1
    assert not closed.carried_to.exists()


def test_it_keeps_the_original_task_and_its_history(world, agreement, year_end):
    task, _closed = year_end
    before = list(task.events.values_list("pk", flat=True))
    services.carry_over(
        world.users["partnership_coordinator"], agreement, year=2027, task_ids=[task.pk]
    )
    task.refresh_from_db()
    assert task.agreement == agreement and task.percent == 60
    assert set(before) <= set(task.events.values_list("pk", flat=True))


def test_it_does_not_carry_a_task_twice(world, agreement, year_end):
    task, _closed = year_end
    coord = world.users["partnership_coordinator"]
    services.carry_over(coord, agreement, year=2027, task_ids=[task.pk])
    draft = services.carry_over(coord, agreement, year=2027, task_ids=[task.pk])
    assert draft.tasks.count() == 1
    assert AnnualAgreement.objects.filter(partnership=world.pair_a, year=2027).count() == 1


def test_it_refuses_to_carry_into_an_adopted_agreement(world, agreement, year_end):
    task, _closed = year_end
    AgreementFactory(partnership=world.pair_a, year=2027, status="adopted")
    with pytest.raises(ValidationError):
        services.carry_over(
            world.users["partnership_coordinator"], agreement, year=2027, task_ids=[task.pk]
        )


def test_it_drafts_next_years_agreement_from_the_page(world, login, agreement, year_end):
    task, _closed = year_end
    client = login(world.users["partnership_coordinator"])
    form = client.get(_url("agreement_carry_over", agreement.pk)).context["form"]
    assert list(form.fields["tasks"].queryset) == [task]  # the closed one is not offered
    assert form.fields["year"].initial == 2027
    response = client.post(
        _url("agreement_carry_over", agreement.pk),
        {"year": 2027, "title": "2027年度对口协同发展协议", "tasks": [task.pk]},
    )
    draft = AnnualAgreement.objects.get(partnership=world.pair_a, year=2027)
    assert response.status_code == 302 and response["Location"] == _url(
        "agreement_detail", draft.pk
    )
    assert draft.title == "2027年度对口协同发展协议"
    html = client.get(response["Location"]).content.decode()
    assert task.title in html and _url("task_detail", task.pk) in html  # link to the original


def test_it_refuses_carry_over_to_an_earlier_year(world, login, agreement, year_end):
    response = login(world.users["partnership_coordinator"]).post(
        _url("agreement_carry_over", agreement.pk), {"year": 2026, "tasks": [year_end[0].pk]}
    )
    assert response.status_code == 200 and response.context["form"].errors["year"]
    assert not AnnualAgreement.objects.filter(year__gt=2026).exists()
