"""The events API: the pages' rules on /api/v1/events/, event-registrations, meeting-requests
and event-meetings — 404 out of scope, 403 for a step the role may not take, 400 with field
errors for bad input or a step the state does not allow — and a whole event run through it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from xietong.enterprise import events
from xietong.enterprise.models import Event, MeetingRequest, ScheduledMeeting

from .test_events import new_event


@pytest.fixture
def api(client):
    def _as(user):
        client.force_login(user)
        client.cookies["django_language"] = "en"
        return client

    return _as


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def event_body(pair, **over):
    body = {
        "partnership": pair.pk,
        "title": "API 联谊会",
        "date": (timezone.localdate() + timedelta(days=5)).isoformat(),
        "place": "两江新区会议中心",
        "themes": ["management"],
        "capacity": 5,
        "start_time": "09:00",
        "slot_minutes": 15,
        "slot_count": 2,
        "tables": 1,
    }
    body.update(over)
    return body


def test_an_event_runs_end_to_end_through_the_api(api, world, people, firms):
    coord = api(people["lj_coord"])
    response = post(coord, "/api/v1/events/", event_body(world.pair_a))
    assert response.status_code == 201, response.content
    ev = response.json()
    assert (ev["status"], ev["organiser"], ev["themes"]) == ("draft", True, ["management"])
    url = f"/api/v1/events/{ev['id']}/"
    opened = post(coord, url + "open/")
    assert opened.json().get("status") == "open", opened.content
    response = patch(coord, url, {"capacity": 6, "place": "万州区会展中心"})
    assert response.status_code == 200 and response.json()["capacity"] == 6

    wz = api(people["wz_ent"])
    response = post(
        wz, url + "register/", {"enterprise": firms.wz_internal.pk, "delegates": "王总"}
    )
    assert response.status_code == 201
    wz_reg = response.json()["id"]
    lj = api(people["lj_ent"])
    lj_reg = post(lj, url + "register/", {"enterprise": firms.lj_shared.pk, "delegates": "李总"})
    lj_reg = lj_reg.json()["id"]
    names = [r["enterprise_name"] for r in lj.get(url + "registrations/").json()]
    assert sorted(names) == ["万州测试企业", "两江共享电子公司"]

    wz = api(people["wz_ent"])
    response = post(
        wz,
        "/api/v1/meeting-requests/",
        {"from_registration": wz_reg, "to_registration": lj_reg, "preference": "must"},
    )
    assert response.status_code == 201, response.content
    req = response.json()
    assert (req["status"], req["to_enterprise"]) == ("pending", "两江共享电子公司")
    # only the enterprise asked answers
    assert (
        post(wz, f"/api/v1/meeting-requests/{req['id']}/answer/", {"accept": True}).status_code
        == 403
    )
    lj = api(people["lj_ent"])
    response = post(lj, f"/api/v1/meeting-requests/{req['id']}/answer/", {"accept": True})
    assert response.json()["status"] == "accepted"
    response = post(lj, f"/api/v1/event-registrations/{lj_reg}/blocked-slots/", {"slots": [1]})
    assert response.status_code == 200 and response.json()["blocked_slots"] == [1]

    coord = api(people["lj_coord"])
    built = post(coord, url + "build/").json()
    assert [(m["slot"], m["table"], m["pinned"]) for m in built["meetings"]] == [(2, 1, False)]
    assert built["not_placed"] == []
    meeting = built["meetings"][0]["id"]
    # the participant does not see the draft; nor may it move it
    assert api(people["wz_ent"]).get(url + "meetings/").json() == []
    wz = api(people["wz_ent"])
    assert post(
        wz, f"/api/v1/event-meetings/{meeting}/move/", {"slot": 2, "table": 1}
    ).status_code in (403, 404)
    coord = api(people["lj_coord"])
    response = post(coord, f"/api/v1/event-meetings/{meeting}/move/", {"slot": 1, "table": 1})
    assert response.status_code == 400
    assert response.json() == {
        "slot": ["One of the two enterprises is not available in that slot."]
    }
    post(coord, f"/api/v1/event-registrations/{lj_reg}/blocked-slots/", {"slots": []})
    response = post(coord, f"/api/v1/event-meetings/{meeting}/move/", {"slot": 1, "table": 1})
    assert (response.json()["slot"], response.json()["pinned"]) == (1, True)
    rebuilt = post(coord, url + "build/").json()
    assert [(m["slot"], m["pinned"]) for m in rebuilt["meetings"]] == [(1, True)]
    assert post(coord, url + "publish/").json()["status"] == "published"

    wz = api(people["wz_ent"])
    agenda = wz.get(url + "my-agenda/").json()
    assert agenda[0]["enterprise_name"] == "万州测试企业"
    assert [(m["slot"], m["starts_at"], m["to_enterprise"]) for m in agenda[0]["meetings"]] == [
        (1, "09:00", "两江共享电子公司")
    ]
    assert post(wz, url + "held/").status_code == 403
    coord = api(people["lj_coord"])
    response = post(coord, url + "held/")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The event has not taken place yet."]}
    Event.objects.filter(pk=ev["id"]).update(date=timezone.localdate())
    assert post(coord, url + "held/").json()["status"] == "held"
    response = post(
        coord, f"/api/v1/event-meetings/{meeting}/outcome/", {"held": False, "deal": True}
    )
    assert response.status_code == 400 and "deal" in response.json()
    response = post(
        coord,
        f"/api/v1/event-meetings/{meeting}/outcome/",
        {"held": True, "deal": True, "follow_up": "签订合作意向"},
    )
    assert (response.json()["held"], response.json()["deal"]) == (True, True)
    fig = coord.get(url + "figures/").json()
    assert (fig["requests"], fig["acceptance_rate"], fig["held"], fig["deals"]) == (1, 100.0, 1, 1)


@pytest.fixture
def ev(world, people):
    return events.open_registration(people["lj_coord"], new_event(people["lj_coord"], world.pair_a))


def test_out_of_scope_is_404_visible_but_forbidden_is_403(api, ev, people, world, firms):
    url = f"/api/v1/events/{ev.pk}/"
    other = api(people["b_staff"])
    assert other.get(url).status_code == 404
    assert patch(other, url, {"title": "x"}).status_code == 404
    assert post(other, url + "open/").status_code == 404
    assert other.get("/api/v1/events/").json()["count"] == 0
    leader = api(world.users["leader"])
    assert leader.get(url).status_code == 200
    assert patch(leader, url, {"title": "改名"}).status_code == 403
    assert post(leader, url + "build/").status_code == 403
    assert post(leader, "/api/v1/events/", event_body(world.pair_a)).status_code == 403
    ent = api(people["wz_ent"])
    assert patch(ent, url, {"title": "改名"}).status_code == 403
    ev.refresh_from_db()
    assert ev.title == "两江—万州企业家联谊会"
    # an enterprise registers only its own enterprise: another one is 403
    response = post(ent, url + "register/", {"enterprise": firms.lj_shared.pk, "delegates": "x"})
    assert response.status_code == 403
    assert not ev.registrations.exists()


def test_field_errors_are_400_in_drf_shape(api, ev, people, world, firms):
    coord = api(people["lj_coord"])
    response = post(coord, "/api/v1/events/", event_body(world.pair_a, themes=["golf"], tables=0))
    assert response.status_code == 400
    assert set(response.json()) == {"themes", "tables"}
    # another pair is not a choice for pair A's coordinator
    response = post(coord, "/api/v1/events/", event_body(world.pair_b))
    assert response.status_code == 400 and "partnership" in response.json()
    assert not Event.objects.filter(partnership=world.pair_b).exists()
    url = f"/api/v1/events/{ev.pk}/"
    response = post(coord, url + "register/", {"enterprise": firms.b_shared.pk, "delegates": ""})
    assert response.status_code == 400 and set(response.json()) == {"enterprise", "delegates"}
    assert (
        patch(coord, url, {"partnership": world.pair_b.pk}).json()["partnership"]
        == ev.partnership_id
    )
    response = patch(coord, url, {"slot_count": 99})
    assert response.status_code == 400 and "slot_count" in response.json()
    reg = events.register(people["wz_ent"], ev, firms.wz_internal, "王总")
    response = post(coord, f"/api/v1/event-registrations/{reg.pk}/blocked-slots/", {"slots": [3]})
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Slot 3 does not exist: the event has slots 1 to 2."]
    }
    response = patch(coord, url, {"capacity": 2})
    assert response.status_code == 200
    events.register(people["lj_ent"], ev, firms.lj_shared, "李总")
    response = post(
        coord, "/api/v1/meeting-requests/", {"from_registration": reg.pk, "to_registration": reg.pk}
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["An enterprise cannot ask to meet itself."]}
    assert not MeetingRequest.objects.exists()


def test_requests_and_meetings_lists_hold_only_what_the_user_may_see(api, ev, people, firms):
    regs = [
        events.register(people["wz_ent"], ev, firms.wz_internal, "王总"),
        events.register(people["lj_ent"], ev, firms.lj_shared, "李总"),
        events.register(people["wz_ent2"], ev, firms.wz_shared, "赵经理"),
    ]
    events.request_meeting(people["lj_ent"], regs[1], regs[2])
    mine = events.request_meeting(people["wz_ent"], regs[0], regs[1])
    ids = [
        r["id"] for r in api(people["wz_ent"]).get("/api/v1/meeting-requests/").json()["results"]
    ]
    assert ids == [mine.pk]
    assert api(people["lj_coord"]).get("/api/v1/meeting-requests/").json()["count"] == 2
    assert api(people["b_staff"]).get("/api/v1/meeting-requests/").json()["count"] == 0
    assert api(people["b_staff"]).get(f"/api/v1/meeting-requests/{mine.pk}/").status_code == 404
    events.answer(people["lj_ent"], mine, accept=True)
    events.build_schedule(people["lj_coord"], ev)
    meeting = ScheduledMeeting.objects.get()
    assert api(people["wz_ent"]).get("/api/v1/event-meetings/").json()["count"] == 0  # draft
    assert api(people["lj_coord"]).get("/api/v1/event-meetings/").json()["count"] == 1
    assert api(people["b_staff"]).get(f"/api/v1/event-meetings/{meeting.pk}/").status_code == 404
    events.publish(people["lj_coord"], ev)
    assert api(people["wz_ent"]).get("/api/v1/event-meetings/").json()["count"] == 1
    assert api(people["wz_ent2"]).get("/api/v1/event-meetings/").json()["count"] == 0


def test_suggestions_through_the_api(api, ev, people, firms):
    from xietong.enterprise.models import MainProduct
    from xietong.enterprise.suggestions import service

    MainProduct.objects.create(enterprise=firms.wz_internal, position=1, name="制动盘")
    MainProduct.objects.create(enterprise=firms.lj_shared, position=1, name="制动盘")
    service.rebuild(ev.partnership)
    regs = [
        events.register(people["wz_ent"], ev, firms.wz_internal, "王总"),
        events.register(people["lj_ent"], ev, firms.lj_shared, "李总"),
    ]
    found = api(people["wz_ent"]).get(f"/api/v1/events/{ev.pk}/suggestions/").json()
    assert [(s["registration"], s["enterprise_name"], s["partner_side"]) for s in found] == [
        (regs[1].pk, "两江共享电子公司", True)
    ]
    assert found[0]["explanation"] == "Its “制动盘” is close to your “制动盘”."
    coord = api(people["lj_coord"])
    assert coord.get(f"/api/v1/events/{ev.pk}/suggestions/").json() == []
    found = coord.get(f"/api/v1/events/{ev.pk}/suggestions/?registration={regs[1].pk}").json()
    assert [s["enterprise_name"] for s in found] == ["万州测试企业"]
