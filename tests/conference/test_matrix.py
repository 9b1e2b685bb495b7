"""Who may do what in the joint conference: one table of every page and API endpoint × role.

Pattern of ``tests/core/test_isolation.py``: the table states the expected status of each
endpoint for each role, and each cell is a test. The objects the probes aim at belong to
pair A (两江新区 ↔ 万州区); a twin set belongs to pair B (渝中区 ↔ 城口县, same programme).

The roles (columns of the table):

- ``prog``     programme coordinator of the programme of pairs A and B
- ``coord``    partnership coordinator of pair A (两江新区 side)
- ``lead``     department staff of the task's lead unit (两江新区产业促进局)
- ``support``  department staff of the task's supporting unit (万州区经济信息委)
- ``other``    department staff of a unit of pair A that is not on the task (两江新区经济运行局)
- ``sector``   sector group member of pair A
- ``leader``   leader of pair A (read-only)
- ``ent``      enterprise user of 万州区 (sees no internal data)
- ``admin``    system administrator
- ``audit``    security auditor (reads the audit log and nothing else)
- ``coord_b``  partnership coordinator of pair B (渝中区 side): pair A is another pair's
- ``anon``     not signed in: pages send to sign-in (302), the API answers 401

The rules, from the domain (docs ../shared/docs/domain.md, ``conference/queries.py``):
conference data is internal to the pair: its internal roles and the administrator read it,
the enterprise user, the auditor and the people of other pairs do not (404: a URL never
confirms that an object exists). The coordinators of the pair (and of its programme) run the
conference and the task list; the lead unit's staff acknowledge (签收), report, claim
completion and ask for extensions; a leader reads and never writes. The administrator
manages accounts, roles and master data (``core/scope.py``): it reads the conference for
support and does none of its business acts (403). A write refused on a
visible object is a 403 and leaves the object as it was; a write that succeeds changes it.

A cell the code answers differently from the domain stays as the domain says and is listed in
``CONTRADICTIONS`` (a strict xfail, so the cell fails loudly once the code is fixed).

To add an endpoint: add a ``Probe`` to ``PROBES`` (its path, payload and the effect a
successful write has) and a line to ``MATRIX``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from tests.matrix import MatrixClient, web_client
from xietong.conference import imports
from xietong.conference.models import (
    AgendaItem,
    AnnualAgreement,
    Attachment,
    Attendee,
    CoordinationIssue,
    ExtensionRequest,
    KeyTask,
    LightRules,
    Meeting,
    Plan,
    ProgressReport,
    Resolution,
    Task,
    TaskUnit,
)
from xietong.conference.versions import version_of
from xietong.core.models import Role

from ..factories import (
    MembershipFactory,
    OrgUnitFactory,
    PartnershipFactory,
    ProgrammeFactory,
    RegionFactory,
    UserFactory,
)
from .factories import (
    AgendaItemFactory,
    AgreementFactory,
    AttendeeFactory,
    CoordinationIssueFactory,
    ExtensionRequestFactory,
    KeyTaskFactory,
    MeetingFactory,
    MilestoneFactory,
    PlanFactory,
    ProgressReportFactory,
    ResolutionFactory,
    TargetFactory,
    TaskFactory,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCX_MAGIC = b"PK\x03\x04"

ROLES = (
    "prog", "coord", "lead", "support", "other", "sector",
    "leader", "ent", "admin", "audit", "coord_b", "anon",
)  # fmt: skip
# Which pairs' conference data each role sees (its lists show, its counts count).
SEES = {
    "prog": "AB", "coord": "A", "lead": "A", "support": "A", "other": "A", "sector": "A",
    "leader": "A", "ent": "", "admin": "AB", "audit": "", "coord_b": "B", "anon": "",
}  # fmt: skip
# Strings that only pair B's objects carry: never on a page or in an answer for pair A's users.
B_MARKS = (
    "渝中区",
    "城口县",
    "乙方会场",
    "乙方方案",
    "乙方协议",
    "乙方任务",
    "乙方问题",
    "乙方纪要",
)
A_MARKS = ("甲方会场", "甲方方案", "甲方协议", "甲方任务", "甲方问题")


# --- The world of the matrix ----------------------------------------------------------


def _people(pair_a, pair_b, programme, units) -> dict:
    """One user per column (``anon`` is None), with the roles of ``tests/conftest.py``."""
    scopes = {
        "prog": (Role.PROGRAMME_COORDINATOR, {"programme": programme}),
        "coord": (Role.PARTNERSHIP_COORDINATOR,
                  {"partnership": pair_a, "region": pair_a.developed_side}),
        "lead": (Role.DEPARTMENT_STAFF, {"org_unit": units["lead"]}),
        "support": (Role.DEPARTMENT_STAFF, {"org_unit": units["support"]}),
        "other": (Role.DEPARTMENT_STAFF, {"org_unit": units["other"]}),
        "sector": (Role.SECTOR_GROUP_MEMBER, {"partnership": pair_a,
                   "region": pair_a.developed_side, "sector": "工业制造"}),
        "leader": (Role.LEADER, {"partnership": pair_a}),
        "ent": (Role.ENTERPRISE_USER, {"region": pair_a.partner_side,
                "enterprise_name": "万州测试企业"}),
        "admin": (Role.SYSTEM_ADMIN, {}),
        "audit": (Role.SECURITY_AUDITOR, {}),
        "coord_b": (Role.PARTNERSHIP_COORDINATOR,
                    {"partnership": pair_b, "region": pair_b.developed_side}),
    }  # fmt: skip
    people: dict = {"anon": None}
    for role, (kind, where) in scopes.items():
        people[role] = UserFactory(username=f"m_{role}", full_name=f"{role}用户")
        MembershipFactory(user=people[role], role=kind, **where)
    return people


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory):
    """The people and the objects of both pairs, built once for the module.

    Everything is written inside one transaction that is rolled back at the end; each test
    runs in a savepoint of it (pytest-django's ``db``), so a write one cell makes is gone
    before the next cell runs.
    """
    media = tmp_path_factory.mktemp("media")
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=hashers),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            programme = ProgrammeFactory(name="一区两群对口协同")
            lj = RegionFactory(name="两江新区", kind="functional_area", division_code="500157")
            wz = RegionFactory(name="万州区", division_code="500101")
            yz = RegionFactory(name="渝中区", division_code="500103")
            ck = RegionFactory(name="城口县", kind="county", division_code="500229")
            pair_a = PartnershipFactory(programme=programme, developed_side=lj, partner_side=wz)
            pair_b = PartnershipFactory(programme=programme, developed_side=yz, partner_side=ck)
            units = {
                "lead": OrgUnitFactory(region=lj, name="产业促进局"),
                "support": OrgUnitFactory(region=wz, name="区经济信息委"),
                "other": OrgUnitFactory(region=lj, name="经济运行局"),
                "b_lead": OrgUnitFactory(region=yz, name="区发展改革委"),
                "b_support": OrgUnitFactory(region=ck, name="县经济信息委"),
            }
            cast = _people(pair_a, pair_b, programme, units)
            # Pair B's lead unit has its own staff: its reports are not its coordinator's.
            b_staff = UserFactory(username="m_b_staff", full_name="乙方经办人")
            MembershipFactory(user=b_staff, role=Role.DEPARTMENT_STAFF, org_unit=units["b_lead"])
            sides = {
                "A": _side(pair_a, "甲方", units["lead"], [units["support"]], cast["lead"],
                           cast["coord"]),
                "B": _side(pair_b, "乙方", units["b_lead"], [units["b_support"]],
                           b_staff, cast["coord_b"]),
            }  # fmt: skip
            yield SimpleNamespace(
                cast=cast, sides=sides, units=units, web=web_client(cast), api=APIClient()
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def client(matrix, db) -> MatrixClient:
    """The module's client, signed out (the cell's sign-in sets its session cookie)."""
    matrix.web.cookies.clear()
    return matrix.web


@pytest.fixture
def api(matrix, db) -> APIClient:
    matrix.api.force_authenticate(None)
    matrix.api.cookies.clear()
    return matrix.api


@pytest.fixture
def cast(matrix, db) -> dict:
    return matrix.cast


@pytest.fixture
def sides(matrix, db) -> dict[str, SimpleNamespace]:
    return matrix.sides


def _side(pair, mark: str, lead_unit, support_units, responsible, uploader) -> SimpleNamespace:
    """The conference objects of one pair, each carrying the pair's mark in its text."""
    s = SimpleNamespace(pair=pair, lead_unit=lead_unit, responsible=responsible)
    s.plan = PlanFactory(partnership=pair, title=f"{mark}方案（2026年-2030年）")
    s.key_task = KeyTaskFactory(plan=s.plan, title=f"{mark}重点任务")
    # No task implements it: it can be deleted; it follows ``key_task`` in its area.
    s.free_key_task = KeyTaskFactory(plan=s.plan, title=f"{mark}备用重点任务")
    s.meeting = MeetingFactory(
        partnership=pair, number=1, place=f"{mark}会场", minutes=f"{mark}纪要"
    )
    s.attendee = AttendeeFactory(meeting=s.meeting, side=pair.developed_side, name=f"{mark}参会人")
    s.issue = CoordinationIssueFactory(partnership=pair, title=f"{mark}问题")
    s.agenda_item = AgendaItemFactory(meeting=s.meeting, title=f"{mark}议题")
    s.resolution = ResolutionFactory(meeting=s.meeting, number=1, text=f"{mark}议定事项一")
    s.free_resolution = ResolutionFactory(meeting=s.meeting, number=2, text=f"{mark}议定事项二")
    s.meeting_file = Attachment.objects.create(
        meeting=s.meeting,
        file=ContentFile(PDF, name="minutes.pdf"),
        name=f"{mark}纪要.pdf",
        size=len(PDF),
        content_type="application/pdf",
        uploaded_by=uploader,
    )
    s.agreement = AgreementFactory(
        partnership=pair, year=2026, title=f"{mark}协议2026", meeting=s.meeting, plan=s.plan
    )
    s.task = TaskFactory(
        agreement=s.agreement,
        code="2026-001",
        title=f"{mark}任务一",
        lead_units=[lead_unit],
        support_units=support_units,
        responsible=responsible,
        resolution=s.resolution,
        key_task=s.key_task,
    )
    s.milestone = MilestoneFactory(task=s.task, title=f"{mark}节点", due_date=date(2026, 6, 30))
    s.target = TargetFactory(task=s.task, name=f"{mark}指标", target_value=Decimal("10"))
    s.report = ProgressReportFactory(
        task=s.task, unit=lead_unit, submitted_by=responsible, narrative=f"{mark}进展"
    )
    s.report_file = Attachment.objects.create(
        report=s.report,
        file=ContentFile(PDF, name="evidence.pdf"),
        name=f"{mark}佐证.pdf",
        size=len(PDF),
        content_type="application/pdf",
        uploaded_by=responsible,
    )
    s.claimed = TaskFactory(
        agreement=s.agreement,
        code="2026-002",
        title=f"{mark}任务二",
        lead_units=[lead_unit],
        responsible=responsible,
        stage=Task.Stage.CLAIMED,
        status=Task.Status.IN_PROGRESS,
    )
    s.extension = ExtensionRequestFactory(
        task=s.claimed, new_deadline=date(2027, 3, 31), requested_by=responsible
    )
    # A background import of the pair's task list, started by its coordinator (its state
    # lives in huey's store, outside the database: only the uploader follows it).
    s.import_job = imports.new_job(uploader, s.agreement, f"{mark}任务清单.xlsx", 1000)
    return s


