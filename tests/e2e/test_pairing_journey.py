"""Department pairing end to end, in a real browser against gunicorn, in Chinese.

The coordinator of 两江新区 (lj_coord) pairs 两江新区产业促进局 with 万州区科技局 (a pair the
demo data does not hold, so its month starts empty), with 张伟 (lj_staff, 产业促进局) and
刘洋 (wz_staff) in charge of each side. 张伟 records today's video meeting
(视频会议) with participants of both sides and two follow-up actions; the coordinator turns
one action into a task of this year's annual task list (only coordinators may,
``services.may_make_task``) and the task's page links back to the contact; 刘洋, of the
partner side, confirms the record; the heatmap then shows this month of the pair as held.

Assertions rest on the data entered here, on data-testid attributes and on the Chinese labels
as the server's catalogue renders them (``_zh``). Screenshots of the pair list, the record
form, the contact and the heatmap at 1366×768 and 390×844 (and one in English) go to
test-artifacts/pairing-*.png.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from .conftest import (
    DESKTOP,
    PHONE,
    assert_no_console_errors,
    assert_same_origin,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.e2e

DEVELOPED_UNIT = "两江新区 · 产业促进局"
PARTNER_UNIT = "万州区 · 科技局"
PAIR_LABEL = "产业促进局 ↔ 科技局"
TOPICS = "科技成果转化与创新平台共建（端到端测试）"
ACTION_TASK = "共建万州科技成果转化中试基地（端到端测试）"
ACTION_OTHER = "组织万州科技型企业赴两江参观学习"


def _zh(label, context: str | None = None) -> str:
    with translation.override("zh-hans"):
        if context:
            return translation.pgettext(context, label)
        return translation.gettext(label)


def _overflow(page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _shoot(page, name: str, viewport: dict[str, int]) -> None:
    screenshot(page, f"pairing-{name}-{viewport['width']}x{viewport['height']}")


def _choose(select, text: str) -> None:
    """Pick the option of a select whose label contains ``text``."""
    value = select.evaluate(
        "(el, text) => [...el.options].find(o => o.textContent.includes(text))?.value",
        text,
    )
    assert value, f"no option with {text!r}"
    select.select_option(value)


def _pk(url: str, pattern: str) -> int:
    match = re.search(pattern, url)
    assert match, f"{pattern!r} not in {url}"
    return int(match.group(1))


def test_a_video_meeting_is_recorded_turned_into_a_task_confirmed_and_shown_as_held(
    new_page, server, traffic
):
    today = timezone.localdate()

    # --- The coordinator pairs two departments ----------------------------------------
    coord = new_page(DESKTOP)
    sign_in(coord, server, "lj_coord")
    coord.get_by_test_id("nav-pairing").click()
    coord.get_by_role("link", name=_zh("Department pairs"), exact=True).first.click()
    expect(coord).to_have_url(re.compile(r"/pairing/pairs/"))
    coord.get_by_test_id("pair-create").click()
    form = coord.get_by_test_id("pair-form")
    _choose(form.locator("#id_developed_unit"), DEVELOPED_UNIT)
    _choose(form.locator("#id_partner_unit"), PARTNER_UNIT)
    _choose(form.locator("#id_developed_lead"), "张伟")
    _choose(form.locator("#id_partner_lead"), "刘洋")
    form.locator("#id_started_on").fill(today.replace(day=1).isoformat())
    form.get_by_test_id("save").click()
    expect(coord).to_have_url(re.compile(r"/pairing/pairs/\d+/$"))
    pair_pk = _pk(coord.url, r"/pairs/(\d+)/")
    coord.goto(server.url(reverse("pairing:pair_list")))
    row = coord.locator(f"[data-testid=pair-row][data-pair='{pair_pk}']")
    expect(row).to_contain_text("张伟")
    expect(row).to_contain_text("刘洋")
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "not_yet")
    _shoot(coord, "pair-list", DESKTOP)

    # --- 张伟 of 两江新区 records a video meeting with two follow-up actions -------------
    staff = new_page(DESKTOP)
    sign_in(staff, server, "lj_staff")
    staff.goto(server.url(reverse("pairing:pair_detail", args=[pair_pk])))
    staff.get_by_test_id("contact-create").click()
    form = staff.get_by_test_id("contact-form")
    expect(form.locator("#id_pair option:checked")).to_contain_text(PAIR_LABEL)
    expect(form.locator("#id_form option:checked")).to_have_text(_zh("Video meeting"))
    form.locator("#id_held_on").fill(today.isoformat())
    form.locator("#id_place").fill("两江新区科技创新局视频会议室")
    form.locator("#id_topics").fill(TOPICS)
    form.locator("#id_outcomes").fill("商定共建中试基地，下月组织企业互访。")
    form.locator("#id_dev-0-name").fill("张伟")
    form.locator("#id_dev-0-title").fill("科员")
    form.locator("#id_par-0-name").fill("刘洋")
    form.locator("#id_par-0-unit").fill("万州区科技局")
    form.locator("#id_fu-0-text").fill(ACTION_TASK)
    form.locator("#id_fu-0-owner_side").select_option("developed")
    form.locator("#id_fu-1-text").fill(ACTION_OTHER)
    form.locator("#id_fu-1-owner_side").select_option("partner")
    _shoot(staff, "record-form", DESKTOP)
    form.get_by_test_id("save").click()
    expect(staff).to_have_url(re.compile(r"/pairing/contacts/\d+/$"))
    contact_pk = _pk(staff.url, r"/contacts/(\d+)/")
    expect(staff.get_by_test_id("contact-topics")).to_have_text(TOPICS)
    expect(staff.get_by_test_id("contact-form")).to_have_text(_zh("Video meeting"))
    expect(staff.get_by_test_id("participants-developed")).to_contain_text("张伟")
    expect(staff.get_by_test_id("participants-partner")).to_contain_text("刘洋")
    expect(staff.get_by_test_id("follow-up")).to_have_count(2)
    expect(staff.get_by_test_id("awaiting-note")).to_be_visible()
    expect(staff.get_by_test_id("contact-confirm")).to_have_count(0)  # never the recorder
    expect(staff.get_by_test_id("make-task")).to_have_count(0)  # coordinators only

    # --- The coordinator turns the first action into a task ----------------------------
    contact_url = server.url(reverse("pairing:contact_detail", args=[contact_pk]))
    coord.goto(contact_url)
    first = coord.get_by_test_id("follow-up").filter(has_text=ACTION_TASK)
    first.get_by_test_id("make-task").click()
    task_link = (
        coord.get_by_test_id("follow-up")
        .filter(has_text=ACTION_TASK)
        .get_by_test_id("follow-up-task")
    )
    expect(task_link).to_contain_text(f"{today.year}-DJ")
    expect(
        coord.get_by_test_id("follow-up").filter(has_text=ACTION_OTHER).get_by_test_id("make-task")
    ).to_be_visible()
    task_link.click()
    expect(coord).to_have_url(re.compile(r"/conference/tasks/\d+/$"))
    expect(coord.get_by_test_id("pairing-origin")).to_contain_text(PAIR_LABEL)
    coord.get_by_test_id("pairing-origin").locator("a").click()
    expect(coord).to_have_url(re.compile(rf"/pairing/contacts/{contact_pk}/#action-\d+$"))

    # Recorded but not yet confirmed: the month is not held yet.
    coord.goto(server.url(reverse("pairing:compliance")))
    cell = coord.locator(
        f"[data-testid=heatmap-row][data-pair='{pair_pk}'] "
        f"[data-testid=heatmap-cell][data-month='{today:%Y-%m}']"
    )
    expect(cell).to_have_attribute("data-state", "unconfirmed")

    # --- 刘洋 of 万州区 confirms -----------------------------------------------------------
    partner = new_page(DESKTOP)
    sign_in(partner, server, "wz_staff")
    partner.goto(server.url(reverse("pairing:contact_list")))
    row = partner.locator(f"[data-testid=contact-row][data-contact='{contact_pk}']")
    expect(row.get_by_test_id("awaits-you")).to_be_visible()
    row.get_by_test_id("contact-link").click()
    _shoot(partner, "contact-awaiting", DESKTOP)
    partner.get_by_test_id("contact-confirm").click()
    expect(partner.get_by_test_id("confirmed-by")).to_contain_text("刘洋")
    expect(partner.get_by_test_id("contact-confirm")).to_have_count(0)
    _shoot(partner, "contact", DESKTOP)

    # --- The heatmap shows the month as held ---------------------------------------------
    coord.goto(server.url(reverse("pairing:compliance")))
    cell = coord.locator(
        f"[data-testid=heatmap-row][data-pair='{pair_pk}'] "
        f"[data-testid=heatmap-cell][data-month='{today:%Y-%m}']"
    )
    expect(cell).to_have_attribute("data-state", "held")
    held = _zh("Held", "compliance")
    expect(cell).to_contain_text(held)  # the words, not only the colour
    expect(coord.get_by_test_id("heatmap-legend")).to_contain_text(held)
    _shoot(coord, "heatmap", DESKTOP)
    cell.click()
    expect(coord).to_have_url(re.compile(rf"month={today:%Y-%m}"))
    expect(coord.locator(f"[data-contact='{contact_pk}']")).to_be_visible()

    # --- On a phone: no page overflow, the heatmap as a list per pair ---------------------
    phone = new_page(PHONE)
    sign_in(phone, server, "lj_coord")
    for name, url in [
        ("pair-list", reverse("pairing:pair_list")),
        ("contact", reverse("pairing:contact_detail", args=[contact_pk])),
        ("record-form", reverse("pairing:contact_create") + f"?pair={pair_pk}"),
        ("heatmap", reverse("pairing:compliance")),
    ]:
        phone.goto(server.url(url))
        assert _overflow(phone) <= 0, f"{name} is wider than the phone"
        _shoot(phone, name, PHONE)
    expect(phone.get_by_test_id("heatmap-list")).to_be_visible()
    expect(phone.get_by_test_id("heatmap-grid")).to_be_hidden()

    # --- And in English ------------------------------------------------------------------
    coord.goto(server.url(reverse("pairing:compliance")))
    coord.get_by_test_id("lang-en").click()
    expect(coord.get_by_test_id("heatmap-legend")).to_contain_text("Held")
    _shoot(coord, "heatmap-en", DESKTOP)

    assert_same_origin(traffic)
    assert_no_console_errors(traffic)
