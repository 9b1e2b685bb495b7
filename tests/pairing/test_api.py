"""The pairing API: scope across pairs (404), visible-but-forbidden (403), field errors (400),
stale versions (409), confirmation by the other side only, follow-up → task, compliance,
secondments, trainings and inspection visits; statuses and what the database holds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conference.factories import AgreementFactory
from xietong.conference.models import Task
from xietong.conference.versions import version_of
from xietong.core.models import Membership, Notification, SecurityEvent
from xietong.enterprise.models import Enterprise
from xietong.pairing import services
from xietong.pairing.models import (
    DepartmentPair,
    FollowUpAction,
    InspectionVisit,
    Secondment,
    Training,
    WorkContact,
)

from .conftest import contact

API = "/api/v1"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)


def contact_payload(pair, **overrides) -> dict:
    return {
        "pair": pair.pk,
        "held_on": yesterday().isoformat(),
        "form": "video",
        "host_side": "developed",
        "topics": "汽车零部件本地配套对接",
        "outcomes": "商定下月赴万州实地调研",
        "participants": [
            {"side": "developed", "name": "张伟", "unit": "产业促进局", "title": "科员"},
            {"side": "partner", "name": "刘洋", "unit": "经济信息委"},
        ],
        "follow_ups": [
            {"text": "梳理万州配套企业清单", "owner_side": "partner", "due_on": "2026-12-31"},
            {"text": "组织整车企业赴万州考察", "owner_side": "developed"},
        ],
        **overrides,
    }


@pytest.fixture
def recorded(dept_pair, people) -> WorkContact:
    """A video meeting recorded by the developed side's staff, awaiting confirmation."""
    response = client_for(people.developed_staff).post(
        f"{API}/work-contacts/", contact_payload(dept_pair), format="json"
    )
    assert response.status_code == 201, response.content
    return WorkContact.objects.get(pk=response.json()["id"])


# --- Department pairs -----------------------------------------------------------------


def test_pairs_are_listed_within_scope_only(world, people, dept_pair, pair_b_pair):
    assert ids(client_for(people.developed_staff).get(f"{API}/department-pairs/")) == [dept_pair.pk]
    assert ids(client_for(people.b_staff).get(f"{API}/department-pairs/")) == [pair_b_pair.pk]
    assert ids(client_for(people.programme_coordinator).get(f"{API}/department-pairs/")) == [
        dept_pair.pk,
        pair_b_pair.pk,
    ]
    for user in (people.b_staff, world.users["enterprise_user"], world.users["security_auditor"]):
        response = client_for(user).get(f"{API}/department-pairs/{dept_pair.pk}/")
        assert response.status_code == 404
    body = client_for(people.partner_staff).get(f"{API}/department-pairs/{dept_pair.pk}/").json()
    assert body["name"] == "产业促进局 ↔ 区经济信息委"
    assert body["partner_lead"]["username"] == "wz_staff"
    assert body["version"] == version_of(dept_pair)


def test_coordinators_create_pairs_and_others_get_403(world, people):
    from tests.factories import OrgUnitFactory

    invest = OrgUnitFactory(region=world.pair_a.partner_side, name="招商投资促进局")
    payload = {
        "partnership": world.pair_a.pk,
        "developed_unit": world.unit_a_dev.pk,
        "partner_unit": invest.pk,
        "started_on": "2025-03-01",
        "frequency": "bimonthly",
        "partner_lead": people.partner_staff.pk,
    }
    for user in (people.developed_staff, world.users["leader"]):
        response = client_for(user).post(f"{API}/department-pairs/", payload, format="json")
        assert response.status_code == 403
    assert not DepartmentPair.objects.exists()
    response = client_for(people.partner_coordinator).post(
        f"{API}/department-pairs/", payload, format="json"
    )
    assert response.status_code == 201, response.content
    pair = DepartmentPair.objects.get()
    assert (pair.partner_unit, pair.frequency, pair.partner_lead) == (
        invest,
        "bimonthly",
        people.partner_staff,
    )
    # The same two departments again: a field error, nothing written.
    again = client_for(people.partner_coordinator).post(
        f"{API}/department-pairs/", payload, format="json"
    )
    assert again.status_code == 400
    assert "partner_unit" in again.json()
    assert DepartmentPair.objects.count() == 1


