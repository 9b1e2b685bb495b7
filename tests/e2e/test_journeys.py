"""The journeys people take, in a real browser against gunicorn, in Chinese first.

Every test fails if the page asked for anything not served by the platform itself, or if
the console reported an error (a CSP violation, a missing asset, a script error).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from xietong.core import demo
from xietong.pairing import demo as pairing_demo

from .conftest import (
    DESKTOP,
    PHONE,
    assert_no_console_errors,
    assert_same_origin,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.e2e

# Labels of the zh_Hans catalogue (xietong/locale/zh_Hans/LC_MESSAGES/django.po) that the
# journeys rely on; change them here when the translation of the msgid changes.
ZH_SIGN_IN = "登录"  # msgid "Sign in"
ZH_SIGN_OUT = "退出登录"  # msgid "Sign out"
ZH_PARTNERSHIPS = "对口关系"  # msgid "Partnerships"
ZH_MEMBERS = "成员"  # msgid "Members"
ZH_CURRENT = "当前"  # msgid "Current" (the badge of the current partnership)
# English labels are the msgids themselves.
EN_SIGN_IN = "Sign in"
EN_SIGN_OUT = "Sign out"
EN_PARTNERSHIPS = "Partnerships"
EN_MEMBERS = "Members"

# Demo data (xietong/core/demo.py, and the units the pairing demo adds) is the source of
# truth for names.
MODEL_PAIR = "两江新区 ↔ 万州区"
SAMPLE_PAIR = "渝中区 ↔ 城口县"


def _units(region: str) -> list[str]:
    extra = [name for where, name, *_ in pairing_demo.EXTRA_UNITS if where == region]
    return [name for name, *_ in demo.UNITS[region]] + extra


def _full_name(username: str) -> str:
    return next(full for user, full, *_ in demo.USERS if user == username)


def test_it_serves_the_login_page_in_chinese(page, server, traffic):
    page.goto(server.url("/"))
    expect(page).to_have_url(server.url("/accounts/login/?next=/"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("login-submit")).to_have_text(ZH_SIGN_IN)
    # The current language is marked (Tabler's .disabled) and English is offered as itself.
    expect(page.get_by_test_id("lang-zh-hans")).to_have_class(re.compile(r"\bdisabled\b"))
    expect(page.get_by_test_id("lang-en")).to_have_text("English")
    # The stylesheet really applied (served by whitenoise under its hashed name).
    expect(page.get_by_test_id("login-submit")).to_have_css("width", re.compile(r"^[1-9]\d{2}"))
    assert any(
        re.search(r"/static/vendor/tabler/tabler\.min\.[0-9a-f]{12}\.css$", u)
        for u in traffic.requests
    )
    assert_same_origin(traffic)
    assert_no_console_errors(traffic)


def test_a_coordinator_signs_in_sees_the_pair_switches_to_english_and_signs_out(
    page, server, traffic
):
    sign_in(page, server, "lj_coord")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    card = page.get_by_test_id("partnership-card")
    expect(card).to_have_count(1)
    expect(card.locator(".card-title")).to_have_text(MODEL_PAIR)
    expect(card.locator(".card-actions")).to_contain_text(ZH_CURRENT)
    for department in _units("两江新区") + _units("万州区"):
        expect(card.get_by_role("link", name=department, exact=True)).to_be_visible()
    expect(card.get_by_role("heading", name=ZH_MEMBERS)).to_be_visible()
    members = card.locator("table")
    for username in ("lj_coord", "wz_coord", "lj_staff", "wz_staff", "city_coord"):
        name = _full_name(username)
        expect(members.get_by_role("cell", name=name, exact=True).first).to_be_visible()
    expect(members.get_by_role("cell", name=_full_name("yz_coord"))).to_have_count(0)
    expect(page.get_by_test_id("my-roles")).to_contain_text(MODEL_PAIR)
    navbar = page.locator("header.navbar")
    expect(navbar.get_by_role("button", name=ZH_PARTNERSHIPS)).to_be_visible()
    expect(page.get_by_test_id("logout")).to_have_text(ZH_SIGN_OUT)

    page.get_by_test_id("lang-en").click()
    expect(page).to_have_url(server.url("/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(navbar.get_by_role("button", name=EN_PARTNERSHIPS)).to_be_visible()
    expect(card.locator(".card-title")).to_have_text(MODEL_PAIR)
    expect(card.get_by_role("heading", name=EN_MEMBERS)).to_be_visible()

    # Sign out the way a person does: open the user menu (Tabler's JS), click the item.
    page.locator("header.navbar [data-bs-toggle=dropdown][aria-label]").click()
    sign_out = page.get_by_test_id("logout")
    expect(sign_out).to_be_visible()
    expect(sign_out).to_have_text(EN_SIGN_OUT)
    sign_out.click()
    expect(page).to_have_url(server.url("/accounts/login/"))
    expect(page.get_by_test_id("login-submit")).to_have_text(EN_SIGN_IN)

    page.goto(server.url("/"))
    expect(page).to_have_url(server.url("/accounts/login/?next=/"))
    assert_same_origin(traffic)
    assert_no_console_errors(traffic)


def test_a_programme_coordinator_switches_the_current_partnership(page, server, traffic):
    sign_in(page, server, "city_coord")
    cards = page.get_by_test_id("partnership-card")
    expect(cards).to_have_count(len(demo.PAIRS))
    current = page.locator("[data-testid=partnership-card].card-active")
    expect(current).to_have_count(1)
    expect(current.locator(".card-title")).to_have_text(MODEL_PAIR)
    switcher = page.get_by_test_id("partnership-switch")
    expect(switcher.locator("option")).to_have_count(len(demo.PAIRS))
    expect(switcher.locator("option:checked")).to_have_text(MODEL_PAIR)

    # Choosing a pair submits the switcher by itself (app.js), no button needed.
    with page.expect_navigation():
        switcher.select_option(label=SAMPLE_PAIR)
    expect(page).to_have_url(server.url("/"))
    expect(current).to_have_count(1)
    expect(current.locator(".card-title")).to_have_text(SAMPLE_PAIR)
    expect(current.locator(".card-actions")).to_contain_text(ZH_CURRENT)
    model_card = cards.filter(has=page.locator(".card-title", has_text=MODEL_PAIR))
    expect(model_card.locator(".card-actions")).not_to_contain_text(ZH_CURRENT)
    expect(switcher.locator("option:checked")).to_have_text(SAMPLE_PAIR)

    # The choice sticks: the department list now shows the sample pair's two sides only.
    page.goto(server.url("/org-units/"))
    rows = page.get_by_test_id("object-table").locator("tbody tr")
    expect(rows).to_have_count(len(_units("渝中区")) + len(_units("城口县")))
    expect(rows.filter(has_text="渝中区")).to_have_count(len(_units("渝中区")))
    expect(rows.filter(has_text="两江新区")).to_have_count(0)
    assert_same_origin(traffic)
    assert_no_console_errors(traffic)


def test_the_origin_guard_catches_a_request_to_another_host(page, server, traffic):
    page.goto(server.url("/accounts/login/"))
    # Foreign requests are recorded, then aborted by the context's route: none leaves.
    with page.expect_event("requestfailed"):
        page.evaluate(
            """() => { const img = document.createElement("img");
                       img.src = "http://cdn.example.invalid/logo.png";
                       document.body.appendChild(img); }"""
        )
    assert traffic.foreign() == ["http://cdn.example.invalid/logo.png"]
    with pytest.raises(AssertionError):
        assert_same_origin(traffic)


def _no_horizontal_overflow(page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_main_pages_render_at_desktop_and_phone_sizes(new_page, server, traffic, viewport):
    """Screenshots into test-artifacts/ for a human eye; no page may scroll sideways."""
    size = f"{viewport['width']}x{viewport['height']}"
    page = new_page(viewport)
    page.goto(server.url("/accounts/login/"))
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    _no_horizontal_overflow(page)
    screenshot(page, f"login-{size}")

    sign_in(page, server, "lj_coord")
    expect(page.get_by_test_id("partnership-card")).to_be_visible()
    _no_horizontal_overflow(page)
    screenshot(page, f"home-{size}")
    if viewport is PHONE:
        page.locator("header .navbar-toggler").click()
        expect(page.locator("#navbar-menu")).to_have_class(re.compile(r"\bshow\b"))
        expect(page.get_by_test_id("partnership-switch")).to_be_visible()
        screenshot(page, f"home-menu-{size}")

    page.goto(server.url("/partnerships/"))
    table = page.get_by_test_id("object-table")
    expect(table.get_by_role("link", name=MODEL_PAIR)).to_be_visible()
    _no_horizontal_overflow(page)
    screenshot(page, f"partnership-list-{size}")

    table.get_by_role("link", name=MODEL_PAIR).click()
    expect(page).to_have_url(re.compile(r"/partnerships/\d+/$"))
    expect(page.get_by_role("link", name="产业促进局", exact=True)).to_be_visible()
    _no_horizontal_overflow(page)
    screenshot(page, f"partnership-detail-{size}")

    page.goto(server.url("/org-units/"))
    expect(
        page.get_by_test_id("object-table").get_by_role("link", name="产业促进局")
    ).to_be_visible()
    _no_horizontal_overflow(page)
    screenshot(page, f"orgunit-list-{size}")
    assert_same_origin(traffic)
    assert_no_console_errors(traffic)


# The home pages that differ most: every pair, the longest role badge (side · sector),
# an enterprise without internal data, the auditor without pairs.
PHONE_HOME_USERS = ["admin", "city_coord", "lj_sector", "wz_enterprise", "auditor"]


def test_no_home_page_scrolls_sideways_on_a_phone(new_page, server, traffic):
    """The home pages fit a phone (long role badges, long pair names, many cards)."""
    for username in PHONE_HOME_USERS:
        page = new_page(PHONE)
        sign_in(page, server, username)
        _no_horizontal_overflow(page)
        page.context.close()
    assert_same_origin(traffic)
    assert_no_console_errors(traffic)
