"""Import of a task list from the xlsx workbook that staff already keep.

Three steps, so that nothing is written unless the whole file is good:

1. ``open_workbook`` checks the upload (xlsx only, 10 MB, no zip bomb, no XML DTD/entity)
   before openpyxl reads it;
2. ``parse`` turns every row into a ``TaskRow`` or into errors named by row and column
   (the Chinese headers of the template), resolving units and people within the pair;
3. ``apply`` (all or nothing, in one transaction) creates new tasks by code and updates
   existing ones only where something differs, so re-importing the same file changes
   nothing and a corrected file keeps the tasks' reports and history.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core import xlsx_import
from xietong.core.models import OrgUnit, User
from xietong.core.xlsx_import import CellError, ImportRejected, header_key

from . import services
from .models import AnnualAgreement, Area, Milestone, Target, TargetActual, Task

logger = logging.getLogger(__name__)

# --- The format ---------------------------------------------------------------------

# (field, header in the workbook, required). The headers are the data format staff use,
# so they are Chinese in every interface language.
COLUMNS: list[tuple[str, str, bool]] = [
    ("code", "任务编号", True),
    ("title", "任务名称", True),
    ("content", "任务内容", False),
    ("area", "领域", True),
    ("kind", "类型", True),
    ("lead_units", "牵头单位", True),
    ("support_units", "配合单位", False),
    ("responsible", "责任人", True),
    ("working_group", "工作专班", False),
    ("start_date", "开始日期", True),
    ("deadline", "完成时限", True),
    ("priority", "优先级", False),
    ("cadence", "报告周期", False),
    ("milestones", "里程碑", False),
    ("targets", "量化指标", False),
]
HEADER = {name: header for name, header, _required in COLUMNS}

# The words the workbook uses for each choice (the first is what the template offers).
AREA_WORDS = {
    Area.INDUSTRY: ["产业发展"],
    Area.URBAN_RURAL: ["城乡互动"],
    Area.SCI_TECH: ["科技协作"],
    Area.PUBLIC_SERVICES: ["公共服务"],
}
KIND_WORDS = {
    Task.Kind.PROJECT: ["项目化"],
    Task.Kind.ITEM: ["事项化"],
    Task.Kind.MECHANISM: ["机制化"],
}
PRIORITY_WORDS = {
    Task.Priority.HIGH: ["高", "重点"],
    Task.Priority.NORMAL: ["普通", "中", "一般"],
    Task.Priority.LOW: ["低"],
}
CADENCE_WORDS = {
    Task.Cadence.MONTHLY: ["每月", "月度", "按月"],
    Task.Cadence.QUARTERLY: ["每季度", "季度", "按季度"],
}

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 10000

# Progress of an import: ``progress(phase, done, total)`` every PROGRESS_EVERY rows (and
# after each bulk chunk of new tasks); total is None when the sheet does not say.
Progress = Callable[[str, int, int | None], None]
PHASE_CHECK, PHASE_WRITE = "check", "write"
PROGRESS_EVERY = 250
CREATE_CHUNK = 500

LIST_SPLIT = re.compile(r"[、,，;；/\n]+")
LINE_SPLIT = re.compile(r"[\n;；]+")
DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
MILESTONE = re.compile(r"^(?P<title>.+?)\s*[：:|]\s*(?P<date>[\d\-/.年月日\s]+)$")
MILESTONE_DATE_FIRST = re.compile(
    r"^(?P<date>\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)\s+(?P<title>.+)$"
)
TARGET = re.compile(r"^(?P<name>.+?)\s*[：:|]\s*(?P<value>-?[\d,，]*\.?\d+)\s*(?P<measure>.*)$")


@dataclass
class TaskRow:
    row: int
    code: str
    title: str
    content: str
    area: str
    kind: str
    lead_units: list[OrgUnit]
    support_units: list[OrgUnit]
    responsible: User
    working_group: list[User]
    start_date: date
    deadline: date
    priority: str
    cadence: str
    milestones: list[tuple[str, date]]
    targets: list[tuple[str, Decimal, str]]


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- 1. The upload ------------------------------------------------------------------


def open_workbook(name: str, data: bytes):
    """The upload checked by ``core.xlsx_import`` (xlsx only, size cap, no zip or XML bomb)
    and opened read-only."""
    return xlsx_import.open_workbook(
        name, data, max_bytes=MAX_UPLOAD_BYTES, max_uncompressed=MAX_UNCOMPRESSED_BYTES
    )


# --- 2. Parsing ---------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def _words(mapping: dict, choices) -> dict[str, str]:
    """Accepted spellings → value: the template's Chinese words, the code, and the label in
    English and in the current language."""
    out: dict[str, str] = {}
    for value, words in mapping.items():
        for word in words:
            out[word.lower()] = value
        out[str(value).lower()] = value
        label = dict(choices)[value]
        out[str(label).lower()] = value
        with translation.override("en"):
            out[str(label).lower()] = value
    return out


def _parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and 20000 < value < 80000:  # an Excel serial day
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()
    m = DATE_TEXT.match(_text(value))
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


class _Pair:
    """The units and people of the agreement's pair, indexed once per import."""

    def __init__(self, agreement: AnnualAgreement):
        pair = agreement.partnership
        sides = pair.region_ids
        units = OrgUnit.objects.filter(region_id__in=sides, is_active=True).select_related("region")
        self.units_full: dict[str, OrgUnit] = {}
        self.units_by_name: dict[str, list[OrgUnit]] = {}
        for unit in units:
            self.units_full[_key(unit.region.name + unit.name)] = unit
            self.units_by_name.setdefault(_key(unit.name), []).append(unit)
        people = services.pair_members(pair)
        self.by_username: dict[str, User] = {}
        self.by_name: dict[str, list[User]] = {}
        for user in people:
            self.by_username[user.username.lower()] = user
            if user.full_name:
                self.by_name.setdefault(_key(user.full_name), []).append(user)

    def unit(self, text: str) -> tuple[OrgUnit | None, str]:
        key = _key(text)
        if key in self.units_full:
            return self.units_full[key], ""
        found = self.units_by_name.get(key, [])
        if len(found) == 1:
            return found[0], ""
        if found:
            return None, _(
                "“%(name)s” is the name of a unit on both sides; write the district first, "
                "e.g. “%(example)s”."
            ) % {"name": text, "example": str(found[0])}
        return None, _("unknown unit “%(name)s” (not a unit of either side of this pair)") % {
            "name": text
        }

    def person(self, text: str) -> tuple[User | None, str]:
        if text.lower() in self.by_username:
            return self.by_username[text.lower()], ""
        found = self.by_name.get(_key(text), [])
        if len(found) == 1:
            return found[0], ""
        if found:
            return None, _("several people are called “%(name)s”; write the username instead") % {
                "name": text
            }
        return None, _("unknown person “%(name)s” (not a member of this pair)") % {"name": text}


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def find_sheet(workbook):
    """The sheet with the template's headers in its first row, and the column index of
    each known header."""
    for ws in (workbook[name] for name in workbook.sheetnames):
        first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        headers = {header_key(v): i for i, v in enumerate(first) if header_key(v)}
        if HEADER["code"] in headers:
            break
    else:
        raise ImportRejected(
            _("No sheet has the template's headers in its first row (e.g. “%(header)s”).")
            % {"header": HEADER["code"]}
        )
    columns = {name: headers[header] for name, header, _r in COLUMNS if header in headers}
    missing = [header for name, header, required in COLUMNS if required and name not in columns]
    if missing:
        raise ImportRejected(
            _("The first row lacks the required columns: %(columns)s.")
            % {"columns": "、".join(missing)}
        )
    return ws, columns