# --- Probes: what is requested, with what, and what a successful write changes ---------


def _url(name: str, *args) -> str:
    return reverse(f"conference:{name}", args=args)


def _version(obj) -> dict:
    return {"version": version_of(obj)}


def _plan_form(s) -> dict:
    p = s.plan
    return {
        "kind": p.kind,
        "title": p.title,
        "start_year": p.start_year,
        "end_year": p.end_year,
        "summary": "已修改的摘要",
        "adopted_at": "",
        **_version(p),
    }


def _key_task_form(s) -> dict:
    k = s.key_task
    return {
        "area": k.area,
        "code": k.code,
        "title": "已修改的重点任务",
        "description": "",
        **_version(k),
    }


def _task_form(s, **changes) -> dict:
    data = {
        "code": "2026-901",
        "title": "新派发任务",
        "content": "",
        "area": "industry",
        "kind": "project",
        "lead_units": [s.lead_unit.pk],
        "support_units": [],
        "responsible": s.responsible.pk,
        "working_group": [],
        "start_date": "2026-03-01",
        "deadline": "2026-11-30",
        "milestones": "",
        "targets": "",
        "priority": "normal",
        "cadence": "monthly",
        "key_task": "",
    }
    data.update(changes)
    return data


def _meeting_form(s) -> dict:
    m = s.meeting
    return {
        "partnership": s.pair.pk,
        "number": m.number,
        "year": m.year,
        "date": m.date.isoformat(),
        "host_side": m.host_side_id,
        "place": m.place,
        "convener_developed": "",
        "convener_partner": "",
        "status": m.status,
        "minutes": "已修改的纪要",
        **_version(m),
    }


def _agreement_form(s, **changes) -> dict:
    a = s.agreement
    data = {
        "partnership": s.pair.pk,
        "year": a.year,
        "title": a.title,
        "status": a.status,
        "meeting": a.meeting_id or "",
        "plan": a.plan_id or "",
        "preamble": "已修改的序言",
        **_version(a),
    }
    data.update(changes)
    return data


def _resolution_rows(s) -> dict:
    return {
        "agreement": s.agreement.pk,
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "20",
        "form-0-code": "2026-902",
        "form-0-title": "由议定事项派生的任务",
        "form-0-area": "industry",
        "form-0-kind": "item",
        "form-0-lead_units": [s.lead_unit.pk],
        "form-0-start_date": "2026-03-01",
        "form-0-deadline": "2026-10-31",
    }


def _task_json(s) -> dict:
    return {
        "agreement": s.agreement.pk,
        "code": "2026-903",
        "title": "接口派发任务",
        "area": "industry",
        "kind": "project",
        "start_date": "2026-03-01",
        "deadline": "2026-09-30",
        "lead_units": [s.lead_unit.pk],
    }


def _pdf_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("新附件.pdf", PDF, content_type="application/pdf")


def _stage(task) -> str:
    return Task.objects.get(pk=task.pk).stage


