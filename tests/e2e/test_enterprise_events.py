"""A networking event end to end, in a real browser against gunicorn, in Chinese.

万州区's partnership coordinator (wz_coord) creates an event and opens registration. Two
enterprise users register their enterprises: 三峡机电 of 万州区 (wz_enterprise, the demo's)
and the 两江新区 enterprise that supplied its demo demand for 永磁同步电机 (lj_enterprise,
made here). 三峡机电 sees that enterprise among the matching engine's suggestions, with its
explanation, and asks for a meeting in one click; the 两江 enterprise accepts. The organiser
builds the schedule, moves the meeting (it is pinned), rebuilds (it stays), publishes; the
participant downloads its agenda (Word). On the day, the organiser marks the event held and
records the outcome: held, an agreement, linked to the demo's match of the two. The figures
then read 1 request, 100% accepted, 1 meeting held.

Screenshots of the event and its schedule at desktop and phone widths go to test-artifacts/
(events-*.png); at 390 px no page scrolls sideways.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from docx import Document
from playwright.sync_api import expect

from xietong.enterprise.models import Event

from .conftest import (
    DESKTOP,
    PHONE,
    assert_no_console_errors,
    assert_same_origin,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.e2e

TITLE = "两江—万州企业家联谊会（端到端测试）"

MAKE_LJ_USER = """
from xietong.core.demo import DEMO_PASSWORD
from xietong.core.models import Membership, Role, User
from xietong.enterprise.models import Match
match = Match.objects.filter(status="deal", posting__title="采购永磁同步电机一批").first()
ent = match.enterprise
user, _ = User.objects.get_or_create(username="lj_enterprise", defaults={"full_name": "陈刚"})
user.set_password(DEMO_PASSWORD)
user.save()
Membership.objects.get_or_create(
    user=user, role=Role.ENTERPRISE_USER, region=ent.side, enterprise_name=ent.name,
    enterprise=ent,
)
print(ent.side.name + "|" + ent.name)
"""

THE_DAY_COMES = """
from django.utils import timezone
from xietong.enterprise.models import Event
print(Event.objects.filter(title="{title}").update(date=timezone.localdate()))
"""


def _zh(label) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(label) if isinstance(label, str) else str(label)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def shots(new_page, server, user: str, url: str, name: str) -> None:
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = new_page(viewport)
        sign_in(page, server, user)
        page.goto(url)
        screenshot(page, f"events-{name}-{label}")
        if viewport is PHONE:
            no_sideways_scroll(page)
        page.context.close()


def test_an_event_from_creation_to_figures(new_page, server, traffic):
    side, lj_name = server.manage("shell", "--no-imports", "-c", MAKE_LJ_USER).strip().split("|")
    assert side == "两江新区"
    today = timezone.localdate()

    # --- The organiser creates the event and opens registration ------------------------
    org = new_page(DESKTOP)
    sign_in(org, server, "wz_coord")
    org.goto(server.url(reverse("enterprise:event_list")))
    org.get_by_test_id("new-event").click()
    org.locator("#id_title").fill(TITLE)
    org.locator("#id_date").fill((today + timedelta(days=7)).isoformat())
    org.locator("#id_place").fill("万州区三峡会展中心")
    org.locator("input[name=themes][value=supply_chain]").check()
    org.locator("#id_capacity").fill("20")
    org.locator("#id_start_time").fill("14:00")
    org.locator("#id_slot_minutes").fill("20")
    org.locator("#id_slot_count").fill("3")
    org.locator("#id_tables").fill("2")
    org.get_by_test_id("event-form").locator("button.btn-primary").click()
    expect(org).to_have_url(re.compile(r"/enterprise/events/\d+/$"))
    event_url = org.url
    expect(org.get_by_test_id("event-status")).to_have_text(_zh(Event.Status.DRAFT.label))
    org.get_by_test_id("event-open").click()
    expect(org.get_by_test_id("event-status")).to_have_text(_zh(Event.Status.OPEN.label))

    # --- Two enterprises register, one per side ------------------------------------------
    wz = new_page(DESKTOP)
    sign_in(wz, server, "wz_enterprise")
    lj = new_page(DESKTOP)
    sign_in(lj, server, "lj_enterprise")
    for page, delegates, name in ((wz, "孙丽 经理", "三峡机电"), (lj, "陈刚 总经理", lj_name)):
        page.goto(event_url)
        form = page.get_by_test_id("register-form")
        expect(form.locator("select[name=enterprise] option")).to_have_count(2)  # only its own
        form.locator("select[name=enterprise]").select_option(index=1)
        form.locator("textarea[name=delegates]").fill(delegates)
        form.locator("button").click()
        expect(page.get_by_test_id("event-participants")).to_contain_text(name)
    expect(lj.get_by_test_id("event-participants")).to_contain_text("三峡机电")
    expect(lj.get_by_test_id("event-participants")).to_contain_text(lj_name)

    # --- 三峡机电 sees the engine's suggestion and asks for a meeting in one click -----------
    wz.goto(event_url)
    suggestion = wz.get_by_test_id("event-suggestion").filter(has_text=lj_name)
    expect(suggestion).to_have_count(1)
    explanation = suggestion.get_by_test_id("suggestion-explanation")
    expect(explanation).to_contain_text("永磁同步电机")
    screenshot(wz, "events-suggestions")
    suggestion.get_by_test_id("suggestion-request").locator("button").click()
    requests = wz.get_by_test_id("event-requests")
    expect(requests).to_contain_text(lj_name)
    expect(requests).to_contain_text(_zh("Waiting for an answer"))

    # --- The 两江 enterprise accepts ------------------------------------------------------
    lj.goto(event_url)
    lj.locator("[data-testid^=answer-] button[value='1']").click()
    expect(lj.get_by_test_id("event-requests")).to_contain_text(_zh("Accepted"))

    # --- The organiser builds, moves (pins), rebuilds, publishes -----------------------
    org.goto(event_url)
    org.get_by_test_id("event-build").click()
    expect(org).to_have_url(re.compile(r"/schedule/$"))
    schedule_url = org.url
    grid = org.get_by_test_id("schedule-grid")
    cell = grid.locator("[data-testid^=meeting-]")
    expect(cell).to_have_count(1)
    expect(grid.locator("tbody tr").nth(0)).to_contain_text(lj_name)
    expect(org.locator("[data-testid^=pinned-]")).to_have_count(0)
    move = cell.locator("[data-testid^=move-]")
    move.locator("select[name=slot]").select_option("3")
    move.locator("select[name=table]").select_option("2")
    move.locator("button").click()
    expect(org.locator("[data-testid^=pinned-]")).to_have_count(1)
    expect(grid.locator("tbody tr").nth(2).locator("td").nth(1)).to_contain_text(lj_name)
    org.get_by_test_id("schedule-rebuild").click()
    expect(org).to_have_url(schedule_url)
    grid = org.get_by_test_id("schedule-grid")
    expect(grid.locator("tbody tr").nth(2).locator("td").nth(1)).to_contain_text(lj_name)
    expect(grid.locator("tbody tr").nth(0)).not_to_contain_text(lj_name)
    expect(org.locator("[data-testid^=pinned-]")).to_have_count(1)
    shots(new_page, server, "wz_coord", schedule_url, "schedule")
    org.get_by_test_id("schedule-publish").click()
    expect(org.get_by_test_id("event-status")).to_have_text(_zh(Event.Status.PUBLISHED.label))

    # --- The participant downloads its agenda (Word) ------------------------------------
    wz.goto(event_url)
    with wz.expect_download() as info:
        wz.locator("[data-testid^=agenda-]").click()
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    document = Document(BytesIO(open(download.path(), "rb").read()))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert lj_name in cells and "2" in cells  # whom, at table 2
    assert any(text.startswith("14:40") for text in cells)  # slot 3 of 20 minutes from 14:00
    assert TITLE in "\n".join(p.text for p in document.paragraphs)

    # --- The day comes; the organiser marks it held and records the outcome -------------
    assert (
        server.manage("shell", "--no-imports", "-c", THE_DAY_COMES.format(title=TITLE)).strip()
        == "1"
    )
    org.goto(event_url)
    org.get_by_test_id("event-held").click()
    expect(org.get_by_test_id("event-status")).to_have_text(_zh(Event.Status.HELD.label))
    org.goto(schedule_url)
    outcome = org.locator("[data-testid^=outcome-]")
    outcome.locator("input[name=held]").check()
    outcome.locator("input[name=deal]").check()
    outcome.locator("input[name=follow_up]").fill("签订永磁同步电机采购框架协议")
    match = outcome.locator("select[name=match] option").nth(1)
    expect(match).to_contain_text(lj_name)
    outcome.locator("select[name=match]").select_option(match.get_attribute("value"))
    outcome.locator("button").click()
    expect(org.locator("body")).to_contain_text(_zh("The outcome is recorded."))
    expect(
        org.locator("[data-testid^=outcome-] select[name=match] option:checked")
    ).to_contain_text(lj_name)

    # --- The figures -------------------------------------------------------------------
    org.goto(event_url)
    expect(org.get_by_test_id("fig-requests")).to_have_text("1")
    expect(org.get_by_test_id("fig-rate")).to_have_text("100.0%")
    expect(org.get_by_test_id("fig-held")).to_have_text("1")
    expect(org.get_by_test_id("fig-deals")).to_have_text("1")
    shots(new_page, server, "wz_coord", event_url, "detail")
    shots(new_page, server, "wz_enterprise", event_url, "detail-participant")

    assert_same_origin(traffic)
    assert_no_console_errors(traffic)