def read_sheet(workbook) -> tuple[dict[str, int], Iterable[tuple[int, tuple]]]:
    """The column index of each known header, and the (row number, values) of data rows."""
    ws, columns = find_sheet(workbook)
    rows = enumerate(ws.iter_rows(min_row=2, values_only=True), start=2)
    return columns, rows


def _sheet_rows(ws) -> int:
    """Rows below the headers as the sheet's dimension says (counted when it says nothing);
    empty rows included, so an upper bound of the tasks."""
    if not ws.max_row:
        ws.calculate_dimension(force=True)
    return max((ws.max_row or 1) - 1, 0)


def count_rows(name: str, data: bytes) -> int:
    """About how many task rows an upload holds, to choose between importing it at once
    and in the background; raises ImportRejected as the import itself would."""
    workbook = open_workbook(name, data)
    try:
        ws, _columns = find_sheet(workbook)
        return _sheet_rows(ws)
    finally:
        workbook.close()


class Parser:
    def __init__(self, agreement: AnnualAgreement):
        self.pair = _Pair(agreement)
        self.areas = _words(AREA_WORDS, Area.choices)
        self.kinds = _words(KIND_WORDS, Task.Kind.choices)
        self.priorities = _words(PRIORITY_WORDS, Task.Priority.choices)
        self.cadences = _words(CADENCE_WORDS, Task.Cadence.choices)

    def parse(self, workbook, progress: Progress | None = None):
        """Every row as a ``TaskRow``, or the errors of the file: (rows, errors)."""
        ws, columns = find_sheet(workbook)
        rows = enumerate(ws.iter_rows(min_row=2, values_only=True), start=2)
        total = _sheet_rows(ws) if progress else None
        tasks: list[TaskRow] = []
        errors: list[CellError] = []
        seen: dict[str, int] = {}
        count = 0
        for number, values in rows:
            if progress and number % PROGRESS_EVERY == 0:
                progress(PHASE_CHECK, number - 1, total)
            cells = {name: values[i] if i < len(values) else None for name, i in columns.items()}
            if all(_text(v) == "" for v in cells.values()):
                continue
            count += 1
            if count > MAX_ROWS:
                raise ImportRejected(
                    _("A task list may hold at most %(count)d rows.") % {"count": MAX_ROWS}
                )
            row, row_errors = self.parse_row(number, cells)
            code = _text(cells.get("code"))
            if code:
                if code in seen:
                    row_errors.append(
                        CellError(
                            number,
                            HEADER["code"],
                            _("duplicate task code “%(code)s” (also on row %(row)d)")
                            % {"code": code, "row": seen[code]},
                        )
                    )
                else:
                    seen[code] = number
            errors += row_errors
            if row is not None and not row_errors:
                tasks.append(row)
        if not count and not errors:
            raise ImportRejected(_("The file holds no tasks."))
        return tasks, errors

    def parse_row(self, number: int, cells: dict) -> tuple[TaskRow | None, list[CellError]]:
        errors: list[CellError] = []

        def err(name: str, message: str) -> None:
            errors.append(CellError(number, HEADER[name], message))

        text = {name: _text(cells.get(name)) for name in HEADER}
        for name, _column, required in COLUMNS:
            if required and not text[name]:
                err(name, _("this cell is required"))
        if len(text["code"]) > Task._meta.get_field("code").max_length:
            err("code", _("at most %(n)d characters") % {"n": 20})
        if len(text["title"]) > Task._meta.get_field("title").max_length:
            err("title", _("at most %(n)d characters") % {"n": 200})

        def choice(name: str, words: dict[str, str], default: str = "") -> str:
            if not text[name]:
                return default
            value = words.get(text[name].lower())
            if value is None:
                err(
                    name,
                    _("unknown value “%(value)s”; allowed: %(allowed)s")
                    % {"value": text[name], "allowed": "、".join(_first_words(name))},
                )
            return value or default

        area = choice("area", self.areas)
        kind = choice("kind", self.kinds)
        priority = choice("priority", self.priorities, Task.Priority.NORMAL)
        cadence = choice("cadence", self.cadences, Task.Cadence.MONTHLY)

        def units(name: str) -> list[OrgUnit]:
            found = []
            for part in LIST_SPLIT.split(text[name]):
                if part.strip():
                    unit, problem = self.pair.unit(part.strip())
                    if problem:
                        err(name, problem)
                    elif unit not in found:
                        found.append(unit)
            return found

        lead_units, support_units = units("lead_units"), units("support_units")
        support_units = [u for u in support_units if u not in lead_units]

        responsible = None
        if text["responsible"]:
            responsible, problem = self.pair.person(text["responsible"])
            if problem:
                err("responsible", problem)
        group: list[User] = []
        for part in LIST_SPLIT.split(text["working_group"]):
            if part.strip():
                person, problem = self.pair.person(part.strip())
                if problem:
                    err("working_group", problem)
                elif person not in group:
                    group.append(person)

        dates = {}
        for name in ("start_date", "deadline"):
            if text[name]:
                dates[name] = _parse_date(cells.get(name))
                if dates[name] is None:
                    err(
                        name,
                        _("“%(value)s” is not a date; write it as 2026-03-15")
                        % {"value": text[name]},
                    )
        start, deadline = dates.get("start_date"), dates.get("deadline")
        if start and deadline and deadline < start:
            err("deadline", _("the deadline is before the start date"))

        milestones = []
        for part in LINE_SPLIT.split(text["milestones"]):
            if part.strip():
                parsed = _milestone(part.strip())
                if parsed is None:
                    err(
                        "milestones",
                        _("cannot read “%(value)s”; write one milestone a line as “name：date”")
                        % {"value": part.strip()},
                    )
                else:
                    milestones.append(parsed)
        targets = []
        for part in LINE_SPLIT.split(text["targets"]):
            if part.strip():
                parsed = _target(part.strip())
                if parsed is None:
                    err(
                        "targets",
                        _("cannot read “%(value)s”; write one target a line as “name：10 units”")
                        % {"value": part.strip()},
                    )
                else:
                    targets.append(parsed)
        if errors:
            return None, errors
        return (
            TaskRow(
                row=number,
                code=text["code"],
                title=text["title"],
                content=text["content"],
                area=area,
                kind=kind,
                lead_units=lead_units,
                support_units=support_units,
                responsible=responsible,
                working_group=group,
                start_date=start,
                deadline=deadline,
                priority=priority,
                cadence=cadence,
                milestones=milestones,
                targets=targets,
            ),
            [],
        )


