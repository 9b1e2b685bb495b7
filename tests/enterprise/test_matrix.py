"""Who may do what in enterprise collaboration: one table of every page and API endpoint × role.

Pattern of ``tests/conference/test_matrix.py``: the table states the expected status of each
endpoint for each role, each cell is a test, and each cell checks the effect too. The
objects the probes aim at belong to pair A (两江新区 ↔ 万州区); a twin set belongs to pair B
(渝中区 ↔ 城口县, same programme). Networking events have their own tests.

The roles (columns of the table):

- ``prog``      programme coordinator of the programme of pairs A and B
- ``coord``     partnership coordinator of pair A, 两江新区 side
- ``lj_staff``  department staff of 两江新区 (reviewer of the 两江 side)
- ``wz_staff``  department staff of 万州区 (reviewer of the 万州 side)
- ``wz_ent``    enterprise user of 万州区, keeps 甲方测试企业 (the poster of the postings)
- ``lj_ent``    enterprise user of 两江新区, keeps 甲方共享电子公司 (a match's counterpart)
- ``leader``    leader of pair A (reads, never writes)
- ``sector``    sector group member of pair A, 两江新区 side (reads here)
- ``admin``     system administrator: reads everything for support, no business act (403)
- ``audit``     security auditor: reads the audit log and nothing here (404)
- ``coord_b``   partnership coordinator of pair B (渝中区 side)
- ``other_prog`` programme coordinator of another programme
- ``anon``      not signed in: pages send to sign-in (302), the API answers 401

The rules (docs/enterprise.md, ``queries.py``, ``postings.py``, ``matches.py``): a record
belongs to a side and is seen by the other side only when shared; an enterprise user sees
its own enterprise's records and the other side's shared ones; staff and coordinators of a
side create and change its records, coordinators delete; an enterprise user proposes changes
to its own profile and staff of its side review them (never the proposer); the posting's
side reviews it (never its poster); the poster or its side's staff close, renew and answer
interest; staff of the pair and the parties move matches. Personal data is masked except to
those entitled, and every unmask leaves a ``SecurityEvent`` of kind ``unmask``.

Each cell: the status; for a write, whether the row changed (it does exactly when the status
is a success); for a page or answer read, that it names nothing of pair B (unless the role
reads pair B) nor of pair A (when the role reads nothing of it), that lists hold exactly the
rows the role may see, and that clear personal data appears only for the roles entitled
(audited where the docs say so).

To add an endpoint: add a ``Probe`` to ``PROBES`` and a line to ``MATRIX``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.matrix import MatrixClient, forget, web_client
from xietong.core.models import Role, SecurityEvent
from xietong.enterprise import forms as eforms
from xietong.enterprise import postings, services
from xietong.enterprise.models import (
    ChangeRequest,
    Contact,
    Enterprise,
    ImportJob,
    IndustryCode,
    Interest,
    MainProduct,
    Match,
    MatchEvent,
    Posting,
    Product,
    Project,
    Suggestion,
    Talent,
    Technology,
)

from ..factories import (
    MembershipFactory,
    OrgUnitFactory,
    PartnershipFactory,
    ProgrammeFactory,
    RegionFactory,
    UserFactory,
)
from .conftest import credit_code, row, workbook

ROLES = (
    "prog", "coord", "lj_staff", "wz_staff", "wz_ent", "lj_ent", "leader", "sector",
    "admin", "audit", "coord_b", "other_prog", "anon",
)  # fmt: skip
# Who reads something of pair A / of pair B here at all.
READS_A = {"prog", "coord", "lj_staff", "wz_staff", "wz_ent", "lj_ent", "leader", "sector", "admin"}
READS_B = {"prog", "admin", "coord_b"}
A_MARKS = ("甲方", "两江新区", "万州区")
B_MARKS = ("乙方", "渝中区", "城口县")

ENT_PHONE = "13812341234"  # every enterprise contact's phone
TALENT_PHONE = "13900001111"
POSTING_PHONE = "13987654321"
CLEAR = (ENT_PHONE, TALENT_PHONE, POSTING_PHONE)
HELP_TEXTS = ("渝北区、万州区", "渝北区, 万州区")

# Who sees which record of pair A (space-separated roles).
SEE_WZ_OWN = "prog wz_staff wz_ent leader admin"  # 万州's unshared enterprise and its records
SEE_WZ_TALENT = "prog wz_staff leader admin"  # 万州's unshared talent (no enterprise)
SEE_LJ_INTERNAL = "prog coord lj_staff leader sector admin"  # 两江's unshared records
SEE_SHARED = "prog coord lj_staff wz_staff wz_ent lj_ent leader sector admin"
SEE_WZ_SHARED = "prog coord lj_staff wz_staff lj_ent leader sector admin"  # not own-side ent
SEE_SUBMITTED = "prog wz_staff wz_ent leader admin"  # the 万州 side, whole-pair readers
SEE_DRAFT = "wz_ent admin"  # nobody else's draft
POSTER_SIDE = "wz_staff wz_ent"  # see the poster's contact in clear (not an unmask)


# --- The world of the matrix ----------------------------------------------------------


def _contact(ent: Enterprise) -> Contact:
    return Contact.objects.create(
        enterprise=ent, name="张三丰", position="总经理", phone=ENT_PHONE, email="zhang@example.cn"
    )


def _records(pair, mark: str, n: int) -> SimpleNamespace:
    """The five databases' records of one pair, each name carrying the pair's mark."""
    dev, partner = pair.developed_side, pair.partner_side
    code = IndustryCode.objects.get(code="3670")
    s = SimpleNamespace(pair=pair, dev=dev, partner=partner, mark=mark)

    def firm(k, name, side, shared):
        ent = Enterprise.objects.create(
            partnership=pair, side=side, name=f"{mark}{name}", credit_code=credit_code(n + k),
            shared=shared,
        )  # fmt: skip
        ent.industries.set([code])
        s.contacts[k] = _contact(ent)
        return ent

    s.contacts = {}
    s.dev_internal = firm(1, "内部汽车部件公司", dev, False)
    s.dev_own = firm(2, "共享电子公司", dev, True)  # the 两江 enterprise user's own
    s.dev_match = firm(3, "配套机电公司", dev, True)  # a suggestion's counterpart
    s.partner_own = firm(4, "测试锅炉公司", partner, False)  # the 万州 enterprise user's own
    s.partner_shared = firm(5, "共享食品公司", partner, True)
    s.free_enterprise = firm(6, "待注销企业", dev, False)
    s.contact = s.contacts[4]
    MainProduct.objects.create(enterprise=s.partner_own, position=1, name="锅炉")
    MainProduct.objects.create(enterprise=s.dev_own, position=1, name="不锈钢焊管")
    s.product = Product.objects.create(
        partnership=pair, side=partner, enterprise=s.partner_own, name=f"{mark}内部产品",
        category="锅炉",
    )  # fmt: skip
    s.free_product = Product.objects.create(
        partnership=pair, side=dev, enterprise=s.dev_internal, name=f"{mark}待删产品",
        category="汽车零部件",
    )  # fmt: skip
    s.project = Project.objects.create(
        partnership=pair, side=partner, enterprise=s.partner_own, name=f"{mark}内部项目",
        kind="cooperation",
    )  # fmt: skip
    s.free_project = Project.objects.create(
        partnership=pair, side=dev, name=f"{mark}待删项目", kind="investment"
    )
    s.technology = Technology.objects.create(
        partnership=pair, side=partner, enterprise=s.partner_own, name=f"{mark}内部技术",
        field="热能", maturity="pilot", owner=f"{mark}测试锅炉公司",
    )  # fmt: skip
    s.free_technology = Technology.objects.create(
        partnership=pair, side=dev, name=f"{mark}待删技术", field="电子", maturity="research",
        owner="两江研究院",
    )  # fmt: skip
    s.talent = Talent.objects.create(
        partnership=pair, side=partner, name="李工程师", kind="expert",
        fields=f"{mark}汽车电子", availability="consulting", phone=TALENT_PHONE,
        email="li@example.cn",
    )  # fmt: skip
    s.free_talent = Talent.objects.create(
        partnership=pair, side=dev, name="赵技师", kind="skilled", fields=f"{mark}待删焊接",
        availability="part_time", phone="13900002222",
    )  # fmt: skip
    return s


def _workflow(s: SimpleNamespace, people: dict) -> None:
    """Postings in each state, an interest, a suggestion, a match, a change request and an
    import job of one pair (its 万州-like partner side posts)."""
    today = timezone.localdate()
    poster, reviewer = people["partner_ent"], people["partner_staff"]

    def posting(title, **over):
        values = {
            "partnership": s.pair, "side": s.partner, "enterprise": s.partner_own,
            "kind": Posting.Kind.ORDER, "direction": Posting.Direction.DEMAND,
            "title": f"{s.mark}{title}", "subject": "焊管", "quantity": 500, "unit": "吨",
            "delivery_period": "2027年6月前", "valid_from": today,
            "valid_until": today + timedelta(days=60), "contact_name": "王经理",
            "contact_phone": POSTING_PHONE, "contact_email": "wang@example.cn",
        }  # fmt: skip
        values.update(over)
        return postings.create(poster, Posting(**values))

    s.draft = posting("草稿需求")
    s.submitted = postings.submit(poster, posting("待审需求"))
    s.published = posting("采购焊管一批")
    # Published without computing suggestions (the engine is not needed to build the world).
    Posting.objects.filter(pk=s.published.pk).update(
        status=Posting.Status.PUBLISHED, published_at=timezone.now(), reviewed_by=reviewer
    )
    s.published.refresh_from_db()
    s.interest = Interest.objects.create(
        posting=s.published, user=people["interested"], enterprise=s.dev_match,
        message=f"{s.mark}有意供货",
    )  # fmt: skip
    s.suggestion = Suggestion.objects.create(
        posting=s.published, enterprise=s.dev_match, rank=1, score=0.9, partner_side=True,
        match={"how": "exact", "term": "焊管", "product": "焊管", "product_rank": 1,
               "field": "products", "target": "enterprise"},
    )  # fmt: skip
    s.match = Match.objects.create(
        posting=s.published, enterprise=s.dev_own, created_by=reviewer,
        explanation="主营产品匹配", follow_up_asked_on=today,
    )  # fmt: skip
    MatchEvent.objects.create(match=s.match, actor=reviewer, to_status=s.match.status)
    s.change = services.submit_change(
        poster, s.partner_own, {"description": f"{s.mark}拟更新的企业简介", "industries": ["3670"]}
    )
    s.import_job = ImportJob.objects.create(
        user=reviewer, partnership=s.pair, side=s.partner, filename=f"{s.mark}企业名录.xlsx",
        status=ImportJob.Status.DONE, rows_total=1,
        result={"created": 1, "updated": 0, "unchanged": 0, "errors": []},
        finished_at=timezone.now(),
    )  # fmt: skip


def _user(name: str, role, **where):
    user = UserFactory(username=f"em_{name}", full_name=f"{name}用户")
    MembershipFactory(user=user, role=role, **where)
    return user


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory):
    """The people and the records of both pairs, built once for the module inside one
    transaction rolled back at the end; each test runs in a savepoint of it."""
    var = tmp_path_factory.mktemp("var")
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=hashers, VAR_DIR=var):
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
    units = {
        "lj": OrgUnitFactory(region=lj, name="产业促进局"),
        "wz": OrgUnitFactory(region=wz, name="区经济信息委"),
        "yz": OrgUnitFactory(region=yz, name="区发展改革委"),
        "ck": OrgUnitFactory(region=ck, name="县经济信息委"),
    }
    a = _records(pair_a, "甲方", 100)
    b = _records(pair_b, "乙方", 200)
    E, DS = Role.ENTERPRISE_USER, Role.DEPARTMENT_STAFF
    cast = {
        "prog": _user("prog", Role.PROGRAMME_COORDINATOR, programme=programme),
        "coord": _user("coord", Role.PARTNERSHIP_COORDINATOR, partnership=pair_a, region=lj),
        "lj_staff": _user("lj_staff", DS, org_unit=units["lj"]),
        "wz_staff": _user("wz_staff", DS, org_unit=units["wz"]),
        "wz_ent": _user("wz_ent", E, region=wz, enterprise=a.partner_own,
                        enterprise_name=a.partner_own.name),
        "lj_ent": _user("lj_ent", E, region=lj, enterprise=a.dev_own,
                        enterprise_name=a.dev_own.name),
        "leader": _user("leader", Role.LEADER, partnership=pair_a),
        "sector": _user("sector", Role.SECTOR_GROUP_MEMBER, partnership=pair_a, region=lj,
                        sector="工业制造"),
        "admin": _user("admin", Role.SYSTEM_ADMIN),
        "audit": _user("audit", Role.SECURITY_AUDITOR),
        "coord_b": _user("coord_b", Role.PARTNERSHIP_COORDINATOR, partnership=pair_b, region=yz),
        "other_prog": _user("other_prog", Role.PROGRAMME_COORDINATOR, programme=other),
        "anon": None,
    }  # fmt: skip
    extra_a = {
        "partner_ent": cast["wz_ent"],
        "partner_staff": cast["wz_staff"],
        "interested": _user("a_interested", E, region=lj, enterprise=a.dev_match,
                            enterprise_name=a.dev_match.name),
    }  # fmt: skip
    extra_b = {
        "partner_ent": _user("b_ent", E, region=ck, enterprise=b.partner_own,
                             enterprise_name=b.partner_own.name),
        "partner_staff": _user("b_staff", DS, org_unit=units["ck"]),
        "interested": _user("b_interested", E, region=yz, enterprise=b.dev_match,
                            enterprise_name=b.dev_match.name),
    }  # fmt: skip
    _workflow(a, extra_a)
    _workflow(b, extra_b)
    a.interested, b.interested = extra_a["interested"], extra_b["interested"]
    for user in [*cast.values(), *extra_a.values(), *extra_b.values()]:
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


# --- Form data -------------------------------------------------------------------------


def _form_data(form_class, obj, **changes) -> dict:
    """What a page's form posts for ``obj`` (its current values), with ``changes``."""
    staff = obj.side  # any user fits: the values are the instance's
    form = form_class(instance=obj, user=_FORM_USER.get(staff.pk))
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif value is None:
            data[name] = ""
        elif isinstance(value, bool):
            data[name] = "on" if value else ""
        else:
            data[name] = getattr(value, "pk", value)
    data["expected_version"] = obj.version
    data.update(changes)
    return {k: v for k, v in data.items() if v != "" or k in changes}