def test_a_pair_of_the_wrong_sides_or_out_of_scope_units_is_a_400(world, people):
    payload = {
        "partnership": world.pair_a.pk,
        "developed_unit": world.unit_a_partner.pk,  # a 万州区 unit as the developed side
        "partner_unit": world.unit_a_partner.pk,
        "started_on": "2025-03-01",
    }
    coordinator = client_for(people.developed_coordinator)
    response = coordinator.post(f"{API}/department-pairs/", payload, format="json")
    assert response.status_code == 400
    assert "developed_unit" in response.json()
    # Pair B's unit is not in the coordinator's scope: refused like a missing id.
    payload["developed_unit"] = world.unit_b.pk
    response = coordinator.post(f"{API}/department-pairs/", payload, format="json")
    assert response.status_code == 400
    assert "developed_unit" in response.json()
    payload["developed_unit"] = 999_999
    missing = coordinator.post(f"{API}/department-pairs/", payload, format="json")
    assert missing.json().keys() == response.json().keys()
    assert not DepartmentPair.objects.exists()


def test_a_stale_version_is_a_409_and_a_current_one_saves(people, dept_pair):
    coordinator = client_for(people.developed_coordinator)
    url = f"{API}/department-pairs/{dept_pair.pk}/"
    version = coordinator.get(url).json()["version"]
    first = coordinator.patch(url, {"note": "每月第三周对接", "version": version}, format="json")
    assert first.status_code == 200, first.content
    stale = coordinator.patch(url, {"frequency": "quarterly", "version": version}, format="json")
    assert stale.status_code == 409
    assert stale.json()["version"] == first.json()["version"]
    dept_pair.refresh_from_db()
    assert (dept_pair.note, dept_pair.frequency) == ("每月第三周对接", "monthly")


def test_a_pair_is_ended_and_one_with_contacts_is_not_deleted(people, dept_pair):
    contact(dept_pair, people.developed_staff, date(2025, 2, 10))
    coordinator = client_for(people.developed_coordinator)
    staff = client_for(people.developed_staff)
    url = f"{API}/department-pairs/{dept_pair.pk}/"
    assert staff.post(f"{url}end/", {"ended_on": "2025-12-31"}, format="json").status_code == 403
    assert coordinator.delete(url).status_code == 400
    response = coordinator.post(f"{url}end/", {"ended_on": "2025-12-31"}, format="json")
    assert response.status_code == 200
    assert response.json()["active"] is False
    dept_pair.refresh_from_db()
    assert dept_pair.ended_on == date(2025, 12, 31)
    too_early = coordinator.post(f"{url}end/", {"ended_on": "2025-02-01"}, format="json")
    assert too_early.status_code == 400
    assert "ended_on" in too_early.json()


def test_a_pair_without_contacts_is_deleted_by_a_coordinator(people, dept_pair):
    url = f"{API}/department-pairs/{dept_pair.pk}/"
    assert client_for(people.developed_staff).delete(url).status_code == 403
    assert client_for(people.developed_coordinator).delete(url).status_code == 204
    assert not DepartmentPair.objects.exists()


# --- Work contacts --------------------------------------------------------------------


def test_a_side_records_a_contact_with_participants_and_follow_ups(people, recorded):
    assert recorded.status == WorkContact.Status.AWAITING
    assert (recorded.recorded_by, recorded.recorded_side) == (people.developed_staff, "developed")
    assert sorted(recorded.participants.values_list("side", "name")) == [
        ("developed", "张伟"),
        ("partner", "刘洋"),
    ]
    actions = list(recorded.follow_ups.order_by("pk"))
    assert [(a.text, a.owner_side, a.due_on) for a in actions] == [
        ("梳理万州配套企业清单", "partner", date(2026, 12, 31)),
        ("组织整车企业赴万州考察", "developed", None),
    ]
    # The other side is asked to confirm it.
    assert Notification.objects.filter(user=people.partner_staff).count() == 1
    body = client_for(people.partner_staff).get(f"{API}/work-contacts/{recorded.pk}/").json()
    assert body["status"] == "awaiting_confirmation"
    assert len(body["participants"]) == 2 and len(body["follow_ups"]) == 2