def _first_words(name: str) -> list[str]:
    mapping = {
        "area": AREA_WORDS,
        "kind": KIND_WORDS,
        "priority": PRIORITY_WORDS,
        "cadence": CADENCE_WORDS,
    }[name]
    return [words[0] for words in mapping.values()]


def _milestone(text: str) -> tuple[str, date] | None:
    m = MILESTONE.match(text) or MILESTONE_DATE_FIRST.match(text)
    if not m:
        return None
    due = _parse_date(re.sub(r"\s+", "", m["date"]))
    title = m["title"].strip()
    if due is None or not title or len(title) > 200:
        return None
    return title, due


def _target(text: str) -> tuple[str, Decimal, str] | None:
    m = TARGET.match(text)
    if not m:
        return None
    try:
        value = Decimal(re.sub(r"[,，]", "", m["value"])).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    name, measure = m["name"].strip(), m["measure"].strip()
    if not name or len(name) > 100 or len(measure) > 20 or abs(value) >= Decimal("1e12"):
        return None
    return name, value, measure


# --- 3. Applying --------------------------------------------------------------------


def import_file(
    user: User,
    agreement: AnnualAgreement,
    name: str,
    data: bytes,
    progress: Progress | None = None,
) -> ImportResult:
    """Check, parse and apply a workbook; nothing is written unless every row is good.

    ``progress(phase, done, total)``, when given, is called every few hundred rows.
    """
    if not services.can_coordinate(user, agreement.partnership):
        raise PermissionDenied(_("Only the coordinators of the pair import its task list."))
    if agreement.status == AnnualAgreement.Status.CLOSED:
        raise ImportRejected(_("This agreement is closed; its task list can no longer change."))
    workbook = open_workbook(name, data)
    try:
        rows, errors = Parser(agreement).parse(workbook, progress)
    finally:
        workbook.close()
    if errors:
        return ImportResult(errors=errors)
    return apply(user, agreement, rows, progress)


