"""Who may do what in department pairing: one table of the pages and API endpoints × role.

Pattern of ``tests/conference/test_matrix.py`` and ``tests/enterprise/test_matrix.py``: the
table states the expected status of each endpoint for each role, each cell is a test, and
each cell checks the effect too. The objects the probes aim at belong to pair A (两江新区 ↔
万州区); a twin set belongs to pair B (渝中区 ↔ 城口县, same programme). Every text of a
pair's records carries its mark (甲方 / 乙方).

The roles (columns of the table):

- ``coord``      partnership coordinator of pair A, 两江新区 (developed) side
- ``wz_coord``   partnership coordinator of pair A, 万州区 (partner) side
- ``dev_staff``  department staff of the developed unit of the department pair (its lead)
- ``par_staff``  department staff of the partner unit of the department pair (its lead)
- ``leader``     leader of pair A (reads, never writes)
- ``prog``       programme coordinator of the programme of pairs A and B
- ``ent``        enterprise user of 万州区: sees only the visits its enterprise took part in
- ``admin``      system administrator: reads everything, no business write (403)
- ``audit``      security auditor: nothing of pairing (404)
- ``coord_b``    partnership coordinator of pair B (渝中区 side)
- ``other_prog`` programme coordinator of another programme
- ``anon``       not signed in: pages send to sign-in (302), the API answers 401

The rules (docs/pairing.md "Who may do what", ``services.may_*``): pairs, settings and
secondments belong to the coordinators (``may_manage_pairs``); a contact is recorded by a
side of the department pair and confirmed or returned only by the other side, never by its
recorder; the recorder's side corrects and resubmits a returned record; coordinators turn a
follow-up action into a task; secondments are evaluated by coordinators, the host unit's
staff and the mentor; trainings and visits belong to the coordinators and the staff of
either side.

Each cell: the status; for a write, whether the row changed (it does exactly when the status
is a success); for a page, answer or export read, that it names nothing of pair B (unless the
role reads pair B) nor of pair A (when the role reads nothing of it), and that lists hold the
pair A row exactly for the roles that see it.

To add an endpoint: add a ``Probe`` to ``PROBES`` and a line to ``MATRIX``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from tests.matrix import MatrixClient, forget, web_client
from xietong.conference.versions import version_of
from xietong.core.models import Role
from xietong.enterprise.models import Enterprise
from xietong.pairing import services
from xietong.pairing.models import (
    ContactAttachment,
    DepartmentPair,
    FollowUpAction,
    InspectionVisit,
    PairingSettings,
    Secondment,
    Training,
    WorkContact,
)

from ..conference.factories import AgreementFactory
from ..enterprise.conftest import credit_code
from ..factories import (
    MembershipFactory,
    OrgUnitFactory,
    PartnershipFactory,
    ProgrammeFactory,
    RegionFactory,
    UserFactory,
)

ROLES = (
    "coord", "wz_coord", "dev_staff", "par_staff", "leader", "prog", "ent", "admin", "audit",
    "coord_b", "other_prog", "anon",
)  # fmt: skip
# Who reads something of pair A / of pair B here at all (the enterprise user: its visit only).
READS_A = {"coord", "wz_coord", "dev_staff", "par_staff", "leader", "prog", "admin"}
READS_B = {"prog", "admin", "coord_b"}
A_MARKS = ("甲方", "两江新区", "万州区")
B_MARKS = ("乙方", "渝中区", "城口县")
SEE_A = "coord wz_coord dev_staff par_staff leader prog admin"


# --- The world of the matrix ----------------------------------------------------------


def _user(name: str, role, **where):
    user = UserFactory(username=f"pm_{name}", full_name=f"{name}用户")
    MembershipFactory(user=user, role=role, **where)
    return user


def _records(pair, mark: str, n: int, dev_staff, par_staff, coord, own) -> SimpleNamespace:
    """A department pair of one partnership with its contacts, a follow-up action, a
    secondment, a training and a visit; every text carries the pair's mark."""
    today = timezone.localdate()
    dev, partner = pair.developed_side, pair.partner_side
    s = SimpleNamespace(pair=pair, mark=mark, own=own)
    s.dev_unit = dev_staff.memberships.get().org_unit
    s.par_unit = par_staff.memberships.get().org_unit
    s.new_dev_unit = OrgUnitFactory(region=dev, name=f"{mark}科技创新局")
    s.new_par_unit = OrgUnitFactory(region=partner, name=f"{mark}科技局")
    s.dpair = services.create_pair(
        coord, partnership=pair, developed_unit=s.dev_unit, partner_unit=s.par_unit,
        started_on=date(2025, 1, 1), developed_lead=dev_staff, partner_lead=par_staff,
    )  # fmt: skip
    s.free_pair = DepartmentPair.objects.create(
        partnership=pair, developed_unit=s.new_dev_unit, partner_unit=s.par_unit,
        started_on=date(2025, 1, 1), note=f"{mark}待删结对",
    )  # fmt: skip
    held = today - timedelta(days=1)

    def record(topics):
        return services.record_contact(
            dev_staff, s.dpair, held_on=held, form="video", host_side="developed",
            topics=f"{mark}{topics}", outcomes="商定下月实地调研",
            participants=[{"side": "developed", "name": "张产促", "unit": "产业促进局"}],
            follow_ups=[{"text": f"{mark}组织配套企业考察", "owner_side": "partner"}],
        )  # fmt: skip

    s.contact = record("汽车零部件配套对接")
    s.action = s.contact.follow_ups.get()
    s.returned = record("退回待改的记录")
    services.return_contact(par_staff, s.returned, reason="日期有误")
    s.returned.refresh_from_db()
    s.month = held.strftime("%Y-%m")
    AgreementFactory(partnership=pair, year=today.year)
    s.secondment = services.create_secondment(
        coord, partnership=pair, person_name=f"{mark}刘挂职", sending_unit=s.par_unit,
        host_unit=s.dev_unit, starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=150), mentor_name="王处长", goals="学习产业招商经验",
    )  # fmt: skip
    s.training = services.create_training(
        dev_staff, partnership=pair, title=f"{mark}招商实务培训", held_on=date(2026, 4, 8),
        host_unit=s.dev_unit,
        attendees=[{"name": f"{mark}周某", "hours": "2", "unit_name": "经开区", "side": "partner"}],
    )  # fmt: skip
    s.visit = services.create_visit(
        coord, partnership=pair, visiting_side="partner", starts_on=date(2026, 5, 6),
        ends_on=date(2026, 5, 7), destination=f"{mark}鱼复工业园", enterprises=[own],
    )  # fmt: skip
    s.other_visit = services.create_visit(
        coord, partnership=pair, visiting_side="developed", starts_on=date(2026, 6, 6),
        ends_on=date(2026, 6, 7), destination=f"{mark}万州经开区",
    )  # fmt: skip
    return s


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory):
    """The people and the records of both pairs, built once for the module inside one
    transaction rolled back at the end; each test runs in a savepoint of it."""
    var = tmp_path_factory.mktemp("var")
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hashers, VAR_DIR=var, MEDIA_ROOT=var / "media"),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _build() -> SimpleNamespace:
    programme = ProgrammeFactory(name="一区两群对口协同")
    other = ProgrammeFactory(name="另一计划")
    lj = RegionFactory(name="两江新区", kind="functional_area", division_code="500157")
    wz = RegionFactory(name="万州区", division_code="500101")
    yz = RegionFactory(name="渝中区", division_code="500103")
    ck = RegionFactory(name="城口县", kind="county", division_code="500229")
    spb = RegionFactory(name="沙坪坝区", division_code="500106")
    fj = RegionFactory(name="奉节县", kind="county", division_code="500236")
    pair_a = PartnershipFactory(programme=programme, developed_side=lj, partner_side=wz)
    pair_b = PartnershipFactory(programme=programme, developed_side=yz, partner_side=ck)
    PartnershipFactory(programme=other, developed_side=spb, partner_side=fj)
    DS, PC = Role.DEPARTMENT_STAFF, Role.PARTNERSHIP_COORDINATOR
    own_a = Enterprise.objects.create(
        partnership=pair_a, side=wz, name="甲方万州测试企业", credit_code=credit_code(301)
    )
    own_b = Enterprise.objects.create(
        partnership=pair_b, side=ck, name="乙方城口测试企业", credit_code=credit_code(302)
    )
    cast = {
        "coord": _user("coord", PC, partnership=pair_a, region=lj),
        "wz_coord": _user("wz_coord", PC, partnership=pair_a, region=wz),
        "dev_staff": _user("dev_staff", DS, org_unit=OrgUnitFactory(region=lj, name="产业促进局")),
        "par_staff": _user("par_staff", DS, org_unit=OrgUnitFactory(region=wz, name="经济信息委")),
        "leader": _user("leader", Role.LEADER, partnership=pair_a),
        "prog": _user("prog", Role.PROGRAMME_COORDINATOR, programme=programme),
        "ent": _user("ent", Role.ENTERPRISE_USER, region=wz, enterprise=own_a,
                     enterprise_name=own_a.name),
        "admin": _user("admin", Role.SYSTEM_ADMIN),
        "audit": _user("audit", Role.SECURITY_AUDITOR),
        "coord_b": _user("coord_b", PC, partnership=pair_b, region=yz),
        "other_prog": _user("other_prog", Role.PROGRAMME_COORDINATOR, programme=other),
        "anon": None,
    }  # fmt: skip
    b_dev = _user("b_dev", DS, org_unit=OrgUnitFactory(region=yz, name="区发展改革委"))
    b_par = _user("b_par", DS, org_unit=OrgUnitFactory(region=ck, name="县发展改革委"))
    a = _records(pair_a, "甲方", 100, cast["dev_staff"], cast["par_staff"], cast["coord"], own_a)
    b = _records(pair_b, "乙方", 200, b_dev, b_par, cast["coord_b"], own_b)
    for user in [*cast.values(), b_dev, b_par]:
        forget(user)
    return SimpleNamespace(cast=cast, sides={"A": a, "B": b}, web=web_client(cast), api=APIClient())