def test_recording_is_refused_to_outsiders_leaders_and_for_future_dates(world, people, dept_pair):
    payload = contact_payload(dept_pair)
    assert (
        client_for(world.users["leader"])
        .post(f"{API}/work-contacts/", payload, format="json")
        .status_code
        == 403
    )
    # Pair B's staff do not see the pair: it is refused like a pair that does not exist.
    outsider = client_for(people.b_staff).post(f"{API}/work-contacts/", payload, format="json")
    assert outsider.status_code == 400
    assert "pair" in outsider.json()
    future = client_for(people.developed_staff).post(
        f"{API}/work-contacts/",
        {**payload, "held_on": (timezone.localdate() + timedelta(days=3)).isoformat()},
        format="json",
    )
    assert future.status_code == 400
    assert "held_on" in future.json()
    missing = client_for(people.developed_staff).post(
        f"{API}/work-contacts/", {**payload, "form": "other", "topics": ""}, format="json"
    )
    assert missing.status_code == 400
    assert {"form_other", "topics"} <= missing.json().keys()
    assert not WorkContact.objects.exists()


def test_only_the_other_side_confirms(world, people, recorded):
    url = f"{API}/work-contacts/{recorded.pk}/confirm/"
    for user in (people.developed_staff, people.developed_coordinator, world.users["leader"]):
        assert client_for(user).post(url, {}, format="json").status_code == 403
    assert client_for(people.b_staff).post(url, {}, format="json").status_code == 404
    recorded.refresh_from_db()
    assert recorded.status == WorkContact.Status.AWAITING
    response = client_for(people.partner_staff).post(url, {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["confirmed_by"]["username"] == "wz_staff"
    recorded.refresh_from_db()
    assert (recorded.status, recorded.confirmed_by) == ("confirmed", people.partner_staff)
    # Confirmed: no second confirmation, and no more edits by the recorder.
    again = client_for(people.partner_coordinator).post(url, {}, format="json")
    assert again.status_code == 400
    edit = client_for(people.developed_staff).patch(
        f"{API}/work-contacts/{recorded.pk}/", {"topics": "改写"}, format="json"
    )
    assert edit.status_code == 403
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.DENIED).exists()


def test_return_needs_a_reason_and_the_recorder_resubmits(people, recorded):
    partner = client_for(people.partner_staff)
    url = f"{API}/work-contacts/{recorded.pk}/"
    blank = partner.post(f"{url}return/", {"reason": " "}, format="json")
    assert blank.status_code == 400
    assert "reason" in blank.json()
    returned = partner.post(f"{url}return/", {"reason": "参会人员有误"}, format="json")
    assert returned.status_code == 200
    recorded.refresh_from_db()
    assert (recorded.status, recorded.return_reason) == ("returned", "参会人员有误")
    assert partner.post(f"{url}resubmit/", {}, format="json").status_code == 403
    response = client_for(people.developed_staff).post(
        f"{url}resubmit/",
        {"participants": [{"side": "partner", "name": "任涛", "unit": "经济信息委"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    recorded.refresh_from_db()
    assert recorded.status == WorkContact.Status.AWAITING
    assert list(recorded.participants.values_list("name", flat=True)) == ["任涛"]


def test_a_stale_contact_edit_is_a_409(people, recorded):
    staff = client_for(people.developed_staff)
    url = f"{API}/work-contacts/{recorded.pk}/"
    version = staff.get(url).json()["version"]
    ok = staff.patch(url, {"place": "万州区经济信息委会议室", "version": version}, format="json")
    assert ok.status_code == 200, ok.content
    stale = staff.patch(url, {"topics": "覆盖别人的修改", "version": version}, format="json")
    assert stale.status_code == 409
    recorded.refresh_from_db()
    assert (recorded.place, recorded.topics) == ("万州区经济信息委会议室", "汽车零部件本地配套对接")
    # A confirmation sent with a stale version is refused as well.
    late = client_for(people.partner_staff).post(
        f"{url}confirm/", {"version": version}, format="json"
    )
    assert late.status_code == 409
    recorded.refresh_from_db()
    assert recorded.status == WorkContact.Status.AWAITING


def test_contacts_filter_by_pair_month_and_status(people, dept_pair, pair_b_pair):
    march = contact(dept_pair, people.developed_staff, date(2025, 3, 12))
    april = contact(
        dept_pair, people.developed_staff, date(2025, 4, 2), status=WorkContact.Status.AWAITING
    )
    contact(pair_b_pair, people.b_staff, date(2025, 3, 20))
    staff = client_for(people.developed_staff)
    assert ids(staff.get(f"{API}/work-contacts/")) == [april.pk, march.pk]
    assert ids(staff.get(f"{API}/work-contacts/", {"month": "2025-03"})) == [march.pk]
    assert ids(staff.get(f"{API}/work-contacts/", {"status": "awaiting_confirmation"})) == [
        april.pk
    ]
    assert ids(staff.get(f"{API}/work-contacts/", {"pair": dept_pair.pk, "month": "2025-04"})) == [
        april.pk
    ]
    assert staff.get(f"{API}/work-contacts/", {"month": "2025-13"}).status_code == 400
    # Filtering on pair B's pair: refused like an id that does not exist.
    assert staff.get(f"{API}/work-contacts/", {"pair": pair_b_pair.pk}).status_code == 400


def test_a_coordinator_turns_a_follow_up_into_a_task(world, people, recorded):
    AgreementFactory(partnership=world.pair_a, year=timezone.localdate().year)
    action = recorded.follow_ups.get(owner_side="partner")
    url = f"{API}/follow-up-actions/{action.pk}/task/"
    assert client_for(people.developed_staff).post(url, {}, format="json").status_code == 403
    assert client_for(people.b_staff).post(url, {}, format="json").status_code == 404
    response = client_for(people.developed_coordinator).post(url, {}, format="json")
    assert response.status_code == 201, response.content
    task = Task.objects.get()
    assert response.json()["task"]["code"] == task.code == f"{timezone.localdate().year}-DJ01"
    assert task.title == "梳理万州配套企业清单"
    assert task.pairing_actions.get() == action
    again = client_for(people.developed_coordinator).post(url, {}, format="json")
    assert again.status_code == 400
    assert Task.objects.count() == 1


def test_follow_ups_are_added_on_a_contact(world, people, recorded):
    url = f"{API}/work-contacts/{recorded.pk}/follow-ups/"
    body = {"text": "互派干部参加招商推介会", "owner_side": "developed"}
    assert client_for(world.users["leader"]).post(url, body, format="json").status_code == 403
    response = client_for(people.partner_staff).post(url, body, format="json")
    assert response.status_code == 201
    assert FollowUpAction.objects.filter(contact=recorded, text="互派干部参加招商推介会").exists()
    listed = client_for(people.developed_staff).get(
        f"{API}/follow-up-actions/", {"contact": recorded.pk, "has_task": "false"}
    )
    assert len(ids(listed)) == 3


def test_a_recorder_withdraws_an_unconfirmed_contact(people, recorded):
    url = f"{API}/work-contacts/{recorded.pk}/"
    assert client_for(people.partner_staff).delete(url).status_code == 403
    assert client_for(people.developed_staff).delete(url).status_code == 204
    assert not WorkContact.objects.exists()


# --- Compliance -----------------------------------------------------------------------


def test_the_grid_and_rates_of_a_partnership(world, people, dept_pair):
    contact(dept_pair, people.developed_staff, date(2025, 1, 15))
    contact(dept_pair, people.developed_staff, date(2025, 2, 5), status="awaiting_confirmation")
    staff = client_for(people.partner_staff)
    url = f"{API}/pairing-compliance/{world.pair_a.pk}/"
    grid = staff.get(f"{url}grid/", {"year": 2025})
    assert grid.status_code == 200, grid.content
    (row,) = grid.json()["rows"]
    states = [cell["status"] for cell in row["cells"]]
    assert states == ["held", "unconfirmed"] + ["missed"] * 10
    assert row["total"]["held"] == 1 and row["total"]["due"] == 12
    rates = staff.get(f"{url}rates/", {"year": 2025}).json()
    assert rates["pairs"][0]["quarters"][0] == {
        "held": 1,
        "unconfirmed": 1,
        "missed": 1,
        "not_yet": 0,
        "due": 3,
        "rate": pytest.approx(1 / 3),
        "quarter": 1,
    }
    developed = next(side for side in rates["sides"] if side["side"] == "developed")
    assert developed["units"][0]["name"] == "产业促进局"
    assert developed["hosted"] == 1
    # Another pair's people, the enterprise user: 404; a bad year: 400.
    assert client_for(people.b_staff).get(f"{url}grid/").status_code == 404
    assert client_for(world.users["enterprise_user"]).get(f"{url}rates/").status_code == 404
    assert staff.get(f"{url}grid/", {"year": "x"}).status_code == 400


# --- Secondments, trainings, visits ---------------------------------------------------


@pytest.fixture
def secondment_payload(world, people) -> dict:
    return {
        "partnership": world.pair_a.pk,
        "person_name": "何清荣",
        "person_title": "万州区招商投资局科长",
        "sending_unit": world.unit_a_partner.pk,
        "host_unit": world.unit_a_dev.pk,
        "position": "招商一处副处长",
        "starts_on": "2026-03-01",
        "ends_on": "2026-08-31",
        "mentor": people.developed_staff.pk,
        "goals": "学习产业链招商工作方法",
    }


def test_secondments_created_evaluated_cancelled_and_counted(world, people, secondment_payload):
    staff = client_for(people.developed_staff)
    assert staff.post(f"{API}/secondments/", secondment_payload, format="json").status_code == 403
    coordinator = client_for(people.developed_coordinator)
    response = coordinator.post(f"{API}/secondments/", secondment_payload, format="json")
    assert response.status_code == 201, response.content
    secondment = Secondment.objects.get()
    assert secondment.mentor == people.developed_staff
    wrong = {**secondment_payload, "sending_unit": world.unit_a_dev.pk}
    bad = coordinator.post(f"{API}/secondments/", wrong, format="json")
    assert bad.status_code == 400 and "sending_unit" in bad.json()
    # The mentor evaluates; the partner side's staff may not.
    url = f"{API}/secondments/{secondment.pk}/"
    body = {"stage": "mid", "evaluation": "熟悉招商流程，工作积极", "rating": "good"}
    assert (
        client_for(people.partner_staff).post(f"{url}evaluate/", body, format="json").status_code
        == 403
    )
    evaluated = staff.post(f"{url}evaluate/", body, format="json")
    assert evaluated.status_code == 200, evaluated.content
    secondment.refresh_from_db()
    assert (secondment.mid_rating, secondment.mid_evaluation) == ("good", "熟悉招商流程，工作积极")
    progress = staff.get(
        f"{API}/secondments/progress/", {"partnership": world.pair_a.pk, "year": 2026}
    )
    assert progress.json() == {
        "year": 2026,
        "minimum": 2,
        "target": 3,
        "actual": 1,
        "state": "short",
    }
    cancel = coordinator.post(f"{url}cancel/", {"reason": "工作调整"}, format="json")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    progress = staff.get(
        f"{API}/secondments/progress/", {"partnership": world.pair_a.pk, "year": 2026}
    )
    assert progress.json()["actual"] == 0
    assert (
        client_for(people.b_staff)
        .get(f"{API}/secondments/progress/", {"partnership": world.pair_a.pk})
        .status_code
        == 404
    )
    assert client_for(people.b_staff).get(url).status_code == 404
    assert coordinator.delete(url).status_code == 405


def test_trainings_with_attendees_and_the_per_person_record(world, people):
    staff = client_for(people.partner_staff)
    payload = {
        "partnership": world.pair_a.pk,
        "title": "产业链招商实务培训",
        "held_on": "2026-05-20",
        "host_unit": world.unit_a_dev.pk,
        "attendees": [
            {"name": "刘洋", "user": people.partner_staff.pk, "hours": "6.0"},
            {"name": "谭勇", "unit_name": "招商投资促进局", "hours": "6.0"},
        ],
    }
    response = staff.post(f"{API}/trainings/", payload, format="json")
    assert response.status_code == 201, response.content
    second = {**payload, "title": "招商项目策划包装", "held_on": "2026-06-10"}
    second["attendees"] = [{"name": "刘洋", "user": people.partner_staff.pk, "hours": "3.5"}]
    assert staff.post(f"{API}/trainings/", second, format="json").status_code == 201
    assert Training.objects.count() == 2
    negative = {**payload, "attendees": [{"name": "谭勇", "hours": "-1"}]}
    assert staff.post(f"{API}/trainings/", negative, format="json").status_code == 400
    records = staff.get(f"{API}/trainings/records/", {"partnership": world.pair_a.pk}).json()
    assert [(r["name"], Decimal(r["hours"]), r["count"]) for r in records] == [
        ("刘洋", Decimal("9.5"), 2),
        ("谭勇", Decimal("6.0"), 1),
    ]
    training = Training.objects.get(title="产业链招商实务培训")
    url = f"{API}/trainings/{training.pk}/"
    assert client_for(world.users["leader"]).patch(url, {"place": "x"}).status_code == 403
    assert client_for(people.b_staff).get(url).status_code == 404
    stale = staff.patch(url, {"place": "两江新区", "version": "0000"}, format="json")
    assert stale.status_code == 409


def test_visits_are_read_by_the_enterprise_that_took_part(world, people):
    from tests.enterprise.conftest import credit_code

    pair = world.pair_a
    own = Enterprise.objects.create(
        partnership=pair, side=pair.partner_side, name="万州测试企业", credit_code=credit_code(21)
    )
    user = world.users["enterprise_user"]
    Membership.objects.filter(user=user).update(enterprise=own)
    payload = {
        "partnership": pair.pk,
        "visiting_side": "partner",
        "starts_on": "2026-04-01",
        "ends_on": "2026-04-02",
        "destination": "两江新区鱼复工业园",
        "enterprises": [own.pk],
    }
    response = client_for(people.partner_staff).post(
        f"{API}/inspection-visits/", payload, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["host_side"] == "developed"
    visit = InspectionVisit.objects.get()
    assert list(visit.enterprises.all()) == [own]
    enterprise = client_for(user)
    assert ids(enterprise.get(f"{API}/inspection-visits/")) == [visit.pk]
    url = f"{API}/inspection-visits/{visit.pk}/"
    assert enterprise.patch(url, {"findings": "x"}, format="json").status_code == 403
    assert enterprise.get(f"{API}/department-pairs/").json()["results"] == []
    assert client_for(people.b_staff).get(url).status_code == 404
    visit.refresh_from_db()
    assert visit.findings == ""


def test_the_schema_lists_the_pairing_endpoints(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in (
        "/api/v1/department-pairs/",
        "/api/v1/work-contacts/{id}/confirm/",
        "/api/v1/work-contacts/{id}/return/",
        "/api/v1/follow-up-actions/{id}/task/",
        "/api/v1/pairing-compliance/{id}/grid/",
        "/api/v1/secondments/progress/",
        "/api/v1/trainings/records/",
        "/api/v1/inspection-visits/",
    ):
        assert path in paths


def test_services_and_api_agree_on_who_confirms(people, dept_pair):
    # The partner side's coordinator records: the developed side's staff confirms.
    row = services.record_contact(
        people.partner_coordinator,
        dept_pair,
        held_on=yesterday(),
        form="symposium",
        host_side="partner",
        topics="消费协作",
    )
    url = f"{API}/work-contacts/{row.pk}/confirm/"
    assert client_for(people.partner_staff).post(url, {}, format="json").status_code == 403
    assert client_for(people.developed_staff).post(url, {}, format="json").status_code == 200