def apply(
    user: User,
    agreement: AnnualAgreement,
    rows: list[TaskRow],
    progress: Progress | None = None,
) -> ImportResult:
    """Update the tasks whose code exists (row by row, only where they differ: the audit
    log records each change) and create the others in bulk (``services.create_tasks``,
    which writes their audit entries too), all in one transaction that is rolled back if
    any row breaks a rule."""
    result = ImportResult()
    existing = {
        t.code: t
        for t in agreement.tasks.prefetch_related(
            "task_units", "working_group", "milestones", "targets"
        )
    }
    new_rows = [row for row in rows if row.code not in existing]
    total, done = len(rows), 0
    with transaction.atomic():
        for row in rows:
            if row.code not in existing:
                continue
            try:
                changed = _update(existing[row.code], row)
            except ValidationError as exc:
                result.errors += [CellError(row.row, "", m) for m in exc.messages]
                continue
            (result.updated if changed else result.unchanged).append(row.code)
            done += 1
            if progress and done % PROGRESS_EVERY == 0:
                progress(PHASE_WRITE, done, total)
        for start in range(0, len(new_rows), CREATE_CHUNK):
            chunk = new_rows[start : start + CREATE_CHUNK]
            try:
                services.create_tasks(user, agreement, [_new_task(row) for row in chunk])
            except services.InvalidTasks as exc:
                for index, by_field in exc.by_task.items():
                    for name, messages in by_field.items():
                        column = HEADER.get(name, "")
                        result.errors += [CellError(chunk[index].row, column, m) for m in messages]
            else:
                result.created += [row.code for row in chunk]
            done += len(chunk)
            if progress:
                progress(PHASE_WRITE, done, total)
        if result.errors:
            transaction.set_rollback(True)
            return ImportResult(errors=sorted(result.errors, key=lambda e: e.row))
    return result