@dataclass(frozen=True)
class Probe:
    """One endpoint and method. ``path``/``data``/``done`` take one pair's objects."""

    id: str
    method: str  # GET or POST (the API's read-only methods are probed as they are)
    path: Callable[[SimpleNamespace], str]
    data: Callable[[SimpleNamespace], dict] | None = None
    # For a write: has it happened? (checked True on success, False on refusal)
    done: Callable[[SimpleNamespace], bool] | None = None
    # For a page: a text the page shows of the object (checked on a 200)
    shows: Callable[[SimpleNamespace], str] | None = None
    api: bool = False
    # What a download starts with (checked on a 200)
    magic: bytes | None = None
    # A list: which pair's objects it must show (checked on a 200 against ``SEES``)
    lists: Callable[[SimpleNamespace], str] | None = None
    ok: tuple[int, ...] = field(default=(302,))  # the statuses of a write that succeeded

    def __str__(self) -> str:
        return self.id


P, API = Probe, "/api/v1"
PROBES = [
    # --- Meetings, attendees, agenda, resolutions, documents
    P("meeting_list", "GET", lambda s: _url("meeting_list"), lists=lambda s: s.meeting.place),
    P("meeting_create", "GET", lambda s: _url("meeting_create")),
    P("meeting_create", "POST", lambda s: _url("meeting_create"),
      data=lambda s: {"partnership": s.pair.pk, "date": "2026-09-10", "place": "新会场",
                      "status": "planned", "minutes": ""},
      done=lambda s: Meeting.objects.filter(partnership=s.pair, place="新会场").exists()),
    P("meeting_detail", "GET", lambda s: _url("meeting_detail", s.meeting.pk),
      shows=lambda s: s.meeting.place),
    P("meeting_edit", "GET", lambda s: _url("meeting_edit", s.meeting.pk)),
    P("meeting_edit", "POST", lambda s: _url("meeting_edit", s.meeting.pk), data=_meeting_form,
      done=lambda s: Meeting.objects.get(pk=s.meeting.pk).minutes == "已修改的纪要"),
    P("meeting_docx", "GET", lambda s: _url("meeting_docx", s.meeting.pk), magic=DOCX_MAGIC),
    P("attendee_add", "POST", lambda s: _url("attendee_add", s.meeting.pk),
      data=lambda s: {"side": s.pair.developed_side_id, "name": "新参会人", "title": ""},
      done=lambda s: Attendee.objects.filter(meeting=s.meeting, name="新参会人").exists()),
    P("attendee_delete", "POST",
      lambda s: _url("attendee_delete", s.meeting.pk, s.attendee.pk),
      done=lambda s: not Attendee.objects.filter(pk=s.attendee.pk).exists()),
    P("agenda_add", "POST", lambda s: _url("agenda_add", s.meeting.pk),
      data=lambda s: {"title": "新议题", "presenter": ""},
      done=lambda s: AgendaItem.objects.filter(meeting=s.meeting, title="新议题").exists()),
    P("agenda_delete", "POST", lambda s: _url("agenda_delete", s.meeting.pk, s.agenda_item.pk),
      done=lambda s: not AgendaItem.objects.filter(pk=s.agenda_item.pk).exists()),
    P("resolution_add", "POST", lambda s: _url("resolution_add", s.meeting.pk),
      data=lambda s: {"number": "", "text": "新议定事项"},
      done=lambda s: Resolution.objects.filter(meeting=s.meeting, text="新议定事项").exists()),
    P("resolution_delete", "POST",
      lambda s: _url("resolution_delete", s.meeting.pk, s.free_resolution.pk),
      done=lambda s: not Resolution.objects.filter(pk=s.free_resolution.pk).exists()),
    P("resolution_tasks", "GET", lambda s: _url("resolution_tasks", s.resolution.pk)),
    P("resolution_tasks", "POST", lambda s: _url("resolution_tasks", s.resolution.pk),
      data=_resolution_rows,
      done=lambda s: s.agreement.tasks.filter(code="2026-902", resolution=s.resolution).exists()),
    P("attachment_upload", "POST", lambda s: _url("attachment_upload", s.meeting.pk),
      data=lambda s: {"file": _pdf_upload()},
      done=lambda s: Attachment.objects.filter(meeting=s.meeting, name="新附件.pdf").exists()),
    P("attachment_download[meeting]", "GET",
      lambda s: _url("attachment_download", s.meeting_file.pk), magic=b"%PDF-"),
    P("attachment_download[report]", "GET",
      lambda s: _url("attachment_download", s.report_file.pk), magic=b"%PDF-"),
    P("attachment_delete", "POST", lambda s: _url("attachment_delete", s.meeting_file.pk),
      done=lambda s: not Attachment.objects.filter(pk=s.meeting_file.pk).exists()),
    # --- Coordination issues
    P("issue_list", "GET", lambda s: _url("issue_list"), lists=lambda s: s.issue.title),
    P("issue_create", "GET", lambda s: _url("issue_create")),
    P("issue_create", "POST", lambda s: _url("issue_create"),
      data=lambda s: {"partnership": s.pair.pk, "title": "新问题", "description": ""},
      done=lambda s: CoordinationIssue.objects.filter(partnership=s.pair, title="新问题").exists()),
    P("issue_status", "POST", lambda s: _url("issue_status", s.issue.pk),
      data=lambda s: {"status": "resolved"},
      done=lambda s: CoordinationIssue.objects.get(pk=s.issue.pk).status == "resolved"),
    # --- Plans, agreements, light rules
    P("plan_list", "GET", lambda s: _url("plan_list"), lists=lambda s: s.plan.title),
    P("plan_detail", "GET", lambda s: _url("plan_detail", s.plan.pk),
      shows=lambda s: s.plan.title),
    P("plan_create", "GET", lambda s: _url("plan_create")),
    P("plan_create", "POST", lambda s: _url("plan_create"),
      data=lambda s: {"partnership": s.pair.pk, "kind": "overall", "title": "新总体方案",
                      "start_year": 2031, "end_year": 2035, "summary": "", "adopted_at": ""},
      done=lambda s: Plan.objects.filter(partnership=s.pair, title="新总体方案").exists()),
    P("plan_edit", "GET", lambda s: _url("plan_edit", s.plan.pk)),
    P("plan_edit", "POST", lambda s: _url("plan_edit", s.plan.pk), data=_plan_form,
      done=lambda s: Plan.objects.get(pk=s.plan.pk).summary == "已修改的摘要"),
    P("plan_close", "POST", lambda s: _url("plan_close", s.plan.pk),
      data=lambda s: _version(s.plan),
      done=lambda s: Plan.objects.get(pk=s.plan.pk).status == Plan.Status.CLOSED),
    P("plan_key_task_create", "GET", lambda s: _url("plan_key_task_create", s.plan.pk)),
    P("plan_key_task_create", "POST", lambda s: _url("plan_key_task_create", s.plan.pk),
      data=lambda s: {"area": "industry", "code": "", "title": "新重点任务", "description": ""},
      done=lambda s: KeyTask.objects.filter(plan=s.plan, title="新重点任务").exists()),
    P("plan_key_task_edit", "GET", lambda s: _url("plan_key_task_edit", s.key_task.pk)),
    P("plan_key_task_edit", "POST", lambda s: _url("plan_key_task_edit", s.key_task.pk),
      data=_key_task_form,
      done=lambda s: KeyTask.objects.get(pk=s.key_task.pk).title == "已修改的重点任务"),
    P("plan_key_task_move", "POST", lambda s: _url("plan_key_task_move", s.key_task.pk),
      data=lambda s: {"direction": "down"},
      done=lambda s: KeyTask.objects.get(pk=s.key_task.pk).code != s.key_task.code),
    P("plan_key_task_delete", "GET", lambda s: _url("plan_key_task_delete", s.free_key_task.pk),
      shows=lambda s: s.free_key_task.title),
    P("plan_key_task_delete", "POST",
      lambda s: _url("plan_key_task_delete", s.free_key_task.pk),
      done=lambda s: not KeyTask.objects.filter(pk=s.free_key_task.pk).exists()),
    P("agreement_list", "GET", lambda s: _url("agreement_list"),
      lists=lambda s: s.agreement.title),
    P("agreement_create", "GET", lambda s: _url("agreement_create")),
    P("agreement_create", "POST", lambda s: _url("agreement_create"),
      data=lambda s: {"partnership": s.pair.pk, "year": 2030, "title": "", "status": "draft",
                      "meeting": "", "plan": "", "preamble": ""},
      done=lambda s: AnnualAgreement.objects.filter(partnership=s.pair, year=2030).exists()),
    P("agreement_detail", "GET", lambda s: _url("agreement_detail", s.agreement.pk),
      shows=lambda s: s.task.title),
    P("agreement_edit", "GET", lambda s: _url("agreement_edit", s.agreement.pk)),
    P("agreement_edit", "POST", lambda s: _url("agreement_edit", s.agreement.pk),
      data=_agreement_form,
      done=lambda s: AnnualAgreement.objects.get(pk=s.agreement.pk).preamble == "已修改的序言"),
    P("agreement_carry_over", "GET", lambda s: _url("agreement_carry_over", s.agreement.pk)),
    P("agreement_carry_over", "POST", lambda s: _url("agreement_carry_over", s.agreement.pk),
      data=lambda s: {"year": 2027, "title": "", "tasks": [s.task.pk]},
      done=lambda s: AnnualAgreement.objects.filter(partnership=s.pair, year=2027).exists()),
    P("agreement_docx", "GET", lambda s: _url("agreement_docx", s.agreement.pk),
      magic=DOCX_MAGIC),
    P("light_rules", "GET", lambda s: _url("light_rules", s.pair.programme_id)),
    P("light_rules", "POST", lambda s: _url("light_rules", s.pair.programme_id),
      data=lambda s: {"amber_days_before_due": 5, "amber_days_without_report": 40},
      done=lambda s: LightRules.objects.filter(
          programme=s.pair.programme_id, amber_days_before_due=5).exists()),
    # --- Tasks and their supervision cycle
    P("task_create", "GET", lambda s: _url("task_create", s.agreement.pk)),
    P("task_create", "POST", lambda s: _url("task_create", s.agreement.pk), data=_task_form,
      done=lambda s: s.agreement.tasks.filter(code="2026-901").exists()),
    P("task_detail", "GET", lambda s: _url("task_detail", s.task.pk),
      shows=lambda s: s.task.title),
    P("task_edit", "GET", lambda s: _url("task_edit", s.task.pk)),
    P("task_edit", "POST", lambda s: _url("task_edit", s.task.pk),
      data=lambda s: {**_task_form(s, code=s.task.code, title="已修改的任务",
                                   deadline=s.task.deadline.isoformat()), **_version(s.task)},
      done=lambda s: Task.objects.get(pk=s.task.pk).title == "已修改的任务"),
    P("task_acknowledge", "POST", lambda s: _url("task_acknowledge", s.task.pk),
      done=lambda s: TaskUnit.objects.filter(
          task=s.task, role="lead", acknowledged_at__isnull=False).exists()),
    P("task_report", "POST", lambda s: _url("task_report", s.task.pk),
      data=lambda s: {"period": "2026-05", "narrative": "新报送进展", "percent": 40},
      done=lambda s: s.task.reports.filter(narrative="新报送进展").exists()),
    P("report_review", "POST", lambda s: _url("report_review", s.report.pk),
      data=lambda s: {"decision": "accept", "comment": ""},
      done=lambda s: ProgressReport.objects.get(pk=s.report.pk).status == "accepted"),
    P("task_claim", "POST", lambda s: _url("task_claim", s.task.pk),
      data=lambda s: {"evidence": "已办结的佐证"},
      done=lambda s: _stage(s.task) == Task.Stage.CLAIMED),
    P("task_review", "POST", lambda s: _url("task_review", s.claimed.pk),
      data=lambda s: {"decision": "close", "comment": ""},
      done=lambda s: _stage(s.claimed) == Task.Stage.CLOSED),
    P("task_extension", "POST", lambda s: _url("task_extension", s.task.pk),
      data=lambda s: {"new_deadline": "2027-03-31", "reason": "审批延后"},
      done=lambda s: s.task.extensions.exists()),
    P("extension_decide", "POST", lambda s: _url("extension_decide", s.extension.pk),
      data=lambda s: {"decision": "approve", "comment": ""},
      done=lambda s: ExtensionRequest.objects.get(pk=s.extension.pk).status == "approved"),
    P("task_terminate", "POST", lambda s: _url("task_terminate", s.task.pk),
      data=lambda s: {"reason": "不再实施"},
      done=lambda s: _stage(s.task) == Task.Stage.TERMINATED),
    P("milestone_done", "POST", lambda s: _url("milestone_done", s.milestone.pk),
      done=lambda s: s.task.milestones.get(pk=s.milestone.pk).done_on is not None),
    P("my_tasks", "GET", lambda s: _url("my_tasks")),
    # --- Board, print, Excel
    P("board", "GET", lambda s: _url("board", s.agreement.pk), shows=lambda s: s.task.title),
    P("board_rows", "GET", lambda s: _url("board_rows", s.agreement.pk),
      shows=lambda s: s.task.title),
    P("board_print", "GET", lambda s: _url("board_print", s.agreement.pk),
      shows=lambda s: s.task.title),
    P("task_template", "GET", lambda s: _url("task_template"), magic=b"PK"),
    P("task_template[agreement]", "GET", lambda s: _url("task_template", s.agreement.pk),
      magic=b"PK"),
    P("task_import", "GET", lambda s: _url("task_import", s.agreement.pk)),
    # Without a file: a coordinator gets the form back with the error, nothing changes.
    P("task_import", "POST", lambda s: _url("task_import", s.agreement.pk), data=lambda s: {},
      done=lambda s: False, ok=()),
    # A background import's progress page: its uploader's alone.
    P("task_import_job", "GET", lambda s: _url("task_import_job", s.agreement.pk, s.import_job),
      shows=lambda s: s.agreement.title),
    P("task_export", "GET", lambda s: _url("task_export"), magic=b"PK"),
    P("task_export[agreement]", "GET", lambda s: _url("task_export", s.agreement.pk),
      magic=b"PK"),
    # --- API
    P("api meetings", "GET", lambda s: f"{API}/meetings/", api=True, lists=lambda s: s.meeting.pk),
    P("api meetings", "POST", lambda s: f"{API}/meetings/", api=True,
      data=lambda s: {"partnership": s.pair.pk, "number": 9, "year": 2026,
                      "date": "2026-09-01", "place": "接口会场"},
      done=lambda s: Meeting.objects.filter(place="接口会场").exists(), ok=(201,)),
    P("api meeting", "GET", lambda s: f"{API}/meetings/{s.meeting.pk}/", api=True),
    P("api meeting", "PATCH", lambda s: f"{API}/meetings/{s.meeting.pk}/", api=True,
      data=lambda s: {"minutes": "接口纪要", **_version(s.meeting)}, ok=(200,),
      done=lambda s: Meeting.objects.get(pk=s.meeting.pk).minutes == "接口纪要"),
    P("api meeting attendees", "POST", lambda s: f"{API}/meetings/{s.meeting.pk}/attendees/",
      api=True, data=lambda s: {"side": s.pair.developed_side_id, "name": "接口参会人"},
      ok=(201,),
      done=lambda s: Attendee.objects.filter(meeting=s.meeting, name="接口参会人").exists()),
    P("api agreements", "GET", lambda s: f"{API}/agreements/", api=True,
      lists=lambda s: s.agreement.pk),
    P("api agreements", "POST", lambda s: f"{API}/agreements/", api=True,
      data=lambda s: {"partnership": s.pair.pk, "year": 2031, "title": "接口协议",
                      "status": "draft"}, ok=(201,),
      done=lambda s: AnnualAgreement.objects.filter(partnership=s.pair, year=2031).exists()),
    P("api agreement", "GET", lambda s: f"{API}/agreements/{s.agreement.pk}/", api=True),
    P("api agreement", "PATCH", lambda s: f"{API}/agreements/{s.agreement.pk}/", api=True,
      data=lambda s: {"preamble": "接口序言", **_version(s.agreement)}, ok=(200,),
      done=lambda s: AnnualAgreement.objects.get(pk=s.agreement.pk).preamble == "接口序言"),
    P("api plans", "POST", lambda s: f"{API}/plans/", api=True,
      data=lambda s: {"partnership": s.pair.pk, "kind": "overall", "title": "接口方案",
                      "start_year": 2031, "end_year": 2035}, ok=(201,),
      done=lambda s: Plan.objects.filter(partnership=s.pair, title="接口方案").exists()),
    P("api plan", "PATCH", lambda s: f"{API}/plans/{s.plan.pk}/", api=True,
      data=lambda s: {"summary": "接口摘要", **_version(s.plan)}, ok=(200,),
      done=lambda s: Plan.objects.get(pk=s.plan.pk).summary == "接口摘要"),
    P("api plan close", "POST", lambda s: f"{API}/plans/{s.plan.pk}/close/", api=True,
      data=lambda s: _version(s.plan), ok=(200,),
      done=lambda s: Plan.objects.get(pk=s.plan.pk).status == Plan.Status.CLOSED),
    P("api key-tasks", "POST", lambda s: f"{API}/key-tasks/", api=True,
      data=lambda s: {"plan": s.plan.pk, "area": "industry", "title": "接口重点任务"},
      ok=(201,), done=lambda s: KeyTask.objects.filter(title="接口重点任务").exists()),
    P("api key-task", "PATCH", lambda s: f"{API}/key-tasks/{s.key_task.pk}/", api=True,
      data=lambda s: {"title": "接口修改重点任务", **_version(s.key_task)}, ok=(200,),
      done=lambda s: KeyTask.objects.get(pk=s.key_task.pk).title == "接口修改重点任务"),
    P("api key-task move", "POST", lambda s: f"{API}/key-tasks/{s.key_task.pk}/move/",
      api=True, data=lambda s: {"direction": "down"}, ok=(200,),
      done=lambda s: KeyTask.objects.get(pk=s.key_task.pk).code != s.key_task.code),
    P("api key-task", "DELETE", lambda s: f"{API}/key-tasks/{s.free_key_task.pk}/", api=True,
      ok=(204,), done=lambda s: not KeyTask.objects.filter(pk=s.free_key_task.pk).exists()),
    P("api tasks", "GET", lambda s: f"{API}/tasks/", api=True, lists=lambda s: s.task.pk),
    P("api task", "GET", lambda s: f"{API}/tasks/{s.task.pk}/", api=True),
    P("api tasks", "POST", lambda s: f"{API}/tasks/", api=True, data=_task_json,
      done=lambda s: s.agreement.tasks.filter(code="2026-903").exists(), ok=(201,)),
    P("api task", "PATCH", lambda s: f"{API}/tasks/{s.task.pk}/", api=True,
      data=lambda s: {"title": "接口修改", **_version(s.task)},
      done=lambda s: Task.objects.get(pk=s.task.pk).title == "接口修改", ok=(200,)),
    P("api task acknowledge", "POST", lambda s: f"{API}/tasks/{s.task.pk}/acknowledge/",
      api=True, data=lambda s: {}, ok=(200,),
      done=lambda s: TaskUnit.objects.filter(
          task=s.task, role="lead", acknowledged_at__isnull=False).exists()),
    P("api task reports", "POST", lambda s: f"{API}/tasks/{s.task.pk}/reports/", api=True,
      data=lambda s: {"period": "2026-05", "narrative": "接口报送", "percent": 40}, ok=(201,),
      done=lambda s: s.task.reports.filter(narrative="接口报送").exists()),
    P("api task claim", "POST", lambda s: f"{API}/tasks/{s.task.pk}/claim/", api=True,
      data=lambda s: {"evidence": "接口佐证"}, ok=(200,),
      done=lambda s: _stage(s.task) == Task.Stage.CLAIMED),
    P("api task review", "POST", lambda s: f"{API}/tasks/{s.claimed.pk}/review/", api=True,
      data=lambda s: {"accept": True}, ok=(200,),
      done=lambda s: _stage(s.claimed) == Task.Stage.CLOSED),
    P("api task extensions", "POST", lambda s: f"{API}/tasks/{s.task.pk}/extensions/",
      api=True, data=lambda s: {"new_deadline": "2027-03-31", "reason": "接口延期"}, ok=(201,),
      done=lambda s: s.task.extensions.exists()),
    P("api extension decide", "POST",
      lambda s: f"{API}/tasks/{s.claimed.pk}/extensions/{s.extension.pk}/decide/", api=True,
      data=lambda s: {"approve": True}, ok=(200,),
      done=lambda s: ExtensionRequest.objects.get(pk=s.extension.pk).status == "approved"),
    P("api task terminate", "POST", lambda s: f"{API}/tasks/{s.task.pk}/terminate/", api=True,
      data=lambda s: {"reason": "接口终止"}, ok=(200,),
      done=lambda s: _stage(s.task) == Task.Stage.TERMINATED),
    P("api reports", "GET", lambda s: f"{API}/reports/", api=True, lists=lambda s: s.report.pk),
    P("api report", "GET", lambda s: f"{API}/reports/{s.report.pk}/", api=True),
    P("api report review", "POST", lambda s: f"{API}/reports/{s.report.pk}/review/", api=True,
      data=lambda s: {"accept": True}, ok=(200,),
      done=lambda s: ProgressReport.objects.get(pk=s.report.pk).status == "accepted"),
]  # fmt: skip
PROBE_BY_KEY = {f"{p.method} {p.id}": p for p in PROBES}