@pytest.fixture
def client(matrix, db) -> MatrixClient:
    matrix.web.cookies.clear()
    return matrix.web


@pytest.fixture
def api(matrix, db) -> APIClient:
    matrix.api.force_authenticate(None)
    matrix.api.cookies.clear()
    return matrix.api


@pytest.fixture
def cast(matrix, db) -> dict:
    for user in matrix.cast.values():
        forget(user)
    return matrix.cast


@pytest.fixture
def sides(matrix, db) -> dict[str, SimpleNamespace]:
    return matrix.sides


# --- Form data and effects ---------------------------------------------------------------


def _v(obj) -> str:
    return version_of(type(obj).objects.get(pk=obj.pk))


def _contact_form(s, **extra) -> dict:
    data = {
        "pair": s.dpair.pk,
        "held_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "form": "video", "form_other": "", "host_side": "developed",
        "place": "视频会议室", "topics": "矩阵新记录的议题", "outcomes": "确定首批对接企业",
        "dev-TOTAL_FORMS": "1", "dev-INITIAL_FORMS": "0", "dev-0-name": "张伟",
        "par-TOTAL_FORMS": "1", "par-INITIAL_FORMS": "0", "par-0-name": "刘洋",
        "fu-TOTAL_FORMS": "0", "fu-INITIAL_FORMS": "0",
    }  # fmt: skip
    data.update(extra)
    return data


