"""Word documents of the joint conference, in the official style (GB/T 9704).

Titles in 方正小标宋简体 (with 黑体 as its declared alternate, for machines without it),
headings in 黑体, body in 仿宋_GB2312 三号 (16 pt) on a fixed 28 pt line, dates as
2026年03月15日. Chinese fonts only apply when set as the east-asian font of a run
(``w:rFonts/@w:eastAsia``); ``font.name`` alone sets the Latin ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from io import BytesIO

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from lxml import etree

from .models import Area, Meeting, Task, TaskUnit

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TITLE_FONT = "方正小标宋简体"
TITLE_FALLBACK = "黑体"
HEADING_FONT = "黑体"
BODY_FONT = "仿宋_GB2312"
TITLE_SIZE = Pt(22)  # 二号
BODY_SIZE = Pt(16)  # 三号
TABLE_SIZE = Pt(10.5)  # 五号: a task table has many columns
LINE = Pt(28)

_NUMERALS = "一二三四五六七八九十"


def cn_date(value: date | None) -> str:
    """2026年03月15日, as official documents write dates."""
    if value is None:
        return ""
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def _ordinal(n: int) -> str:
    """一、 二、 … in Chinese; 1. 2. … otherwise."""
    if translation.get_language().startswith("zh") and n <= len(_NUMERALS):
        return f"{_NUMERALS[n - 1]}、"
    return f"{n}. "


def _fonts(rpr, name: str) -> None:
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def _run(paragraph, text: str, font: str = BODY_FONT, size=BODY_SIZE, bold: bool = False):
    run = paragraph.add_run(text)
    run.font.size = size
    run.bold = bold or None
    _fonts(run._element.get_or_add_rPr(), font)
    return run


def _declare_alternate(document, name: str, alternate: str) -> None:
    """Name ``alternate`` as the font to use where ``name`` is not installed (fontTable)."""
    for part in document.part.package.iter_parts():
        if str(part.partname).endswith("/fontTable.xml"):
            root = etree.fromstring(part.blob)
            font = etree.SubElement(root, qn("w:font"), {qn("w:name"): name})
            etree.SubElement(font, qn("w:altName"), {qn("w:val"): alternate})
            etree.SubElement(font, qn("w:charset"), {qn("w:val"): "86"})  # GB2312
            etree.SubElement(font, qn("w:family"), {qn("w:val"): "script"})
            part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            return


def _new_document():
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    _fonts(normal.element.get_or_add_rPr(), BODY_FONT)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE
    fmt.space_before = fmt.space_after = Pt(0)
    _declare_alternate(document, TITLE_FONT, TITLE_FALLBACK)
    return document


def _title(document, text: str) -> None:
    for line in text.splitlines() or [""]:
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.line_spacing = Pt(36)
        _run(p, line, TITLE_FONT, TITLE_SIZE)
    document.add_paragraph()


def _heading(document, text: str) -> None:
    p = document.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(32)
    _run(p, text, HEADING_FONT)


def _body(document, text: str, indent: bool = True) -> None:
    for line in text.splitlines():
        if not line.strip():
            continue
        p = document.add_paragraph()
        if indent:
            p.paragraph_format.first_line_indent = Pt(32)  # two characters
        _run(p, line.strip())


def _signature(document, lines: Iterable[str]) -> None:
    document.add_paragraph()
    for line in lines:
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = Pt(64)
        _run(p, line)


def _table(document, headers: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        _run(p, text, HEADING_FONT, TABLE_SIZE)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            p = cell.paragraphs[0]
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            _run(p, str(text), BODY_FONT, TABLE_SIZE)


def _bytes(document) -> bytes:
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _units(task: Task, role: str) -> str:
    return "、".join(
        f"{tu.unit.region.name}{tu.unit.name}" for tu in task.task_units.all() if tu.role == role
    )


def agreement_document(agreement, tasks: Iterable[Task]) -> bytes:
    """The annual agreement with its task list, grouped by the four areas."""
    tasks = list(tasks)
    document = _new_document()
    _title(document, agreement.title)
    pair = agreement.partnership
    if agreement.meeting_id:
        _body(
            document,
            _("Adopted at the %(meeting)s of %(pair)s on %(date)s.")
            % {
                "meeting": agreement.meeting,
                "pair": pair,
                "date": cn_date(agreement.meeting.date),
            },
        )
    if agreement.preamble:
        _body(document, agreement.preamble)
    # The task table is wide: give it a landscape section of its own.
    section = document.add_section()
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.5)
    _heading(document, _("Task list of the %(year)s annual agreement") % {"year": agreement.year})
    headers = [
        _("No."),
        _("Code"),
        _("Task"),
        _("Type"),
        _("Lead units"),
        _("Supporting units"),
        _("Responsible person"),
        _("Start date"),
        _("Deadline"),
        _("Status"),
    ]
    n = 0
    for area, label in Area.choices:
        rows = [t for t in tasks if t.area == area]
        if not rows:
            continue
        n += 1
        _heading(document, f"{_ordinal(n)}{label}")
        _table(
            document,
            headers,
            [
                [
                    str(i),
                    t.code,
                    t.title,
                    t.get_kind_display(),
                    _units(t, TaskUnit.Role.LEAD),
                    _units(t, TaskUnit.Role.SUPPORT),
                    t.responsible.display_name if t.responsible else "",
                    cn_date(t.start_date),
                    cn_date(t.deadline),
                    t.get_status_display(),
                ]
                for i, t in enumerate(rows, start=1)
            ],
        )
    if not tasks:
        _body(document, _("No tasks yet."))
    when = agreement.meeting.date if agreement.meeting_id else timezone.localdate()
    _signature(document, [str(pair), cn_date(when)])
    return _bytes(document)


def meeting_document(meeting: Meeting) -> bytes:
    """The minutes (会议纪要) of a joint conference."""
    document = _new_document()
    pair = meeting.partnership
    _title(document, f"{pair}\n{_('Minutes of the %(meeting)s') % {'meeting': meeting}}")
    _body(
        document,
        _("On %(date)s the %(meeting)s of %(pair)s was held at %(place)s, hosted by %(host)s.")
        % {
            "date": cn_date(meeting.date),
            "meeting": meeting,
            "pair": pair,
            "place": meeting.place,
            "host": meeting.host_side,
        },
    )
    conveners = [
        c
        for c in (
            meeting.convener_developed and f"{pair.developed_side} {meeting.convener_developed}",
            meeting.convener_partner and f"{pair.partner_side} {meeting.convener_partner}",
        )
        if c
    ]
    if conveners:
        _body(document, _("Convened by: %(names)s.") % {"names": "、".join(conveners)})
    n = 0
    attendees = list(meeting.attendees.select_related("side", "org_unit"))
    if attendees:
        n += 1
        _heading(document, f"{_ordinal(n)}{_('Attendees')}")
        for side in pair.sides:
            people = [
                " ".join(x for x in (a.org_unit.name if a.org_unit else "", a.name, a.title) if x)
                for a in attendees
                if a.side_id == side.pk
            ]
            if people:
                _body(document, f"{side.name}：{'；'.join(people)}")
    items = list(meeting.agenda_items.all())
    if items:
        n += 1
        _heading(document, f"{_ordinal(n)}{_('Agenda')}")
        for i, item in enumerate(items, start=1):
            presenter = f"（{item.presenter}）" if item.presenter else ""
            _body(document, f"{i}. {item.title}{presenter}")
    if meeting.minutes:
        n += 1
        _heading(document, f"{_ordinal(n)}{_('Minutes')}")
        _body(document, meeting.minutes)
    resolutions = list(meeting.resolutions.prefetch_related("tasks"))
    if resolutions:
        n += 1
        _heading(document, f"{_ordinal(n)}{_('Resolutions')}")
        for r in resolutions:
            codes = "、".join(t.code for t in r.tasks.all())
            tail = f"（{_('Tasks')}：{codes}）" if codes else ""
            _body(document, f"{r.number}. {r.text}{tail}")
    _signature(document, [str(pair), cn_date(meeting.date)])
    return _bytes(document)
