"""Import of the task list from xlsx: all or nothing, errors by row and column, idempotent."""

import zipfile
from datetime import date
from io import BytesIO

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from xietong.conference import imports
from xietong.conference.models import ProgressReport, Task, TaskEvent
from xietong.core.models import Role

from ..factories import MembershipFactory, UserFactory
from .factories import ExtensionRequestFactory, ProgressReportFactory

HEADERS = [header for _name, header, _required in imports.COLUMNS]


def good_row(code="2026-101", **changes):
    row = {
        "任务编号": code,
        "任务名称": "共建万州汽车零部件配套产业园",
        "任务内容": "引进配套企业，建设标准厂房。",
        "领域": "产业发展",
        "类型": "项目化",
        "牵头单位": "两江新区产业促进局",
        "配合单位": "万州区区经济信息委",
        "责任人": "department_staff",
        "工作专班": "",
        "开始日期": "2026-03-01",
        "完成时限": "2026-12-31",
        "优先级": "高",
        "报告周期": "每季度",
        "里程碑": "完成选址：2026-06-30",
        "量化指标": "引进项目：10个",
    }
    row.update(changes)
    return row


def xlsx(*rows, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h, "") for h in headers])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def run(world, agreement, data, name="tasks.xlsx"):
    coordinator = world.users["partnership_coordinator"]
    return imports.import_file(coordinator, agreement, name, data)


def upload(client, agreement, data, name="tasks.xlsx"):
    return client.post(
        reverse("conference:task_import", args=[agreement.pk]),
        {"file": SimpleUploadedFile(name, data)},
    )


def test_it_imports_a_task_with_its_units_people_milestones_and_targets(world, agreement):
    result = run(world, agreement, xlsx(good_row()))
    assert result.ok and result.created == ["2026-101"]
    task = Task.objects.get(agreement=agreement, code="2026-101")
    assert (task.area, task.kind, task.priority, task.cadence) == (
        "industry",
        "project",
        "high",
        "quarterly",
    )
    assert task.responsible == world.users["department_staff"]
    assert task.deadline == task.baseline_deadline == date(2026, 12, 31)
    assert {(tu.unit, tu.role) for tu in task.task_units.all()} == {
        (world.unit_a_dev, "lead"),
        (world.unit_a_partner, "support"),
    }
    assert [(m.title, m.due_date) for m in task.milestones.all()] == [
        ("完成选址", date(2026, 6, 30))
    ]
    assert [(t.name, t.target_value, t.measure) for t in task.targets.all()] == [
        ("引进项目", 10, "个")
    ]


def test_it_matches_a_unit_by_its_name_alone_when_one_side_has_it(world, agreement):
    result = run(world, agreement, xlsx(good_row(牵头单位="产业促进局")))
    assert result.ok
    lead = Task.objects.get(code="2026-101").task_units.get(role="lead")
    assert lead.unit == world.unit_a_dev


def test_it_matches_the_responsible_person_by_full_name(world, agreement):
    staff = world.users["department_staff"]
    result = run(world, agreement, xlsx(good_row(责任人=staff.full_name)))
    assert result.ok
    assert Task.objects.get(code="2026-101").responsible == staff


def test_it_reads_date_cells_and_chinese_dates(world, agreement):
    row = good_row(开始日期="2026年3月1日")
    data = xlsx(row)
    wb = load_workbook(BytesIO(data))
    wb.active["K2"] = date(2026, 11, 30)  # 完成时限 as a real date cell
    out = BytesIO()
    wb.save(out)
    assert run(world, agreement, out.getvalue()).ok
    task = Task.objects.get(code="2026-101")
    assert (task.start_date, task.deadline) == (date(2026, 3, 1), date(2026, 11, 30))


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("牵头单位", "两江新区不存在局", "两江新区不存在局"),
        ("配合单位", "渝中区区发展改革委", "渝中区区发展改革委"),  # a unit of another pair
        ("开始日期", "2026-13-01", "2026-13-01"),
        ("完成时限", "明年", "明年"),
        ("任务名称", "", ""),
        ("责任人", "", ""),
        ("责任人", "张三", "张三"),
        ("工作专班", "department_staff、李四", "李四"),
        ("领域", "农业农村", "农业农村"),
        ("类型", "随便", "随便"),
        ("优先级", "紧急", "紧急"),
        ("报告周期", "每周", "每周"),
        ("里程碑", "年中完成", "年中完成"),
        ("量化指标", "很多企业", "很多企业"),
        ("完成时限", "2026-02-01", ""),  # before the start date
    ],
)
def test_it_reports_a_bad_cell_by_row_and_column(world, agreement, column, value, fragment):
    rows = [good_row("2026-101"), good_row("2026-102", **{column: value})]
    result = run(world, agreement, xlsx(*rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, column)]
    error = result.errors[0]
    assert fragment in error.message
    assert "3" in str(error) and column in str(error)