def _contact_api(s, **extra) -> dict:
    return {
        "pair": s.dpair.pk,
        "held_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "form": "video", "host_side": "developed", "topics": "矩阵新记录的议题",
        "participants": [{"side": "developed", "name": "张伟"}],
        **extra,
    }  # fmt: skip


def _pair_form(s) -> dict:
    return {
        "developed_unit": s.new_dev_unit.pk, "partner_unit": s.new_par_unit.pk,
        "frequency": "monthly", "started_on": "2025-03-01",
    }  # fmt: skip


def _secondment_form(s) -> dict:
    return {
        "person_name": "矩阵挂职", "person_title": "科长", "sending_unit": s.par_unit.pk,
        "host_unit": s.dev_unit.pk, "position": "副处长", "starts_on": "2026-09-01",
        "ends_on": "2027-02-28", "mentor_name": "王处长", "goals": "学习招商",
    }  # fmt: skip


def _training_form(s) -> dict:
    return {
        "title": "矩阵新培训", "held_on": "2026-07-01", "host_unit": s.dev_unit.pk,
        "attendees-TOTAL_FORMS": "1", "attendees-INITIAL_FORMS": "0",
        "attendees-0-name": "吴某", "attendees-0-unit_name": "投资促进中心",
        "attendees-0-side": "partner", "attendees-0-hours": "2.5",
    }  # fmt: skip


def _visit_form(s) -> dict:
    return {
        "visiting_side": "partner", "starts_on": "2026-08-06", "ends_on": "2026-08-07",
        "destination": "矩阵新考察地", "enterprises": [s.own.pk],
    }  # fmt: skip


def _status(contact) -> str:
    return WorkContact.objects.get(pk=contact.pk).status


def _gone(model, obj) -> Callable[[SimpleNamespace], bool]:
    return lambda s: not model.objects.filter(pk=obj(s).pk).exists()


def _exists(model, **filters) -> Callable[[SimpleNamespace], bool]:
    return lambda s: model.objects.filter(**{k: v(s) for k, v in filters.items()}).exists()


def _topics(contact, text="矩阵改写的议题") -> bool:
    return WorkContact.objects.get(pk=contact.pk).topics == text


# --- Probes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One endpoint and method. ``path``/``data``/``done`` take one pair's objects."""

    id: str
    method: str
    path: Callable[[SimpleNamespace], str]
    data: Callable[[SimpleNamespace], dict] | None = None
    # For a write: has it happened? (True after a success, False after a refusal)
    done: Callable[[SimpleNamespace], bool] | None = None
    # For a read: a text the answer shows of the pair's object (checked on a 200)
    shows: Callable[[SimpleNamespace], str] | None = None
    api: bool = False
    xlsx: bool = False
    # A list: (what identifies the pair's row in the answer, the roles that see it)
    lists: tuple[tuple[Callable[[SimpleNamespace], object], str], ...] = ()
    ok: tuple[int, ...] = (302,)  # the statuses of a write that succeeded

    def __str__(self) -> str:
        return self.id


def _u(name: str, *args) -> str:
    return reverse(f"pairing:{name}", args=args)


