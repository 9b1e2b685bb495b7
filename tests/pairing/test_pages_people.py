"""Pages of secondments, trainings and inspection visits: what each person sees (in
Chinese by default), what the forms refuse field by field, the yearly target against
actuals, per-person hours, and who may write (pair B: 404; leaders: 403, nothing changes)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from xietong.conference.versions import version_of
from xietong.enterprise.models import Enterprise
from xietong.pairing import services
from xietong.pairing.models import InspectionVisit, Secondment, Training, TrainingAttendance


def _secondment(world, people, name, starts_on, **extra):
    values = {
        "sending_unit": world.unit_a_partner,
        "host_unit": world.unit_a_dev,
        "starts_on": starts_on,
        "ends_on": starts_on + timedelta(days=180),
        "mentor_name": "王处长",
        "goals": "学习产业招商经验",
        **extra,
    }
    return services.create_secondment(
        people.developed_coordinator, partnership=world.pair_a, person_name=name, **values
    )


def page(client, name, *args, query=""):
    return client.get(reverse(f"pairing:{name}", args=args) + query)


# --- Secondments ----------------------------------------------------------------------


def test_the_secondment_list_shows_the_year_against_its_target(world, people, login):
    _secondment(world, people, "刘挂职", date(2026, 3, 1))
    _secondment(world, people, "张挂职", date(2026, 9, 1))
    cancelled = _secondment(world, people, "赵挂职", date(2026, 10, 1))
    services.cancel_secondment(people.developed_coordinator, cancelled, reason="工作调整")
    _secondment(world, people, "钱挂职", date(2025, 9, 1))
    client = login(people.developed_coordinator)

    html = page(client, "secondment_list", query="?year=2026").content.decode()

    assert "2026年：已派 2 人 / 目标 3 人" in html
    assert "已达最低人数（2 人），距目标 3 人还差 1 人" in html
    assert "刘挂职" in html and "赵挂职" in html and "已取消" in html
    assert "钱挂职" not in html
    html = page(client, "secondment_list", query="?year=2025").content.decode()
    assert "2025年：已派 1 人 / 目标 3 人" in html
    assert "未达最低人数：距最低 2 人还差 1 人" in html


def test_the_secondment_list_says_when_the_target_is_met_in_english(world, people, login):
    for n, month in enumerate((2, 4, 6)):
        _secondment(world, people, f"挂职{n}", date(2026, month, 1))
    client = login(people.developed_coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = page(client, "secondment_list", query="?year=2026").content.decode()

    assert "2026: 3 sent / target 3" in html
    assert "Target met" in html


def test_the_secondment_detail_shows_units_mentor_goals_and_evaluations(world, people, login):
    today = timezone.localdate()
    secondment = _secondment(
        world, people, "刘挂职", today - timedelta(days=30), position="招商二处副处长"
    )
    services.evaluate_secondment(
        people.developed_staff, secondment, stage="mid", evaluation="进步明显", rating="good"
    )

    html = page(login(people.developed_staff), "secondment_detail", secondment.pk)
    html = html.content.decode()

    for text in ("派出单位", "区经济信息委", "接收单位", "产业促进局", "招商二处副处长", "王处长"):
        assert text in html
    assert "学习产业招商经验" in html
    assert "进步明显" in html and "良好" in html
    assert "挂职中" in html
    # The host unit's staff may evaluate, not edit or cancel.
    assert reverse("pairing:secondment_evaluate", args=[secondment.pk, "mid"]) in html
    assert reverse("pairing:secondment_edit", args=[secondment.pk]) not in html


def test_a_secondment_is_created_from_the_form(world, people, login):
    client = login(people.developed_coordinator)
    url = reverse("pairing:secondment_create") + f"?partnership={world.pair_a.pk}"
    assert "挂职干部" in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "person_name": "孙挂职",
            "person_title": "万州区经济信息委科长",
            "sending_unit": world.unit_a_partner.pk,
            "host_unit": world.unit_a_dev.pk,
            "starts_on": "2026-03-01",
            "ends_on": "2026-08-31",
            "mentor": people.developed_staff.pk,
            "goals": "熟悉整车配套招商流程",
        },
    )

    secondment = Secondment.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("pairing:secondment_detail", args=[secondment.pk])
    assert (secondment.person_name, secondment.mentor) == ("孙挂职", people.developed_staff)


def test_the_secondment_form_shows_field_errors(world, people, login):
    client = login(people.developed_coordinator)
    url = reverse("pairing:secondment_create") + f"?partnership={world.pair_a.pk}"

    response = client.post(
        url,
        {
            "person_name": "",
            "sending_unit": world.unit_a_dev.pk,  # not of the partner side: not a choice
            "host_unit": world.unit_a_dev.pk,
            "starts_on": "2026-09-01",
            "ends_on": "2026-03-01",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "请填写挂职干部姓名。" in html
    assert "结束日期不能早于开始日期。" in html
    assert "选择一个有效的选项" in html  # the sending unit
    assert not Secondment.objects.exists()


def test_a_stale_secondment_edit_answers_409_and_keeps_the_input(world, people, login):
    secondment = _secondment(world, people, "刘挂职", date(2026, 3, 1))
    version = version_of(secondment)
    services.update_secondment(
        people.partner_coordinator, secondment, position="招商一处副处长", version=version
    )
    client = login(people.developed_coordinator)

    response = client.post(
        reverse("pairing:secondment_edit", args=[secondment.pk]),
        {
            "person_name": "刘挂职",
            "sending_unit": world.unit_a_partner.pk,
            "host_unit": world.unit_a_dev.pk,
            "position": "招商二处副处长",
            "starts_on": "2026-03-01",
            "ends_on": "2026-08-28",
            "version": version,
        },
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "招商二处副处长" in html and "招商一处副处长" in html
    secondment.refresh_from_db()
    assert secondment.position == "招商一处副处长"


def test_evaluations_and_cancellation_from_the_pages(world, people, login):
    today = timezone.localdate()
    secondment = _secondment(world, people, "刘挂职", today - timedelta(days=30))
    client = login(people.developed_staff)  # the host unit's staff
    mid = reverse("pairing:secondment_evaluate", args=[secondment.pk, "mid"])
    final = reverse("pairing:secondment_evaluate", args=[secondment.pk, "final"])
    version = version_of(secondment)

    empty = client.post(mid, {"evaluation": "", "rating": "", "version": version})
    assert "请填写评价内容。" in empty.content.decode()
    assert "请选择评价等次。" in empty.content.decode()
    early = client.post(final, {"evaluation": "圆满", "rating": "good", "version": version})
    assert "期满评价须在挂职最后一个月起填写。" in early.content.decode()
    done = client.post(mid, {"evaluation": "进步明显", "rating": "excellent", "version": version})
    assert done.status_code == 302
    secondment.refresh_from_db()
    assert (secondment.mid_evaluation, secondment.mid_rating, secondment.final_rating) == (
        "进步明显",
        "excellent",
        "",
    )

    cancel = reverse("pairing:secondment_cancel", args=[secondment.pk])
    assert login(people.developed_staff).post(cancel, {"reason": "x"}).status_code == 403
    client = login(people.developed_coordinator)
    blank = client.post(cancel, {"reason": "", "version": version_of(secondment)})
    assert "请说明取消挂职的原因。" in blank.content.decode()
    client.post(cancel, {"reason": "工作调整", "version": version_of(secondment)})
    secondment.refresh_from_db()
    assert secondment.cancelled and secondment.cancel_reason == "工作调整"
    assert services.secondment_progress(world.pair_a, secondment.starts_on.year).actual == 0


# --- Trainings ------------------------------------------------------------------------


def test_the_training_detail_lists_attendees_with_hours(world, people, login, trainings):
    first, _second = trainings
    html = page(login(people.partner_staff), "training_detail", first.pk).content.decode()

    assert "招商实务培训" in html and "参训人员及学时" in html
    assert "李教授" in html and "王处长" in html
    assert "陈招商" in html and "周某" in html and "万州经开区" in html
    assert '<div class="h1 mb-0" data-testid="hours-total">8.0</div>' in html
    assert (
        reverse("pairing:person_training")
        + f"?user={trainings[0].attendances.get(name='陈招商').user_id}"
        in html
    )


def test_a_persons_training_record_sums_the_hours(world, people, login, trainings, trainee):
    client = login(people.developed_coordinator)

    html = page(client, "person_training", query=f"?user={trainee.pk}").content.decode()

    assert "陈招商" in html and "招商实务培训" in html and "产业链招商专题" in html
    assert '<div class="h1 mb-0" data-testid="person-hours">9.5</div>' in html
    assert '<div class="h1 mb-0" data-testid="session-count">2</div>' in html
    by_name = page(client, "person_training", query="?name=周某&unit=万州经开区")
    assert 'data-testid="person-hours">2.0<' in by_name.content.decode()
    records = page(client, "training_records").content.decode()
    assert records.index("陈招商") < records.index("周某")
    assert "9.5" in records and "培训档案" in records
    assert page(client, "person_training", query="?name=无此人&unit=x").status_code == 404


def test_a_training_is_created_with_its_attendees(world, people, login, trainee):
    client = login(people.developed_staff)
    url = reverse("pairing:training_create") + f"?partnership={world.pair_a.pk}"
    assert "参训人员及学时" in client.get(url).content.decode()
    data = {
        "title": "招商政策解读",
        "held_on": "2026-07-01",
        "place": "两江新区行政中心",
        "host_unit": world.unit_a_dev.pk,
        "attendees-TOTAL_FORMS": "3",
        "attendees-INITIAL_FORMS": "0",
        "attendees-0-person": trainee.pk,
        "attendees-0-hours": "4",
        "attendees-1-name": "吴某",
        "attendees-1-unit_name": "万州区投资促进中心",
        "attendees-1-hours": "2.5",
    }

    response = client.post(url, data)

    training = Training.objects.get()
    assert response.status_code == 302
    rows = sorted((a.name, a.side, a.unit_label, a.hours) for a in training.attendances.all())
    assert rows == [
        ("吴某", "partner", "万州区投资促进中心", Decimal("2.5")),
        ("陈招商", "partner", "区经济信息委", Decimal("4.0")),
    ]


def test_the_training_form_shows_row_errors(world, people, login, trainee):
    client = login(people.developed_staff)
    url = reverse("pairing:training_create") + f"?partnership={world.pair_a.pk}"

    response = client.post(
        url,
        {
            "title": "",
            "held_on": "2026-07-01",
            "attendees-TOTAL_FORMS": "3",
            "attendees-INITIAL_FORMS": "0",
            "attendees-0-name": "吴某",
            "attendees-1-name": "郑某",
            "attendees-1-unit": world.unit_a_dev.pk,
            "attendees-1-side": "partner",
            "attendees-1-hours": "2",
            "attendees-2-unit_name": "万州区投资促进中心",
            "attendees-2-hours": "-1",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "请填写参训学时。" in html
    assert "该单位不属于参训人员所在一方。" in html
    assert "请选择人员或填写姓名。" in html
    assert "确保该值大于或等于" in html  # the negative hours
    assert "该字段是必填项。" in html  # the title
    assert not Training.objects.exists()


def test_a_training_edit_replaces_the_attendees(world, people, login, trainings, trainee):
    first, _second = trainings
    client = login(people.developed_coordinator)
    url = reverse("pairing:training_edit", args=[first.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "title": "招商实务培训（第一期）",
            "held_on": "2026-04-08",
            "version": version_of(first),
            "attendees-TOTAL_FORMS": "2",
            "attendees-INITIAL_FORMS": "2",
            "attendees-0-person": trainee.pk,
            "attendees-0-name": "陈招商",
            "attendees-0-side": "partner",
            "attendees-0-hours": "7",
            "attendees-1-name": "周某",
            "attendees-1-unit_name": "万州经开区",
            "attendees-1-hours": "2",
            "attendees-1-DELETE": "on",
        },
    )

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.title == "招商实务培训（第一期）"
    assert [(a.name, a.hours) for a in first.attendances.all()] == [("陈招商", Decimal("7.0"))]
    stale = client.post(
        url,
        {
            "title": "旧",
            "held_on": "2026-04-08",
            "version": "0" * 16,
            "attendees-TOTAL_FORMS": "0",
            "attendees-INITIAL_FORMS": "0",
        },
    )
    assert stale.status_code == 409


# --- Inspection visits ----------------------------------------------------------------


def test_the_visit_detail_shows_sides_enterprises_and_follow_ups(world, people, login, visits):
    with_own, _without = visits
    html = page(login(people.developed_staff), "visit_detail", with_own.pk).content.decode()

    assert "万州区（协同方）" in html and "两江新区（支持方）" in html
    assert html.index("万州区（协同方）") < html.index("两江新区（支持方）")
    for text in ("两江新区鱼复工业园", "万州区副区长", "考察汽车零部件配套", "三家企业有配套意向"):
        assert text in html
    assert "6月底前组织专场对接" in html
    # 两江新区's staff see 万州's enterprises only when shared: names, no links.
    assert "万州测试企业" in html
    assert (
        reverse("enterprise:enterprise_detail", args=[with_own.enterprises.first().pk]) not in html
    )


def test_the_visit_detail_links_enterprises_the_user_sees(world, people, login, visits, firms):
    own, partner_other, _developed = firms
    html = page(login(people.partner_staff), "visit_detail", visits[0].pk).content.decode()
    assert reverse("enterprise:enterprise_detail", args=[own.pk]) in html
    assert reverse("enterprise:enterprise_detail", args=[partner_other.pk]) in html


def test_an_enterprise_user_sees_only_its_visit_read_only(world, people, login, visits):
    with_own, without = visits
    client = login(world.users["enterprise_user"])

    listing = page(client, "visit_list").content.decode()
    assert "两江新区鱼复工业园" in listing and "万州经开区" not in listing
    assert reverse("pairing:visit_create") not in listing
    detail = page(client, "visit_detail", with_own.pk)
    assert detail.status_code == 200
    assert reverse("pairing:visit_edit", args=[with_own.pk]) not in detail.content.decode()
    assert page(client, "visit_detail", without.pk).status_code == 404
    assert page(client, "visit_edit", with_own.pk).status_code == 403
    assert page(client, "visit_create").status_code == 403
    secondments = page(client, "secondment_list")
    assert secondments.status_code == 200 and "尚未登记挂职锻炼。" in secondments.content.decode()


def test_the_enterprise_picker_offers_the_visiting_sides_enterprises(world, people, login, firms):
    _own, _partner_other, developed = firms
    Enterprise.objects.filter(pk=developed.pk).update(shared=True)
    client = login(people.partner_coordinator)
    base = reverse("pairing:visit_enterprises") + f"?partnership={world.pair_a.pk}"

    partner = client.get(base + "&visiting_side=partner").content.decode()
    developed_side = client.get(base + "&visiting_side=developed").content.decode()

    assert "万州测试企业" in partner and "万州食品公司" in partner and "两江汽车" not in partner
    assert "两江汽车" in developed_side and "万州测试企业" not in developed_side
    assert login(world.users["leader"]).get(base + "&visiting_side=partner").status_code == 403


def test_a_visit_is_created_with_enterprises_of_the_visiting_side(world, people, login, firms):
    own, partner_other, developed = firms
    client = login(people.partner_staff)
    url = reverse("pairing:visit_create") + f"?partnership={world.pair_a.pk}"
    values = {
        "visiting_side": "partner",
        "starts_on": "2026-05-06",
        "ends_on": "2026-05-07",
        "destination": "两江新区鱼复工业园",
    }

    wrong = client.post(url, {**values, "enterprises": [own.pk, developed.pk]})
    assert wrong.status_code == 200 and "选择一个有效的选项" in wrong.content.decode()
    backwards = client.post(url, {**values, "ends_on": "2026-05-01"})
    assert "结束日期不能早于开始日期。" in backwards.content.decode()
    assert not InspectionVisit.objects.exists()

    response = client.post(url, {**values, "enterprises": [own.pk, partner_other.pk]})

    visit = InspectionVisit.objects.get()
    assert response.status_code == 302
    assert set(visit.enterprises.all()) == {own, partner_other}
    assert visit.recorded_by == people.partner_staff


def test_a_visit_edit_keeps_enterprises_the_editor_does_not_see(world, people, login, visits):
    _with_own, without = visits  # 两江汽车, not shared: 万州's staff do not see it
    client = login(people.partner_staff)
    url = reverse("pairing:visit_edit", args=[without.pk])
    assert "两江汽车" not in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "visiting_side": "developed",
            "starts_on": "2026-05-06",
            "ends_on": "2026-05-07",
            "destination": "万州经开区",
            "findings": "达成两项合作意向",
            "version": version_of(without),
        },
    )

    assert response.status_code == 302
    without.refresh_from_db()
    assert without.findings == "达成两项合作意向"
    assert [e.name for e in without.enterprises.all()] == ["两江汽车"]


# --- Scope and roles ------------------------------------------------------------------


@pytest.fixture
def everything(world, people, trainings, visits):
    secondment = _secondment(world, people, "刘挂职", timezone.localdate() - timedelta(days=10))
    return {"secondment": secondment, "training": trainings[0], "visit": visits[0]}


def test_pair_b_people_get_404_on_pair_a_pages(world, people, login, everything, trainee):
    client = login(people.b_staff)
    s, t, v = everything["secondment"], everything["training"], everything["visit"]
    for name, pk in [
        ("secondment_detail", s.pk),
        ("secondment_edit", s.pk),
        ("secondment_cancel", s.pk),
        ("training_detail", t.pk),
        ("training_edit", t.pk),
        ("visit_detail", v.pk),
        ("visit_edit", v.pk),
    ]:
        assert page(client, name, pk).status_code == 404, name
    assert page(client, "secondment_evaluate", s.pk, "mid").status_code == 404
    assert page(client, "person_training", query=f"?user={trainee.pk}").status_code == 404
    query = f"?partnership={world.pair_a.pk}"
    assert page(client, "secondment_create", query=query).status_code == 404
    assert "刘挂职" not in page(client, "secondment_list").content.decode()
    assert "招商实务培训" not in page(client, "training_list").content.decode()


def test_leaders_read_but_every_write_is_403(world, people, login, everything):
    client = login(world.users["leader"])
    s, t, v = everything["secondment"], everything["training"], everything["visit"]
    for name, pk in [
        ("secondment_detail", s.pk),
        ("training_detail", t.pk),
        ("visit_detail", v.pk),
    ]:
        html = page(client, name, pk).content.decode()
        assert reverse(f"pairing:{name.split('_')[0]}_edit", args=[pk]) not in html
    assert "刘挂职" in page(client, "secondment_list").content.decode()
    assert "招商实务培训" in page(client, "training_list").content.decode()
    assert "两江新区鱼复工业园" in page(client, "visit_list").content.decode()
    before = (version_of(s), version_of(t), version_of(v))
    writes = [
        ("secondment_create", ()),
        ("secondment_edit", (s.pk,)),
        ("secondment_cancel", (s.pk,)),
        ("secondment_evaluate", (s.pk, "mid")),
        ("training_create", ()),
        ("training_edit", (t.pk,)),
        ("visit_create", ()),
        ("visit_edit", (v.pk,)),
    ]
    for name, args in writes:
        url = reverse(f"pairing:{name}", args=args)
        assert client.get(url).status_code == 403, name
        posted = client.post(
            url,
            {"reason": "x", "evaluation": "x", "rating": "good", "title": "x", "destination": "x"},
        )
        assert posted.status_code == 403, name
    s.refresh_from_db(), t.refresh_from_db(), v.refresh_from_db()
    assert (version_of(s), version_of(t), version_of(v)) == before
    assert Secondment.objects.count() == 1 and Training.objects.count() == 2
    assert InspectionVisit.objects.count() == 2 and TrainingAttendance.objects.count() == 3