def test_it_reports_a_duplicate_code_on_the_second_row(world, agreement):
    result = run(world, agreement, xlsx(good_row("2026-101"), good_row("2026-101")))
    assert [(e.row, e.column) for e in result.errors] == [(3, "任务编号")]
    assert "2" in result.errors[0].message  # names the row it duplicates


def test_it_lists_every_error_of_the_file(world, agreement):
    rows = [good_row("A", 领域="农业"), good_row("B", 开始日期="x", 责任人="张三")]
    result = run(world, agreement, xlsx(*rows))
    assert {(e.row, e.column) for e in result.errors} == {
        (2, "领域"),
        (3, "开始日期"),
        (3, "责任人"),
    }


def test_a_file_with_one_bad_row_imports_nothing(world, agreement):
    rows = [good_row("2026-101"), good_row("2026-102", 牵头单位="不存在局"), good_row("2026-103")]
    result = run(world, agreement, xlsx(*rows))
    assert not result.ok
    assert not Task.objects.filter(agreement=agreement).exists()


def test_the_page_lists_the_errors_by_row_and_column(world, agreement, login):
    client = login(world.users["partnership_coordinator"])
    data = xlsx(good_row("2026-101"), good_row("2026-102", 完成时限="明年"))
    html = upload(client, agreement, data).content.decode()
    assert 'data-testid="import-errors"' in html
    assert "<td>3</td><td>完成时限</td>" in html
    assert not Task.objects.exists()


def test_reimporting_the_same_file_changes_nothing(world, agreement):
    data = xlsx(good_row("2026-101"), good_row("2026-102", 工作专班="partnership_coordinator"))
    run(world, agreement, data)
    log_entries, events = LogEntry.objects.count(), TaskEvent.objects.count()
    result = run(world, agreement, data)
    assert result.ok and result.unchanged == ["2026-101", "2026-102"]
    assert Task.objects.filter(agreement=agreement).count() == 2
    assert (LogEntry.objects.count(), TaskEvent.objects.count()) == (log_entries, events)


def test_a_corrected_file_updates_the_tasks_by_code_and_keeps_their_reports(world, agreement):
    run(world, agreement, xlsx(good_row("2026-101")))
    task = Task.objects.get(code="2026-101")
    report = ProgressReportFactory(task=task, status=ProgressReport.Status.ACCEPTED)
    corrected = good_row(
        "2026-101",
        任务名称="共建万州汽车零部件产业园（修订）",
        完成时限="2027-03-31",
        里程碑="完成选址：2026-07-31\n首批企业入驻：2026-12-31",
    )
    result = run(world, agreement, xlsx(corrected, good_row("2026-102")))
    assert result.updated == ["2026-101"] and result.created == ["2026-102"]
    task.refresh_from_db()
    assert task.title == "共建万州汽车零部件产业园（修订）"
    assert task.deadline == task.baseline_deadline == date(2027, 3, 31)
    assert [(m.title, m.due_date) for m in task.milestones.order_by("due_date")] == [
        ("完成选址", date(2026, 7, 31)),
        ("首批企业入驻", date(2026, 12, 31)),
    ]
    assert list(task.reports.all()) == [report]


