"""Who may do what with networking events: one table of every events page and API endpoint ×
role, in the style of ``tests/conference/test_matrix.py``. Each cell checks the status AND
the effect: a write that is refused leaves every event table as it was, one that succeeds
changes it; a list never holds anything of another pair.

The event probed belongs to pair A (两江新区 ↔ 万州区); a twin event belongs to pair B.
Participants of pair A's event: 万州测试企业 (its user ``wz``), 两江共享电子公司 (``lj``),
两江内部汽车部件公司 and 两江配套测试公司 (no users). 两江共享电子公司 asked 万州测试企业
for a meeting (pending); 两江内部汽车部件公司's request to 万州测试企业 is accepted.

The roles (columns):

- ``crd``  partnership coordinator of pair A (两江新区 side): an organiser
- ``stf``  department staff of pair A (两江新区产业促进局): an organiser
- ``wz``   enterprise user of 万州区, registered
- ``lj``   enterprise user of 两江新区, registered
- ``un``   enterprise user of 万州区 whose enterprise is not registered
- ``ldr``  leader of pair A: reads, never writes
- ``cb``   partnership coordinator of pair B: pair A's event is another pair's (404)
- ``adm``  system administrator (reads events and figures; no business writes)
- ``ano``  not signed in: pages send to sign-in (302), the API answers 401

Pages: 200 shown, 302 done (or sent back with a message: the effect column says which),
403 refused on a visible object, 404 out of scope. API: 200/201 done, 400 field errors,
401 not signed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, UserFactory
from xietong.core.models import Role
from xietong.enterprise import events
from xietong.enterprise.models import (
    BlockedSlot,
    Enterprise,
    Event,
    MeetingRequest,
    Registration,
    ScheduledMeeting,
)

from .conftest import credit_code

ROLES = ("crd", "stf", "wz", "lj", "un", "ldr", "cb", "adm", "ano")
A_TITLE = "甲方企业家联谊会"
B_TITLE = "乙方企业家联谊会"
STAGES = ("draft", "open", "scheduled", "pinned", "published", "held")


@pytest.fixture
def cast(world, people) -> dict:
    coord_b = UserFactory(username="coord_b")
    MembershipFactory(
        user=coord_b,
        role=Role.PARTNERSHIP_COORDINATOR,
        partnership=world.pair_b,
        region=world.pair_b.developed_side,
    )
    return {
        "crd": people["lj_coord"],
        "stf": people["lj_staff"],
        "wz": people["wz_ent"],
        "lj": people["lj_ent"],
        "un": people["wz_ent2"],
        "ldr": world.users["leader"],
        "cb": coord_b,
        "adm": world.users["system_admin"],
        "ano": None,
    }


@dataclass
class Side:
    ev: Event
    ev_b: Event
    regs: dict
    pending: MeetingRequest
    accepted: MeetingRequest
    firms: object
    pair: object

    @property
    def meeting(self) -> ScheduledMeeting:
        return ScheduledMeeting.objects.get(request=self.accepted)


def _new(user, pair, title, **over) -> Event:
    values = {
        "partnership": pair,
        "title": title,
        "date": timezone.localdate() + timedelta(days=10),
        "place": "会展中心",
        "themes": ["supply_chain"],
        "capacity": 10,
        "start_time": time(14, 0),
        "slot_minutes": 20,
        "slot_count": 3,
        "tables": 2,
    }
    values.update(over)
    return events.create(user, Event(**values))


def build(world, firms, cast, stage: str) -> Side:
    coord = cast["crd"]
    ev = _new(coord, world.pair_a, A_TITLE)
    ev_b = _new(cast["cb"], world.pair_b, B_TITLE)
    events.open_registration(cast["cb"], ev_b)
    events.register(cast["cb"], ev_b, firms.b_shared, "乙方代表")
    extra = Enterprise.objects.create(
        partnership=world.pair_a,
        side=world.pair_a.developed_side,
        name="两江配套测试公司",
        credit_code=credit_code(9),
        shared=True,
    )
    side = Side(ev, ev_b, {}, None, None, firms, world.pair_a)
    if stage == "draft":
        return side
    events.open_registration(coord, ev)
    side.regs = {
        "wz": events.register(cast["wz"], ev, firms.wz_internal, "王总"),
        "lj": events.register(cast["lj"], ev, firms.lj_shared, "李总"),
        "lji": events.register(coord, ev, firms.lj_internal, "组织方代报"),
        "lj2": events.register(coord, ev, extra, "组织方代报"),
    }
    side.pending = events.request_meeting(cast["lj"], side.regs["lj"], side.regs["wz"])
    side.accepted = events.request_meeting(coord, side.regs["lji"], side.regs["wz"], "must")
    side.accepted.status = MeetingRequest.Status.ACCEPTED
    side.accepted.save()
    if stage == "open":
        return side
    events.build_schedule(coord, ev)
    if stage == "scheduled":
        return side
    events.move_meeting(coord, side.meeting, 1, 2)
    if stage == "pinned":
        return side
    events.publish(coord, ev)
    Event.objects.filter(pk=ev.pk).update(date=timezone.localdate())  # the day has come
    ev.refresh_from_db()
    if stage == "published":
        return side
    events.mark_held(coord, ev)
    return side


def snapshot() -> tuple:
    """Everything an events write can change."""
    return (
        list(
            Event.objects.order_by("pk").values_list(
                "pk", "title", "status", "date", "place", "capacity"
            )
        ),
        list(Registration.objects.order_by("pk").values_list("pk", "enterprise")),
        list(MeetingRequest.objects.order_by("pk").values_list("pk", "status", "preference")),
        list(
            ScheduledMeeting.objects.order_by("pk").values_list(
                "pk", "slot", "table", "pinned", "held", "deal", "follow_up"
            )
        ),
        list(BlockedSlot.objects.order_by("pk").values_list("registration", "slot")),
    )


def _event_body(s: Side) -> dict:
    return {
        "partnership": s.pair.pk,
        "title": "新的联谊会",
        "date": (timezone.localdate() + timedelta(days=20)).isoformat(),
        "place": "两江新区会议中心",
        "capacity": 8,
        "start_time": "09:00",
        "slot_minutes": 20,
        "slot_count": 2,
        "tables": 1,
    }


@dataclass
class Probe:
    id: str
    method: str
    stage: str
    path: Callable[[Side], str]
    data: Callable[[Side], dict] | None = None
    api: bool = False
    lists: bool = False  # a list: must hold nothing of the other pair


def _page(name, *args):
    return lambda s: reverse(f"enterprise:{name}", args=[a(s) for a in args])


EV = lambda s: s.ev.pk  # noqa: E731
MEETING = lambda s: s.meeting.pk  # noqa: E731
WZ_REG = lambda s: s.regs["wz"].pk  # noqa: E731


def _act(action):
    return lambda s: reverse("enterprise:event_action", args=[s.ev.pk, action])


def _api(path):
    def build_path(s: Side) -> str:
        meeting = s.ev.meetings.filter(request=s.accepted).first() if s.accepted else None
        return "/api/v1/" + path.format(
            ev=s.ev.pk,
            m=meeting.pk if meeting else 0,
            req=s.pending.pk if s.pending else 0,
            reg=s.regs["wz"].pk if s.regs else 0,
        )

    return build_path


PROBES = [
    Probe("event_list", "GET", "open", _page("event_list"), lists=True),
    Probe("event_detail", "GET", "open", _page("event_detail", EV)),
    Probe("event_schedule", "GET", "scheduled", _page("event_schedule", EV)),
    Probe("event_create", "GET", "open", _page("event_create")),
    Probe(
        "event_create",
        "POST",
        "open",
        _page("event_create"),
        lambda s: {**_event_body(s), "start_time": "09:00"},
    ),
    Probe("event_action[open]", "POST", "draft", _act("open")),
    Probe(
        "event_action[register]",
        "POST",
        "open",
        _act("register"),
        lambda s: {"enterprise": s.firms.wz_shared.pk, "delegates": "赵经理"},
    ),
    Probe(
        "event_action[request]",
        "POST",
        "open",
        _act("request"),
        lambda s: {
            "sender": s.regs["wz"].pk,
            "addressee": s.regs["lj2"].pk,
            "preference": "would_like",
        },
    ),
    Probe(
        "event_action[blocked]",
        "POST",
        "open",
        _act("blocked"),
        lambda s: {"registration": s.regs["wz"].pk, "slots": "3"},
    ),
    Probe(
        "event_answer",
        "POST",
        "open",
        lambda s: reverse("enterprise:event_answer", args=[s.pending.pk]),
        lambda s: {"accept": "1"},
    ),
    Probe("event_action[build]", "POST", "open", _act("build")),
    Probe(
        "event_move",
        "POST",
        "scheduled",
        _page("event_move", MEETING),
        lambda s: {"slot": 3, "table": 2},
    ),
    Probe("event_unpin", "POST", "pinned", _page("event_unpin", MEETING)),
    Probe("event_action[publish]", "POST", "scheduled", _act("publish")),
    Probe("event_action[held]", "POST", "published", _act("held")),
    Probe(
        "event_outcome",
        "POST",
        "held",
        _page("event_outcome", MEETING),
        lambda s: {"held": "on", "deal": "on", "follow_up": "签约"},
    ),
    Probe("event_agenda", "GET", "published", _page("event_agenda", WZ_REG)),
    # --- API ---
    Probe("api events", "GET", "open", _api("events/"), api=True, lists=True),
    Probe("api event", "GET", "open", _api("events/{ev}/"), api=True),
    Probe("api events", "POST", "open", _api("events/"), _event_body, api=True),
    Probe("api event", "PATCH", "open", _api("events/{ev}/"), lambda s: {"capacity": 9}, api=True),
    Probe("api open", "POST", "draft", _api("events/{ev}/open/"), api=True),
    Probe(
        "api register",
        "POST",
        "open",
        _api("events/{ev}/register/"),
        lambda s: {"enterprise": s.firms.wz_shared.pk, "delegates": "赵经理"},
        api=True,
    ),
    Probe("api registrations", "GET", "open", _api("events/{ev}/registrations/"), api=True),
    Probe(
        "api requests",
        "POST",
        "open",
        _api("meeting-requests/"),
        lambda s: {"from_registration": s.regs["wz"].pk, "to_registration": s.regs["lj2"].pk},
        api=True,
    ),
    Probe("api requests", "GET", "open", _api("meeting-requests/"), api=True, lists=True),
    Probe(
        "api answer",
        "POST",
        "open",
        _api("meeting-requests/{req}/answer/"),
        lambda s: {"accept": True},
        api=True,
    ),
    Probe(
        "api blocked",
        "POST",
        "open",
        _api("event-registrations/{reg}/blocked-slots/"),
        lambda s: {"slots": [3]},
        api=True,
    ),
    Probe("api build", "POST", "open", _api("events/{ev}/build/"), api=True),
    Probe(
        "api move",
        "POST",
        "scheduled",
        _api("event-meetings/{m}/move/"),
        lambda s: {"slot": 3, "table": 2},
        api=True,
    ),
    Probe("api unpin", "POST", "pinned", _api("event-meetings/{m}/unpin/"), api=True),
    Probe("api publish", "POST", "scheduled", _api("events/{ev}/publish/"), api=True),
    Probe("api held", "POST", "published", _api("events/{ev}/held/"), api=True),
    Probe(
        "api outcome",
        "POST",
        "held",
        _api("event-meetings/{m}/outcome/"),
        lambda s: {"held": True, "deal": True, "follow_up": "签约"},
        api=True,
    ),
    Probe("api meetings", "GET", "published", _api("event-meetings/"), api=True, lists=True),
    Probe("api figures", "GET", "held", _api("events/{ev}/figures/"), api=True),
    Probe("api my-agenda", "GET", "published", _api("events/{ev}/my-agenda/"), api=True),
    Probe("api suggestions", "GET", "open", _api("events/{ev}/suggestions/"), api=True),
]
PROBE_BY_KEY = {f"{p.method} {p.id}": p for p in PROBES}

# A code followed by "+" is a write that took effect; every other write changes nothing.
# fmt: off
MATRIX = {
    #                                    crd   stf   wz    lj    un    ldr   cb    adm   ano
    "GET event_list":                   "200   200   200   200   200   200   200   200   302",
    "GET event_detail":                 "200   200   200   200   200   200   404   200   302",
    "GET event_schedule":               "200   200   403   403   403   403   404   403   302",
    "GET event_create":                 "200   200   403   403   403   403   200   403   302",
    # pair B's coordinator gets the form back: pair A is not one of its choices
    "POST event_create":                "302+  302+  403   403   403   403   200   403   302",
    "POST event_action[open]":          "302+  302+  403   403   403   403   404   403   302",
    # wz and lj may register only their own enterprise: the form refuses another one
    "POST event_action[register]":      "302+  302+  302   302   302+  403   404   403   302",
    # lj may not send for 万州测试企业: the form refuses the sender
    "POST event_action[request]":       "302+  302+  302+  302   403   403   404   403   302",
    "POST event_action[blocked]":       "302+  302+  302+  403   403   403   404   403   302",
    # only the enterprise asked answers; un does not see a request of others
    "POST event_answer":                "403   403   302+  403   404   403   404   403   302",
    "POST event_action[build]":         "302+  302+  403   403   403   403   404   403   302",
    "POST event_move":                  "302+  302+  403   403   403   403   404   403   302",
    "POST event_unpin":                 "302+  302+  403   403   403   403   404   403   302",
    "POST event_action[publish]":       "302+  302+  403   403   403   403   404   403   302",
    "POST event_action[held]":          "302+  302+  403   403   403   403   404   403   302",
    "POST event_outcome":               "302+  302+  403   403   403   403   404   403   302",
    "GET event_agenda":                 "200   200   200   403   403   403   404   403   302",
    "GET api events":                   "200   200   200   200   200   200   200   200   401",
    "GET api event":                    "200   200   200   200   200   200   404   200   401",
    "POST api events":                  "201+  201+  403   403   403   403   400   403   401",
    "PATCH api event":                  "200+  200+  403   403   403   403   404   403   401",
    "POST api open":                    "200+  200+  403   403   403   403   404   403   401",
    # wz does not see 万州共享食品公司 (not a valid choice); lj sees it but may not register it
    "POST api register":                "201+  201+  400   403   201+  403   404   403   401",
    "GET api registrations":            "200   200   200   200   200   200   404   200   401",
    # pair B's coordinator does not see pair A's registrations: not a valid choice
    "POST api requests":                "201+  201+  201+  403   403   403   400   403   401",
    "GET api requests":                 "200   200   200   200   200   200   200   200   401",
    "POST api answer":                  "403   403   200+  403   404   403   404   403   401",
    "POST api blocked":                 "200+  200+  200+  403   403   403   404   403   401",
    "POST api build":                   "200+  200+  403   403   403   403   404   403   401",
    # a draft schedule is the organisers': its meetings are out of everyone else's scope
    "POST api move":                    "200+  200+  404   404   404   404   404   403   401",
    "POST api unpin":                   "200+  200+  404   404   404   404   404   403   401",
    "POST api publish":                 "200+  200+  403   403   403   403   404   403   401",
    "POST api held":                    "200+  200+  403   403   403   403   404   403   401",
    # once held, a party (wz) and the pair's readers see the meeting; others do not
    "POST api outcome":                 "200+  200+  403   404   404   403   404   403   401",
    "GET api meetings":                 "200   200   200   200   200   200   200   200   401",
    "GET api figures":                  "200   200   200   200   200   200   404   200   401",
    "GET api my-agenda":                "200   200   200   200   200   200   404   200   401",
    "GET api suggestions":              "200   200   200   200   200   200   404   200   401",
}
# fmt: on


def expected(key: str, role: str) -> tuple[int, bool]:
    cell = MATRIX[key].split()[ROLES.index(role)]
    return int(cell.rstrip("+")), cell.endswith("+")


CASES = [
    pytest.param(key, role, id=f"{key}-{role}".replace(" ", "-"))
    for key in PROBE_BY_KEY
    for role in ROLES
]


def test_the_table_covers_every_probe_and_every_events_url():
    from xietong.enterprise.views_events import urlpatterns

    assert set(MATRIX) == set(PROBE_BY_KEY)
    assert all(len(row.split()) == len(ROLES) for row in MATRIX.values())
    probed = {p.id.split("[")[0] for p in PROBES if not p.api}
    assert {pattern.name for pattern in urlpatterns} <= probed


def _send(probe: Probe, s: Side, user, client):
    path = probe.path(s)
    data = probe.data(s) if probe.data else {}
    if probe.api:
        api = APIClient()
        api.cookies["django_language"] = "en"
        if user is not None:
            api.force_authenticate(user)
        return getattr(api, probe.method.lower())(path, data, format="json")
    if user is not None:
        client.force_login(user)
    if probe.method == "GET":
        return client.get(path)
    return client.post(path, data)


@pytest.mark.parametrize(("key", "role"), CASES)
def test_matrix(key, role, cast, world, firms, client):
    probe = PROBE_BY_KEY[key]
    want, changes = expected(key, role)
    s = build(world, firms, cast, probe.stage)
    before = snapshot()
    response = _send(probe, s, cast[role], client)
    assert response.status_code == want, (
        f"{key} as {role}: {response.status_code} != {want}: {response.content[:300]!r}"
    )
    if role == "ano" and not probe.api:
        assert response["Location"].startswith(reverse("login"))
    if probe.method != "GET":
        assert (snapshot() != before) == changes, f"{key} as {role}: changed is not {changes}"
    else:
        assert snapshot() == before
    if probe.lists and want == 200:
        text = response.content.decode()
        if role == "cb":
            assert A_TITLE not in text and "两江" not in text and "万州" not in text
        elif role != "adm":
            assert B_TITLE not in text and "渝中" not in text
        if probe.api and role in ("un", "cb") and key == "GET api requests":
            assert response.json()["count"] == 0
        if probe.api and key == "GET api meetings" and role in ("lj", "un", "cb"):
            assert response.json()["count"] == 0  # not a party to the one meeting


def test_a_refused_page_write_by_a_participant_leaves_the_schedule_as_it_was(
    cast, world, firms, client
):
    s = build(world, firms, cast, "pinned")
    before = snapshot()
    client.force_login(cast["wz"])
    assert client.post(_act("build")(s)).status_code == 403
    assert client.post(reverse("enterprise:event_unpin", args=[s.meeting.pk])).status_code == 403
    assert snapshot() == before
    assert (s.meeting.slot, s.meeting.table, s.meeting.pinned) == (1, 2, True)