P, API = Probe, "/api/v1"
PROBES: list[Probe] = [
    # --- Department pairs and settings (pages)
    P(
        "pair_list",
        "GET",
        lambda s: _u("pair_list") + f"?partnership={s.pair.pk}",
        lists=((lambda s: f"{s.mark}科技创新局", SEE_A),),
    ),
    P(
        "pair_detail",
        "GET",
        lambda s: _u("pair_detail", s.dpair.pk),
        shows=lambda s: f"{s.mark}汽车零部件配套对接",
    ),
    P("pair_create", "GET", lambda s: _u("pair_create") + f"?partnership={s.pair.pk}"),
    P(
        "pair_create",
        "POST",
        lambda s: _u("pair_create") + f"?partnership={s.pair.pk}",
        _pair_form,
        done=_exists(DepartmentPair, partner_unit=lambda s: s.new_par_unit),
    ),
    P(
        "pair_edit",
        "POST",
        lambda s: _u("pair_edit", s.dpair.pk),
        lambda s: {
            "developed_unit": s.dev_unit.pk,
            "partner_unit": s.par_unit.pk,
            "frequency": "quarterly",
            "started_on": "2025-01-01",
            "developed_lead": s.dpair.developed_lead_id,
            "partner_lead": s.dpair.partner_lead_id,
            "version": _v(s.dpair),
        },
        done=lambda s: DepartmentPair.objects.get(pk=s.dpair.pk).frequency == "quarterly",
    ),
    P(
        "pair_end",
        "POST",
        lambda s: _u("pair_end", s.free_pair.pk),
        lambda s: {"ended_on": "2025-06-30", "version": _v(s.free_pair)},
        done=lambda s: DepartmentPair.objects.get(pk=s.free_pair.pk).ended_on is not None,
    ),
    P(
        "pair_delete",
        "POST",
        lambda s: _u("pair_delete", s.free_pair.pk),
        done=_gone(DepartmentPair, lambda s: s.free_pair),
    ),
    P("settings", "GET", lambda s: _u("settings", s.pair.pk)),
    P(
        "settings",
        "POST",
        lambda s: _u("settings", s.pair.pk),
        lambda s: {"reminder_day": "15", "secondment_minimum": "2", "secondment_target": "3"},
        done=_exists(PairingSettings, partnership=lambda s: s.pair),
    ),
    # --- Work contacts (pages)
    P(
        "contact_list",
        "GET",
        lambda s: _u("contact_list"),
        lists=((lambda s: f"{s.mark}汽车零部件配套对接", SEE_A),),
    ),
    P(
        "contact_detail",
        "GET",
        lambda s: _u("contact_detail", s.contact.pk),
        shows=lambda s: f"{s.mark}汽车零部件配套对接",
    ),
    P(
        "contact_create",
        "POST",
        lambda s: _u("contact_create") + f"?pair={s.dpair.pk}",
        _contact_form,
        done=_exists(WorkContact, topics=lambda s: "矩阵新记录的议题"),
    ),
    P(
        "contact_edit",
        "POST",
        lambda s: _u("contact_edit", s.contact.pk),
        lambda s: _contact_form(s, topics="矩阵改写的议题", version=_v(s.contact)),
        done=lambda s: _topics(s.contact),
    ),
    P(
        "contact_confirm",
        "POST",
        lambda s: _u("contact_confirm", s.contact.pk),
        lambda s: {"version": _v(s.contact)},
        done=lambda s: _status(s.contact) == WorkContact.Status.CONFIRMED,
    ),
    P(
        "contact_return",
        "POST",
        lambda s: _u("contact_return", s.contact.pk),
        lambda s: {"reason": "日期有误", "version": _v(s.contact)},
        done=lambda s: _status(s.contact) == WorkContact.Status.RETURNED,
    ),
    P(
        "contact_resubmit",
        "POST",
        lambda s: _u("contact_edit", s.returned.pk),
        lambda s: _contact_form(s, topics="矩阵改写的议题", resubmit="1", version=_v(s.returned)),
        done=lambda s: _status(s.returned) == WorkContact.Status.AWAITING,
    ),
    P(
        "follow_up_add",
        "POST",
        lambda s: _u("follow_up_add", s.contact.pk),
        lambda s: {"fu-text": "矩阵新事项", "fu-owner_side": "developed"},
        done=_exists(FollowUpAction, text=lambda s: "矩阵新事项"),
    ),
    P(
        "follow_up_task",
        "POST",
        lambda s: _u("follow_up_task", s.action.pk),
        done=lambda s: FollowUpAction.objects.get(pk=s.action.pk).task_id is not None,
    ),
    P(
        "attachment_upload",
        "POST",
        lambda s: _u("contact_attachment_upload", s.contact.pk),
        lambda s: {"files": [SimpleUploadedFile("纪要.pdf", b"%PDF-1.4\n%matrix\n")]},
        done=_exists(ContactAttachment, contact=lambda s: s.contact),
    ),
    # --- Compliance (page and both exports)
    P(
        "compliance",
        "GET",
        lambda s: _u("compliance") + f"?partnership={s.pair.pk}",
        lists=((lambda s: f"{s.mark}科技创新局", SEE_A),),
    ),
    P(
        "contact_export",
        "GET",
        lambda s: _u("contact_export") + f"?month={s.month}&partnership={s.pair.pk}",
        xlsx=True,
        lists=((lambda s: f"{s.mark}汽车零部件配套对接", SEE_A),),
    ),
    P(
        "compliance_export",
        "GET",
        lambda s: _u("compliance_export") + f"?year={date.today().year}&partnership={s.pair.pk}",
        xlsx=True,
        lists=((lambda s: f"{s.mark}科技创新局", SEE_A),),
    ),
    # --- Secondments (pages)
    P(
        "secondment_list",
        "GET",
        lambda s: _u("secondment_list") + f"?partnership={s.pair.pk}&year={date.today().year}",
        lists=((lambda s: f"{s.mark}刘挂职", SEE_A),),
    ),
    P(
        "secondment_detail",
        "GET",
        lambda s: _u("secondment_detail", s.secondment.pk),
        shows=lambda s: f"{s.mark}刘挂职",
    ),
    P(
        "secondment_create",
        "POST",
        lambda s: _u("secondment_create") + f"?partnership={s.pair.pk}",
        _secondment_form,
        done=_exists(Secondment, person_name=lambda s: "矩阵挂职"),
    ),
    P(
        "secondment_evaluate",
        "POST",
        lambda s: _u("secondment_evaluate", s.secondment.pk, "mid"),
        lambda s: {"evaluation": "进步明显", "rating": "good", "version": _v(s.secondment)},
        done=lambda s: Secondment.objects.get(pk=s.secondment.pk).mid_rating == "good",
    ),
    P(
        "secondment_cancel",
        "POST",
        lambda s: _u("secondment_cancel", s.secondment.pk),
        lambda s: {"reason": "工作调整", "version": _v(s.secondment)},
        done=lambda s: Secondment.objects.get(pk=s.secondment.pk).cancelled,
    ),
    # --- Trainings (pages)
    P(
        "training_list",
        "GET",
        lambda s: _u("training_list"),
        lists=((lambda s: f"{s.mark}招商实务培训", SEE_A),),
    ),
    P(
        "training_detail",
        "GET",
        lambda s: _u("training_detail", s.training.pk),
        shows=lambda s: f"{s.mark}招商实务培训",
    ),
    P(
        "training_create",
        "POST",
        lambda s: _u("training_create") + f"?partnership={s.pair.pk}",
        _training_form,
        done=_exists(Training, title=lambda s: "矩阵新培训"),
    ),
    P(
        "training_delete",
        "POST",
        lambda s: _u("training_delete", s.training.pk),
        done=_gone(Training, lambda s: s.training),
    ),
    P(
        "person_training",
        "GET",
        lambda s: _u("person_training") + f"?name={s.mark}周某&unit=经开区",
        shows=lambda s: f"{s.mark}招商实务培训",
    ),
    # --- Inspection visits (pages)
    P(
        "visit_list",
        "GET",
        lambda s: _u("visit_list"),
        lists=(
            (lambda s: f"{s.mark}鱼复工业园", f"{SEE_A} ent"),
            (lambda s: f"{s.mark}万州经开区", SEE_A),
        ),
    ),
    P(
        "visit_detail",
        "GET",
        lambda s: _u("visit_detail", s.visit.pk),
        shows=lambda s: f"{s.mark}鱼复工业园",
    ),
    P(
        "visit_create",
        "POST",
        lambda s: _u("visit_create") + f"?partnership={s.pair.pk}",
        _visit_form,
        done=_exists(InspectionVisit, destination=lambda s: "矩阵新考察地"),
    ),
    P(
        "visit_delete",
        "POST",
        lambda s: _u("visit_delete", s.visit.pk),
        done=_gone(InspectionVisit, lambda s: s.visit),
    ),
]

