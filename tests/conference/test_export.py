"""Export of the task list with latest progress as xlsx: scoped, escaped, audited."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from xietong.conference.models import ProgressReport
from xietong.core.models import SecurityEvent

from .factories import ProgressReportFactory, TaskFactory


def _sheet(response):
    assert response.status_code == 200
    wb = load_workbook(BytesIO(response.content))
    return wb.worksheets[0]


def _rows(response) -> list[list]:
    ws = _sheet(response)
    return [[c.value for c in row] for row in ws.iter_rows()]


def _export(client, agreement=None, **params):
    if agreement is None:
        return client.get(reverse("conference:task_export"), params)
    return client.get(reverse("conference:task_export", args=[agreement.pk]), params)


def test_it_exports_the_tasks_of_an_agreement_as_a_workbook(world, task, agreement, login):
    rows = _rows(_export(login(world.users["partnership_coordinator"]), agreement))
    assert len(rows) == 2  # the headers and the task
    assert rows[1][0] == task.code and rows[1][1] == task.title
    assert "两江新区产业促进局" in rows[1]
    assert "2026-12-31" in rows[1]


def test_it_exports_the_latest_accepted_report(world, task, agreement, login):
    ProgressReportFactory(
        task=task, period="2026-03", percent=30, status=ProgressReport.Status.ACCEPTED
    )
    ProgressReportFactory(
        task=task,
        period="2026-04",
        percent=45,
        narrative="完成厂房主体施工",
        status=ProgressReport.Status.ACCEPTED,
    )
    ProgressReportFactory(task=task, period="2026-05", percent=60, narrative="待审核")
    row = _rows(_export(login(world.users["leader"]), agreement))[1]
    assert "2026-04" in row and 45 in row and "完成厂房主体施工" in row
    assert "待审核" not in row


def test_a_name_starting_with_equals_stays_text(world, agreement, login):
    title = '=HYPERLINK("http://evil.example.com","点击")'
    TaskFactory(agreement=agreement, title=title, lead_units=[world.unit_a_dev])
    ws = _sheet(_export(login(world.users["partnership_coordinator"]), agreement))
    cell = ws.cell(row=2, column=2)
    assert cell.value == title
    assert cell.data_type == "s"


def test_it_leaves_out_another_pairs_tasks(world, task, other_agreement, login):
    TaskFactory(agreement=other_agreement, code="B-001", lead_units=[world.unit_b])
    rows = _rows(_export(login(world.users["partnership_coordinator"])))
    codes = [row[0] for row in rows[1:]]
    assert codes == [task.code]


def test_another_pairs_agreement_is_not_found(world, other_agreement, login):
    response = _export(login(world.users["partnership_coordinator"]), other_agreement)
    assert response.status_code == 404


def test_the_programme_coordinator_exports_every_pair(world, task, other_agreement, login):
    TaskFactory(agreement=other_agreement, code="B-001", lead_units=[world.unit_b])
    rows = _rows(_export(login(world.users["programme_coordinator"])))
    assert {row[0] for row in rows[1:]} == {task.code, "B-001"}


def test_it_filters_the_export_by_light(world, task, agreement, login):
    TaskFactory(agreement=agreement, code="2026-900", light="red", lead_units=[world.unit_a_dev])
    rows = _rows(_export(login(world.users["leader"]), agreement, light="red"))
    assert [row[0] for row in rows[1:]] == ["2026-900"]


@pytest.mark.parametrize("role", ["enterprise_user", "security_auditor", "nobody"])
def test_people_without_internal_scope_get_nothing(world, task, login, role):
    assert _export(login(world.users[role])).status_code == 404


def test_it_records_the_export_as_a_security_event(world, task, agreement, login):
    coordinator = world.users["partnership_coordinator"]
    _export(login(coordinator), agreement)
    event = SecurityEvent.objects.get(user=coordinator, kind="export")
    assert "1 rows" in event.detail
    assert event.path.startswith("/conference/")
