"""Supply and demand end to end, in a real browser against gunicorn, in Chinese.

The demo enterprise user of 万州区 (wz_enterprise) posts a demand for 工业机器人 and
submits it; 万州区's department staff (wz_staff) approves it, which publishes it. The
posting page then lists counterparts suggested by the matching engine, those of the
partner side (两江新区) first, each with its explanation. The enterprise turns the first
suggestion into a match and follows it to a recorded deal (contract value, date).

Assertions rest on the data entered here, data-testid attributes and the Chinese labels as
the server's own catalogue renders them (``_zh``). Screenshots go to
test-artifacts/enterprise-*.png.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from xietong.enterprise.models import Match, Posting

from .conftest import DESKTOP, assert_no_console_errors, assert_same_origin, screenshot, sign_in

pytestmark = pytest.mark.e2e

TITLE = "采购工业机器人一批（端到端测试）"
SUBJECT = "工业机器人"


def _zh(label) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(label) if isinstance(label, str) else str(label)


def test_a_demand_is_approved_matched_and_ends_in_a_deal(new_page, server, traffic):
    today = timezone.localdate()
    firm = new_page(DESKTOP)
    sign_in(firm, server, "wz_enterprise")

    # --- The enterprise posts a demand and submits it ---------------------------------
    firm.goto(server.url(reverse("enterprise:posting_list")))
    firm.get_by_test_id("new-posting").click()
    expect(firm).to_have_url(server.url(reverse("enterprise:posting_create")))
    expect(firm.locator("#id_where option:checked")).to_contain_text("三峡机电")
    firm.locator("#id_kind").select_option("order")
    firm.locator("#id_direction").select_option("demand")
    firm.locator("#id_title").fill(TITLE)
    firm.locator("#id_subject").fill(SUBJECT)
    firm.locator("#id_description").fill("用于焊接和搬运产线改造。")
    firm.locator("#id_quantity").fill("12")
    firm.locator("#id_unit").fill("台")
    firm.locator("#id_delivery_period").fill("三个月内")
    firm.locator("#id_valid_from").fill(today.isoformat())
    firm.locator("#id_valid_until").fill((today + timedelta(days=60)).isoformat())
    firm.locator("#id_contact_name").fill("孙丽")
    firm.locator("#id_contact_phone").fill("13908351234")
    firm.get_by_test_id("save-submit").click()
    expect(firm).to_have_url(re.compile(r"/enterprise/postings/\d+/$"))
    posting_url = firm.url
    expect(firm.get_by_test_id("posting-status")).to_contain_text(
        _zh(Posting.Status.SUBMITTED.label)
    )
    # The poster cannot approve its own posting: there is no review form for it.
    expect(firm.get_by_test_id("approve")).to_have_count(0)

    # --- 万州区's department staff approves: the posting is published -------------------
    staff = new_page(DESKTOP)
    sign_in(staff, server, "wz_staff")
    staff.goto(server.url(reverse("enterprise:posting_list")) + "?review=1")
    staff.get_by_test_id("posting-table").get_by_role("link", name=TITLE).click()
    expect(staff).to_have_url(posting_url)
    staff.get_by_test_id("approve").click()
    expect(staff.get_by_test_id("posting-status")).to_contain_text(
        _zh(Posting.Status.PUBLISHED.label)
    )
    expect(staff.get_by_test_id("history")).to_contain_text(_zh("Approved"))

    # --- The enterprise sees suggestions, partner side first, with explanations --------
    firm.goto(posting_url)
    expect(firm.get_by_test_id("posting-status")).to_contain_text(
        _zh(Posting.Status.PUBLISHED.label)
    )
    rows = firm.get_by_test_id("suggestion")
    expect(rows.first).to_be_visible()
    first = rows.first
    expect(first).to_contain_text("两江新区")
    expect(first.locator(".badge")).to_have_text(_zh("partner side"))
    explanation = first.get_by_test_id("explanation")
    expect(explanation).to_contain_text(SUBJECT)
    assert explanation.inner_text().strip(), "a suggestion without its explanation"
    counterpart = first.locator("td").first.inner_text().strip()
    screenshot(firm, "enterprise-posting-suggestions")

    # --- A match from the first suggestion, followed to a deal ------------------------
    first.get_by_test_id("propose-match").click()
    expect(firm).to_have_url(re.compile(r"/enterprise/matches/\d+/$"))
    match_url = firm.url
    expect(firm.get_by_test_id("match-status")).to_have_text(_zh(Match.Status.PROPOSED.label))
    for status in ("contacted", "negotiating"):
        firm.locator("#id_status").select_option(status)
        firm.get_by_test_id("advance-save").click()
        expect(firm.get_by_test_id("match-status")).to_have_text(_zh(Match.Status(status).label))
    firm.locator("#id_status").select_option("deal")
    firm.locator("#id_contract_value").fill("150")
    firm.locator("#id_deal_date").fill(today.isoformat())
    firm.get_by_test_id("advance-save").click()
    expect(firm).to_have_url(match_url)
    expect(firm.get_by_test_id("match-status")).to_have_text(_zh(Match.Status.DEAL.label))
    expect(firm.get_by_test_id("contract-value")).to_have_text("150")
    expect(firm.get_by_test_id("advance")).to_have_count(0)  # concluded
    expect(firm.locator("body")).to_contain_text(counterpart)
    screenshot(firm, "enterprise-match-deal")

    # The posting lists its match with the deal.
    firm.goto(posting_url)
    expect(firm.get_by_test_id("posting-matches")).to_contain_text(counterpart)
    expect(firm.get_by_test_id("posting-matches")).to_contain_text(_zh(Match.Status.DEAL.label))

    assert_same_origin(traffic)
    assert_no_console_errors(traffic)