_FORM_USER: dict = {}  # side id -> a user whose forms offer that side (set by the fixture)


@pytest.fixture(autouse=True)
def _form_users(matrix, db):
    a = matrix.sides["A"]
    _FORM_USER[a.partner.pk] = matrix.cast["wz_staff"]
    _FORM_USER[a.dev.pk] = matrix.cast["coord"]


def _formsets(ent: Enterprise) -> dict:
    data = {"products-TOTAL_FORMS": "0", "products-INITIAL_FORMS": "0"}
    contacts = list(ent.contacts.all())
    data.update({"contacts-TOTAL_FORMS": str(len(contacts)), "contacts-INITIAL_FORMS": "0"})
    for i, c in enumerate(contacts):
        data.update({f"contacts-{i}-name": c.name, f"contacts-{i}-position": c.position,
                     f"contacts-{i}-phone": c.phone, f"contacts-{i}-email": c.email})  # fmt: skip
    for i, p in enumerate(ent.main_products.all()):
        data[f"products-{i}-name"] = p.name
        data["products-TOTAL_FORMS"] = str(i + 1)
    return data


def _new_record(kind: str, s) -> dict:
    """A new record of the 万州 side of the pair, as its create page posts it."""
    side = {"partnership": s.pair.pk, "side": s.partner.pk}
    return {
        "enterprise": {**side, "name": "新建万州企业", "credit_code": credit_code(990),
                       "industries": "3670", "size_class": "below"},
        "product": {"enterprise": s.partner_own.pk, "name": "新建产品", "category": "锅炉"},
        "project": {**side, "name": "新建项目", "kind": "investment", "stage": "planned"},
        "technology": {**side, "name": "新建技术", "field": "热能", "maturity": "pilot",
                       "owner": "万州研究院"},
        "talent": {**side, "name": "孙工", "kind": "expert", "fields": "新建人才领域",
                   "availability": "consulting"},
    }[kind]  # fmt: skip