# --- The table ----------------------------------------------------------------------------
#
# Expected status per role, in the order of ROLES. Pages: 200 shown, 302 done (or, for
# anon, sent to sign-in), 400 the form comes back with errors (a choice out of scope), 403
# refused on a visible object, 404 out of scope. API: 201 created, 401 not signed in, 405
# not offered.

MATRIX = {
    #                                      prg crd led sup oth sec ldr ent adm aud c_b ano
    "GET meeting_list":                    "200 200 200 200 200 200 200 200 200 200 200 302",
    "GET meeting_create":                  "200 200 403 403 403 403 403 403 403 403 200 302",
    "POST meeting_create":                 "302 302 403 403 403 403 403 403 403 403 200 302",
    "GET meeting_detail":                  "200 200 200 200 200 200 200 404 200 404 404 302",
    "GET meeting_edit":                    "200 200 403 403 403 403 403 404 403 404 404 302",
    "POST meeting_edit":                   "302 302 403 403 403 403 403 404 403 404 404 302",
    "GET meeting_docx":                    "200 200 200 200 200 200 200 404 200 404 404 302",
    "POST attendee_add":                   "302 302 403 403 403 403 403 404 403 404 404 302",
    "POST attendee_delete":                "302 302 403 403 403 403 403 404 403 404 404 302",
    "POST agenda_add":                     "302 302 403 403 403 403 403 404 403 404 404 302",
    "POST agenda_delete":                  "302 302 403 403 403 403 403 404 403 404 404 302",
    "POST resolution_add":                 "302 302 403 403 403 403 403 404 403 404 404 302",
    "POST resolution_delete":              "302 302 403 403 403 403 403 404 403 404 404 302",
    "GET resolution_tasks":                "200 200 403 403 403 403 403 404 403 404 404 302",
    "POST resolution_tasks":               "302 302 403 403 403 403 403 404 403 404 404 302",
    "POST attachment_upload":              "302 302 403 403 403 403 403 404 403 404 404 302",
    "GET attachment_download[meeting]":    "200 200 200 200 200 200 200 404 200 404 404 302",
    "GET attachment_download[report]":     "200 200 200 200 200 200 200 404 200 404 404 302",
    "POST attachment_delete":              "302 302 403 403 403 403 403 404 403 404 404 302",
    "GET issue_list":                      "200 200 200 200 200 200 200 200 200 200 200 302",
    # A leader reads; raising an issue is a write. So is it for the administrator.
    "GET issue_create":                    "200 200 200 200 200 200 403 403 403 403 200 302",
    "POST issue_create":                   "302 302 302 302 302 302 403 403 403 403 200 302",
    "POST issue_status":                   "302 302 403 403 403 403 403 404 403 404 404 302",
    "GET plan_list":                       "200 200 200 200 200 200 200 200 200 200 200 302",
    "GET plan_detail":                     "200 200 200 200 200 200 200 404 200 404 404 302",
    "GET plan_create":                     "200 200 403 403 403 403 403 403 403 403 200 302",
    "POST plan_create":                    "302 302 403 403 403 403 403 403 403 403 200 302",
    "GET plan_edit":                       "200 200 403 403 403 403 403 404 403 404 404 302",
    "POST plan_edit":                      "302 302 403 403 403 403 403 404 403 404 404 302",
    "POST plan_close":                     "302 302 403 403 403 403 403 404 403 404 404 302",
    "GET plan_key_task_create":            "200 200 403 403 403 403 403 404 403 404 404 302",
    "POST plan_key_task_create":           "302 302 403 403 403 403 403 404 403 404 404 302",
    "GET plan_key_task_edit":              "200 200 403 403 403 403 403 404 403 404 404 302",
    "POST plan_key_task_edit":             "302 302 403 403 403 403 403 404 403 404 404 302",
    "POST plan_key_task_move":             "302 302 403 403 403 403 403 404 403 404 404 302",
    "GET plan_key_task_delete":            "200 200 403 403 403 403 403 404 403 404 404 302",
    "POST plan_key_task_delete":           "302 302 403 403 403 403 403 404 403 404 404 302",
    "GET agreement_list":                  "200 200 200 200 200 200 200 200 200 200 200 302",
    "GET agreement_create":                "200 200 403 403 403 403 403 403 403 403 200 302",
    "POST agreement_create":               "302 302 403 403 403 403 403 403 403 403 200 302",
    "GET agreement_detail":                "200 200 200 200 200 200 200 404 200 404 404 302",
    "GET agreement_edit":                  "200 200 403 403 403 403 403 404 403 404 404 302",
    "POST agreement_edit":                 "302 302 403 403 403 403 403 404 403 404 404 302",
    "GET agreement_carry_over":            "200 200 403 403 403 403 403 404 403 404 404 302",
    "POST agreement_carry_over":           "302 302 403 403 403 403 403 404 403 404 404 302",
    "GET agreement_docx":                  "200 200 200 200 200 200 200 404 200 404 404 302",
    # The traffic-light rules are conference configuration: internal, like the rest; set
    # by the programme's coordinators.
    "GET light_rules":                     "200 200 200 200 200 200 200 404 200 404 200 302",
    "POST light_rules":                    "302 403 403 403 403 403 403 404 403 404 403 302",
    "GET task_create":                     "200 200 403 403 403 403 403 404 403 404 404 302",
    "POST task_create":                    "302 302 403 403 403 403 403 404 403 404 404 302",
    "GET task_detail":                     "200 200 200 200 200 200 200 404 200 404 404 302",
    "GET task_edit":                       "200 200 403 403 403 403 403 404 403 404 404 302",
    "POST task_edit":                      "302 302 403 403 403 403 403 404 403 404 404 302",
    # 签收 is the lead unit's own act: nobody acknowledges on its behalf.
    "POST task_acknowledge":               "403 403 302 403 403 403 403 404 403 404 404 302",
    "POST task_report":                    "302 302 302 403 403 403 403 404 403 404 404 302",
    "POST report_review":                  "302 302 403 403 403 403 403 404 403 404 404 302",
    "POST task_claim":                     "302 302 302 403 403 403 403 404 403 404 404 302",
    "POST task_review":                    "302 302 403 403 403 403 403 404 403 404 404 302",
    "POST task_extension":                 "302 302 302 403 403 403 403 404 403 404 404 302",
    "POST extension_decide":               "302 302 403 403 403 403 403 404 403 404 404 302",
    "POST task_terminate":                 "302 302 403 403 403 403 403 404 403 404 404 302",
    "POST milestone_done":                 "302 302 302 403 403 403 403 404 403 404 404 302",
    "GET my_tasks":                        "200 200 200 200 200 200 200 200 200 200 200 302",
    "GET board":                           "200 200 200 200 200 200 200 404 200 404 404 302",
    "GET board_rows":                      "200 200 200 200 200 200 200 404 200 404 404 302",
    "GET board_print":                     "200 200 200 200 200 200 200 404 200 404 404 302",
    "GET task_template":                   "200 200 200 200 200 200 200 404 200 404 200 302",
    "GET task_template[agreement]":        "200 200 200 200 200 200 200 404 200 404 404 302",
    "GET task_import":                     "200 200 403 403 403 403 403 404 403 404 404 302",
    "POST task_import":                    "200 200 403 403 403 403 403 404 403 404 404 302",
    "GET task_import_job":                 "404 200 404 404 404 404 404 404 404 404 404 302",
    "GET task_export":                     "200 200 200 200 200 200 200 404 200 404 200 302",
    "GET task_export[agreement]":          "200 200 200 200 200 200 200 404 200 404 404 302",
    "GET api meetings":                    "200 200 200 200 200 200 200 200 200 200 200 401",
    "POST api meetings":                   "201 201 403 403 403 403 403 403 403 403 400 401",
    "GET api meeting":                     "200 200 200 200 200 200 200 404 200 404 404 401",
    "PATCH api meeting":                   "200 200 403 403 403 403 403 404 403 404 404 401",
    "POST api meeting attendees":          "201 201 403 403 403 403 403 404 403 404 404 401",
    "GET api agreements":                  "200 200 200 200 200 200 200 200 200 200 200 401",
    "POST api agreements":                 "201 201 403 403 403 403 403 403 403 403 400 401",
    "GET api agreement":                   "200 200 200 200 200 200 200 404 200 404 404 401",
    "PATCH api agreement":                 "200 200 403 403 403 403 403 404 403 404 404 401",
    "POST api plans":                      "201 201 403 403 403 403 403 403 403 403 400 401",
    "PATCH api plan":                      "200 200 403 403 403 403 403 404 403 404 404 401",
    "POST api plan close":                 "200 200 403 403 403 403 403 404 403 404 404 401",
    "POST api key-tasks":                  "201 201 403 403 403 403 403 403 403 403 400 401",
    "PATCH api key-task":                  "200 200 403 403 403 403 403 404 403 404 404 401",
    "POST api key-task move":              "200 200 403 403 403 403 403 404 403 404 404 401",
    "DELETE api key-task":                 "204 204 403 403 403 403 403 404 403 404 404 401",
    "GET api tasks":                       "200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api task":                        "200 200 200 200 200 200 200 404 200 404 404 401",
    "POST api tasks":                      "201 201 403 403 403 403 403 403 403 403 400 401",
    "PATCH api task":                      "200 200 403 403 403 403 403 404 403 404 404 401",
    "POST api task acknowledge":           "403 403 200 403 403 403 403 404 403 404 404 401",
    "POST api task reports":               "201 201 201 403 403 403 403 404 403 404 404 401",
    "POST api task claim":                 "200 200 200 403 403 403 403 404 403 404 404 401",
    "POST api task review":                "200 200 403 403 403 403 403 404 403 404 404 401",
    "POST api task extensions":            "201 201 201 403 403 403 403 404 403 404 404 401",
    "POST api extension decide":           "200 200 403 403 403 403 403 404 403 404 404 401",
    "POST api task terminate":             "200 200 403 403 403 403 403 404 403 404 404 401",
    "GET api reports":                     "200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api report":                      "200 200 200 200 200 200 200 404 200 404 404 401",
    "POST api report review":              "200 200 403 403 403 403 403 404 403 404 404 401",
}  # fmt: skip