# --- The API
_PAIRS, _CONTACTS, _SEC = f"{API}/department-pairs/", f"{API}/work-contacts/", f"{API}/secondments/"
_TRAIN, _VISITS = f"{API}/trainings/", f"{API}/inspection-visits/"
PROBES += [
    P("api_pairs", "GET", lambda s: _PAIRS, api=True,
      lists=((lambda s: s.dpair.pk, SEE_A),)),
    P("api_pair", "GET", lambda s: f"{_PAIRS}{s.dpair.pk}/", api=True,
      shows=lambda s: f'"id": {s.dpair.pk}'),
    P("api_pairs", "POST", lambda s: _PAIRS, api=True, ok=(201,),
      data=lambda s: {"partnership": s.pair.pk, **_pair_form(s)},
      done=_exists(DepartmentPair, partner_unit=lambda s: s.new_par_unit)),
    P("api_pair_end", "POST", lambda s: f"{_PAIRS}{s.free_pair.pk}/end/", api=True, ok=(200,),
      data=lambda s: {"ended_on": "2025-06-30"},
      done=lambda s: DepartmentPair.objects.get(pk=s.free_pair.pk).ended_on is not None),
    P("api_contacts", "GET", lambda s: _CONTACTS, api=True,
      lists=((lambda s: s.contact.pk, SEE_A),)),
    P("api_contact", "GET", lambda s: f"{_CONTACTS}{s.contact.pk}/", api=True,
      shows=lambda s: f"{s.mark}汽车零部件配套对接"),
    P("api_contacts", "POST", lambda s: _CONTACTS, _contact_api, api=True, ok=(201,),
      done=_exists(WorkContact, topics=lambda s: "矩阵新记录的议题")),
    P("api_contact_confirm", "POST", lambda s: f"{_CONTACTS}{s.contact.pk}/confirm/",
      api=True, ok=(200,),
      done=lambda s: _status(s.contact) == WorkContact.Status.CONFIRMED),
    P("api_contact_return", "POST", lambda s: f"{_CONTACTS}{s.contact.pk}/return/",
      lambda s: {"reason": "日期有误"}, api=True, ok=(200,),
      done=lambda s: _status(s.contact) == WorkContact.Status.RETURNED),
    P("api_contact_resubmit", "POST", lambda s: f"{_CONTACTS}{s.returned.pk}/resubmit/",
      lambda s: {"topics": "矩阵改写的议题"}, api=True, ok=(200,),
      done=lambda s: _status(s.returned) == WorkContact.Status.AWAITING),
    P("api_follow_up_task", "POST", lambda s: f"{API}/follow-up-actions/{s.action.pk}/task/",
      api=True, ok=(201,),
      done=lambda s: FollowUpAction.objects.get(pk=s.action.pk).task_id is not None),
    P("api_compliance_grid", "GET",
      lambda s: f"{API}/pairing-compliance/{s.pair.pk}/grid/?year={date.today().year}",
      api=True, shows=lambda s: f"{s.mark}科技创新局"),
    P("api_secondments", "GET", lambda s: _SEC, api=True,
      lists=((lambda s: s.secondment.pk, SEE_A),)),
    P("api_secondment", "GET", lambda s: f"{_SEC}{s.secondment.pk}/", api=True,
      shows=lambda s: f"{s.mark}刘挂职"),
    P("api_secondments", "POST", lambda s: _SEC, api=True, ok=(201,),
      data=lambda s: {"partnership": s.pair.pk, **_secondment_form(s)},
      done=_exists(Secondment, person_name=lambda s: "矩阵挂职")),
    P("api_secondment_evaluate", "POST", lambda s: f"{_SEC}{s.secondment.pk}/evaluate/",
      lambda s: {"stage": "mid", "evaluation": "进步明显", "rating": "good"}, api=True,
      ok=(200,), done=lambda s: Secondment.objects.get(pk=s.secondment.pk).mid_rating == "good"),
    P("api_secondment_cancel", "POST", lambda s: f"{_SEC}{s.secondment.pk}/cancel/",
      lambda s: {"reason": "工作调整"}, api=True, ok=(200,),
      done=lambda s: Secondment.objects.get(pk=s.secondment.pk).cancelled),
    P("api_trainings", "GET", lambda s: _TRAIN, api=True,
      lists=((lambda s: s.training.pk, SEE_A),)),
    P("api_training", "GET", lambda s: f"{_TRAIN}{s.training.pk}/", api=True,
      shows=lambda s: f"{s.mark}招商实务培训"),
    P("api_trainings", "POST", lambda s: _TRAIN, api=True, ok=(201,),
      data=lambda s: {"partnership": s.pair.pk, "title": "矩阵新培训", "held_on": "2026-07-01",
                      "attendees": [{"name": "吴某", "unit_name": "投资促进中心",
                                     "side": "partner", "hours": "2.5"}]},
      done=_exists(Training, title=lambda s: "矩阵新培训")),
    P("api_training", "DELETE", lambda s: f"{_TRAIN}{s.training.pk}/", api=True, ok=(204,),
      done=_gone(Training, lambda s: s.training)),
    P("api_visits", "GET", lambda s: _VISITS, api=True,
      lists=((lambda s: s.visit.pk, f"{SEE_A} ent"), (lambda s: s.other_visit.pk, SEE_A))),
    P("api_visit", "GET", lambda s: f"{_VISITS}{s.visit.pk}/", api=True,
      shows=lambda s: f"{s.mark}鱼复工业园"),
    P("api_visits", "POST", lambda s: _VISITS, api=True, ok=(201,),
      data=lambda s: {"partnership": s.pair.pk, **_visit_form(s)},
      done=_exists(InspectionVisit, destination=lambda s: "矩阵新考察地")),
    P("api_visit", "DELETE", lambda s: f"{_VISITS}{s.visit.pk}/", api=True, ok=(204,),
      done=_gone(InspectionVisit, lambda s: s.visit)),
]  # fmt: skip