NEW_NAME = {"enterprise": "新建万州企业", "product": "新建产品", "project": "新建项目",
            "technology": "新建技术", "talent": "孙工"}  # fmt: skip
MODELS = {"enterprise": Enterprise, "product": Product, "project": Project,
          "technology": Technology, "talent": Talent}  # fmt: skip
FORMS = {"enterprise": eforms.EnterpriseForm, "product": eforms.ProductForm,
         "project": eforms.ProjectForm, "technology": eforms.TechnologyForm,
         "talent": eforms.TalentForm}  # fmt: skip
TARGET = {"enterprise": "partner_own", "product": "product", "project": "project",
          "technology": "technology", "talent": "talent"}  # fmt: skip
API_NAME = {"enterprise": "enterprises", "product": "products", "project": "projects",
            "technology": "technologies", "talent": "talent"}  # fmt: skip


def _target(kind, s):
    return getattr(s, TARGET[kind])


def _free(kind, s):
    return getattr(s, f"free_{kind}")


def _edit_data(kind, s) -> dict:
    obj = _target(kind, s)
    data = _form_data(FORMS[kind], obj, description="矩阵修改的说明")
    if kind == "enterprise":
        data.update(_formsets(obj))
    return data


def _changed(kind, s, text="矩阵修改的说明") -> bool:
    return MODELS[kind].objects.get(pk=_target(kind, s).pk).description == text


def _posting_form(s, where: str, **changes) -> dict:
    today = timezone.localdate()
    data = {
        "where": where, "kind": "order", "direction": "demand", "title": "矩阵新需求",
        "subject": "轴承", "quantity": "100", "unit": "套", "delivery_period": "三个月内",
        "valid_from": today.isoformat(), "valid_until": (today + timedelta(days=30)).isoformat(),
        "visibility": "both", "contact_name": "周经理", "contact_phone": "13611112222",
        "contact_email": "",
    }  # fmt: skip
    data.update(changes)
    return data


def _posting_json(s) -> dict:
    today = timezone.localdate()
    return {
        "partnership": s.pair.pk, "side": s.partner.pk, "enterprise": s.partner_own.pk,
        "kind": "order", "direction": "demand", "title": "接口新需求", "subject": "轴承",
        "quantity": "100", "unit": "套", "delivery_period": "三个月内",
        "valid_from": today.isoformat(), "valid_until": (today + timedelta(days=30)).isoformat(),
        "visibility": "both", "contact_name": "周经理", "contact_phone": "13611112222",
    }  # fmt: skip


def _status(posting) -> str:
    return Posting.objects.get(pk=posting.pk).status


def _match(s) -> Match:
    return Match.objects.get(pk=s.match.pk)


def _unmasked(detail: str) -> bool:
    return SecurityEvent.objects.filter(kind=SecurityEvent.Kind.UNMASK, detail=detail).exists()


def _import_upload(name="矩阵导入.xlsx"):
    return SimpleUploadedFile(name, workbook([row(951, 企业名称="矩阵导入企业")]))


# --- Probes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One endpoint and method. ``path``/``data``/``done`` take one pair's objects."""

    id: str
    method: str
    path: Callable[[SimpleNamespace], str]
    data: Callable[[SimpleNamespace], dict] | None = None
    # For a write: has it happened? (True after a success, False after a refusal)
    done: Callable[[SimpleNamespace], bool] | None = None
    # For a read: a text the answer shows of the object (checked on a 200)
    shows: Callable[[SimpleNamespace], str] | None = None
    api: bool = False
    magic: bytes | None = None  # what a download starts with
    # A list: (what identifies a pair A row in the answer, the roles that see it) …
    lists: tuple[tuple[Callable[[SimpleNamespace], object], str], ...] = ()
    ok: tuple[int, ...] = (302,)  # the statuses of a write that succeeded
    # Roles that see personal data in clear in this answer, and whether that is audited
    clear: str = ""
    audited: bool = False
    # Roles that see the answer but not the object ``shows`` names (a counterpart out of
    # their scope): it must not be there.
    unseen: str = ""

    def __str__(self) -> str:
        return self.id


def _u(name: str, *args) -> str:
    return reverse(f"enterprise:{name}", args=args)


P, API = Probe, "/api/v1"
PROBES: list[Probe] = [
    P("index", "GET", lambda s: _u("index")),
    P(
        "industry_search",
        "GET",
        lambda s: _u("industry_search") + "?q=3670",
        shows=lambda s: "3670",
    ),
]

for _kind in ("enterprise", "product", "project", "technology", "talent"):
    _k = _kind
    _model = MODELS[_k]
    _see = SEE_WZ_TALENT if _k == "talent" else SEE_WZ_OWN
    _label = (
        (lambda s, k=_k: _target(k, s).fields)
        if _k == "talent"
        else (lambda s, k=_k: _target(k, s).name)
    )
    _free_label = (
        (lambda s, k=_k: _free(k, s).fields)
        if _k == "talent"
        else (lambda s, k=_k: _free(k, s).name)
    )
    _audited_edit = _k in ("enterprise", "talent")
    PROBES += [
        P(f"{_k}_list", "GET", lambda s, k=_k: _u(f"{k}_list"),
          lists=((_label, _see), (_free_label, SEE_LJ_INTERNAL))),
        P(f"{_k}_create", "GET", lambda s, k=_k: _u(f"{k}_create")),
        P(f"{_k}_create", "POST", lambda s, k=_k: _u(f"{k}_create"),
          data=lambda s, k=_k: _new_record(k, s),
          done=lambda s, k=_k, m=_model: m.objects.filter(
              name=NEW_NAME[k]).exists()),
        P(f"{_k}_detail", "GET", lambda s, k=_k: _u(f"{k}_detail", _target(k, s).pk),
          shows=_label),
        P(f"{_k}_edit", "GET", lambda s, k=_k: _u(f"{k}_edit", _target(k, s).pk),
          shows=_label, clear="wz_staff" if _audited_edit else "", audited=_audited_edit),
        P(f"{_k}_edit", "POST", lambda s, k=_k: _u(f"{k}_edit", _target(k, s).pk),
          data=lambda s, k=_k: _edit_data(k, s), done=lambda s, k=_k: _changed(k, s)),
        P(f"{_k}_delete", "GET", lambda s, k=_k: _u(f"{k}_delete", _free(k, s).pk)),
        P(f"{_k}_delete", "POST", lambda s, k=_k: _u(f"{k}_delete", _free(k, s).pk),
          done=lambda s, k=_k, m=_model: not m.objects.filter(pk=_free(k, s).pk).exists()),
        # The API
        P(f"api {_k}-list", "GET", lambda s, k=_k: f"{API}/{API_NAME[k]}/", api=True,
          lists=((lambda s, k=_k: _target(k, s).pk, _see),
                 (lambda s, k=_k: _free(k, s).pk, SEE_LJ_INTERNAL))),
        P(f"api {_k}", "GET", lambda s, k=_k: f"{API}/{API_NAME[k]}/{_target(k, s).pk}/",
          api=True, shows=_label),
        P(f"api {_k}-list", "POST", lambda s, k=_k: f"{API}/{API_NAME[k]}/", api=True,
          data=lambda s, k=_k: {
              **_new_record(k, s),
              **({"industries": ["3670"]} if k in ("enterprise",) else {})},
          ok=(201,),
          done=lambda s, k=_k, m=_model: m.objects.filter(name=NEW_NAME[k]).exists()),
        P(f"api {_k}", "PATCH", lambda s, k=_k: f"{API}/{API_NAME[k]}/{_target(k, s).pk}/",
          api=True, data=lambda s, k=_k: {"description": "接口修改的说明",
                                          "version": _target(k, s).version},
          ok=(200,), done=lambda s, k=_k: _changed(k, s, "接口修改的说明")),
        P(f"api {_k}", "DELETE", lambda s, k=_k: f"{API}/{API_NAME[k]}/{_free(k, s).pk}/",
          api=True, ok=(204,),
          done=lambda s, k=_k, m=_model: not m.objects.filter(pk=_free(k, s).pk).exists()),
    ]  # fmt: skip

