"""The demo networking events: one held with figures, one open; a second load adds nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from xietong.core import demo as core_demo
from xietong.core.models import User
from xietong.enterprise import demo_events, events
from xietong.enterprise.models import (
    BlockedSlot,
    Event,
    MeetingRequest,
    Registration,
    ScheduledMeeting,
)

pytestmark = pytest.mark.django_db
R = MeetingRequest.Status


def snapshot():
    return (
        list(Event.objects.order_by("pk").values_list("pk", "title", "date", "status")),
        list(Registration.objects.order_by("pk").values_list("pk", "event", "enterprise")),
        list(MeetingRequest.objects.order_by("pk").values_list("pk", "status")),
        list(ScheduledMeeting.objects.order_by("pk").values_list("pk", "slot", "table", "held")),
        BlockedSlot.objects.count(),
    )


def test_the_demo_events_are_a_held_one_with_figures_and_an_open_one_and_reload_unchanged():
    core_demo.load()
    first = snapshot()
    today = timezone.localdate()
    past = Event.objects.get(title=demo_events.PAST_TITLE)
    upcoming = Event.objects.get(title=demo_events.UPCOMING_TITLE)
    assert past.partnership.developed_side.name == "两江新区"
    assert past.status == Event.Status.HELD and past.date < today
    assert upcoming.status == Event.Status.OPEN and upcoming.date > today

    fig = events.figures(past)
    assert fig.registrations == 6
    assert fig.requests == 6 and fig.accepted == 4 and fig.answered == 6
    assert fig.acceptance_rate == pytest.approx(66.7)
    assert fig.scheduled == 4 and fig.held >= 2 and fig.deals == 1
    statuses = set(
        MeetingRequest.objects.filter(from_registration__event=past).values_list(
            "status", flat=True
        )
    )
    assert statuses == {R.ACCEPTED, R.DECLINED, R.EXPIRED}
    deal = past.meetings.get(deal=True)
    assert deal.match is not None and deal.match.status == "deal"
    names = {
        deal.request.from_registration.enterprise.name,
        deal.request.to_registration.enterprise.name,
    }
    assert "重庆市万州区三峡机电有限公司" in names
    # the outcome form offers the match between the two parties first
    organiser = User.objects.get(username="wz_coord")
    assert events.candidate_matches(organiser, deal)[0] == deal.match
    # the blocked slot of 三峡机电 is respected by the published schedule
    own = past.registrations.get(enterprise__name="重庆市万州区三峡机电有限公司")
    assert [m.slot for m in events.agenda(own)] and 5 not in [m.slot for m in events.agenda(own)]

    assert upcoming.registrations.count() == 4
    pending = MeetingRequest.objects.filter(from_registration__event=upcoming)
    assert pending.count() == 2 and set(pending.values_list("status", flat=True)) == {R.PENDING}
    assert not upcoming.meetings.exists()

    core_demo.load()
    assert snapshot() == first
    assert demo_events.load() == {"events": 0, "registrations": 10}
