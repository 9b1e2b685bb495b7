"""Plans with their key tasks, and annual agreements: their pages, planned against actual,
and drafting next year's agreement with the unfinished tasks carried over."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from xietong.conference import services
from xietong.conference.models import AnnualAgreement, Plan, Task, TaskEvent, TaskUnit

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
    response = client.post(
        _url("agreement_edit", agreement.pk),
        {"year": 2026, "title": "2026年度协议（修订）", "status": "adopted", "preamble": "序言"},
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