def _new_task(row: TaskRow) -> services.NewTask:
    return services.NewTask(
        code=row.code,
        title=row.title,
        content=row.content,
        area=row.area,
        kind=row.kind,
        start_date=row.start_date,
        deadline=row.deadline,
        lead_units=row.lead_units,
        support_units=row.support_units,
        responsible=row.responsible,
        working_group=row.working_group,
        priority=row.priority,
        cadence=row.cadence,
        milestones=row.milestones,
        targets=row.targets,
    )


def _update(task: Task, row: TaskRow) -> bool:
    """Bring an existing task in line with its row, touching only what differs.

    The row's deadline is the planned one: it moves the baseline, and the current deadline
    too unless an approved extension already lies beyond it.
    """
    wanted = {
        "title": row.title,
        "content": row.content,
        "area": row.area,
        "kind": row.kind,
        "start_date": row.start_date,
        "priority": row.priority,
        "cadence": row.cadence,
        "responsible_id": row.responsible.pk if row.responsible else None,
        "baseline_deadline": row.deadline,
    }
    if task.deadline == task.baseline_deadline or row.deadline > task.deadline:
        wanted["deadline"] = row.deadline
    dirty = [name for name, value in wanted.items() if getattr(task, name) != value]
    for name in dirty:
        setattr(task, name, wanted[name])
    if task.deadline < task.start_date:
        raise ValidationError(_("The deadline cannot be before the start date."))
    changed = bool(dirty)
    if dirty:
        task.save(update_fields=[n.removesuffix("_id") for n in dirty])

    units_now = {(tu.unit_id, tu.role) for tu in task.task_units.all()}
    units_wanted = {(u.pk, "lead") for u in row.lead_units} | {
        (u.pk, "support") for u in row.support_units
    }
    if units_now != units_wanted:
        for unit in [*row.lead_units, *row.support_units]:
            if unit.region_id not in task.agreement.partnership.region_ids:
                raise ValidationError(_("%(unit)s is not a unit of this pair.") % {"unit": unit})
        services.set_units(task, row.lead_units, row.support_units)
        changed = True

    group_now = {u.pk for u in task.working_group.all()}
    if group_now != {u.pk for u in row.working_group}:
        task.working_group.set(row.working_group)
        changed = True

    changed |= _sync_milestones(task, row.milestones)
    changed |= _sync_targets(task, row.targets)
    return changed


def _sync_milestones(task: Task, wanted: list[tuple[str, date]]) -> bool:
    current = list(task.milestones.all())
    if sorted((m.title, m.due_date) for m in current) == sorted(wanted):
        return False
    by_title = {m.title: m for m in current}
    keep = set()
    for title, due in wanted:
        milestone = by_title.get(title)
        if milestone is None:
            Milestone.objects.create(task=task, title=title, due_date=due)
            continue
        keep.add(milestone.pk)
        if milestone.due_date != due:
            milestone.due_date = due
            milestone.save(update_fields=["due_date"])
    for milestone in current:
        if milestone.pk not in keep:
            milestone.delete()
    return True


def _sync_targets(task: Task, wanted: list[tuple[str, Decimal, str]]) -> bool:
    """Targets are matched by name; a target that reports already measured is kept."""
    current = list(task.targets.all())
    now = sorted((t.name, t.target_value, t.measure) for t in current)
    if now == sorted(wanted):
        return False
    by_name = {t.name: t for t in current}
    keep = set()
    changed = False
    for name, value, measure in wanted:
        target = by_name.get(name)
        if target is None:
            Target.objects.create(task=task, name=name, target_value=value, measure=measure)
            changed = True
            continue
        keep.add(target.pk)
        if (target.target_value, target.measure) != (value, measure):
            target.target_value, target.measure = value, measure
            target.save(update_fields=["target_value", "measure"])
            changed = True
    for target in current:
        if target.pk not in keep and not TargetActual.objects.filter(target=target).exists():
            target.delete()
            changed = True
    return changed