# Cells where the code answers otherwise than the domain: (probe key, role) -> what it does.
# Each is a strict xfail, so it fails loudly once the code is fixed. None at present.
CONTRADICTIONS: dict[tuple[str, str], str] = {}


def expected(key: str, role: str) -> int:
    return int(MATRIX[key].split()[ROLES.index(role)])


def _case(probe: Probe, role: str):
    key = f"{probe.method} {probe.id}"
    marks = []
    if (key, role) in CONTRADICTIONS:
        marks.append(pytest.mark.xfail(strict=True, reason=CONTRADICTIONS[key, role]))
    return pytest.param(key, role, id=f"{key}-{role}".replace(" ", "-"), marks=marks)


CASES = [_case(probe, role) for probe in PROBES for role in ROLES]


# --- Running a cell -----------------------------------------------------------------------


def request(client, api, probe: Probe, s: SimpleNamespace, user):
    """Send the probe for the objects ``s`` as ``user`` (None: anonymous)."""
    path = probe.path(s)
    data = probe.data(s) if probe.data else {}
    if probe.api:
        api.force_authenticate(user)
        return getattr(api, probe.method.lower())(path, data, format="json")
    client.cookies.clear()
    if user is not None:
        client.force_login(user)
    if probe.method == "GET":
        return client.get(path)
    return client.post(path, data)