PROBES += [
    # --- Personal data: the audited unmask
    P("unmask[contact]", "POST",
      lambda s: _u("unmask", "contact", s.contact.pk, "phone"), ok=(200,), clear="wz_staff wz_ent",
      done=lambda s: _unmasked(f"contact {s.contact.pk} of enterprise {s.partner_own.pk}: phone")),
    P("unmask[talent]", "POST", lambda s: _u("unmask", "talent", s.talent.pk, "phone"),
      ok=(200,), clear="wz_staff",
      done=lambda s: _unmasked(f"talent {s.talent.pk}: phone")),
    P("api enterprise unmask", "POST",
      lambda s: f"{API}/enterprises/{s.partner_own.pk}/unmask/", api=True, ok=(200,),
      data=lambda s: {"contact": s.contact.pk, "field": "phone"}, clear="wz_staff wz_ent",
      done=lambda s: _unmasked(f"contact {s.contact.pk} of enterprise {s.partner_own.pk}: phone")),
    P("api talent unmask", "POST", lambda s: f"{API}/talent/{s.talent.pk}/unmask/", api=True,
      data=lambda s: {"field": "phone"}, ok=(200,), clear="wz_staff",
      done=lambda s: _unmasked(f"talent {s.talent.pk}: phone")),
    # --- The enterprise's profile and its review
    P("profile", "GET", lambda s: _u("profile"), clear="wz_ent lj_ent", audited=True),
    # 万州's user has a request waiting (the form comes back), 两江's proposes one.
    P("profile", "POST", lambda s: _u("profile"),
      data=lambda s: {"name": "矩阵拟改名称", "size_class": "below", "industries": "3670",
                      "products-TOTAL_FORMS": "0", "products-INITIAL_FORMS": "0",
                      "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0"},
      done=lambda s: ChangeRequest.objects.filter(
          status="pending", proposed__name="矩阵拟改名称").exists()),
    P("change_list", "GET", lambda s: _u("change_list"),
      lists=((lambda s: s.partner_own.name, "wz_staff wz_ent admin"),)),
    P("change_detail", "GET", lambda s: _u("change_detail", s.change.pk),
      shows=lambda s: f"{s.mark}拟更新的企业简介"),
    P("change_detail[approve]", "POST", lambda s: _u("change_detail", s.change.pk),
      data=lambda s: {"decision": "approve", "reason": ""},
      done=lambda s: Enterprise.objects.get(pk=s.partner_own.pk).description
      == f"{s.mark}拟更新的企业简介"),
    P("change_detail[reject]", "POST", lambda s: _u("change_detail", s.change.pk),
      data=lambda s: {"decision": "reject", "reason": "信息不实"},
      done=lambda s: ChangeRequest.objects.get(pk=s.change.pk).status == "rejected"),
    # --- Import (for the 万州 side of the pair)
    P("import", "GET", lambda s: _u("import")),
    P("import", "POST", lambda s: _u("import"),
      data=lambda s: {"kind": "enterprises", "target": f"{s.pair.pk}-{s.partner.pk}",
                      "file": _import_upload()},
      done=lambda s: Enterprise.objects.filter(
          name="矩阵导入企业", partnership=s.pair, side=s.partner).exists()),
    P("import_template", "GET", lambda s: _u("import_template"), magic=b"PK"),
    P("product_template", "GET", lambda s: _u("product_template"), magic=b"PK"),
    P("import_job", "GET", lambda s: _u("import_job", s.import_job.pk),
      shows=lambda s: s.import_job.filename),
    # --- Postings
    P("posting_list", "GET", lambda s: _u("posting_list"),
      lists=((lambda s: s.published.title, SEE_SHARED),
             (lambda s: s.submitted.title, SEE_SUBMITTED),
             (lambda s: s.draft.title, SEE_DRAFT))),
    P("posting_create", "GET", lambda s: _u("posting_create")),
    # For the 万州 side itself (staff) and for 万州's enterprise (its user).
    P("posting_create[side]", "POST", lambda s: _u("posting_create"),
      data=lambda s: _posting_form(s, f"{s.pair.pk}:{s.partner.pk}:"),
      done=lambda s: Posting.objects.filter(title="矩阵新需求", partnership=s.pair).exists()),
    P("posting_create[enterprise]", "POST", lambda s: _u("posting_create"),
      data=lambda s: _posting_form(s, f"{s.pair.pk}:{s.partner.pk}:{s.partner_own.pk}"),
      done=lambda s: Posting.objects.filter(
          title="矩阵新需求", enterprise=s.partner_own).exists()),
    P("posting_detail", "GET", lambda s: _u("posting_detail", s.published.pk),
      shows=lambda s: s.published.title, clear="wz_staff wz_ent"),
    P("posting_detail[submitted]", "GET", lambda s: _u("posting_detail", s.submitted.pk),
      shows=lambda s: s.submitted.title, clear="wz_staff wz_ent"),
    P("posting_detail[draft]", "GET", lambda s: _u("posting_detail", s.draft.pk),
      shows=lambda s: s.draft.title, clear="wz_ent"),
    P("posting_edit", "GET", lambda s: _u("posting_edit", s.draft.pk),
      shows=lambda s: s.draft.title, clear="wz_ent"),
    P("posting_edit", "POST", lambda s: _u("posting_edit", s.draft.pk),
      data=lambda s: _posting_form(s, f"{s.pair.pk}:{s.partner.pk}:{s.partner_own.pk}",
                                   title="矩阵改过的草稿"),
      done=lambda s: Posting.objects.get(pk=s.draft.pk).title == "矩阵改过的草稿"),
    P("posting_action[submit]", "POST", lambda s: _u("posting_action", s.draft.pk, "submit"),
      done=lambda s: _status(s.draft) == "submitted"),
    P("posting_action[approve]", "POST",
      lambda s: _u("posting_action", s.submitted.pk, "review"),
      data=lambda s: {"decision": "approve", "reason": ""},
      done=lambda s: _status(s.submitted) == "published"),
    P("posting_action[return]", "POST", lambda s: _u("posting_action", s.submitted.pk, "review"),
      data=lambda s: {"decision": "return", "reason": "数量不明确"},
      done=lambda s: _status(s.submitted) == "returned"),
    P("posting_action[close]", "POST", lambda s: _u("posting_action", s.published.pk, "close"),
      data=lambda s: {"outcome": "withdrawn", "note": ""},
      done=lambda s: _status(s.published) == "closed"),
    P("posting_action[renew]", "POST", lambda s: _u("posting_action", s.published.pk, "renew"),
      data=lambda s: {"valid_until": (s.published.valid_until + timedelta(days=30)).isoformat()},
      done=lambda s: Posting.objects.get(pk=s.published.pk).valid_until
      > s.published.valid_until),
    P("posting_action[interest]", "POST",
      lambda s: _u("posting_action", s.published.pk, "interest"),
      data=lambda s: {"message": "矩阵意向"},
      done=lambda s: Interest.objects.filter(posting=s.published, message="矩阵意向").exists()),
    P("posting_action[suggest]", "POST",
      lambda s: _u("posting_action", s.published.pk, "suggest"),
      done=lambda s: not Suggestion.objects.filter(pk=s.suggestion.pk).exists()),
    P("interest_answer", "POST", lambda s: _u("interest_answer", s.interest.pk),
      data=lambda s: {"decision": "accept"},
      done=lambda s: Interest.objects.get(pk=s.interest.pk).status == "accepted"),
    P("match_propose", "POST", lambda s: _u("match_propose", s.published.pk),
      data=lambda s: {"suggestion": s.suggestion.pk},
      done=lambda s: Match.objects.filter(posting=s.published, enterprise=s.dev_match).exists()),
    # --- Matches
    P("match_list", "GET", lambda s: _u("match_list"),
      lists=((lambda s: s.dev_own.name, SEE_SHARED),)),
    P("match_stats", "GET", lambda s: _u("match_stats")),
    P("match_detail", "GET", lambda s: _u("match_detail", s.match.pk),
      shows=lambda s: s.dev_own.name),
    P("match_detail[advance]", "POST", lambda s: _u("match_detail", s.match.pk),
      data=lambda s: {"status": "contacted"}, done=lambda s: _match(s).status == "contacted"),
    P("match_detail[deal]", "POST", lambda s: _u("match_detail", s.match.pk),
      data=lambda s: {"status": "deal", "contract_value": "360",
                      "deal_date": timezone.localdate().isoformat()},
      done=lambda s: _match(s).contract_value == Decimal("360")),
    P("match_detail[rate]", "POST", lambda s: _u("match_detail", s.match.pk),
      data=lambda s: {"rating": "agreement"},
      done=lambda s: _match(s).follow_up_rating == "agreement"),
    # --- Search over the five databases
    P("search", "GET", lambda s: _u("search") + "?q=公司",
      lists=((lambda s: s.partner_own.name, SEE_WZ_OWN),
             (lambda s: s.dev_internal.name, SEE_LJ_INTERNAL),
             (lambda s: s.partner_shared.name, SEE_WZ_SHARED))),
    # --- API: postings
    P("api postings", "GET", lambda s: f"{API}/postings/", api=True, clear=POSTER_SIDE,
      lists=((lambda s: s.published.pk, SEE_SHARED), (lambda s: s.submitted.pk, SEE_SUBMITTED),
             (lambda s: s.draft.pk, SEE_DRAFT))),
    P("api posting", "GET", lambda s: f"{API}/postings/{s.published.pk}/", api=True,
      clear=POSTER_SIDE, shows=lambda s: s.published.title),
    P("api postings", "POST", lambda s: f"{API}/postings/", api=True, data=_posting_json,
      clear=POSTER_SIDE, ok=(201,),
      done=lambda s: Posting.objects.filter(title="接口新需求").exists()),
    P("api posting", "PATCH", lambda s: f"{API}/postings/{s.draft.pk}/", api=True,
      clear=POSTER_SIDE, data=lambda s: {"title": "接口改过的草稿"}, ok=(200,),
      done=lambda s: Posting.objects.get(pk=s.draft.pk).title == "接口改过的草稿"),
    P("api posting", "DELETE", lambda s: f"{API}/postings/{s.draft.pk}/", api=True, ok=(204,),
      done=lambda s: not Posting.objects.filter(pk=s.draft.pk).exists()),
    P("api posting submit", "POST", lambda s: f"{API}/postings/{s.draft.pk}/submit/", api=True,
      clear=POSTER_SIDE, ok=(200,), done=lambda s: _status(s.draft) == "submitted"),
    P("api posting approve", "POST", lambda s: f"{API}/postings/{s.submitted.pk}/review/",
      api=True, clear=POSTER_SIDE, data=lambda s: {"approve": True}, ok=(200,),
      done=lambda s: _status(s.submitted) == "published"),
    P("api posting return", "POST", lambda s: f"{API}/postings/{s.submitted.pk}/review/",
      api=True, clear=POSTER_SIDE, ok=(200,),
      data=lambda s: {"approve": False, "reason": "数量不明确"},
      done=lambda s: _status(s.submitted) == "returned"),
    P("api posting close", "POST", lambda s: f"{API}/postings/{s.published.pk}/close/",
      api=True, clear=POSTER_SIDE, data=lambda s: {"outcome": "fulfilled"}, ok=(200,),
      done=lambda s: _status(s.published) == "closed"),
    P("api posting renew", "POST", lambda s: f"{API}/postings/{s.published.pk}/renew/",
      api=True, clear=POSTER_SIDE, ok=(200,),
      data=lambda s: {"valid_until": (s.published.valid_until + timedelta(days=30)).isoformat()},
      done=lambda s: Posting.objects.get(pk=s.published.pk).valid_until
      > s.published.valid_until),
    P("api posting interest", "POST", lambda s: f"{API}/postings/{s.published.pk}/interest/",
      api=True, data=lambda s: {"message": "接口意向"}, ok=(201,),
      done=lambda s: Interest.objects.filter(posting=s.published, message="接口意向").exists()),
    P("api posting answer", "POST", lambda s: f"{API}/postings/{s.published.pk}/answer/",
      api=True, data=lambda s: {"interest": s.interest.pk, "accept": True}, ok=(200,),
      done=lambda s: Interest.objects.get(pk=s.interest.pk).status == "accepted"),
    P("api posting suggestions", "GET",
      lambda s: f"{API}/postings/{s.published.pk}/suggestions/", api=True,
      shows=lambda s: s.dev_match.name, unseen="lj_ent"),
    P("api posting propose", "POST", lambda s: f"{API}/postings/{s.published.pk}/propose/",
      api=True, data=lambda s: {"suggestion": s.suggestion.pk}, ok=(201,),
      done=lambda s: Match.objects.filter(posting=s.published, enterprise=s.dev_match).exists()),
    # --- API: matches
    P("api matches", "GET", lambda s: f"{API}/matches/", api=True,
      lists=((lambda s: s.match.pk, SEE_SHARED),)),
    P("api matches", "POST", lambda s: f"{API}/matches/", api=True,
      data=lambda s: {"posting": s.published.pk, "enterprise": s.dev_match.pk}, ok=(),
      done=lambda s: Match.objects.filter(posting=s.published, enterprise=s.dev_match).exists()),
    P("api match", "GET", lambda s: f"{API}/matches/{s.match.pk}/", api=True),
    P("api match", "PATCH", lambda s: f"{API}/matches/{s.match.pk}/", api=True,
      data=lambda s: {"status": "deal"}, ok=(), done=lambda s: _match(s).status == "deal"),
    P("api match advance", "POST", lambda s: f"{API}/matches/{s.match.pk}/advance/", api=True,
      data=lambda s: {"status": "negotiating"}, ok=(200,),
      done=lambda s: _match(s).status == "negotiating"),
    P("api match deal", "POST", lambda s: f"{API}/matches/{s.match.pk}/advance/", api=True,
      data=lambda s: {"status": "deal", "contract_value": "360",
                      "deal_date": timezone.localdate().isoformat()}, ok=(200,),
      done=lambda s: _match(s).contract_value == Decimal("360")),
    P("api match rate", "POST", lambda s: f"{API}/matches/{s.match.pk}/rate/", api=True,
      data=lambda s: {"rating": "deal"}, ok=(200,),
      done=lambda s: _match(s).follow_up_rating == "deal"),
    P("api match stats", "GET", lambda s: f"{API}/matches/stats/", api=True),
]  # fmt: skip
PROBE_BY_KEY = {f"{p.method} {p.id}": p for p in PROBES}