# --- The template -------------------------------------------------------------------

INSTRUCTIONS = [
    ("code", gettext_lazy("Unique within the agreement; a task with the same code is updated.")),
    ("title", gettext_lazy("Up to 200 characters.")),
    ("content", gettext_lazy("Free text.")),
    ("area", gettext_lazy("One of the values listed.")),
    ("kind", gettext_lazy("One of the values listed.")),
    (
        "lead_units",
        gettext_lazy(
            "District and unit name, e.g. 两江新区产业促进局; the unit name alone is enough "
            "when only one side has it. Several units separated by 、"
        ),
    ),
    ("support_units", gettext_lazy("As for the lead units.")),
    (
        "responsible",
        gettext_lazy("Full name or username of a member of the pair (专人)."),
    ),
    ("working_group", gettext_lazy("Full names or usernames separated by 、 (专班).")),
    ("start_date", gettext_lazy("A date, e.g. 2026-03-15 (or a date cell).")),
    ("deadline", gettext_lazy("A date on or after the start date.")),
    ("priority", gettext_lazy("One of the values listed; 普通 when empty.")),
    ("cadence", gettext_lazy("One of the values listed; 每月 when empty.")),
    (
        "milestones",
        gettext_lazy("One milestone a line: name：date, e.g. 完成选址：2026-06-30"),
    ),
    (
        "targets",
        gettext_lazy("One target a line: name：value and unit of measure, e.g. 引进项目：10个"),
    ),
]