def content_of(response) -> str:
    if getattr(response, "streaming", False):
        return ""
    return response.content.decode("utf-8", "replace")


def test_the_table_covers_every_probe_and_every_url_of_the_app():
    assert set(MATRIX) == set(PROBE_BY_KEY)
    assert all(len(row.split()) == len(ROLES) for row in MATRIX.values())
    assert {key for key, _role in CONTRADICTIONS} <= set(MATRIX)
    from xietong.conference.urls import urlpatterns

    probed = {p.id.split("[")[0] for p in PROBES if not p.api}
    names = {pattern.name for pattern in urlpatterns}
    missing = sorted(names - probed)
    assert not missing, f"conference pages missing from the matrix: {missing}"


@pytest.mark.parametrize(("key", "role"), CASES)
def test_matrix(key, role, cast, sides, client, api):
    probe = PROBE_BY_KEY[key]
    want = expected(key, role)
    a = sides["A"]
    response = request(client, api, probe, a, cast[role])
    assert response.status_code == want, f"{key} as {role}: {response.status_code} != {want}"
    if role == "anon" and not probe.api:
        assert response["Location"].startswith(reverse("login")), response["Location"]
    if probe.done is not None:
        succeeded = want in probe.ok and role != "anon"
        assert probe.done(a) == succeeded, f"{key} as {role}: the write happened: {not succeeded}"
    if want != 200 or probe.method != "GET":
        return
    if probe.magic is not None:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body.startswith(probe.magic), body[:20]
        return
    text = content_of(response)
    if "B" not in SEES[role]:
        leaked = [mark for mark in B_MARKS if mark in text]
        assert not leaked, f"pair B leaked to {role}: {leaked}"
    if "A" not in SEES[role]:
        leaked = [mark for mark in A_MARKS if mark in text]
        assert not leaked, f"pair A leaked to {role}: {leaked}"
    if probe.shows is not None:
        assert probe.shows(a) in text
    if probe.lists is not None:
        _check_list(probe, role, response, sides)


