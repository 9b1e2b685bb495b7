"""Networking events: who organises, registration, request/answer/expiry rules, the
schedule (build, move, publish), outcomes and figures, scope of pages, the .docx agenda."""

from __future__ import annotations

from datetime import time, timedelta
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from docx import Document

from xietong.core import scope
from xietong.enterprise import events
from xietong.enterprise.models import (
    BlockedSlot,
    Event,
    MeetingRequest,
    Registration,
    ScheduledMeeting,
)

R = MeetingRequest.Status


def new_event(user, pair, **over) -> Event:
    values = {
        "partnership": pair,
        "title": "两江—万州企业家联谊会",
        "date": timezone.localdate() + timedelta(days=10),
        "place": "万州区会展中心",
        "themes": ["supply_chain", "talent"],
        "capacity": 10,
        "start_time": time(14, 0),
        "slot_minutes": 20,
        "slot_count": 2,
        "tables": 1,
    }
    values.update(over)
    return events.create(user, Event(**values))


@pytest.fixture(autouse=True)
def english():
    """Service messages are asserted by their msgids; pages are asserted in Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def ev(world, people):
    event = new_event(people["lj_coord"], world.pair_a)
    return events.open_registration(people["lj_coord"], event)


@pytest.fixture
def regs(ev, firms, people):
    """Three participants: 万州测试企业 (wz_ent), 两江共享电子公司 (lj_ent), 万州共享食品公司
    (wz_ent2)."""
    return {
        "wz": events.register(people["wz_ent"], ev, firms.wz_internal, "王总 总经理"),
        "lj": events.register(people["lj_ent"], ev, firms.lj_shared, "李总 董事长"),
        "wz2": events.register(people["wz_ent2"], ev, firms.wz_shared, "赵经理"),
    }


# --- Who organises --------------------------------------------------------------------------


def test_coordinators_and_department_staff_organise_others_do_not(world, people):
    pair = world.pair_a
    for name in ("lj_coord", "lj_staff", "wz_staff"):
        assert new_event(people[name], pair).status == Event.Status.DRAFT
    for user in (
        people["wz_ent"],
        people["b_staff"],
        world.users["sector_group_member"],
        world.users["leader"],
    ):
        with pytest.raises(PermissionDenied):
            new_event(user, pair)
    assert scope.can(people["lj_staff"], "create", Event, partnership_id=pair.pk)
    assert not scope.can(people["b_staff"], "create", Event, partnership_id=pair.pk)


def test_unknown_theme_is_refused(world, people):
    with pytest.raises(ValidationError, match="Unknown theme: golf"):
        new_event(people["lj_coord"], world.pair_a, themes=["talent", "golf"])


# --- Registration ---------------------------------------------------------------------------


def test_registration_rules(ev, firms, people, world):
    with pytest.raises(PermissionDenied, match="only your own enterprise"):
        events.register(people["wz_ent"], ev, firms.lj_shared, "某人")
    with pytest.raises(ValidationError, match="pair can take part"):
        events.register(people["lj_coord"], ev, firms.b_shared, "某人")
    reg = events.register(people["lj_coord"], ev, firms.lj_internal, "组织方代报")
    assert reg.created_by == people["lj_coord"]
    with pytest.raises(ValidationError, match="already registered"):
        events.register(people["lj_coord"], ev, firms.lj_internal, "又一次")
    ev.capacity = 2
    ev.save()
    events.register(people["wz_ent"], ev, firms.wz_internal, "王总")
    with pytest.raises(ValidationError, match=r"full \(2 enterprises\)"):
        events.register(people["lj_ent"], ev, firms.lj_shared, "李总")


def test_registration_needs_an_open_event(world, people, firms):
    draft = new_event(people["lj_coord"], world.pair_a)
    with pytest.raises(ValidationError, match="Not possible while"):
        events.register(people["wz_ent"], draft, firms.wz_internal, "王总")


# --- Requests -------------------------------------------------------------------------------


def test_request_rules(regs, people, world, firms):
    wz, lj = regs["wz"], regs["lj"]
    with pytest.raises(ValidationError, match="meet itself"):
        events.request_meeting(people["wz_ent"], wz, wz)
    with pytest.raises(PermissionDenied):
        events.request_meeting(people["lj_ent"], wz, lj)  # not its enterprise
    other = events.open_registration(
        people["lj_coord"], new_event(people["lj_coord"], world.pair_a)
    )
    elsewhere = events.register(people["lj_ent"], other, firms.lj_shared, "李总")
    with pytest.raises(ValidationError, match="one event"):
        events.request_meeting(people["wz_ent"], wz, elsewhere)
    req = events.request_meeting(people["wz_ent"], wz, lj, "must", "谈焊管供应")
    assert req.status == R.PENDING
    assert req.expires_at <= events.starts_at(wz.event)
    with pytest.raises(ValidationError, match="already open"):
        events.request_meeting(people["lj_ent"], lj, wz)  # the reverse too


def test_only_the_addressee_answers_and_only_once(regs, people):
    req = events.request_meeting(people["wz_ent"], regs["wz"], regs["lj"])
    for user in (people["wz_ent"], people["lj_coord"], people["wz_ent2"]):
        with pytest.raises(PermissionDenied):
            events.answer(user, req, accept=True)
    events.answer(people["lj_ent"], req, accept=True)
    assert MeetingRequest.objects.get(pk=req.pk).status == R.ACCEPTED
    with pytest.raises(ValidationError, match="no longer be answered"):
        events.answer(people["lj_ent"], req, accept=False)


def test_requests_expire(regs, people):
    now = timezone.now()
    old = events.request_meeting(people["wz_ent"], regs["wz"], regs["lj"], now=now)
    fresh = events.request_meeting(people["wz_ent"], regs["wz"], regs["wz2"], now=now)
    MeetingRequest.objects.filter(pk=old.pk).update(expires_at=now - timedelta(minutes=1))
    assert events.expire_requests(now) == 1
    assert MeetingRequest.objects.get(pk=old.pk).status == R.EXPIRED
    assert MeetingRequest.objects.get(pk=fresh.pk).status == R.PENDING
    # answering a request past its date expires it instead
    MeetingRequest.objects.filter(pk=fresh.pk).update(expires_at=now - timedelta(seconds=1))
    with pytest.raises(ValidationError, match="Expired"):
        events.answer(people["wz_ent2"], MeetingRequest.objects.get(pk=fresh.pk), accept=True)
    # an expired request may be sent again
    again = events.request_meeting(people["wz_ent"], regs["wz"], regs["lj"])
    assert again.status == R.PENDING


# --- Schedule -------------------------------------------------------------------------------


def accepted(people, sender, addressee, who, preference="would_like"):
    req = events.request_meeting(people[who[0]], sender, addressee, preference)
    return events.answer(people[who[1]], req, accept=True)


def test_build_move_publish(regs, people, ev):
    a = accepted(people, regs["wz"], regs["lj"], ("wz_ent", "lj_ent"))
    b = accepted(people, regs["wz2"], regs["lj"], ("wz_ent2", "lj_ent"), "must")
    c = accepted(people, regs["wz"], regs["wz2"], ("wz_ent", "wz_ent2"))
    with pytest.raises(PermissionDenied):
        events.build_schedule(people["wz_ent"], ev)
    left = events.build_schedule(people["lj_staff"], ev)
    placed = {m.request_id: (m.slot, m.table) for m in ScheduledMeeting.objects.filter(event=ev)}
    # the must-meet goes first (slot 0), the would-like of lj into slot 1; 2 slots × 1 table
    assert placed == {b.pk: (0, 1), a.pk: (1, 1)}
    assert [(x.request.pk, x.reason) for x in left] == [
        (c.pk, "no slot in which both are free")  # wz2 meets in slot 0, wz in slot 1
    ]
    ev.refresh_from_db()
    assert ev.status == Event.Status.SCHEDULED
    meeting_a = ScheduledMeeting.objects.get(request=a)
    with pytest.raises(ValidationError, match="Table 1 is taken"):
        events.move_meeting(people["lj_coord"], meeting_a, 0, 1)
    with pytest.raises(ValidationError, match="slots 1 to 2"):
        events.move_meeting(people["lj_coord"], meeting_a, 2, 1)
    ev.tables = 2
    ev.save()
    meeting_a = ScheduledMeeting.objects.get(request=a)
    with pytest.raises(ValidationError, match="already meets someone"):
        events.move_meeting(people["lj_coord"], meeting_a, 0, 2)  # lj meets wz2 in slot 0
    meeting_a.refresh_from_db()
    events.move_meeting(people["lj_coord"], meeting_a, 1, 2)
    assert (meeting_a.slot, meeting_a.table) == (1, 2)
    ev.slot_count = 3
    ev.save()
    meeting_a = ScheduledMeeting.objects.get(request=a)
    BlockedSlot.objects.create(registration=regs["wz"], slot=2)
    with pytest.raises(ValidationError, match="not available"):
        events.move_meeting(people["lj_coord"], meeting_a, 2, 1)
    assert events.publish(people["lj_coord"], ev).status == Event.Status.PUBLISHED


def test_outcomes_and_figures(regs, people, ev):
    a = accepted(people, regs["wz"], regs["lj"], ("wz_ent", "lj_ent"))
    declined = events.request_meeting(people["wz_ent2"], regs["wz2"], regs["lj"])
    events.answer(people["lj_ent"], declined, accept=False)
    events.request_meeting(people["wz_ent"], regs["wz"], regs["wz2"])  # pending
    events.build_schedule(people["lj_coord"], ev)
    events.publish(people["lj_coord"], ev)
    meeting = ScheduledMeeting.objects.get(request=a)
    with pytest.raises(ValidationError, match="Not possible while"):
        events.record_outcome(people["lj_coord"], meeting, held=True)
    with pytest.raises(ValidationError, match="not taken place"):
        events.mark_held(people["lj_coord"], ev)
    events.mark_held(people["lj_coord"], ev, today=ev.date)
    meeting.refresh_from_db()
    with pytest.raises(ValidationError, match="made no agreement"):
        events.record_outcome(people["lj_coord"], meeting, held=False, deal=True)
    with pytest.raises(PermissionDenied):
        events.record_outcome(people["lj_ent"], meeting, held=True)
    events.record_outcome(people["lj_coord"], meeting, held=True, deal=True, follow_up="签订意向书")
    f = events.figures(ev)
    assert (f.registrations, f.requests, f.accepted, f.answered) == (3, 3, 1, 2)
    assert (f.scheduled, f.held, f.deals, f.acceptance_rate) == (1, 1, 1, 50.0)


# --- Scope and pages ------------------------------------------------------------------------


def test_scope_of_events_and_requests(regs, people, ev, world):
    req = events.request_meeting(people["wz_ent"], regs["wz"], regs["lj"])
    assert ev in events.visible(people["wz_ent2"])
    assert not events.visible(people["b_staff"]).exists()
    assert not events.visible(world.users["security_auditor"]).exists()
    assert req in scope.queryset(people["lj_ent"], MeetingRequest)
    assert req not in scope.queryset(people["wz_ent2"], MeetingRequest)
    assert req in scope.queryset(people["lj_staff"], MeetingRequest)


def test_pages_answer_404_outside_the_pair(client, ev, people, regs):
    client.force_login(people["b_staff"])
    for name in ("event_detail", "event_schedule"):
        assert client.get(reverse(f"enterprise:{name}", args=[ev.pk])).status_code == 404
    url = reverse("enterprise:event_agenda", args=[regs["wz"].pk])
    assert client.get(url).status_code == 404
    assert "两江—万州" not in client.get(reverse("enterprise:event_list")).content.decode()


def test_pages_for_participant_and_organiser(client, ev, people, regs):
    req = events.request_meeting(people["wz_ent"], regs["wz"], regs["lj"], "must")
    client.force_login(people["lj_ent"])
    page = client.get(reverse("enterprise:event_detail", args=[ev.pk])).content.decode()
    assert "万州测试企业" in page and 'data-testid="answer-' in page
    assert client.get(reverse("enterprise:event_schedule", args=[ev.pk])).status_code == 403
    response = client.post(reverse("enterprise:event_answer", args=[req.pk]), {"accept": "1"})
    assert response.status_code == 302
    assert MeetingRequest.objects.get(pk=req.pk).status == R.ACCEPTED
    client.force_login(people["lj_coord"])
    client.post(reverse("enterprise:event_action", args=[ev.pk, "build"]))
    grid = client.get(reverse("enterprise:event_schedule", args=[ev.pk])).content.decode()
    assert "14:00" in grid and "两江共享电子公司" in grid
    meeting = ScheduledMeeting.objects.get(request=req)
    response = client.post(
        reverse("enterprise:event_move", args=[meeting.pk]), {"slot": 2, "table": 1}
    )
    assert response.status_code == 302
    assert ScheduledMeeting.objects.get(pk=meeting.pk).slot == 1


def test_agenda_docx(client, ev, people, regs):
    accepted(people, regs["wz"], regs["lj"], ("wz_ent", "lj_ent"), "must")
    events.build_schedule(people["lj_coord"], ev)
    client.force_login(people["wz_ent"])
    url = reverse("enterprise:event_agenda", args=[regs["wz"].pk])
    assert client.get(url).status_code == 404  # not before the schedule is published
    events.publish(people["lj_coord"], ev)
    response = client.get(url)
    assert response.status_code == 200
    doc = Document(BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "两江—万州企业家联谊会" in text and "万州区会展中心" in text
    assert "14:00–14:20" in cells and "两江共享电子公司" in cells and "李总 董事长" in cells
    # another participant's agenda is not for wz_ent
    other = reverse("enterprise:event_agenda", args=[regs["wz2"].pk])
    assert client.get(other).status_code == 403
    assert Registration.objects.count() == 3


def test_create_register_and_request_through_pages(client, world, people, firms):
    client.force_login(people["wz_ent"])
    assert client.get(reverse("enterprise:event_create")).status_code == 403
    client.force_login(people["wz_staff"])
    form = client.get(reverse("enterprise:event_create")).content.decode()
    assert str(world.pair_b) not in form  # only pairs the user organises
    response = client.post(
        reverse("enterprise:event_create"),
        {
            "partnership": world.pair_a.pk,
            "title": "供应链对接会",
            "date": (timezone.localdate() + timedelta(days=5)).isoformat(),
            "place": "万州",
            "themes": ["supply_chain"],
            "capacity": 20,
            "start_time": "09:30",
            "slot_minutes": 15,
            "slot_count": 4,
            "tables": 3,
        },
    )
    event = Event.objects.get(title="供应链对接会")
    assert response.status_code == 302 and event.themes == ["supply_chain"]
    client.post(reverse("enterprise:event_action", args=[event.pk, "open"]))
    event.refresh_from_db()
    assert event.status == Event.Status.OPEN
    client.force_login(people["wz_ent"])
    page = client.get(reverse("enterprise:event_detail", args=[event.pk])).content.decode()
    assert 'data-testid="register-form"' in page and firms.lj_shared.name not in page
    client.post(
        reverse("enterprise:event_action", args=[event.pk, "register"]),
        {"enterprise": firms.lj_shared.pk, "delegates": "冒名"},  # not its own: refused
    )
    assert not Registration.objects.filter(event=event).exists()
    client.post(
        reverse("enterprise:event_action", args=[event.pk, "register"]),
        {"enterprise": firms.wz_internal.pk, "delegates": "王总"},
    )
    lj = events.register(people["lj_ent"], event, firms.lj_shared, "李总")
    own = Registration.objects.get(event=event, enterprise=firms.wz_internal)
    client.post(
        reverse("enterprise:event_action", args=[event.pk, "request"]),
        {"sender": own.pk, "addressee": lj.pk, "preference": "must", "message": "谈合作"},
    )
    req = MeetingRequest.objects.get(from_registration=own)
    assert (req.to_registration, req.preference, req.message) == (lj, "must", "谈合作")


def test_outcome_through_the_grid(client, ev, people, regs):
    a = accepted(people, regs["wz"], regs["lj"], ("wz_ent", "lj_ent"))
    events.build_schedule(people["lj_coord"], ev)
    events.publish(people["lj_coord"], ev)
    events.mark_held(people["lj_coord"], ev, today=ev.date)
    meeting = ScheduledMeeting.objects.get(request=a)
    client.force_login(people["wz_staff"])
    grid = client.get(reverse("enterprise:event_schedule", args=[ev.pk])).content.decode()
    assert f'data-testid="outcome-{meeting.pk}"' in grid
    client.post(
        reverse("enterprise:event_outcome", args=[meeting.pk]),
        {"held": "on", "deal": "on", "follow_up": "下月回访"},
    )
    meeting.refresh_from_db()
    assert (meeting.held, meeting.deal, meeting.follow_up) == (True, True, "下月回访")
    page = client.get(reverse("enterprise:event_detail", args=[ev.pk])).content.decode()
    assert "100.0%" in page  # acceptance rate: 1 of 1 answered
    client.force_login(people["b_staff"])
    response = client.post(reverse("enterprise:event_outcome", args=[meeting.pk]), {})
    assert response.status_code == 404


def test_blocked_slots_are_kept_and_respected(client, ev, people, regs):
    client.force_login(people["wz_ent"])
    url = reverse("enterprise:event_action", args=[ev.pk, "blocked"])
    client.post(url, {"registration": regs["wz"].pk, "slots": "1"})
    assert list(regs["wz"].blocked_slots.values_list("slot", flat=True)) == [0]
    client.post(url, {"registration": regs["wz"].pk, "slots": "3"})  # no slot 3: refused
    assert list(regs["wz"].blocked_slots.values_list("slot", flat=True)) == [0]
    client.post(url, {"registration": regs["lj"].pk, "slots": "2"})  # not its own
    assert not regs["lj"].blocked_slots.exists()
    # the requests above activated the page language (Chinese); services speak English here
    with translation.override("en"), pytest.raises(ValidationError, match="Slot 3 does not exist"):
        events.set_blocked_slots(people["wz_ent"], regs["wz"], [2])
    a = accepted(people, regs["wz"], regs["lj"], ("wz_ent", "lj_ent"), "must")
    events.build_schedule(people["lj_coord"], ev)
    assert ScheduledMeeting.objects.get(request=a).slot == 1


def test_api_lists_events_of_visible_pairs_with_figures(client, ev, people, regs):
    accepted(people, regs["wz"], regs["lj"], ("wz_ent", "lj_ent"))
    client.force_login(people["wz_ent2"])
    data = client.get("/api/v1/events/").json()
    assert [e["title"] for e in data["results"]] == ["两江—万州企业家联谊会"]
    figures = data["results"][0]["figures"]
    assert (figures["registrations"], figures["accepted"], figures["acceptance_rate"]) == (
        3,
        1,
        100.0,
    )
    client.force_login(people["b_staff"])
    assert client.get("/api/v1/events/").json()["count"] == 0
    assert client.get(f"/api/v1/events/{ev.pk}/").status_code == 404
    # b_staff organises pair B, not A: pair A is not a choice (the full API: test_api_events)
    response = client.post("/api/v1/events/", {"partnership": ev.partnership_id})
    assert response.status_code == 400 and "partnership" in response.json()


# --- Pinned meetings ------------------------------------------------------------------------


def test_a_moved_meeting_is_pinned_and_a_rebuild_keeps_it_there(regs, people, ev):
    ev.tables = 2
    ev.save()
    a = accepted(people, regs["wz"], regs["lj"], ("wz_ent", "lj_ent"))
    b = accepted(people, regs["wz2"], regs["lj"], ("wz_ent2", "lj_ent"), "must")
    events.build_schedule(people["lj_coord"], ev)
    placed = {m.request_id: (m.slot, m.table, m.pinned) for m in ev.meetings.all()}
    assert placed == {b.pk: (0, 1, False), a.pk: (1, 1, False)}
    meeting_a = ScheduledMeeting.objects.get(request=a)
    with pytest.raises(PermissionDenied):
        events.move_meeting(people["wz_ent"], meeting_a, 1, 2)
    events.move_meeting(people["lj_coord"], meeting_a, 1, 2)
    # rebuilt without the pin, a would go back to table 1; pinned, it stays at table 2
    events.build_schedule(people["lj_staff"], ev)
    placed = {m.request_id: (m.slot, m.table, m.pinned) for m in ev.meetings.all()}
    assert placed == {b.pk: (0, 1, False), a.pk: (1, 2, True)}
    assert ScheduledMeeting.objects.get(request=a).pk == meeting_a.pk  # kept, not re-created
    with pytest.raises(PermissionDenied):
        events.unpin_meeting(people["wz_ent"], meeting_a)
    events.unpin_meeting(people["lj_coord"], ScheduledMeeting.objects.get(request=a))
    events.build_schedule(people["lj_staff"], ev)
    placed = {m.request_id: (m.slot, m.table, m.pinned) for m in ev.meetings.all()}
    assert placed == {b.pk: (0, 1, False), a.pk: (1, 1, False)}


def test_a_pin_that_became_impossible_is_released_on_rebuild(regs, people, ev):
    a = accepted(people, regs["wz"], regs["lj"], ("wz_ent", "lj_ent"))
    events.build_schedule(people["lj_coord"], ev)
    meeting = ScheduledMeeting.objects.get(request=a)
    events.move_meeting(people["lj_coord"], meeting, 1, 1)
    events.set_blocked_slots(people["wz_ent"], regs["wz"], [1])  # 万州测试企业 now busy at 2
    events.build_schedule(people["lj_coord"], ev)
    meeting = ScheduledMeeting.objects.get(request=a)
    assert (meeting.slot, meeting.pinned) == (0, False)


def test_schedule_page_shows_pins_and_unpins(client, ev, people, regs):
    a = accepted(people, regs["wz"], regs["lj"], ("wz_ent", "lj_ent"))
    events.build_schedule(people["lj_coord"], ev)
    meeting = ScheduledMeeting.objects.get(request=a)
    client.force_login(people["lj_coord"])
    client.cookies["django_language"] = "en"
    url = reverse("enterprise:event_schedule", args=[ev.pk])
    response = client.post(
        reverse("enterprise:event_move", args=[meeting.pk]), {"slot": 2, "table": 1}, follow=True
    )
    page = response.content.decode()
    assert "The meeting is moved and pinned there." in page
    assert f'data-testid="pinned-{meeting.pk}"' in page
    assert "1 meeting pinned by the organisers; rebuilding keeps it where it is." in page
    client.post(reverse("enterprise:event_action", args=[ev.pk, "build"]))
    meeting.refresh_from_db()
    assert (meeting.slot, meeting.pinned) == (1, True)
    client.force_login(people["wz_ent"])
    assert client.post(reverse("enterprise:event_unpin", args=[meeting.pk])).status_code == 403
    client.force_login(people["b_staff"])
    assert client.post(reverse("enterprise:event_unpin", args=[meeting.pk])).status_code == 404
    client.force_login(people["lj_coord"])
    response = client.post(reverse("enterprise:event_unpin", args=[meeting.pk]), follow=True)
    assert "The meeting is no longer pinned." in response.content.decode()
    meeting.refresh_from_db()
    assert not meeting.pinned
    assert client.get(url).status_code == 200


# --- Suggestions ----------------------------------------------------------------------------


def _products(firm, *names):
    from xietong.enterprise.models import MainProduct

    for i, name in enumerate(names, start=1):
        MainProduct.objects.create(enterprise=firm, position=i, name=name)


def test_suggestions_come_from_the_engine_with_explanations(client, ev, people, regs, firms):
    from xietong.enterprise import events_suggest
    from xietong.enterprise.suggestions import service

    _products(firms.wz_internal, "汽车座椅总成", "制动盘")
    _products(firms.lj_shared, "汽车座椅总成")
    _products(firms.wz_shared, "精制茶")
    _products(firms.lj_internal, "制动盘")  # not registered: never suggested
    service.rebuild(ev.partnership)
    found = events_suggest.suggest(regs["wz"])
    assert [s.registration for s in found] == [regs["lj"]]
    assert found[0].partner_side
    assert found[0].explanation == "Its “汽车座椅总成” is close to your “汽车座椅总成”."

    client.force_login(people["wz_ent"])
    client.cookies["django_language"] = "en"
    page = client.get(reverse("enterprise:event_detail", args=[ev.pk])).content.decode()
    assert 'data-testid="event-suggestion"' in page and "Worth meeting for 万州测试企业" in page
    assert "两江共享电子公司" in page
    assert "Its “汽车座椅总成” is close to your “汽车座椅总成”." in page
    # one click: a request to 两江共享电子公司; it is then no longer suggested
    response = client.post(
        reverse("enterprise:event_action", args=[ev.pk, "request"]),
        {"sender": regs["wz"].pk, "addressee": regs["lj"].pk, "preference": "would_like"},
    )
    assert response.status_code == 302
    assert MeetingRequest.objects.filter(
        from_registration=regs["wz"], to_registration=regs["lj"], status=R.PENDING
    ).exists()
    assert events_suggest.suggest(regs["wz"]) == []
    # an organiser reads them per registration; another participant does not see wz's
    client.force_login(people["lj_coord"])
    url = reverse("enterprise:event_detail", args=[ev.pk])
    assert 'data-testid="event-suggestions"' not in client.get(url).content.decode()
    page = client.get(url, {"for": regs["lj"].pk}).content.decode()
    assert "Worth meeting for 两江共享电子公司" in page
    assert "No other participant fits yet" in page  # its one fit already has a request
    client.force_login(people["wz_ent2"])
    page = client.get(url, {"for": regs["wz"].pk}).content.decode()
    assert "汽车座椅总成" not in page
