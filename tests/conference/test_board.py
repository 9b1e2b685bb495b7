"""The progress board (挂图打表): counts, filters, timeline, print view and its SQL budget."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from .factories import MilestoneFactory, TaskFactory


def codes(html):
    return re.findall(r'data-testid="board-row" data-code="([^"]+)"', html)


@pytest.fixture
def tasks(world, agreement):
    """Four tasks across areas, sides, lights, statuses and people."""
    staff, coord = world.users["department_staff"], world.users["partnership_coordinator"]
    red = TaskFactory(
        agreement=agreement,
        code="A-1",
        area="industry",
        light="red",
        status="lagging",
        responsible=staff,
        lead_units=[world.unit_a_dev],
    )
    amber = TaskFactory(
        agreement=agreement,
        code="A-2",
        area="sci_tech",
        light="amber",
        status="in_progress",
        percent=40,
        responsible=coord,
        lead_units=[world.unit_a_partner],
        support_units=[world.unit_a_dev],
    )
    green = TaskFactory(
        agreement=agreement,
        code="A-3",
        area="public_services",
        light="green",
        status="completed",
        stage="closed",
        percent=100,
        lead_units=[world.unit_a_partner],
    )
    plain = TaskFactory(
        agreement=agreement,
        code="A-4",
        area="industry",
        light="green",
        status="not_started",
        lead_units=[world.unit_a_dev],
    )
    return red, amber, green, plain


def test_it_counts_the_tasks_by_traffic_light(world, agreement, tasks, client):
    client.force_login(world.users["leader"])
    html = client.get(reverse("conference:board", args=[agreement.pk])).content.decode()
    assert 'data-testid="count-total">4<' in html
    assert 'data-testid="count-red">1<' in html
    assert 'data-testid="count-amber">1<' in html
    assert 'data-testid="count-green">2<' in html
    assert codes(html) == ["A-1", "A-2", "A-3", "A-4"]
    row = html.split('data-code="A-4" class=')[1].split("</tr>")[0]
    assert '<td class="nowrap">—</td>' in row and "None" not in row  # nobody responsible


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        ("area", "industry", ["A-1", "A-4"]),
        ("light", "red", ["A-1"]),
        ("status", "completed", ["A-3"]),
        ("unit", "dev", ["A-1", "A-2", "A-4"]),  # leading or supporting
        ("side", "partner", ["A-2", "A-3"]),  # led from the 万州 side
        ("person", "coordinator", ["A-2"]),
    ],
)
def test_it_narrows_the_rows_by_each_filter(
    world, agreement, tasks, client, param, value, expected
):
    value = {
        "dev": world.unit_a_dev.pk,
        "partner": world.pair_a.partner_side_id,
        "coordinator": world.users["partnership_coordinator"].pk,
    }.get(value, value)
    client.force_login(world.users["partnership_coordinator"])
    url = reverse("conference:board", args=[agreement.pk])
    html = client.get(url, {param: value}).content.decode()
    assert codes(html) == expected
    assert f'data-testid="count-total">{len(expected)}<' in html


def test_it_ignores_a_filter_value_that_is_not_a_choice(world, agreement, tasks, client):
    client.force_login(world.users["leader"])
    url = reverse("conference:board", args=[agreement.pk])
    html = client.get(url, {"unit": world.unit_b.pk, "area": "nonsense"}).content.decode()
    assert codes(html) == ["A-1", "A-2", "A-3", "A-4"]


def test_it_shows_completion_by_unit_and_by_area(world, agreement, tasks, client):
    client.force_login(world.users["leader"])
    html = client.get(reverse("conference:board", args=[agreement.pk])).content.decode()
    by_unit = html.split('data-testid="by-unit"')[1].split("</table>")[0]
    by_area = html.split('data-testid="by-area"')[1].split("</table>")[0]
    assert "产业促进局" in by_unit and "区经济信息委" in by_unit
    assert "70%" in by_unit  # 万州 leads A-2 (40%) and A-3 (100%)
    assert by_area.count("<tr>") == 4  # header and three areas with tasks
    assert 'class="pct-fill pct-done" width="100"' in by_area  # public services: all done


def test_it_shows_a_leader_the_board_without_action_buttons(world, agreement, tasks, client):
    client.force_login(world.users["leader"])
    html = client.get(reverse("conference:board", args=[agreement.pk])).content.decode()
    assert codes(html)
    assert 'data-testid="action-' not in html
    client.force_login(world.users["partnership_coordinator"])
    html = client.get(reverse("conference:board", args=[agreement.pk])).content.decode()
    assert 'data-testid="action-new-task"' in html


@pytest.mark.parametrize("role", ["leader", "department_staff", "enterprise_user", "nobody"])
def test_it_answers_404_for_a_board_out_of_scope(world, other_agreement, client, role):
    TaskFactory(agreement=other_agreement, lead_units=[world.unit_b])
    client.force_login(world.users[role])
    assert client.get(reverse("conference:board", args=[other_agreement.pk])).status_code == 404
    for name in ("conference:board_print", "conference:board_rows"):
        assert client.get(reverse(name, args=[other_agreement.pk])).status_code == 404


def test_it_draws_the_timeline_with_milestones_the_baseline_and_today(world, agreement, client):
    today = timezone.localdate()
    task = TaskFactory(
        agreement=agreement,
        code="G-1",
        start_date=date(today.year, 1, 1),
        deadline=date(today.year, 12, 31),
        baseline_deadline=date(today.year, 10, 31),
        lead_units=[world.unit_a_dev],
    )
    MilestoneFactory(task=task, title="中期评估", due_date=date(today.year, 6, 30))
    client.force_login(world.users["leader"])
    html = client.get(reverse("conference:board", args=[agreement.pk])).content.decode()
    gantt = html.split('data-testid="gantt"')[1].split("</svg>")[0]
    assert 'data-testid="gantt-row" data-code="G-1"' in gantt
    assert 'class="g-ms ' in gantt and "中期评估" in gantt
    assert 'class="g-baseline"' in gantt
    if agreement.year == today.year:
        assert 'data-testid="gantt-today"' in gantt
    assert "style=" not in html  # the CSP forbids inline styles


def test_it_renders_a_printable_board_for_the_wall(world, agreement, tasks, client):
    client.force_login(world.users["leader"])
    url = reverse("conference:board_print", args=[agreement.pk])
    response = client.get(url, {"area": "industry"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="board-print-page"' in html and "xietong/board." in html
    assert codes(html) == ["A-1", "A-4"]
    assert 'data-testid="gantt"' in html
    assert "<script>" not in html and "style=" not in html


def _many(world, agreement, n):
    for i in range(n):
        task = TaskFactory(
            agreement=agreement,
            code=f"N-{i:03d}",
            responsible=world.users["department_staff"],
            lead_units=[world.unit_a_dev],
            support_units=[world.unit_a_partner],
        )
        task.working_group.add(world.users["department_staff"])
        MilestoneFactory(task=task, due_date=task.start_date + timedelta(days=30))
        MilestoneFactory(task=task, due_date=task.start_date + timedelta(days=90))


def _queries(client, agreement, name="conference:board"):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name, args=[agreement.pk]), {"side": ""})
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize(
    "name", ["conference:board", "conference:board_print", "conference:board_rows"]
)
def test_it_renders_the_board_with_a_constant_number_of_queries(world, agreement, client, name):
    client.force_login(world.users["partnership_coordinator"])
    _many(world, agreement, 5)
    few, html = _queries(client, agreement, name)
    assert len(codes(html)) == 5
    # 45 more tasks, led from the other side by another responsible person.
    for i in range(45):
        task = TaskFactory(
            agreement=agreement,
            code=f"M-{i:03d}",
            responsible=world.users["partnership_coordinator"],
            lead_units=[world.unit_a_partner],
        )
        MilestoneFactory(task=task)
    many, html = _queries(client, agreement, name)
    assert len(codes(html)) == 50
    assert many == few


def test_it_stays_within_a_fixed_query_budget(
    world, agreement, client, django_assert_max_num_queries
):
    _many(world, agreement, 50)
    client.force_login(world.users["leader"])
    with django_assert_max_num_queries(15):
        response = client.get(reverse("conference:board", args=[agreement.pk]))
    assert response.status_code == 200


def test_it_shows_an_empty_board_for_a_new_agreement(world, agreement, client):
    client.force_login(world.users["partnership_coordinator"])
    response = client.get(reverse("conference:board", args=[agreement.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="count-total">0<' in html and codes(html) == []


def test_a_large_board_shows_the_first_rows_and_loads_the_rest_on_request(
    world, agreement, tasks, client, settings
):
    settings.CONFERENCE_BOARD_TABLE_ROWS = 2
    client.force_login(world.users["leader"])
    html = client.get(reverse("conference:board", args=[agreement.pk])).content.decode()
    assert codes(html) == ["A-1", "A-2"]
    assert html.count('data-testid="gantt-row"') == 4  # the timeline holds every task
    assert 'data-testid="count-total">4<' in html
    rows_url = reverse("conference:board_rows", args=[agreement.pk])
    assert f'hx-get="{rows_url}"' in html and 'data-testid="board-show-all"' in html
    rows = client.get(rows_url, HTTP_HX_REQUEST="true").content.decode()
    assert codes(rows) == ["A-1", "A-2", "A-3", "A-4"] and "<html" not in rows
    assert "board-show-all" not in rows
    printed = client.get(reverse("conference:board_print", args=[agreement.pk]))
    assert codes(printed.content.decode()) == ["A-1", "A-2", "A-3", "A-4"]


def test_show_all_keeps_the_filters(world, agreement, tasks, client, settings):
    settings.CONFERENCE_BOARD_TABLE_ROWS = 1
    client.force_login(world.users["leader"])
    board_url = reverse("conference:board", args=[agreement.pk])
    html = client.get(board_url, {"area": "industry"}).content.decode()
    assert codes(html) == ["A-1"]
    rows_url = reverse("conference:board_rows", args=[agreement.pk]) + "?area=industry"
    assert f'hx-get="{rows_url}"' in html
    assert codes(client.get(rows_url).content.decode()) == ["A-1", "A-4"]


def test_the_table_row_shows_the_task_as_the_detail_page_names_it(world, agreement, client):
    today = timezone.localdate()
    task = TaskFactory(
        agreement=agreement,
        code="T-<1>",
        title="共建<园区>",
        area="sci_tech",
        light="red",
        status="lagging",
        percent=35,
        start_date=date(today.year, 2, 1),
        deadline=date(today.year, 11, 30),
        baseline_deadline=date(today.year, 9, 30),
        responsible=world.users["department_staff"],
        lead_units=[world.unit_a_dev, world.unit_a_partner],
    )
    client.force_login(world.users["leader"])
    html = client.get(reverse("conference:board", args=[agreement.pk])).content.decode()
    row = html.split('data-testid="board-row"')[1].split("</tr>")[0]
    assert reverse("conference:task_detail", args=[task.pk]) in row
    assert "T-&lt;1&gt;" in row and "共建&lt;园区&gt;" in row and "<园区>" not in html
    leads = row.split("<td>")[2].split("</td>")[0]  # code, title, area, then lead units
    assert sorted(leads.split("、")) == sorted(["两江新区产业促进局", "万州区区经济信息委"])
    assert world.users["department_staff"].display_name in row
    assert f"{today.year}年11月30日" in row and f"{today.year}年9月30日" in row  # zh-hans dates
    assert 'width="35"' in row and "bg-red" in row
    gantt = html.split('data-testid="gantt"')[1].split("</svg>")[0]
    assert 'data-code="T-&lt;1&gt;"' in gantt and "<园区>" not in gantt