def _check_list(probe: Probe, role: str, response, sides) -> None:
    if probe.api:
        body = response.json()
        assert body["count"] == len(body["results"]), "counted rows that are not shown"
        ids = {row["id"] for row in body["results"]}
        for level, s in sides.items():
            assert (probe.lists(s) in ids) == (level in SEES[role]), f"{level} in {probe.id}"
    else:
        text = content_of(response)
        for level, s in sides.items():
            assert (probe.lists(s) in text) == (level in SEES[role]), f"{level} in {probe.id}"


# --- Pair A's people and pair B's objects -------------------------------------------------

PAIR_A_ROLES = ["coord", "lead", "support", "other", "sector", "leader"]


def _aimed_at_an_object(probe: Probe, sides) -> bool:
    """Does the probe's URL name an object (so pair B's twin is another URL)?"""
    return probe.path(sides["A"]) != probe.path(sides["B"])


@pytest.mark.parametrize("role", PAIR_A_ROLES)
def test_every_object_of_pair_b_is_404_for_pair_a_people_and_stays_unchanged(
    role, cast, sides, client, api
):
    b = sides["B"]
    user = cast[role]
    probed = 0
    for probe in PROBES:
        offered = expected(f"{probe.method} {probe.id}", "admin") != 405
        if not offered or not _aimed_at_an_object(probe, sides):
            continue
        before = probe.done(b) if probe.done else None
        response = request(client, api, probe, b, user)
        assert response.status_code == 404, f"{probe.method} {probe.id}: {response.status_code}"
        if probe.done is not None:
            assert probe.done(b) == before, f"{probe.method} {probe.id} changed pair B's object"
        probed += 1
    assert probed > 50


