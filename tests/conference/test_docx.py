"""Word exports of the annual agreement and the meeting minutes, in the official style."""

from datetime import date
from io import BytesIO

import pytest
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn

from xietong.conference.docx import BODY_FONT, DOCX, TITLE_FALLBACK, TITLE_FONT, cn_date
from xietong.core.models import SecurityEvent

from .factories import AgendaItemFactory, AttendeeFactory, MeetingFactory, ResolutionFactory


def _url(name, *args):
    return reverse(f"conference:{name}", args=args)


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def _east_asian(paragraph) -> set[str]:
    fonts = set()
    for run in paragraph.runs:
        rfonts = run._element.rPr.rFonts
        fonts.add(rfonts.get(qn("w:eastAsia")))
    return fonts


@pytest.fixture
def meeting(world):
    return MeetingFactory(
        partnership=world.pair_a,
        number=5,
        year=2026,
        date=date(2026, 3, 15),
        place="万州区行政中心",
        minutes="会议听取了年度协议执行情况汇报。",
    )


@pytest.fixture
def adopted(agreement, meeting, task):
    agreement.meeting = meeting
    agreement.preamble = "为深化两地对口协同，双方议定如下。"
    agreement.save()
    return agreement


def test_it_formats_dates_as_year_month_day_with_two_digits():
    assert cn_date(date(2026, 3, 5)) == "2026年03月05日"


def test_it_exports_the_agreement_with_its_tasks_in_official_style(world, login, adopted, task):
    response = login(world.users["department_staff"]).get(_url("agreement_docx", adopted.pk))
    assert response.status_code == 200 and response["Content-Type"] == DOCX
    assert "attachment" in response["Content-Disposition"]
    document = Document(BytesIO(response.content))
    text = _text(document)
    assert adopted.title in text
    assert task.code in text and task.title in text
    assert "两江新区产业促进局" in text and "万州区区经济信息委" in text
    assert "2026年03月15日" in text  # the meeting's date
    assert "2026年12月31日" in text  # the task's deadline
    title = document.paragraphs[0]
    assert title.text == adopted.title and _east_asian(title) == {TITLE_FONT}
    body = next(p for p in document.paragraphs if p.text.startswith("为深化"))
    assert _east_asian(body) == {BODY_FONT}
    assert body.runs[0].font.size.pt == 16


def test_it_declares_heiti_as_the_alternate_of_the_title_font(world, login, adopted):
    response = login(world.users["partnership_coordinator"]).get(_url("agreement_docx", adopted.pk))
    document = Document(BytesIO(response.content))
    part = next(
        p for p in document.part.package.iter_parts() if str(p.partname).endswith("fontTable.xml")
    )
    xml = part.blob.decode()
    assert f'w:name="{TITLE_FONT}"' in xml and f'w:val="{TITLE_FALLBACK}"' in xml


def test_it_exports_the_meeting_minutes(world, login, meeting):
    AttendeeFactory(
        meeting=meeting, side=world.pair_a.partner_side, org_unit=world.unit_a_partner, name="王芳"
    )
    AgendaItemFactory(meeting=meeting, title="审议2026年度协议")
    ResolutionFactory(meeting=meeting, number=1, text="共建汽车零部件配套产业园。")
    response = login(world.users["leader"]).get(_url("meeting_docx", meeting.pk))
    assert response.status_code == 200
    document = Document(BytesIO(response.content))
    text = _text(document)
    for expected in (
        "两江新区 ↔ 万州区",
        "2026年03月15日",
        "万州区行政中心",
        "王芳",
        "审议2026年度协议",
        "会议听取了年度协议执行情况汇报。",
        "共建汽车零部件配套产业园。",
    ):
        assert expected in text
    assert _east_asian(document.paragraphs[0]) == {TITLE_FONT}


def test_it_records_the_export_in_the_security_log(world, login, adopted, meeting):
    client = login(world.users["partnership_coordinator"])
    client.get(_url("agreement_docx", adopted.pk))
    client.get(_url("meeting_docx", meeting.pk))
    events = SecurityEvent.objects.filter(user=world.users["partnership_coordinator"])
    details = sorted(e.detail for e in events if "export" in e.detail)
    assert len(details) == 2
    assert details[0].startswith("export docx: agreement") and "meeting" in details[1]


def test_it_exports_nothing_out_of_scope(world, login, other_agreement):
    other_meeting = MeetingFactory(partnership=world.pair_b)
    for role in ("partnership_coordinator", "enterprise_user", "security_auditor"):
        client = login(world.users[role])
        assert client.get(_url("agreement_docx", other_agreement.pk)).status_code == 404
        assert client.get(_url("meeting_docx", other_meeting.pk)).status_code == 404
    assert not SecurityEvent.objects.filter(detail__startswith="export").exists()