PROBE_BY_KEY = {f"{p.method} {p.id}": p for p in PROBES}

# --- The table -------------------------------------------------------------------------
#
# Expected status per role, in the order of ROLES. Pages: 200 shown (or a form back with
# its errors), 302 done (or, for anon, sent to sign-in), 403 refused on a visible object,
# 404 out of scope. API: 201 created, 204 deleted, 401 not signed in.

MATRIX = {
    #                                crd wzc dst pst ldr prg ent adm aud c_b o_p ano
    "GET pair_list": "200 200 200 200 200 200 404 200 404 200 200 302",
    "GET pair_detail": "200 200 200 200 200 200 404 200 404 404 404 302",
    "GET pair_create": "200 200 403 403 403 200 404 403 404 404 404 302",
    "POST pair_create": "302 302 403 403 403 302 404 403 404 404 404 302",
    "POST pair_edit": "302 302 403 403 403 302 404 403 404 404 404 302",
    "POST pair_end": "302 302 403 403 403 302 404 403 404 404 404 302",
    "POST pair_delete": "302 302 403 403 403 302 404 403 404 404 404 302",
    "GET settings": "200 200 403 403 403 200 404 403 404 404 404 302",
    "POST settings": "302 302 403 403 403 302 404 403 404 404 404 302",
    "GET contact_list": "200 200 200 200 200 200 404 200 404 200 200 302",
    "GET contact_detail": "200 200 200 200 200 200 404 200 404 404 404 302",
    # prog: a programme coordinator names the side it records for; the form without it
    # comes back with that error (400) and nothing is written.
    "POST contact_create": "302 302 302 302 403 400 404 403 404 404 403 302",
    "POST contact_edit": "302 403 302 403 403 403 404 403 404 404 404 302",
    "POST contact_confirm": "403 302 403 302 403 403 404 403 404 404 404 302",
    "POST contact_return": "403 302 403 302 403 403 404 403 404 404 404 302",
    "POST contact_resubmit": "302 403 302 403 403 403 404 403 404 404 404 302",
    "POST follow_up_add": "302 302 302 302 403 302 404 403 404 404 404 302",
    "POST follow_up_task": "302 302 403 403 403 302 404 403 404 404 404 302",
    "POST attachment_upload": "302 302 302 302 403 302 404 403 404 404 404 302",
    "GET compliance": "200 200 200 200 200 200 404 200 404 200 200 302",
    "GET contact_export": "200 200 200 200 200 200 404 200 404 200 200 302",
    "GET compliance_export": "200 200 200 200 200 200 404 200 404 200 200 302",
    "GET secondment_list": "200 200 200 200 200 200 200 200 200 200 200 302",
    "GET secondment_detail": "200 200 200 200 200 200 404 200 404 404 404 302",
    "POST secondment_create": "302 302 403 403 403 302 403 403 404 404 404 302",
    "POST secondment_evaluate": "302 302 302 403 403 302 404 403 404 404 404 302",
    "POST secondment_cancel": "302 302 403 403 403 302 404 403 404 404 404 302",
    "GET training_list": "200 200 200 200 200 200 200 200 200 200 200 302",
    "GET training_detail": "200 200 200 200 200 200 404 200 404 404 404 302",
    "POST training_create": "302 302 302 302 403 302 403 403 404 404 404 302",
    "POST training_delete": "302 302 302 302 403 302 404 403 404 404 404 302",
    "GET person_training": "200 200 200 200 200 200 404 200 404 404 404 302",
    "GET visit_list": "200 200 200 200 200 200 200 200 200 200 200 302",
    "GET visit_detail": "200 200 200 200 200 200 200 200 404 404 404 302",
    # coord, dev_staff: 万州's unshared enterprise is no choice of theirs: the form comes back.
    "POST visit_create": "200 302 200 302 403 302 403 403 404 404 404 302",
    "POST visit_delete": "302 302 302 302 403 302 403 403 404 404 404 302",
    "GET api_pairs": "200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api_pair": "200 200 200 200 200 200 404 200 404 404 404 401",
    "POST api_pairs": "201 201 403 403 403 201 403 403 403 400 400 401",
    "POST api_pair_end": "200 200 403 403 403 200 404 403 404 404 404 401",
    "GET api_contacts": "200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api_contact": "200 200 200 200 200 200 404 200 404 404 404 401",
    "POST api_contacts": "201 201 201 201 403 400 403 403 403 400 400 401",
    "POST api_contact_confirm": "403 200 403 200 403 403 404 403 404 404 404 401",
    "POST api_contact_return": "403 200 403 200 403 403 404 403 404 404 404 401",
    "POST api_contact_resubmit": "200 403 200 403 403 403 404 403 404 404 404 401",
    "POST api_follow_up_task": "201 201 403 403 403 201 404 403 404 404 404 401",
    "GET api_compliance_grid": "200 200 200 200 200 200 404 200 404 404 404 401",
    "GET api_secondments": "200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api_secondment": "200 200 200 200 200 200 404 200 404 404 404 401",
    "POST api_secondments": "201 201 403 403 403 201 403 403 403 400 400 401",
    "POST api_secondment_evaluate": "200 200 200 403 403 200 404 403 404 404 404 401",
    "POST api_secondment_cancel": "200 200 403 403 403 200 404 403 404 404 404 401",
    "GET api_trainings": "200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api_training": "200 200 200 200 200 200 404 200 404 404 404 401",
    "POST api_trainings": "201 201 201 201 403 201 403 403 403 400 400 401",
    "DELETE api_training": "204 204 204 204 403 204 404 403 404 404 404 401",
    "GET api_visits": "200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api_visit": "200 200 200 200 200 200 200 200 404 404 404 401",
    "POST api_visits": "400 201 400 201 403 201 403 403 403 400 400 401",
    "DELETE api_visit": "204 204 204 204 403 204 403 403 404 404 404 401",
}