# --- The table -------------------------------------------------------------------------
#
# Expected status per role, in the order of ROLES. Pages: 200 shown (or a form back with
# its errors: a side or enterprise the role may not write for is no valid choice), 302
# done (or, for anon, sent to sign-in), 403 refused on a visible object, 404 out of
# scope. API: 201 created, 204 deleted, 400 a choice out of scope, 401 not signed in, 405
# not offered.

MATRIX = {
    #                                  prg crd ljs wzs wze lje ldr sec adm aud c_b o_p ano
    "GET index":                      "302 302 302 302 302 302 302 302 302 404 302 302 302",
    "GET industry_search":            "200 200 200 200 200 200 200 200 200 200 200 200 302",
    # The five databases: 万州's records (the enterprise user's own, unshared) for reading and
    # editing; 两江's unshared records for deleting (its coordinator's).
    "GET enterprise_list":            "200 200 200 200 200 200 200 200 200 200 200 200 302",
    "GET enterprise_create":          "403 200 200 200 403 403 403 403 403 403 200 403 302",
    "POST enterprise_create":         "403 200 200 302 403 403 403 403 403 403 200 403 302",
    "GET enterprise_detail":          "200 404 404 200 200 404 200 404 200 404 404 404 302",
    "GET enterprise_edit":            "403 404 404 200 403 404 403 404 403 404 404 404 302",
    "POST enterprise_edit":           "403 404 404 302 403 404 403 404 403 404 404 404 302",
    "GET enterprise_delete":          "403 200 403 404 404 404 403 403 403 404 404 404 302",
    "POST enterprise_delete":         "403 302 403 404 404 404 403 403 403 404 404 404 302",
    "GET api enterprise-list":           "200 200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api enterprise":             "200 404 404 200 200 404 200 404 200 404 404 404 401",
    "POST api enterprise-list":          "403 403 403 201 403 403 403 403 403 403 400 403 401",
    "PATCH api enterprise":           "403 404 404 200 403 404 403 404 403 404 404 404 401",
    "DELETE api enterprise":          "403 204 403 404 404 404 403 403 403 404 404 404 401",
    "GET product_list":               "200 200 200 200 200 200 200 200 200 200 200 200 302",
    "GET product_create":             "403 200 200 200 403 403 403 403 403 403 200 403 302",
    "POST product_create":            "403 200 200 302 403 403 403 403 403 403 200 403 302",
    "GET product_detail":             "200 404 404 200 200 404 200 404 200 404 404 404 302",
    "GET product_edit":               "403 404 404 200 403 404 403 404 403 404 404 404 302",
    "POST product_edit":              "403 404 404 302 403 404 403 404 403 404 404 404 302",
    "GET product_delete":             "403 200 403 404 404 404 403 403 403 404 404 404 302",
    "POST product_delete":            "403 302 403 404 404 404 403 403 403 404 404 404 302",
    "GET api product-list":              "200 200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api product":                "200 404 404 200 200 404 200 404 200 404 404 404 401",
    "POST api product-list":             "403 400 400 201 403 403 403 403 403 403 400 403 401",
    "PATCH api product":              "403 404 404 200 403 404 403 404 403 404 404 404 401",
    "DELETE api product":             "403 204 403 404 404 404 403 403 403 404 404 404 401",
    "GET project_list":               "200 200 200 200 200 200 200 200 200 200 200 200 302",
    "GET project_create":             "403 200 200 200 403 403 403 403 403 403 200 403 302",
    "POST project_create":            "403 200 200 302 403 403 403 403 403 403 200 403 302",
    "GET project_detail":             "200 404 404 200 200 404 200 404 200 404 404 404 302",
    "GET project_edit":               "403 404 404 200 403 404 403 404 403 404 404 404 302",
    "POST project_edit":              "403 404 404 302 403 404 403 404 403 404 404 404 302",
    "GET project_delete":             "403 200 403 404 404 404 403 403 403 404 404 404 302",
    "POST project_delete":            "403 302 403 404 404 404 403 403 403 404 404 404 302",
    "GET api project-list":              "200 200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api project":                "200 404 404 200 200 404 200 404 200 404 404 404 401",
    "POST api project-list":             "403 403 403 201 403 403 403 403 403 403 400 403 401",
    "PATCH api project":              "403 404 404 200 403 404 403 404 403 404 404 404 401",
    "DELETE api project":             "403 204 403 404 404 404 403 403 403 404 404 404 401",
    "GET technology_list":            "200 200 200 200 200 200 200 200 200 200 200 200 302",
    "GET technology_create":          "403 200 200 200 403 403 403 403 403 403 200 403 302",
    "POST technology_create":         "403 200 200 302 403 403 403 403 403 403 200 403 302",
    "GET technology_detail":          "200 404 404 200 200 404 200 404 200 404 404 404 302",
    "GET technology_edit":            "403 404 404 200 403 404 403 404 403 404 404 404 302",
    "POST technology_edit":           "403 404 404 302 403 404 403 404 403 404 404 404 302",
    "GET technology_delete":          "403 200 403 404 404 404 403 403 403 404 404 404 302",
    "POST technology_delete":         "403 302 403 404 404 404 403 403 403 404 404 404 302",
    "GET api technology-list":          "200 200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api technology":             "200 404 404 200 200 404 200 404 200 404 404 404 401",
    "POST api technology-list":         "403 403 403 201 403 403 403 403 403 403 400 403 401",
    "PATCH api technology":           "403 404 404 200 403 404 403 404 403 404 404 404 401",
    "DELETE api technology":          "403 204 403 404 404 404 403 403 403 404 404 404 401",
    # Talent has no enterprise: 万州's unshared expert is its side's alone.
    "GET talent_list":                "200 200 200 200 200 200 200 200 200 200 200 200 302",
    "GET talent_create":              "403 200 200 200 403 403 403 403 403 403 200 403 302",
    "POST talent_create":             "403 200 200 302 403 403 403 403 403 403 200 403 302",
    "GET talent_detail":              "200 404 404 200 404 404 200 404 200 404 404 404 302",
    "GET talent_edit":                "403 404 404 200 404 404 403 404 403 404 404 404 302",
    "POST talent_edit":               "403 404 404 302 404 404 403 404 403 404 404 404 302",
    "GET talent_delete":              "403 200 403 404 404 404 403 403 403 404 404 404 302",
    "POST talent_delete":             "403 302 403 404 404 404 403 403 403 404 404 404 302",
    "GET api talent-list":            "200 200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api talent":                 "200 404 404 200 404 404 200 404 200 404 404 404 401",
    "POST api talent-list":           "403 403 403 201 403 403 403 403 403 403 400 403 401",
    "PATCH api talent":               "403 404 404 200 404 404 403 404 403 404 404 404 401",
    "DELETE api talent":              "403 204 403 404 404 404 403 403 403 404 404 404 401",
    # Personal data: the record's own side's staff and the enterprise itself, audited.
    "POST unmask[contact]":           "403 404 404 200 200 404 403 404 403 404 404 404 302",
    "POST unmask[talent]":            "403 404 404 200 404 404 403 404 403 404 404 404 302",
    "POST api enterprise unmask":     "403 404 404 200 200 404 403 404 403 404 404 404 401",
    "POST api talent unmask":         "403 404 404 200 404 404 403 404 403 404 404 404 401",
    # The profile is the enterprise user's; 万州's has a request pending (the form is back).
    "GET profile":                    "404 404 404 404 200 200 404 404 404 404 404 404 302",
    "POST profile":                   "404 404 404 404 200 302 404 404 404 404 404 404 302",
    "GET change_list":                "200 200 200 200 200 200 200 200 200 200 200 200 302",
    "GET change_detail":              "404 404 404 200 200 404 404 404 200 404 404 404 302",
    # Reviewed by 万州's staff; never by the enterprise that proposed it.
    "POST change_detail[approve]":    "404 404 404 302 403 404 404 404 403 404 404 404 302",
    "POST change_detail[reject]":     "404 404 404 302 403 404 404 404 403 404 404 404 302",
    # Import: staff of a side, for their own side (another side is no valid choice).
    "GET import":                     "403 200 200 200 403 403 403 403 403 404 200 403 302",
    "POST import":                    "403 200 200 302 403 403 403 403 403 404 200 403 302",
    "GET import_template":            "200 200 200 200 200 200 200 200 200 404 200 200 302",
    "GET product_template":           "200 200 200 200 200 200 200 200 200 404 200 200 302",
    "GET import_job":                 "404 404 404 200 404 404 404 404 404 404 404 404 302",
    # Postings of 万州 (its enterprise user posts; its staff review).
    "GET posting_list":               "200 200 200 200 200 200 200 200 200 404 200 200 302",
    "GET posting_create":             "403 200 200 200 200 200 403 403 403 404 200 403 302",
    "POST posting_create[side]":      "403 200 200 302 200 200 403 403 403 404 200 403 302",
    "POST posting_create[enterprise]": "403 200 200 200 302 200 403 403 403 404 200 403 302",
    "GET posting_detail":             "200 200 200 200 200 200 200 200 200 404 404 404 302",
    "GET posting_detail[submitted]":  "200 404 404 200 200 404 200 404 200 404 404 404 302",
    "GET posting_detail[draft]":      "404 404 404 404 200 404 404 404 200 404 404 404 302",
    "GET posting_edit":               "404 404 404 404 200 404 404 404 403 404 404 404 302",
    "POST posting_edit":              "404 404 404 404 302 404 404 404 403 404 404 404 302",
    "POST posting_action[submit]":    "404 404 404 404 302 404 404 404 403 404 404 404 302",
    "POST posting_action[approve]":   "403 404 404 302 403 404 403 404 403 404 404 404 302",
    "POST posting_action[return]":    "403 404 404 302 403 404 403 404 403 404 404 404 302",
    "POST posting_action[close]":     "403 403 403 302 302 403 403 403 403 404 404 404 302",
    "POST posting_action[renew]":     "403 403 403 302 302 403 403 403 403 404 404 404 302",
    # Interest: enterprises and the staff of the other side — not the poster's side, and not
    # those who only read (programme coordinator, leader, sector member, administrator).
    "POST posting_action[interest]":  "403 302 302 403 403 302 403 403 403 404 404 404 302",
    "POST posting_action[suggest]":   "403 403 403 302 302 403 403 403 403 404 404 404 302",
    "POST interest_answer":           "403 403 403 302 302 403 403 403 403 404 404 404 302",
    # 两江's enterprise user does not see 两江's other enterprises: the counterpart is a 404.
    "POST match_propose":             "403 302 302 302 302 404 403 403 403 404 404 404 302",
    "GET match_list":                 "200 200 200 200 200 200 200 200 200 404 200 200 302",
    "GET match_stats":                "200 200 200 200 403 403 200 403 200 404 200 200 302",
    "GET match_detail":               "200 200 200 200 200 200 200 200 200 404 404 404 302",
    "POST match_detail[advance]":     "403 302 302 302 302 302 403 403 403 404 404 404 302",
    "POST match_detail[deal]":        "403 302 302 302 302 302 403 403 403 404 404 404 302",
    "POST match_detail[rate]":        "403 302 302 302 302 302 403 403 403 404 404 404 302",
    "GET search":                     "200 200 200 200 200 200 200 200 200 404 200 200 302",
    "GET api postings":               "200 200 200 200 200 200 200 200 200 200 200 200 401",
    "GET api posting":                "200 200 200 200 200 200 200 200 200 404 404 404 401",
    "POST api postings":              "403 400 400 201 201 400 403 403 403 403 400 403 401",
    "PATCH api posting":              "404 404 404 404 200 404 404 404 403 404 404 404 401",
    "DELETE api posting":             "404 404 404 404 204 404 404 404 403 404 404 404 401",
    "POST api posting submit":        "404 404 404 404 200 404 404 404 403 404 404 404 401",
    "POST api posting approve":       "403 404 404 200 403 404 403 404 403 404 404 404 401",
    "POST api posting return":        "403 404 404 200 403 404 403 404 403 404 404 404 401",
    "POST api posting close":         "403 403 403 200 200 403 403 403 403 404 404 404 401",
    "POST api posting renew":         "403 403 403 200 200 403 403 403 403 404 404 404 401",
    "POST api posting interest":      "403 201 201 403 403 201 403 403 403 404 404 404 401",
    "POST api posting answer":        "403 403 403 200 200 403 403 403 403 404 404 404 401",
    "GET api posting suggestions":    "200 200 200 200 200 200 200 200 200 404 404 404 401",
    "POST api posting propose":       "403 201 201 201 201 404 403 403 403 404 404 404 401",
    "GET api matches":                "200 200 200 200 200 200 200 200 200 200 200 200 401",
    "POST api matches":               "405 405 405 405 405 405 405 405 405 405 405 405 401",
    "GET api match":                  "200 200 200 200 200 200 200 200 200 404 404 404 401",
    "PATCH api match":                "405 405 405 405 405 405 405 405 405 405 405 405 401",
    "POST api match advance":         "403 200 200 200 200 200 403 403 403 404 404 404 401",
    "POST api match deal":            "403 200 200 200 200 200 403 403 403 404 404 404 401",
    "POST api match rate":            "403 200 200 200 200 200 403 403 403 404 404 404 401",
    "GET api match stats":            "200 200 200 200 200 200 200 200 200 200 200 200 401",
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
    return pytest.param(key, role, id=f"{role}-{key}".replace(" ", "-"), marks=marks)


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


def content_of(response) -> str:
    if getattr(response, "streaming", False):
        return ""
    return response.content.decode("utf-8", "replace")


def test_the_table_covers_every_probe_and_every_url_of_the_app():
    assert set(MATRIX) == set(PROBE_BY_KEY)
    assert all(len(row.split()) == len(ROLES) for row in MATRIX.values())
    assert {key for key, _role in CONTRADICTIONS} <= set(MATRIX)
    from xietong.enterprise.views import urlpatterns as records
    from xietong.enterprise.views_postings import urlpatterns as posting_pages

    probed = {p.id.split("[")[0] for p in PROBES if not p.api}
    names = {pattern.name for pattern in [*records, *posting_pages]}
    missing = sorted(names - probed)
    assert not missing, f"enterprise pages missing from the matrix: {missing}"


def test_every_api_route_but_the_events_is_probed(sides):
    from xietong.enterprise.api import ROUTES

    probed = {p.path(sides["A"]).split("/")[3] for p in PROBES if p.api}
    routes = {prefix for prefix, _viewset, _basename in ROUTES if prefix != "events"}
    assert routes <= probed, routes - probed


@pytest.mark.parametrize(("key", "role"), CASES)
def test_matrix(key, role, cast, sides, client, api):
    probe = PROBE_BY_KEY[key]
    want = expected(key, role)
    a = sides["A"]
    user = cast[role]
    unmasks_before = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.UNMASK, user=user).count()
    response = request(client, api, probe, a, user)
    assert response.status_code == want, f"{key} as {role}: {response.status_code} != {want}"
    if role == "anon" and not probe.api:
        assert response["Location"].startswith(reverse("login")), response["Location"]
    if probe.done is not None:
        succeeded = want in probe.ok and role != "anon"
        assert probe.done(a) == succeeded, f"{key} as {role}: the write happened: {not succeeded}"
    if want != 200:
        return
    if probe.magic is not None:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body.startswith(probe.magic), body[:20]
        return
    text = content_of(response)
    if probe.api:
        text = json.dumps(response.json(), ensure_ascii=False)
    for example in HELP_TEXTS:  # a form's help text names districts as examples
        text = text.replace(example, "")
    if role not in READS_B:
        leaked = [mark for mark in B_MARKS if mark in text]
        assert not leaked, f"pair B leaked to {role}: {leaked}"
    if role not in READS_A:
        leaked = [mark for mark in A_MARKS if mark in text]
        assert not leaked, f"pair A leaked to {role}: {leaked}"
    # Personal data in clear only for those entitled; an unmask is audited.
    shown = [phone for phone in CLEAR if phone in text]
    if role not in probe.clear.split():
        assert not shown, f"{key} as {role} shows personal data in clear: {shown}"
    elif probe.audited:
        # Shown in clear exactly when recorded (a page that shows nothing records nothing).
        unmasks = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.UNMASK, user=user)
        assert bool(shown) == (unmasks.count() > unmasks_before), f"{key} as {role}: {shown}"
    if probe.shows is not None:
        seen = role not in probe.unseen.split()
        assert (str(probe.shows(a)) in text) == seen, f"{key} as {role}: shows {not seen}"
    for what, seen_by in probe.lists:
        _check_list(probe, role, response, sides, what, seen_by)


