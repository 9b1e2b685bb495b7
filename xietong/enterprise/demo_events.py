"""Demo networking events of the pair 两江新区 ↔ 万州区, dated relative to today.

- a past event, held: six participants, accepted, declined and expired requests, a
  published schedule, meetings held with their outcomes, one of them ending in the deal of
  the demo match (the demo demand 采购永磁同步电机一批 of 三峡机电);
- an upcoming event, open for registration: four participants and two requests waiting
  for an answer.

Deterministic (participants chosen by credit code) and idempotent: an event is recognised
by its pair and title, and one that exists is left as it is.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from xietong.core.models import Partnership, User

from . import events
from .models import Enterprise, Event, Match, MeetingRequest, Registration

PAST_TITLE = "两江—万州企业家联谊会（汽车与装备制造专场）"
UPCOMING_TITLE = "两江—万州企业家联谊会（电子信息与生物医药专场）"
DEMO_ENTERPRISE = "重庆市万州区三峡机电有限公司"
R = MeetingRequest.Status


def _participants(pair: Partnership, n: int, exclude: set[int]) -> list[Enterprise]:
    """``n`` enterprises alternating 两江新区 / 万州区, by credit code."""
    sides = [
        list(
            Enterprise.objects.filter(partnership=pair, side=side)
            .exclude(pk__in=exclude)
            .order_by("credit_code")[:n]
        )
        for side in (pair.developed_side, pair.partner_side)
    ]
    out = []
    for a, b in zip(*sides, strict=False):
        out += [a, b]
    return out[:n]


def _answer(req: MeetingRequest, status: str, at: datetime) -> None:
    """The demo's counterparts have no user accounts: their answers are written directly."""
    req.status = status
    req.answered_at = at if status in (R.ACCEPTED, R.DECLINED) else None
    req.save(update_fields=["status", "answered_at"])


def _past(pair: Partnership, organiser: User, today) -> Event | None:
    own = Enterprise.objects.filter(partnership=pair, name=DEMO_ENTERPRISE).first()
    deal = (
        Match.objects.filter(
            posting__partnership=pair, status=Match.Status.DEAL, enterprise__isnull=False
        )
        .select_related("enterprise")
        .order_by("pk")
        .first()
    )
    if own is None:
        return None
    event = events.create(
        organiser,
        Event(
            partnership=pair,
            title=PAST_TITLE,
            date=today - timedelta(days=30),
            place="万州区三峡会展中心二楼多功能厅",
            themes=["supply_chain", "technical"],
            capacity=40,
            start_time=time(14, 0),
            slot_minutes=20,
            slot_count=6,
            tables=4,
        ),
    )
    events.open_registration(organiser, event)
    firms = [own]
    if deal is not None and deal.enterprise_id != own.pk:
        firms.append(deal.enterprise)
    firms += _participants(pair, 6 - len(firms), {f.pk for f in firms})
    delegates = [
        "孙丽 经理",
        "陈刚 总经理",
        "周敏 销售总监",
        "吴强 技术部长",
        "郑洁 副总经理",
        "冯涛 采购经理",
    ]
    regs = [
        events.register(organiser, event, firm, delegates[i % len(delegates)])
        for i, firm in enumerate(firms)
    ]
    start = events.starts_at(event)
    sent = start - timedelta(days=14)
    # (from, to, preference, final status)
    plan = [
        (0, 1, "must", R.ACCEPTED),
        (2, 0, "would_like", R.ACCEPTED),
        (3, 4, "would_like", R.ACCEPTED),
        (5, 0, "would_like", R.ACCEPTED),
        (1, 3, "would_like", R.DECLINED),
        (4, 5, "would_like", R.EXPIRED),
    ]
    reqs = []
    for a, b, preference, status in plan:
        if max(a, b) >= len(regs):
            continue
        req = events.request_meeting(
            organiser, regs[a], regs[b], preference, "希望就配套合作当面交流。", now=sent
        )
        _answer(req, status, sent + timedelta(days=1))
        reqs.append(req)
    events.set_blocked_slots(organiser, regs[0], [5])  # 三峡机电 leaves before the last slot
    events.build_schedule(organiser, event)
    events.publish(organiser, event)
    events.mark_held(organiser, event, today=today)
    for meeting in event.meetings.select_related("request").order_by("slot", "table"):
        parties = {
            meeting.request.from_registration.enterprise_id,
            meeting.request.to_registration.enterprise_id,
        }
        if deal is not None and parties == {own.pk, deal.enterprise_id}:
            events.record_outcome(
                organiser,
                meeting,
                held=True,
                deal=True,
                follow_up="会后签订永磁同步电机采购合同，首批交付已排产。",
                match=deal,
            )
        elif meeting.request.preference == "would_like" and meeting.slot == 0:
            events.record_outcome(organiser, meeting, held=False, follow_up="对方临时缺席。")
        else:
            events.record_outcome(
                organiser, meeting, held=True, follow_up="已交换样品资料，约定下月赴厂考察。"
            )
    return event


def _upcoming(pair: Partnership, organiser: User, today) -> Event | None:
    own = Enterprise.objects.filter(partnership=pair, name=DEMO_ENTERPRISE).first()
    event = events.create(
        organiser,
        Event(
            partnership=pair,
            title=UPCOMING_TITLE,
            date=today + timedelta(days=21),
            place="两江新区数字经济产业园会议中心",
            themes=["supply_chain", "talent", "management"],
            capacity=60,
            start_time=time(9, 30),
            slot_minutes=20,
            slot_count=8,
            tables=6,
        ),
    )
    events.open_registration(organiser, event)
    firms = [own] if own else []
    firms += _participants(pair, 4 - len(firms), {f.pk for f in firms} | {0})
    regs = [events.register(organiser, event, firm, "总经理；销售负责人") for firm in firms]
    if len(regs) >= 3:
        events.request_meeting(organiser, regs[1], regs[0], "must", "想了解贵司电机配套需求。")
        events.request_meeting(organiser, regs[2], regs[1], "would_like")
    return event


@transaction.atomic
def load() -> dict[str, int]:
    """Create the two demo events of the demo pair once; later runs change nothing."""
    pair = Partnership.objects.filter(
        developed_side__name="两江新区", partner_side__name="万州区"
    ).first()
    organiser = User.objects.filter(username="wz_coord").first()
    if pair is None or organiser is None:
        return {}
    today = timezone.localdate()
    made = 0
    for title, build in ((PAST_TITLE, _past), (UPCOMING_TITLE, _upcoming)):
        if Event.objects.filter(partnership=pair, title=title).exists():
            continue
        if build(pair, organiser, today) is not None:
            made += 1
    return {
        "events": made,
        "registrations": Registration.objects.filter(event__partnership=pair).count(),
    }