def expected(key: str, role: str) -> int:
    return int(MATRIX[key].split()[ROLES.index(role)])


def _case(probe: Probe, role: str):
    key = f"{probe.method} {probe.id}"
    return pytest.param(key, role, id=f"{role}-{key}".replace(" ", "-"))


CASES = [_case(probe, role) for probe in PROBES for role in ROLES]


# --- Running a cell ----------------------------------------------------------------------


def request(client, api, probe: Probe, s: SimpleNamespace, user):
    """Send the probe for the objects ``s`` as ``user`` (None: anonymous)."""
    path = probe.path(s)
    data = probe.data(s) if probe.data else {}
    if probe.api:
        forget(user)
        api.force_authenticate(user)
        return getattr(api, probe.method.lower())(path, data, format="json")
    client.cookies.clear()
    if user is not None:
        client.force_login(user)
    if probe.method == "GET":
        return client.get(path)
    return client.post(path, data)


def content_of(response, probe: Probe) -> str:
    if probe.api:
        return json.dumps(response.json(), ensure_ascii=False)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if probe.xlsx:
        assert body.startswith(b"PK"), body[:20]
        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return body.decode("utf-8", "replace")


@pytest.mark.parametrize(("key", "role"), CASES)
def test_matrix(key, role, cast, sides, client, api):
    probe = PROBE_BY_KEY[key]
    a = sides["A"]
    user = cast[role]
    want = expected(key, role)
    response = request(client, api, probe, a, user)
    assert response.status_code == want, f"{key} as {role}: {response.status_code} != {want}"
    if role == "anon" and not probe.api:
        assert response["Location"].startswith(reverse("login")), response["Location"]
    if probe.done is not None:
        succeeded = want in probe.ok and role != "anon"
        assert probe.done(a) == succeeded, f"{key} as {role}: the write happened: {not succeeded}"
    if want != 200:
        return
    text = content_of(response, probe)
    if role not in READS_B:
        leaked = [mark for mark in B_MARKS if mark in text]
        assert not leaked, f"pair B leaked to {role}: {leaked}"
    if role not in READS_A | {"ent"}:
        leaked = [mark for mark in A_MARKS if mark in text]
        assert not leaked, f"pair A leaked to {role}: {leaked}"
    if probe.shows is not None:
        assert str(probe.shows(a)) in text, f"{key} as {role}: does not show its object"
    for what, seen_by in probe.lists:
        _check_list(probe, role, response, text, sides, what, seen_by)