def _check_list(probe: Probe, role: str, response, sides, what, seen_by: str) -> None:
    a, b = sides["A"], sides["B"]
    if probe.api:
        body = response.json()
        assert body["count"] == len(body["results"]), "counted rows that are not shown"
        found = {row["id"] for row in body["results"]}
    else:
        found = content_of(response)
    assert (what(a) in found) == (role in seen_by.split()), f"{probe.id}: {what(a)} for {role}"
    if role not in READS_B:
        assert what(b) not in found, f"{probe.id}: pair B's {what(b)} shown to {role}"


# --- Pair A's people and pair B's objects -------------------------------------------------

PAIR_A_ROLES = ["coord", "lj_staff", "wz_staff", "wz_ent", "lj_ent", "leader", "sector"]


@pytest.mark.parametrize("role", [*PAIR_A_ROLES, "other_prog"])
def test_every_object_of_pair_b_is_404_for_pair_a_people_and_stays_unchanged(
    role, cast, sides, client, api
):
    a, b = sides["A"], sides["B"]
    probed = 0
    for probe in PROBES:
        if (
            probe.path(a) == probe.path(b)
            or expected(f"{probe.method} {probe.id}", "wz_staff") == 405
        ):
            continue  # the URL names no object of the pair
        before = probe.done(b) if probe.done else None
        response = request(client, api, probe, b, cast[role])
        assert response.status_code == 404, f"{probe.method} {probe.id}: {response.status_code}"
        if probe.done is not None:
            assert probe.done(b) == before, f"{probe.method} {probe.id} changed pair B's object"
        probed += 1
    assert probed > 60


