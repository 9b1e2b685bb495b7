"""A task's whole supervision cycle, in a real browser against gunicorn, in Chinese.

The coordinator of 两江新区 ↔ 万州区 (lj_coord) adopts an agreement and assigns a task to one
lead unit on each side (两江新区产业促进局, 万州区经济信息委). Each unit's staff acknowledges
it (签收: lj_staff, then wz_staff); lj_staff reports progress and the coordinator accepts the
report; lj_staff asks for a later deadline and the coordinator approves it, the original
deadline staying visible as the baseline; lj_staff claims completion (办结) with evidence and
the coordinator reviews and closes it (销号). The board then shows the task green and closed,
and the agreement's planned-against-actual counts it as closed in the year.

The agreement is for a year no other journey or demo data uses, so the counts on its pages
are this journey's alone. Assertions are on what the pages show: the labels as the server's
own catalogue renders them (``_zh``), dates as the Chinese date format renders them.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import formats, translation
from playwright.sync_api import expect

from xietong.conference.models import Area, ExtensionRequest, ProgressReport, Task

from .conftest import DESKTOP, assert_no_console_errors, assert_same_origin, screenshot, sign_in

pytestmark = pytest.mark.e2e

YEAR = 2028  # test_conference_journey.py uses 2027, the demo data 2021–2026
CODE = f"{YEAR}-001"
TITLE = "万州新能源汽车零部件配套产业园一期（办结销号测试）"
LEADS = ("两江新区产业促进局", "万州区经济信息委")  # how the task form labels units
START, DEADLINE, NEW_DEADLINE = date(YEAR, 1, 10), date(YEAR, 6, 30), date(YEAR, 9, 30)
REPORT = "园区一期完成土地平整，首批三家配套企业签约（闭环测试）。"
EVIDENCE = "一期竣工验收报告及入驻协议（闭环测试）。"
REASON = "受供电线路迁改影响，申请延期至9月底。"


def _zh(label) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(label) if isinstance(label, str) else str(label)


def _zh_date(day: date) -> str:
    with translation.override("zh-hans"):
        return formats.date_format(day)


def _shoot(page, name: str) -> None:
    screenshot(page, f"conference-closure-{name}")


def test_a_task_goes_from_assignment_to_closure_and_the_board_and_agreement_follow(
    new_page, server, traffic
):
    coord = new_page(DESKTOP)
    sign_in(coord, server, "lj_coord")

    # --- The coordinator adopts the agreement of the year ----------------------------
    coord.goto(server.url(reverse("conference:agreement_create")))
    form = coord.locator("form[method=post]").filter(has=coord.get_by_test_id("save"))
    expect(form.locator("[name=partnership] option:checked")).to_have_text("两江新区 ↔ 万州区")
    form.locator("[name=year]").fill(str(YEAR))
    form.locator("[name=status]").select_option("adopted")
    form.get_by_test_id("save").click()
    expect(coord).to_have_url(re.compile(r"/conference/agreements/\d+/$"))
    agreement_url = coord.url
    agreement_pk = int(re.search(r"/agreements/(\d+)/", agreement_url).group(1))

    # --- ... and assigns a task to one lead unit on each side ------------------------
    coord.get_by_test_id("task-create").click()
    form = coord.get_by_test_id("task-form")
    form.locator("[name=code]").fill(CODE)
    form.locator("[name=title]").fill(TITLE)
    form.locator("[name=area]").select_option("industry")
    form.locator("[name=kind]").select_option("project")
    form.locator("[name=lead_units]").select_option(label=list(LEADS))
    zhang_wei = form.locator("[name=responsible] option").filter(has_text="张伟")
    form.locator("[name=responsible]").select_option(zhang_wei.first.get_attribute("value"))
    form.locator("[name=start_date]").fill(START.isoformat())
    form.locator("[name=deadline]").fill(DEADLINE.isoformat())
    form.locator("[name=targets]").fill("签约配套企业 | 5 | 家")
    form.get_by_test_id("save").click()
    expect(coord).to_have_url(re.compile(r"/conference/tasks/\d+/$"))
    task_url = coord.url
    expect(coord.get_by_test_id("stage")).to_have_text(_zh(Task.Stage.ASSIGNED.label))
    expect(coord.get_by_test_id("deadline")).to_contain_text(_zh_date(DEADLINE))
    expect(coord.get_by_test_id("baseline")).to_have_count(0)  # not extended yet
    expect(coord.get_by_test_id("awaiting-acknowledgement")).to_have_count(2)

    # --- Each lead unit acknowledges (签收) ------------------------------------------
    lj = new_page(DESKTOP)
    sign_in(lj, server, "lj_staff")
    lj.goto(task_url)
    lj.get_by_test_id("action-acknowledge").click()
    expect(lj.get_by_test_id("acknowledged")).to_contain_text("张伟")
    # One side has signed: the task waits for the other lead unit.
    expect(lj.get_by_test_id("stage")).to_have_text(_zh(Task.Stage.ASSIGNED.label))
    expect(lj.get_by_test_id("action-acknowledge")).to_have_count(0)
    expect(lj.get_by_test_id("awaiting-acknowledgement")).to_have_count(1)
    expect(lj.get_by_test_id("task-unit").filter(has_text="万州区经济信息委")).to_contain_text(
        _zh("Awaiting acknowledgement")
    )

    wz = new_page(DESKTOP)
    sign_in(wz, server, "wz_staff")
    wz.goto(task_url)
    wz.get_by_test_id("action-acknowledge").click()
    expect(wz.get_by_test_id("stage")).to_have_text(_zh(Task.Stage.ACKNOWLEDGED.label))
    expect(wz.get_by_test_id("acknowledged")).to_have_count(2)
    expect(wz.get_by_test_id("awaiting-acknowledgement")).to_have_count(0)

    # --- lj_staff reports; the coordinator accepts -----------------------------------
    lj.goto(task_url)
    card = lj.get_by_test_id("action-report")
    card.locator("[name=narrative]").fill(REPORT)
    card.locator("[name=percent]").fill("60")
    card.locator("input[name^=actual_]").fill("3")
    card.locator("button[type=submit]").click()
    expect(lj).to_have_url(task_url)
    report = lj.get_by_test_id("report").filter(has_text=REPORT)
    expect(report.get_by_test_id("report-status")).to_have_text(
        _zh(ProgressReport.Status.SUBMITTED.label)
    )
    expect(lj.get_by_test_id("stage")).to_have_text(_zh(Task.Stage.IN_PROGRESS.label))

    coord.goto(task_url)
    report = coord.get_by_test_id("report").filter(has_text=REPORT)
    report.get_by_test_id("action-review-report").locator("[name=comment]").fill("同意。")
    report.locator("button[name=decision][value=accept]").click()
    expect(coord).to_have_url(task_url)
    expect(report.get_by_test_id("report-status")).to_have_text(
        _zh(ProgressReport.Status.ACCEPTED.label)
    )
    expect(coord.get_by_test_id("percent")).to_have_text("60%")
    expect(coord.get_by_test_id("target-actual").first).to_contain_text("3")

    # --- lj_staff asks for a later deadline; the coordinator approves ----------------
    lj.goto(task_url)
    card = lj.get_by_test_id("action-extension")
    card.locator("[name=new_deadline]").fill(NEW_DEADLINE.isoformat())
    card.locator("[name=reason]").fill(REASON)
    card.locator("button[type=submit]").click()
    expect(lj).to_have_url(task_url)
    extension = lj.get_by_test_id("extension").filter(has_text=REASON)
    expect(extension).to_have_attribute("data-status", "pending")
    expect(extension).to_contain_text(_zh(ExtensionRequest.Status.PENDING.label))
    expect(lj.get_by_test_id("action-decide")).to_have_count(0)  # staff do not decide

    coord.goto(task_url)
    extension = coord.get_by_test_id("extension").filter(has_text=REASON)
    extension.locator("button[name=decision][value=approve]").click()
    expect(coord).to_have_url(task_url)
    expect(extension).to_have_attribute("data-status", "approved")
    expect(extension).to_contain_text(_zh(ExtensionRequest.Status.APPROVED.label))
    # The new deadline applies; the original one stays visible as the baseline.
    expect(coord.get_by_test_id("deadline")).to_contain_text(_zh_date(NEW_DEADLINE))
    expect(coord.get_by_test_id("baseline")).to_contain_text(_zh_date(DEADLINE))

    # --- lj_staff claims completion (办结); the coordinator closes it (销号) ------------
    lj.goto(task_url)
    card = lj.get_by_test_id("action-claim")
    card.locator("[name=evidence]").fill(EVIDENCE)
    card.locator("button[type=submit]").click()
    expect(lj).to_have_url(task_url)
    expect(lj.get_by_test_id("stage")).to_have_text(_zh(Task.Stage.CLAIMED.label))
    expect(lj.get_by_test_id("action-claim")).to_have_count(0)
    expect(lj.get_by_test_id("action-review")).to_have_count(0)  # staff do not review
    expect(lj.get_by_test_id("event").filter(has_text=EVIDENCE)).to_have_attribute(
        "data-kind", "claimed"
    )

    coord.goto(task_url)
    card = coord.get_by_test_id("action-review")
    card.locator("[name=decision]").select_option("close")
    card.locator("[name=comment]").fill("资料齐全，同意销号。")
    card.locator("button[type=submit]").click()
    expect(coord).to_have_url(task_url)
    expect(coord.get_by_test_id("stage")).to_have_text(_zh(Task.Stage.CLOSED.label))
    expect(coord.get_by_test_id("status")).to_contain_text(_zh(Task.Status.COMPLETED.label))
    expect(coord.get_by_test_id("percent")).to_have_text("100%")
    expect(coord.get_by_test_id("baseline")).to_contain_text(_zh_date(DEADLINE))
    kinds = coord.get_by_test_id("event").evaluate_all("els => els.map(e => e.dataset.kind)")
    for kind in ("assigned", "acknowledged", "reported", "report_accepted",
                 "extension_requested", "extension_approved", "claimed", "closed"):  # fmt: skip
        assert kind in kinds, f"{kind} missing from the task's history: {kinds}"
    # A closed task offers no more actions.
    for action in ("action-report", "action-claim", "action-extension", "action-terminate"):
        expect(coord.get_by_test_id(action)).to_have_count(0)
    _shoot(coord, "task")

    # --- The board shows it green and closed -----------------------------------------
    coord.goto(server.url(reverse("conference:board", args=[agreement_pk])))
    row = coord.locator(f"[data-testid=board-row][data-code='{CODE}']").first
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text(_zh(Task.Stage.CLOSED.label))
    expect(row).to_have_class(re.compile(r"\brow-green\b"))
    expect(row).to_contain_text("100")
    _shoot(coord, "board")

    # --- The agreement's planned against actual counts it ----------------------------
    coord.goto(agreement_url)
    table = coord.get_by_test_id("planned-actual")
    industry = table.locator("tr").filter(has_text=_zh(Area.INDUSTRY.label))
    expect(industry.locator("td")).to_have_text([_zh(Area.INDUSTRY.label), "1", "1", "100%"])
    total = table.locator("tr.fw-bold")
    expect(total.locator("td")).to_have_text([_zh("Total"), "1", "1", "100%"])
    tasks = coord.get_by_test_id("agreement-tasks")
    expect(tasks.locator("tr").filter(has_text=CODE)).to_contain_text(
        _zh(Task.Status.COMPLETED.label)
    )
    _shoot(coord, "agreement")

    assert_same_origin(traffic)
    assert_no_console_errors(traffic)