@pytest.mark.parametrize("role", [*PAIR_A_ROLES, "ent", "audit"])
def test_no_list_or_count_of_a_pair_a_user_shows_pair_b(role, cast, sides, client):
    client.force_login(cast[role])
    pages = [
        _url(name)
        for name in ("meeting_list", "plan_list", "agreement_list", "issue_list", "my_tasks")
    ]
    pages += [_url("meeting_list") + f"?partnership={sides['B'].pair.pk}"]
    pages += [_url("issue_list") + f"?partnership={sides['B'].pair.pk}&status=open"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = content_of(response)
        assert not [mark for mark in B_MARKS if mark in text], url
    api = APIClient()
    api.force_authenticate(cast[role])
    b = sides["B"]
    for url, query in [
        ("/api/v1/meetings/", {"partnership": b.pair.pk}),
        ("/api/v1/agreements/", {}),
        ("/api/v1/tasks/", {"search": "乙方"}),
        ("/api/v1/tasks/", {"agreement": b.agreement.pk}),
        ("/api/v1/reports/", {"task": b.task.pk}),
    ]:
        response = api.get(url, {**query, "page_size": 1000})
        # A filter on an object out of scope answers as one on an object that does not exist.
        assert response.status_code in (200, 400), url
        if response.status_code == 200:
            body = response.json()
            assert body["count"] == len(body["results"])
            text = json.dumps(body, ensure_ascii=False)
            assert not [mark for mark in B_MARKS if mark in text], (url, query)
    # The export of "all my tasks", even asked for pair B's agreement, holds no row of it.
    if role in ("ent", "audit"):
        return
    response = client.get(_url("task_export") + f"?agreement={b.agreement.pk}")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == 1  # the header only


def test_counts_on_the_agreement_list_count_only_the_visible_pair(cast, sides, client):
    client.force_login(cast["coord"])
    response = client.get(_url("agreement_list"))
    agreements = [a for _pair, rows in response.context["groups"] for a in rows]
    assert [a.pk for a in agreements] == [sides["A"].agreement.pk]
    assert agreements[0].task_count == 2


def test_a_coordinators_review_queue_holds_only_its_own_pair(cast, sides, client):
    for role, mine, theirs in (("coord", "A", "B"), ("coord_b", "B", "A")):
        client.force_login(cast[role])
        context = client.get(_url("my_tasks")).context
        assert [r.pk for r in context["review_reports"]] == [sides[mine].report.pk], role
        assert [t.pk for t in context["review_claims"]] == [sides[mine].claimed.pk], role
        assert [e.pk for e in context["review_extensions"]] == [sides[mine].extension.pk], role
        assert sides[theirs].report.pk not in {r.pk for r in context["review_reports"]}


# --- Ids of pair B slipped into pair A's forms --------------------------------------------


def test_a_pair_b_issue_cannot_be_put_on_pair_a_agenda(cast, sides, client):
    a, b = sides["A"], sides["B"]
    client.force_login(cast["coord"])
    response = client.post(_url("agenda_add", a.meeting.pk), {"issue": b.issue.pk, "title": ""})
    assert response.status_code == 200
    assert "issue" in response.context["agenda_form"].errors
    b.issue.refresh_from_db()
    assert b.issue.status == CoordinationIssue.Status.OPEN
    assert not a.meeting.agenda_items.filter(issue=b.issue).exists()


def test_a_pair_b_attendee_cannot_be_removed_through_pair_a_meeting(cast, sides, client):
    a, b = sides["A"], sides["B"]
    client.force_login(cast["coord"])
    response = client.post(_url("attendee_delete", a.meeting.pk, b.attendee.pk))
    assert response.status_code == 404
    assert Attendee.objects.filter(pk=b.attendee.pk).exists()
    response = client.post(_url("agenda_delete", a.meeting.pk, b.agenda_item.pk))
    assert response.status_code == 404
    response = client.post(_url("resolution_delete", a.meeting.pk, b.free_resolution.pk))
    assert response.status_code == 404
    assert Resolution.objects.filter(pk=b.free_resolution.pk).exists()


def test_a_pair_a_task_cannot_be_led_by_a_pair_b_unit(cast, sides, client):
    a, b = sides["A"], sides["B"]
    client.force_login(cast["coord"])
    data = _task_form(a, lead_units=[b.lead_unit.pk], key_task=b.key_task.pk)
    response = client.post(_url("task_create", a.agreement.pk), data)
    assert response.status_code == 400
    assert {"lead_units", "key_task"} <= set(response.context["form"].errors)
    assert not Task.objects.filter(code="2026-901").exists()
    api = APIClient()
    api.force_authenticate(cast["coord"])
    for change in ({"lead_units": [b.lead_unit.pk]}, {"key_task": b.key_task.pk},
                   {"resolution": b.resolution.pk}, {"agreement": b.agreement.pk}):  # fmt: skip
        response = api.post("/api/v1/tasks/", {**_task_json(a), **change}, format="json")
        assert response.status_code == 400, change
        assert set(change) <= set(response.json()), response.json()
    assert not Task.objects.filter(code="2026-903").exists()


def test_a_pair_b_extension_cannot_be_decided_through_a_pair_a_task(cast, sides):
    a, b = sides["A"], sides["B"]
    api = APIClient()
    api.force_authenticate(cast["coord"])
    url = f"/api/v1/tasks/{a.claimed.pk}/extensions/{b.extension.pk}/decide/"
    assert api.post(url, {"approve": True}, format="json").status_code == 404
    b.extension.refresh_from_db()
    assert b.extension.status == ExtensionRequest.Status.PENDING


def test_a_resolution_of_pair_a_cannot_become_a_task_of_pair_b_agreement(cast, sides, client):
    a, b = sides["A"], sides["B"]
    client.force_login(cast["prog"])  # sees both pairs, coordinates both
    data = {**_resolution_rows(a), "agreement": b.agreement.pk}
    response = client.post(_url("resolution_tasks", a.resolution.pk), data)
    assert response.status_code == 200
    assert "agreement" in response.context["head"].errors
    assert not Task.objects.filter(code="2026-902").exists()


def test_the_matrix_roles_are_who_the_brief_says(cast, sides):
    """Guards the fixture: each column's user is what its name says."""
    a = sides["A"]
    lead_units = set(a.task.task_units.filter(role="lead").values_list("unit", flat=True))
    support_units = set(a.task.task_units.filter(role="support").values_list("unit", flat=True))
    unit_of = {
        role: set(cast[role].memberships.values_list("org_unit", flat=True))
        for role in ("lead", "support", "other")
    }
    assert unit_of["lead"] == lead_units
    assert unit_of["support"] == support_units
    assert not unit_of["other"] & (lead_units | support_units)
    assert cast["coord_b"].memberships.get().partnership == sides["B"].pair