def template_workbook(agreement: AnnualAgreement | None = None) -> bytes:
    """The empty task list with the Chinese headers, drop-downs and an instructions sheet
    (and, for an agreement, the units and people its rows may name)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "任务清单"
    ws.append([header for _n, header, _r in COLUMNS])
    lists = {
        "area": _first_words("area"),
        "kind": _first_words("kind"),
        "priority": _first_words("priority"),
        "cadence": _first_words("cadence"),
    }
    for index, (name, _header_text, required) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if required else "000000")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = 30 if name in ("content", "milestones") else 16
        if name in lists:
            dv = DataValidation(type="list", formula1='"' + ",".join(lists[name]) + '"')
            dv.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
            ws.add_data_validation(dv)
        if name in ("start_date", "deadline"):
            for row in range(2, 202):
                ws.cell(row=row, column=index).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"

    info = wb.create_sheet("填写说明")
    info.append([_("Column"), _("Required"), _("How to fill it in"), _("Allowed values")])
    for cell in info[1]:
        cell.font = Font(bold=True)
    notes = dict(INSTRUCTIONS)
    for name, header, required in COLUMNS:
        info.append(
            [
                header,
                _("Yes") if required else _("No"),
                str(notes[name]),
                "、".join(lists.get(name, [])),
            ]
        )
    info.append([])
    info.append(
        [
            _(
                "Row 1 holds the headers; each following row is one task. The import is all "
                "or nothing: if any row has an error, nothing is imported and every error "
                "is listed by row and column. Importing the same file again changes nothing; "
                "a corrected file updates the tasks by their code and keeps their reports."
            )
        ]
    )
    for letter, width in zip("ABCD", (14, 8, 70, 30), strict=True):
        info.column_dimensions[letter].width = width
    for row in info.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    if agreement is not None:
        pair = _Pair(agreement)
        ref = wb.create_sheet("单位与人员")
        ref.append([_("Units of the pair"), "", _("People of the pair"), _("Username")])
        for cell in ref[1]:
            cell.font = Font(bold=True)
        units = sorted(str(u) for u in pair.units_full.values())
        people = sorted(pair.by_username.values(), key=lambda u: (u.full_name, u.username))
        for i in range(max(len(units), len(people))):
            ref.append(
                [
                    units[i] if i < len(units) else "",
                    "",
                    people[i].full_name if i < len(people) else "",
                    people[i].username if i < len(people) else "",
                ]
            )
            for cell in ref[ref.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # a name typed by a user stays text, never a formula
        ref.column_dimensions["A"].width = 30
        ref.column_dimensions["C"].width = 16
        ref.column_dimensions["D"].width = 16

    out = BytesIO()
    wb.save(out)
    return out.getvalue()


# --- Large files in the background (huey) -------------------------------------------
#
# A file of more than settings.CONFERENCE_IMPORT_JOB_ROWS rows (500 by default) is imported
# by a huey job (``tasks.import_job``) instead of in the request. The job's state lives in
# huey's key-value store (SQLite or Redis, as the queue) under an unguessable token, with
# the uploader and the agreement, so that only the uploader, through that agreement, can
# follow it: progress while it runs, then the counts or every error by row and column.
# The import itself is the same ``import_file``: one transaction, nothing written on error.

JOB_ROWS = 500
JOB_STALE_SECONDS = 15 * 60  # a job silent this long was killed; its transaction rolled back
JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED = "queued", "running", "done", "failed"


def job_rows() -> int:
    """Files with more rows than this are imported in the background."""
    return int(getattr(settings, "CONFERENCE_IMPORT_JOB_ROWS", JOB_ROWS))


def _job_key(token: str) -> str:
    return f"xietong.conference.import.{token}"


def _huey():
    from huey.contrib.djhuey import HUEY

    return HUEY


def new_job(user: User, agreement: AnnualAgreement, name: str, rows: int) -> str:
    """Record a queued import of ``name`` by ``user`` into ``agreement``; its token."""
    token = secrets.token_urlsafe(18)
    _save_job(
        token,
        {
            "user": user.pk,
            "agreement": agreement.pk,
            "name": name[:200],
            "state": JOB_QUEUED,
            "phase": PHASE_CHECK,
            "done": 0,
            "total": rows,
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "errors": [],
            "problem": "",
        },
    )
    return token


def _save_job(token: str, state: dict) -> None:
    state["touched"] = time.time()
    _huey().put(_job_key(token), state)


def peek_job(token: str) -> dict | None:
    """The raw state of a job (for the job itself; people read ``job_state``)."""
    return _huey().get(_job_key(token), peek=True)


def job_state(token: str, user: User, agreement: AnnualAgreement) -> dict | None:
    """The job's state for its uploader through its agreement, None for anyone else (and
    for a token that does not exist). A job silent for too long is reported as failed."""
    state = peek_job(token)
    if not state or state["user"] != user.pk or state["agreement"] != agreement.pk:
        return None
    stale = time.time() - state.get("touched", 0) > JOB_STALE_SECONDS
    if state["state"] in (JOB_QUEUED, JOB_RUNNING) and stale:
        state = {
            **state,
            "state": JOB_FAILED,
            "problem": _(
                "The import stopped before it finished; nothing was imported. Import the "
                "file again."
            ),
        }
    total = state.get("total") or 0
    share = min(state["done"] / total, 1) if total else 0
    if state["state"] == JOB_DONE:
        state["percent"] = 100
    else:  # checking the rows is the first half, writing them the second
        state["percent"] = int(50 * share + (50 if state["phase"] == PHASE_WRITE else 0))
    state["cell_errors"] = [CellError(*error) for error in state["errors"]]
    return state


def run_job(token: str, data: bytes) -> dict:
    """The work of ``tasks.import_job``: import the file, storing progress as it goes and
    then the outcome. Never raises: an unexpected error is logged and stored as failed."""
    state = peek_job(token)
    if not state or state["state"] != JOB_QUEUED:
        return state or {}  # unknown, or already run (huey may deliver a task twice)
    state["state"] = JOB_RUNNING
    _save_job(token, state)

    def progress(phase: str, done: int, total: int | None) -> None:
        state.update(phase=phase, done=done, total=total or state["total"])
        _save_job(token, state)

    try:
        user = User.objects.get(pk=state["user"])
        agreement = AnnualAgreement.objects.get(pk=state["agreement"])
        result = import_file(user, agreement, state["name"], data, progress=progress)
    except (ImportRejected, PermissionDenied) as exc:
        state.update(state=JOB_FAILED, problem=str(exc))
    except Exception:
        logger.exception("conference task-list import %s failed", token)
        state.update(
            state=JOB_FAILED,
            problem=_("The import failed on an unexpected error; nothing was imported."),
        )
    else:
        state.update(
            state=JOB_DONE if result.ok else JOB_FAILED,
            created=len(result.created),
            updated=len(result.updated),
            unchanged=len(result.unchanged),
            errors=[(e.row, e.column, e.message) for e in result.errors],
        )
    _save_job(token, state)
    return state