def test_reimporting_keeps_an_approved_extension(world, agreement):
    data = xlsx(good_row("2026-101"))
    run(world, agreement, data)
    task = Task.objects.get(code="2026-101")
    task.deadline = date(2027, 6, 30)  # as decide_extension leaves it
    task.save()
    ExtensionRequestFactory(task=task, status="approved", new_deadline=date(2027, 6, 30))
    assert run(world, agreement, data).unchanged == ["2026-101"]
    task.refresh_from_db()
    assert (task.deadline, task.baseline_deadline) == (date(2027, 6, 30), date(2026, 12, 31))


def test_the_coordinator_imports_through_the_page(world, agreement, login):
    client = login(world.users["partnership_coordinator"])
    response = upload(client, agreement, xlsx(good_row()))
    assert response.status_code == 302
    assert Task.objects.filter(agreement=agreement, code="2026-101").exists()


@pytest.mark.parametrize("role", ["department_staff", "leader", "sector_group_member"])
def test_only_coordinators_may_import(world, agreement, login, role):
    response = upload(login(world.users[role]), agreement, xlsx(good_row()))
    assert response.status_code == 403
    assert not Task.objects.exists()


@pytest.mark.parametrize("role", ["partnership_coordinator", "enterprise_user", "nobody"])
def test_another_pairs_agreement_is_not_found(world, other_agreement, login, role):
    response = upload(login(world.users[role]), other_agreement, xlsx(good_row()))
    assert response.status_code == 404


def _rejected(world, agreement, login, data, name="tasks.xlsx"):
    client = login(world.users["partnership_coordinator"])
    html = upload(client, agreement, data, name).content.decode()
    assert 'data-testid="import-problem"' in html
    assert not Task.objects.exists()
    return html


def test_it_rejects_a_file_that_is_not_xlsx(world, agreement, login):
    _rejected(world, agreement, login, b"code,title\n1,x\n", name="tasks.csv")
    _rejected(world, agreement, login, b"not a zip at all", name="tasks.xlsx")


def test_it_rejects_a_file_over_ten_megabytes(world, agreement, login):
    _rejected(world, agreement, login, b"PK" + b"\0" * (10 * 1024 * 1024))