def test_match_figures_count_only_the_pairs_a_role_sees(cast, api):
    sides_of = {
        "prog": {"万州区", "城口县"}, "admin": {"万州区", "城口县"}, "coord": {"万州区"},
        "wz_staff": {"万州区"}, "leader": {"万州区"}, "wz_ent": {"万州区"}, "lj_ent": {"万州区"},
        "coord_b": {"城口县"}, "other_prog": set(), "audit": set(),
    }  # fmt: skip
    for role, expected_sides in sides_of.items():
        api.force_authenticate(cast[role])
        body = api.get(f"{API}/matches/stats/").json()
        assert {row["key"] for row in body["side"]} == expected_sides, role
        assert body["total"]["matches"] == len(expected_sides), role


def test_the_contact_of_a_posting_is_revealed_only_after_acceptance_and_audited(
    cast, sides, client, api
):
    a = sides["A"]
    lj_ent = cast["lj_ent"]
    url = f"{API}/postings/{a.published.pk}/"

    def events():
        return SecurityEvent.objects.filter(
            kind=SecurityEvent.Kind.UNMASK, user=lj_ent,
            detail=f"posting {a.published.pk}: contact (accepted interest)",
        ).count()  # fmt: skip

    api.force_authenticate(lj_ent)
    assert api.post(f"{url}interest/", {"message": "有意供货"}, format="json").status_code == 201
    contact = api.get(url).json()["contact"]
    assert contact["phone"] == "139****4321" and not contact["revealed"]
    assert events() == 0
    # The poster accepts; the interested enterprise then reads the contact, audited each time.
    interest = Interest.objects.get(posting=a.published, user=lj_ent)
    forget(cast["wz_ent"])
    api.force_authenticate(cast["wz_ent"])
    body = {"interest": interest.pk, "accept": True}
    assert api.post(f"{url}answer/", body, format="json").status_code == 200
    forget(lj_ent)
    api.force_authenticate(lj_ent)
    assert api.get(url).json()["contact"]["phone"] == POSTING_PHONE
    assert events() == 1
    client.force_login(lj_ent)
    assert POSTING_PHONE in client.get(_u("posting_detail", a.published.pk)).content.decode()
    assert events() == 2
    # Another reader of the other side still reads it masked.
    client.force_login(cast["coord"])
    html = client.get(_u("posting_detail", a.published.pk)).content.decode()
    assert POSTING_PHONE not in html and "139****4321" in html


