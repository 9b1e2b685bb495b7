"""The monthly work-contact log and the yearly compliance table as xlsx: Chinese headers,
the rows of the month and partnership asked for, the states and rates of each pair."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from xietong.core.models import SecurityEvent
from xietong.pairing.models import ContactParticipant, FollowUpAction

from .conftest import contact as write_contact

pytestmark = pytest.mark.django_db


def sheets(response) -> dict[str, list[list]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(BytesIO(response.content))
    return {
        ws.title: [
            [c if c is not None else "" for c in row] for row in ws.iter_rows(values_only=True)
        ]
        for ws in book.worksheets
    }


def test_the_contact_log_of_a_month_and_a_partnership(world, people, dept_pair, pair_b_pair, login):
    april = write_contact(
        dept_pair, people.developed_staff, date(2025, 4, 8), topics="新能源汽车配套", place="两江"
    )
    ContactParticipant.objects.create(
        contact=april, side="developed", name="张伟", unit="产业促进局"
    )
    ContactParticipant.objects.create(contact=april, side="partner", name="刘洋", title="科员")
    FollowUpAction.objects.create(contact=april, text="梳理配套企业清单", owner_side="partner")
    write_contact(
        dept_pair,
        people.developed_staff,
        date(2025, 4, 21),
        topics='=HYPERLINK("x")',
        status="awaiting_confirmation",
    )
    write_contact(dept_pair, people.developed_staff, date(2025, 3, 30), topics="三月的联系")
    write_contact(pair_b_pair, people.b_staff, date(2025, 4, 9), topics="另一对口关系")
    client = login(people.programme_coordinator)  # sees both partnerships
    response = client.get(
        reverse("pairing:contact_export"), {"month": "2025-04", "partnership": world.pair_a.pk}
    )
    ((title, rows),) = sheets(response).items()
    assert title == "2025年4月工作联系"
    headers = rows[0]
    assert headers[:5] == ["开展日期", "对口关系", "支持方部门", "协同方部门", "对接方式"]
    assert {"支持方参加人员", "协同方参加人员", "后续事项", "状态", "确认人"} <= set(headers)
    body = rows[1:]
    assert [r[0] for r in body] == ["2025-04-08", "2025-04-21"]
    first = dict(zip(headers, body[0], strict=True))
    assert first["对接方式"] == "视频会议"
    assert first["支持方参加人员"] == "张伟（产业促进局）"
    assert first["协同方参加人员"] == "刘洋（科员）"
    assert "梳理配套企业清单" in first["后续事项"] and "协同方" in first["后续事项"]
    assert first["状态"] == "已确认"
    second = dict(zip(headers, body[1], strict=True))
    assert second["状态"] == "待确认"
    assert second["对接事项"] == '=HYPERLINK("x")'  # text, never a formula
    assert SecurityEvent.objects.filter(detail__contains="pairing contact log").exists()


def test_the_contact_log_holds_only_what_the_user_sees(
    world, people, dept_pair, pair_b_pair, login
):
    write_contact(pair_b_pair, people.b_staff, date(2025, 4, 9), topics="另一对口关系")
    write_contact(dept_pair, people.developed_staff, date(2025, 4, 8), topics="本对口关系")
    response = login(people.b_staff).get(reverse("pairing:contact_export"), {"month": "2025-04"})
    ((_title, rows),) = sheets(response).items()
    assert [r[rows[0].index("对接事项")] for r in rows[1:]] == ["另一对口关系"]


def test_the_yearly_compliance_table(world, people, dept_pair, login, at):
    at(datetime(2025, 4, 15, 2, 0, tzinfo=UTC))
    write_contact(dept_pair, people.developed_staff, date(2025, 1, 10))
    write_contact(
        dept_pair, people.developed_staff, date(2025, 2, 10), status="awaiting_confirmation"
    )
    write_contact(dept_pair, people.developed_staff, date(2025, 4, 2))
    response = login(people.developed_coordinator).get(
        reverse("pairing:compliance_export"), {"year": "2025", "partnership": world.pair_a.pk}
    )
    book = sheets(response)
    assert list(book) == ["2025年对接情况", "各方开展率"]
    rows = book["2025年对接情况"]
    headers = rows[0]
    assert headers[:4] == ["对口关系", "支持方部门", "协同方部门", "对接频次"]
    assert headers[4] == "2025年1月" and headers[15] == "2025年12月"
    assert headers[16:] == [
        "第1季度",
        "第2季度",
        "第3季度",
        "第4季度",
        "全年开展率",
        "已开展周期数",
        "应开展周期数",
    ]
    (row,) = rows[1:]
    assert row[1:3] == ["产业促进局", "区经济信息委"]
    assert row[4:8] == ["已开展", "待确认", "未开展", "已开展"]
    assert row[8:16] == ["未到期"] * 8
    # Q1: 1 held of 3 due; Q2: April held (an ended month is due once held); year 2 of 4.
    assert row[16:23] == ["33%", "100%", "—", "—", "50%", 2, 4]
    sides = book["各方开展率"]
    assert sides[0][:3] == ["所属方", "部门", "结对数"]
    assert ["支持方", "产业促进局", 1, "33%", "100%", "—", "—", "50%", 2, 4] in sides
    assert any(r[0] == "协同方" and r[1] == "全方合计" and r[7] == "50%" for r in sides)


def test_a_pair_paired_mid_year_is_not_applicable_before(world, people, login, at):
    at(datetime(2025, 12, 20, 2, 0, tzinfo=UTC))
    from xietong.pairing import services

    pair = services.create_pair(
        people.developed_coordinator,
        partnership=world.pair_a,
        developed_unit=world.unit_a_dev,
        partner_unit=world.unit_a_partner,
        started_on=date(2025, 6, 15),
    )
    write_contact(pair, people.developed_staff, date(2025, 7, 3))
    response = login(people.developed_coordinator).get(
        reverse("pairing:compliance_export"), {"year": "2025"}
    )
    rows = sheets(response)["2025年对接情况"]
    (row,) = rows[1:]
    assert row[4:10] == ["不适用"] * 6  # January to June: paired on 15 June
    assert row[10] == "已开展" and row[11] == "未开展" and row[15] == "未到期"