def _repacked(data: bytes, extra: dict[str, bytes] | None = None, patch=None) -> bytes:
    source = zipfile.ZipFile(BytesIO(data))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if patch:
                content = patch(item.filename, content)
            target.writestr(item.filename, content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def test_it_rejects_a_zip_bomb_before_reading_it(world, agreement, login):
    bomb = _repacked(xlsx(good_row()), {"xl/media/padding.bin": b"\0" * (50 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    html = _rejected(world, agreement, login, bomb)
    assert "expands" in html or "扩展" in html or "解压" in html


def test_it_rejects_an_xml_entity_bomb(world, agreement, login):
    lol = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'

    def patch(name, content):
        if name == "xl/workbook.xml":
            head, _sep, rest = content.partition(b"?>")
            return head + b"?>" + lol + rest
        return content

    _rejected(world, agreement, login, _repacked(xlsx(good_row()), patch=patch))


def test_it_rejects_a_file_without_the_template_headers(world, agreement):
    with pytest.raises(imports.ImportRejected):
        run(world, agreement, xlsx(good_row(), headers=["编号", "名称"]))


def test_it_downloads_the_template_with_chinese_headers_and_instructions(world, login):
    client = login(world.users["department_staff"])
    response = client.get(reverse("conference:task_template"))
    wb = load_workbook(BytesIO(response.content))
    assert [c.value for c in wb.worksheets[0][1]] == HEADERS
    instructions = wb.worksheets[1]
    values = {c.value for row in instructions.iter_rows() for c in row}
    assert {"产业发展、城乡互动、科技协作、公共服务", "项目化、事项化、机制化"} <= values


def test_the_template_of_an_agreement_lists_the_units_of_the_pair(world, agreement, login):
    client = login(world.users["partnership_coordinator"])
    response = client.get(reverse("conference:task_template", args=[agreement.pk]))
    wb = load_workbook(BytesIO(response.content))
    units = {row[0].value for row in wb["单位与人员"].iter_rows(min_row=2)}
    assert {"两江新区产业促进局", "万州区区经济信息委"} <= units
    assert "渝中区区发展改革委" not in units


def test_the_empty_template_imports_as_no_tasks(world, agreement):
    with pytest.raises(imports.ImportRejected):
        run(world, agreement, imports.template_workbook(agreement))


def test_the_import_page_offers_the_template_of_the_agreement(world, agreement, login):
    client = login(world.users["partnership_coordinator"])
    html = client.get(reverse("conference:task_import", args=[agreement.pk])).content.decode()
    assert reverse("conference:task_template", args=[agreement.pk]) in html
    assert 'type="file"' in html


# --- People of the pair --------------------------------------------------------------------


@pytest.fixture
def outsider(world):
    """Staff of pair B's unit: a member of the platform, not of pair A."""
    user = UserFactory(username="yz_staff", full_name="渝中员工")
    MembershipFactory(user=user, role=Role.DEPARTMENT_STAFF, org_unit=world.unit_b)
    return user


@pytest.mark.parametrize("column", ["责任人", "工作专班"])
def test_it_refuses_a_person_of_another_pair_by_row_and_column(world, agreement, outsider, column):
    rows = [good_row("2026-101"), good_row("2026-102", **{column: "yz_staff"})]
    result = run(world, agreement, xlsx(*rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, column)]
    assert "yz_staff" in result.errors[0].message
    assert not Task.objects.exists()


def test_a_person_who_leaves_the_pair_during_the_import_rolls_it_back(
    world, agreement, monkeypatch
):
    """The service checks the people again when it writes: rows already written are
    rolled back and the row is named with its column."""
    monkeypatch.setattr(imports, "CREATE_CHUNK", 1)
    leaving = world.users["department_staff"]
    rows = [good_row(f"2026-10{i}", 责任人="partnership_coordinator") for i in (1, 2)]
    rows.append(good_row("2026-103", 责任人=leaving.username))

    def progress(phase, done, total):
        if phase == imports.PHASE_WRITE and done == 1:
            assert Task.objects.filter(code="2026-101").exists()  # written, not committed
            leaving.memberships.all().delete()

    coordinator = world.users["partnership_coordinator"]
    result = imports.import_file(coordinator, agreement, "tasks.xlsx", xlsx(*rows), progress)
    assert [(e.row, e.column) for e in result.errors] == [(4, "责任人")]
    assert not Task.objects.exists() and not TaskEvent.objects.exists()
    assert not LogEntry.objects.filter(content_type__model="task").exists()


def test_the_import_leaves_an_audit_entry_for_every_new_row(world, agreement):
    run(world, agreement, xlsx(good_row("2026-101"), good_row("2026-102")))
    created = LogEntry.objects.filter(
        action=LogEntry.Action.CREATE,
        content_type__app_label="conference",
        content_type__model__in=["task", "taskunit", "milestone", "target"],
    )
    assert created.filter(content_type__model="task").count() == 2
    assert created.filter(content_type__model="taskunit").count() == 4
    assert created.filter(content_type__model="milestone").count() == 2
    assert created.filter(content_type__model="target").count() == 2
    assert {e.actor for e in created} == {world.users["partnership_coordinator"]}


# --- Large files in the background ---------------------------------------------------------


@pytest.fixture
def huey_immediate():
    """huey runs each job at once, in the request (memory storage for its state)."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = was


@pytest.fixture
def small_jobs(settings):
    settings.CONFERENCE_IMPORT_JOB_ROWS = 2  # files of more than two rows go to the job


def job_url(agreement, token):
    return reverse("conference:task_import_job", args=[agreement.pk, token])


def test_a_small_file_is_imported_in_the_request(world, agreement, login, small_jobs):
    client = login(world.users["partnership_coordinator"])
    response = upload(client, agreement, xlsx(good_row("2026-101"), good_row("2026-102")))
    assert response.status_code == 302
    assert "/tasks/import/" not in response["Location"]
    assert agreement.tasks.count() == 2


def test_a_large_file_is_imported_by_the_job(world, agreement, login, small_jobs, huey_immediate):
    client = login(world.users["partnership_coordinator"])
    rows = [good_row(f"2026-10{i}") for i in range(1, 4)]
    response = upload(client, agreement, xlsx(*rows))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(reverse("conference:task_import", args=[agreement.pk]))
    html = client.get(location).content.decode()
    assert 'data-state="done"' in html and "hx-trigger" not in html  # polling has stopped
    assert agreement.tasks.count() == 3
    entries = LogEntry.objects.filter(content_type__model="task", action=LogEntry.Action.CREATE)
    assert entries.count() == 3
    assert {e.actor for e in entries} == {world.users["partnership_coordinator"]}
    response = upload(client, agreement, xlsx(*rows))  # the same file again: no change
    assert 'data-state="done"' in client.get(response["Location"]).content.decode()
    assert agreement.tasks.count() == 3 and entries.count() == 3


def test_a_bad_row_in_a_large_file_imports_nothing(
    world, agreement, login, small_jobs, huey_immediate
):
    client = login(world.users["partnership_coordinator"])
    rows = [
        good_row("2026-101"),
        good_row("2026-102"),
        good_row("2026-103", 牵头单位="不存在局"),
        good_row("2026-104", 完成时限="明年"),
    ]
    response = upload(client, agreement, xlsx(*rows))
    html = client.get(response["Location"]).content.decode()
    assert 'data-state="failed"' in html and 'data-testid="import-errors"' in html
    assert "<td>4</td><td>牵头单位</td>" in html and "<td>5</td><td>完成时限</td>" in html
    assert not Task.objects.exists()


def test_the_job_page_shows_progress_and_htmx_polls_the_fragment(
    world, agreement, login, huey_immediate
):
    coordinator = world.users["partnership_coordinator"]
    token = imports.new_job(coordinator, agreement, "tasks.xlsx", 1000)
    state = imports.peek_job(token)
    state.update(state=imports.JOB_RUNNING, phase=imports.PHASE_WRITE, done=500, total=1000)
    huey_immediate.put(f"xietong.conference.import.{token}", state)
    client = login(coordinator)
    page = client.get(job_url(agreement, token)).content.decode()
    assert 'data-state="running"' in page and 'hx-trigger="every 1s"' in page
    assert f'hx-get="{job_url(agreement, token)}"' in page
    assert 'aria-valuenow="75"' in page  # checked (the first half) and half written
    fragment = client.get(job_url(agreement, token), HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body and 'data-testid="import-job"' in body


@pytest.mark.parametrize(
    "who", ["other_pair", "programme_coordinator", "leader", "other_agreement", "unknown"]
)
def test_only_the_uploader_follows_the_job_through_its_agreement(
    world, agreement, other_agreement, login, huey_immediate, who
):
    coordinator = world.users["partnership_coordinator"]
    token = imports.new_job(coordinator, agreement, "tasks.xlsx", 1000)
    url = job_url(agreement, token)
    user = coordinator
    if who == "other_pair":
        user = UserFactory(username="yz_coord")
        MembershipFactory(
            user=user,
            role=Role.PARTNERSHIP_COORDINATOR,
            partnership=world.pair_b,
            region=world.pair_b.developed_side,
        )
    elif who in ("programme_coordinator", "leader"):
        user = world.users[who]  # sees the agreement, did not upload the file
    elif who == "other_agreement":
        url = job_url(other_agreement, token)
    else:
        url = job_url(agreement, "no-such-job")
    assert login(user).get(url).status_code == 404
    assert login(coordinator).get(job_url(agreement, token)).status_code == 200


def test_a_job_silent_for_too_long_is_shown_as_failed(world, agreement, login, huey_immediate):
    coordinator = world.users["partnership_coordinator"]
    token = imports.new_job(coordinator, agreement, "tasks.xlsx", 1000)
    state = imports.peek_job(token)
    state["touched"] -= imports.JOB_STALE_SECONDS + 1
    huey_immediate.put(f"xietong.conference.import.{token}", state)  # as a killed worker left it
    html = login(coordinator).get(job_url(agreement, token)).content.decode()
    assert 'data-state="failed"' in html and "hx-trigger" not in html