def test_nobody_approves_their_own_profile_change(cast, sides, client):
    """A person who is both 万州 staff and the enterprise's user proposes; they cannot
    approve it, a colleague of the side can, and sees the diff first."""
    a = sides["A"]
    both = _user(
        "both_roles", Role.DEPARTMENT_STAFF, org_unit=cast["wz_staff"].memberships.get().org_unit
    )
    MembershipFactory(
        user=both, role=Role.ENTERPRISE_USER, region=a.partner, enterprise=a.partner_shared,
        enterprise_name=a.partner_shared.name,
    )  # fmt: skip
    change = services.submit_change(both, a.partner_shared, {"description": "本人提交的简介"})
    own = Client()
    own.force_login(both)
    response = own.post(_u("change_detail", change.pk), {"decision": "approve", "reason": ""})
    assert response.status_code == 403
    assert ChangeRequest.objects.get(pk=change.pk).status == "pending"
    client.force_login(cast["wz_staff"])
    html = client.get(_u("change_detail", change.pk)).content.decode()
    assert "本人提交的简介" in html
    response = client.post(_u("change_detail", change.pk), {"decision": "approve", "reason": ""})
    assert response.status_code == 302
    assert Enterprise.objects.get(pk=a.partner_shared.pk).description == "本人提交的简介"


def test_staff_import_only_for_their_own_side(cast, sides, client):
    a = sides["A"]
    client.force_login(cast["lj_staff"])
    ok = {"kind": "enterprises", "target": f"{a.pair.pk}-{a.dev.pk}",
          "file": _import_upload()}  # fmt: skip
    assert client.post(_u("import"), ok).status_code == 302
    assert Enterprise.objects.get(name="矩阵导入企业").side == a.dev
    for role in ("lj_staff", "coord_b"):
        client.force_login(cast[role])
        other = {"kind": "enterprises", "target": f"{a.pair.pk}-{a.partner.pk}",
                 "file": _import_upload()}  # fmt: skip
        response = client.post(_u("import"), other)
        assert response.status_code == 200 and "target" in response.context["form"].errors
    assert not Enterprise.objects.filter(name="矩阵导入企业", side=a.partner).exists()