def _check_list(probe: Probe, role: str, response, text, sides, what, seen_by: str) -> None:
    a, b = sides["A"], sides["B"]
    if probe.api:
        body = response.json()
        assert body["count"] == len(body["results"]), "counted rows that are not shown"
        found = {row["id"] for row in body["results"]}
    else:
        found = text
    assert (what(a) in found) == (role in seen_by.split()), f"{probe.id}: {what(a)} for {role}"
    if role not in READS_B:
        assert what(b) not in found, f"{probe.id}: pair B's {what(b)} shown to {role}"


def test_the_table_covers_every_probe():
    assert set(MATRIX) == set(PROBE_BY_KEY)
    assert all(len(row.split()) == len(ROLES) for row in MATRIX.values())


# --- Pair A's people and pair B's objects -------------------------------------------------

PAIR_A_ROLES = ["coord", "wz_coord", "dev_staff", "par_staff", "leader", "ent"]


@pytest.mark.parametrize("role", [*PAIR_A_ROLES, "other_prog"])
def test_every_object_of_pair_b_is_404_for_pair_a_people_and_stays_unchanged(
    role, cast, sides, client, api
):
    a, b = sides["A"], sides["B"]
    probed = 0
    for probe in PROBES:
        if probe.path(a) == probe.path(b) or "?" in probe.path(a):
            continue  # the URL names no object of the pair
        before = probe.done(b) if probe.done else None
        response = request(client, api, probe, b, cast[role])
        assert response.status_code == 404, f"{probe.method} {probe.id}: {response.status_code}"
        if probe.done is not None:
            assert probe.done(b) == before, f"{probe.method} {probe.id} changed pair B's object"
        probed += 1
    assert probed > 30
