"""The joint conference end to end, in a real browser against gunicorn, in Chinese.

A coordinator of 两江新区 ↔ 万州区 (lj_coord) records a meeting and a resolution, adopts a
fresh annual agreement at that meeting and turns the resolution into a task led by
两江新区产业促进局. That unit's staff (lj_staff) finds the task under "my tasks",
acknowledges it and reports progress; the coordinator returns the report with a comment.
The progress board follows the task through its stages, and the Excel export of the
agreement holds its row.

The agreement is created for a year the demo data does not use, so the journey neither
depends on nor disturbs the demo's agreements. Assertions rest on the data entered here,
on data-testid attributes and on the Chinese labels as the server's own catalogue renders
them (``_zh`` translates the msgid with the same compiled catalogue the server loaded), so
the test does not break when a translation is reworded.

Screenshots of the meeting, task, board and "my tasks" pages at 1366×768 and 390×844 go
to test-artifacts/conference-*.png for a human eye.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from playwright.sync_api import expect

from xietong.conference.models import ProgressReport, Task

from .conftest import (
    DESKTOP,
    PHONE,
    assert_no_console_errors,
    assert_same_origin,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.e2e

# A year the demo data (2021–2026) does not use: the journey adopts its own agreement.
YEAR = 2027
CODE = f"{YEAR}-001"
TASK_TITLE = "共建万州新能源汽车零部件配套产业园（端到端测试）"
RESOLUTION_TEXT = f"{TASK_TITLE}\n由两江新区产业促进局牵头，{YEAR}年6月底前完成一期招商签约。"
REPORT_TEXT = "已完成园区选址论证，正在对接首批三家配套企业（端到端测试）。"
RETURN_COMMENT = "请补充配套企业名单和签约时间表后重新报送。"
LEAD_UNIT = "两江新区产业促进局"  # str(OrgUnit): region + unit
LEAD_UNIT_CHOICE = "两江新区 · 产业促进局"  # how the task form labels a unit
RESPONSIBLE = "张伟"  # lj_staff's full name in the demo data


def _zh(label) -> str:
    """A label as the Chinese interface shows it (the msgid when not yet translated)."""
    with translation.override("zh-hans"):
        return translation.gettext(label) if isinstance(label, str) else str(label)


def _no_horizontal_overflow(page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _shoot(page, name: str, viewport: dict[str, int]) -> None:
    screenshot(page, f"conference-{name}-{viewport['width']}x{viewport['height']}")


def _pk(url: str, pattern: str) -> int:
    match = re.search(pattern, url)
    assert match, f"{pattern!r} not in {url}"
    return int(match.group(1))


def _board_row(page):
    return page.get_by_test_id("board-table").locator(
        f"[data-testid=board-row][data-code='{CODE}']"
    )


def test_a_resolution_becomes_a_task_that_is_reported_returned_and_exported(
    new_page, server, traffic, tmp_path
):
    coord = new_page(DESKTOP)
    sign_in(coord, server, "lj_coord")

    # --- The coordinator records the meeting -----------------------------------------
    coord.goto(server.url(reverse("conference:meeting_create")))
    form = coord.locator("form[method=post]").filter(has=coord.get_by_test_id("save"))
    # The current pair, its next meeting number and the partner side as host are filled in.
    expect(form.locator("#id_partnership option:checked")).to_have_text("两江新区 ↔ 万州区")
    expect(form.locator("#id_number")).not_to_have_value("")
    meeting_day = timezone.localdate()
    form.locator("#id_date").fill(meeting_day.isoformat())
    form.locator("#id_place").fill("万州区三峡移民纪念馆会议室")
    form.locator("#id_convener_developed").fill("两江新区管委会主任")
    form.locator("#id_convener_partner").fill("万州区人民政府区长")
    form.locator("#id_minutes").fill("会议研究部署新能源汽车零部件配套产业协作。")
    form.get_by_test_id("save").click()
    expect(coord).to_have_url(re.compile(r"/conference/meetings/\d+/$"))
    meeting_pk = _pk(coord.url, r"/meetings/(\d+)/")
    expect(coord.get_by_test_id("minutes")).to_have_text(
        "会议研究部署新能源汽车零部件配套产业协作。"
    )

    # ... and a resolution on its page.
    resolutions = coord.locator("#resolutions")
    resolutions.locator("details > summary").click()
    add_resolution = resolutions.locator("form[action$='/resolutions/']")
    expect(add_resolution.locator("textarea[name=text]")).to_be_visible()
    add_resolution.locator("textarea[name=text]").fill(RESOLUTION_TEXT)
    add_resolution.locator("button[type=submit]").click()
    expect(coord).to_have_url(re.compile(rf"/meetings/{meeting_pk}/#resolution-\d+$"))
    resolution_pk = _pk(coord.url, r"#resolution-(\d+)$")
    resolution = coord.locator(f"#resolution-{resolution_pk}")
    expect(resolution).to_contain_text(TASK_TITLE)
    _shoot(coord, "meeting", DESKTOP)

    # --- A fresh annual agreement, adopted at this meeting ---------------------------
    coord.goto(server.url(reverse("conference:agreement_create")))
    form = coord.locator("form[method=post]").filter(has=coord.get_by_test_id("save"))
    form.locator("#id_year").fill(str(YEAR))
    form.locator("#id_status").select_option("adopted")
    form.locator("#id_meeting").select_option(str(meeting_pk))
    form.get_by_test_id("save").click()
    expect(coord).to_have_url(re.compile(r"/conference/agreements/\d+/$"))
    agreement_pk = _pk(coord.url, r"/agreements/(\d+)/")
    expect(coord.locator("h2.page-title")).to_contain_text(str(YEAR))

    # --- The resolution becomes a task of that agreement -----------------------------
    coord.goto(server.url(f"/conference/meetings/{meeting_pk}/"))
    coord.locator(
        f"#resolution-{resolution_pk} a[href$='/resolutions/{resolution_pk}/tasks/']"
    ).click()
    expect(coord.get_by_test_id("resolution-text")).to_contain_text(TASK_TITLE)
    # The agreement adopted at this meeting is the one offered first.
    expect(coord.locator("#id_agreement")).to_have_value(str(agreement_pk))
    row = coord.get_by_test_id("task-row").first
    expect(row.locator("[name=form-0-title]")).to_have_value(TASK_TITLE)
    row.locator("[name=form-0-code]").fill(CODE)
    row.locator("[name=form-0-area]").select_option("industry")
    row.locator("[name=form-0-kind]").select_option("project")
    row.locator("[name=form-0-lead_units]").select_option(label=LEAD_UNIT_CHOICE)
    row.locator("[name=form-0-responsible]").select_option(label=RESPONSIBLE)
    row.locator("[name=form-0-start_date]").fill(date(YEAR, 1, 4).isoformat())
    row.locator("[name=form-0-deadline]").fill(date(YEAR, 6, 30).isoformat())
    # The two extra rows stay untouched: "empty rows are ignored", says the page.
    coord.get_by_test_id("save").click()
    expect(
        coord.locator(".invalid-feedback"),
        "the untouched extra task rows were validated: their area and type selects post "
        "their first choice, so the rows count as changed (TaskRowForm in forms_meetings.py)",
    ).to_have_count(0)
    expect(coord).to_have_url(re.compile(rf"/meetings/{meeting_pk}/#resolution-{resolution_pk}$"))
    task_link = coord.locator(f"#resolution-{resolution_pk}").get_by_test_id("resolution-task")
    expect(task_link).to_have_text(f"{CODE} {TASK_TITLE}")
    task_link.click()
    expect(coord).to_have_url(re.compile(r"/conference/tasks/\d+/$"))
    task_url = coord.url
    expect(coord.get_by_test_id("stage")).to_have_text(_zh(Task.Stage.ASSIGNED.label))
    expect(coord.get_by_test_id("task-unit").filter(has_text=LEAD_UNIT)).to_have_count(1)
    expect(coord.get_by_test_id("awaiting-acknowledgement")).to_be_visible()
    expect(coord.get_by_test_id("responsible")).to_have_text(RESPONSIBLE)

    # The board shows the new task as assigned.
    coord.get_by_test_id("board-link").click()
    expect(coord).to_have_url(server.url(reverse("conference:board", args=[agreement_pk])))
    expect(_board_row(coord)).to_contain_text(TASK_TITLE)
    expect(_board_row(coord)).to_contain_text(_zh(Task.Stage.ASSIGNED.label))
    expect(_board_row(coord)).to_contain_text(LEAD_UNIT)

    # --- The lead unit's staff finds the task, acknowledges it and reports -----------
    staff = new_page(DESKTOP)
    sign_in(staff, server, "lj_staff")
    my_tasks_url = reverse("conference:my_tasks")
    staff.locator("header li.nav-item.dropdown").filter(
        has=staff.locator(f"a[href='{my_tasks_url}']")
    ).locator(".dropdown-toggle").click()
    staff.locator(f"header a.dropdown-item[href='{my_tasks_url}']").click()
    expect(staff).to_have_url(server.url(my_tasks_url))
    to_acknowledge = staff.get_by_test_id("to-acknowledge").locator(f"[data-code='{CODE}']")
    expect(to_acknowledge).to_contain_text(TASK_TITLE)
    expect(to_acknowledge).to_contain_text(LEAD_UNIT)
    to_acknowledge.get_by_test_id("action-acknowledge").click()
    expect(staff).to_have_url(task_url)
    expect(staff.get_by_test_id("stage")).to_have_text(_zh(Task.Stage.ACKNOWLEDGED.label))
    expect(staff.get_by_test_id("acknowledged")).to_contain_text("张伟")
    expect(staff.get_by_test_id("action-acknowledge")).to_have_count(0)

    report_card = staff.get_by_test_id("action-report")
    expect(report_card.locator("[name=period]")).to_have_value(re.compile(r"^\d{4}-\d{2}$"))
    report_card.locator("[name=narrative]").fill(REPORT_TEXT)
    report_card.locator("[name=percent]").fill("30")
    report_card.locator("button[type=submit]").click()
    expect(staff).to_have_url(task_url)
    report = staff.get_by_test_id("report").filter(has_text=REPORT_TEXT)
    expect(report).to_have_attribute("data-status", "submitted")
    expect(report.get_by_test_id("report-status")).to_have_text(
        _zh(ProgressReport.Status.SUBMITTED.label)
    )
    expect(staff.get_by_test_id("stage")).to_have_text(_zh(Task.Stage.IN_PROGRESS.label))
    # Lead-unit staff cannot review their own report.
    expect(report.get_by_test_id("action-review-report")).to_have_count(0)

    # --- The coordinator returns the report with a comment ---------------------------
    coord.goto(server.url(my_tasks_url))
    to_review = coord.get_by_test_id("to-review").locator(
        f"[data-testid=review-report][data-code='{CODE}']"
    )
    expect(to_review).to_contain_text("30%")
    to_review.click()
    expect(coord).to_have_url(task_url)
    report = coord.get_by_test_id("report").filter(has_text=REPORT_TEXT)
    review = report.get_by_test_id("action-review-report")
    review.locator("input[name=comment]").fill(RETURN_COMMENT)
    review.locator("button[name=decision][value=return]").click()
    expect(coord).to_have_url(task_url)
    expect(report).to_have_attribute("data-status", "returned")
    expect(report.get_by_test_id("report-status")).to_have_text(
        _zh(ProgressReport.Status.RETURNED.label)
    )
    expect(report.get_by_test_id("report-review")).to_contain_text(RETURN_COMMENT)
    expect(coord.get_by_test_id("event").filter(has_text=RETURN_COMMENT)).to_have_attribute(
        "data-kind", "report_returned"
    )
    # A returned report does not move the task's percent.
    expect(coord.get_by_test_id("percent")).to_have_text("0%")
    _shoot(coord, "task", DESKTOP)

    # The staff sees the returned report to fix under "my tasks".
    staff.goto(server.url(my_tasks_url))
    returned = staff.get_by_test_id("returned-reports").locator(f"[data-code='{CODE}']")
    expect(returned).to_contain_text(RETURN_COMMENT)
    expect(staff.get_by_test_id("my-task").filter(has_text=TASK_TITLE)).to_contain_text(
        _zh(Task.Stage.IN_PROGRESS.label)
    )
    _shoot(staff, "my-tasks-staff", DESKTOP)

    # --- The board shows the change of stage -----------------------------------------
    coord.goto(server.url(reverse("conference:board", args=[agreement_pk])))
    board_row = _board_row(coord)
    expect(board_row).to_contain_text(_zh(Task.Stage.IN_PROGRESS.label))
    expect(board_row).not_to_contain_text(_zh(Task.Stage.ASSIGNED.label))
    expect(board_row).to_contain_text(RESPONSIBLE)
    _shoot(coord, "board", DESKTOP)

    # --- The Excel export of the agreement holds the task's row ----------------------
    with coord.expect_download() as download_info:
        coord.get_by_test_id("board-export").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    assert download.url.startswith(server.origin + "/")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    workbook = load_workbook(path, read_only=True)
    rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    header, body = rows[0], rows[1:]
    assert len(body) == 1, body  # a fresh agreement: only the task of this journey
    line = dict(zip(header, body[0], strict=False))
    assert line[_zh("Code")] == CODE
    assert line[_zh("Title")] == TASK_TITLE
    assert line[_zh("Lead units")] == LEAD_UNIT
    assert line[_zh("Responsible person")] == RESPONSIBLE
    assert line[_zh("Stage")] == _zh(Task.Stage.IN_PROGRESS.label)
    assert str(YEAR) in line[_zh("Annual agreement")]

    # --- The same pages on a phone ---------------------------------------------------
    phone = new_page(PHONE)
    sign_in(phone, server, "lj_coord")
    overflow = {}
    for name, url in [
        ("meeting", f"/conference/meetings/{meeting_pk}/"),
        ("task", task_url.removeprefix(server.origin)),
        ("board", reverse("conference:board", args=[agreement_pk])),
        ("my-tasks-coord", my_tasks_url),
    ]:
        phone.goto(server.url(url))
        expect(phone.locator("h2.page-title")).to_be_visible()
        overflow[name] = _no_horizontal_overflow(phone)
        _shoot(phone, name, PHONE)
    coord.goto(server.url(my_tasks_url))
    _shoot(coord, "my-tasks-coord", DESKTOP)
    staff_phone = new_page(PHONE)
    sign_in(staff_phone, server, "lj_staff")
    staff_phone.goto(server.url(my_tasks_url))
    overflow["my-tasks-staff"] = _no_horizontal_overflow(staff_phone)
    _shoot(staff_phone, "my-tasks-staff", PHONE)
    assert all(px <= 0 for px in overflow.values()), f"pages wider than a phone (px): {overflow}"

    assert_same_origin(traffic)
    assert_no_console_errors(traffic)
