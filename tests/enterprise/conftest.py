"""Enterprise fixtures on top of the core `world`: enterprises of both sides of pair A
(两江新区 ↔ 万州区), one shared and one internal each, and one of pair B; the world's
enterprise user (万州区) keeps 万州 internal enterprise."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import pytest
from openpyxl import Workbook
from stdnum.cn import uscc

from tests.factories import MembershipFactory, UserFactory
from xietong.core.models import Membership, Role
from xietong.enterprise.imports import COLUMNS
from xietong.enterprise.models import Contact, Enterprise, IndustryCode, MainProduct, Talent


def credit_code(n: int) -> str:
    base = f"91500000{n:09d}"
    return base + uscc.calc_check_digit(base)


@dataclass
class Firms:
    lj_internal: Enterprise
    lj_shared: Enterprise
    wz_internal: Enterprise  # the enterprise user's own
    wz_shared: Enterprise
    b_shared: Enterprise  # pair B: never visible to pair A's people
    lj_talent: Talent


@pytest.fixture
def firms(world) -> Firms:
    a, b = world.pair_a, world.pair_b
    lj, wz = a.developed_side, a.partner_side

    def make(n, name, pair, side, shared):
        ent = Enterprise.objects.create(
            partnership=pair, side=side, name=name, credit_code=credit_code(n), shared=shared
        )
        ent.industries.set(IndustryCode.objects.filter(code="3670"))
        Contact.objects.create(
            enterprise=ent, name="张三丰", position="总经理", phone="13812341234",
            email="zhang@example.cn",
        )  # fmt: skip
        return ent

    f = Firms(
        lj_internal=make(1, "两江内部汽车部件公司", a, lj, False),
        lj_shared=make(2, "两江共享电子公司", a, lj, True),
        wz_internal=make(3, "万州测试企业", a, wz, False),
        wz_shared=make(4, "万州共享食品公司", a, wz, True),
        b_shared=make(5, "渝中共享企业", b, b.developed_side, True),
        lj_talent=Talent.objects.create(
            partnership=a, side=lj, name="李工程师", kind="expert", fields="汽车电子",
            availability="consulting", phone="13900001111", shared=True,
        ),
    )  # fmt: skip
    Membership.objects.filter(user=world.users["enterprise_user"]).update(enterprise=f.wz_internal)
    return f


def workbook(rows: list[dict], headers: list[str] | None = None) -> bytes:
    """An xlsx with the template's headers and ``rows`` (dicts by header)."""
    headers = headers or [h for _n, h, _r, _k in COLUMNS]
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def row(n: int, **over) -> dict:
    base = {
        "统一社会信用代码": credit_code(n),
        "企业名称": f"导入测试企业{n}",
        "所在区县": "万州区",
        "行业代码": "3670",
        "企业规模": "规上",
        "企业标签": "专精特新",
        "营业收入（万元）": 1200.5,
        "工业总产值（万元）": 1500,
        "从业人数": 120,
        "主要产品及占比": "汽车座椅：60%、内饰件：40%",
        "联系人": "王五",
        "联系电话": "13700001234",
        "向对口方共享": "是",
    }
    base.update(over)
    return base


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids); pages default to Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _matching_dir(settings, tmp_path):
    """Matching indexes go to a throw-away directory, never the developer's var/."""
    from xietong.enterprise.suggestions import service

    settings.VAR_DIR = tmp_path
    service.forget()
    yield
    service.forget()


# --- Postings and matching (phase 2) ---------------------------------------------------------


@pytest.fixture
def people(world, firms):
    """Beyond the world: 万州 department staff (reviews 万州 postings), an enterprise user of
    两江's shared firm, one of 万州's shared firm, and staff of pair B."""
    a = world.pair_a

    def user(name, **membership):
        u = UserFactory(username=name)
        MembershipFactory(user=u, **membership)
        return u

    return {
        "wz_ent": world.users["enterprise_user"],  # keeps firms.wz_internal
        "wz_staff": user("wz_staff", role=Role.DEPARTMENT_STAFF, org_unit=world.unit_a_partner),
        "lj_staff": world.users["department_staff"],
        "lj_coord": world.users["partnership_coordinator"],
        "lj_ent": user(
            "lj_ent",
            role=Role.ENTERPRISE_USER,
            region=a.developed_side,
            enterprise_name=firms.lj_shared.name,
            enterprise=firms.lj_shared,
        ),
        "wz_ent2": user(
            "wz_ent2",
            role=Role.ENTERPRISE_USER,
            region=a.partner_side,
            enterprise_name=firms.wz_shared.name,
            enterprise=firms.wz_shared,
        ),
        "b_staff": user("b_staff", role=Role.DEPARTMENT_STAFF, org_unit=world.unit_b),
    }


def products(ent, *names):
    for i, name in enumerate(names, start=1):
        MainProduct.objects.create(enterprise=ent, position=i, name=name)


@pytest.fixture
def chain(world, firms):
    """焊管 along the pair: 两江's shared firm makes 不锈钢焊管 (its 2nd product), 两江's
    internal firm makes 焊管 (not shared), a 两江 boiler maker is a peer of the poster,
    万州's shared firm makes 焊管 (own side); the poster (万州测试企业) makes 锅炉."""
    a = world.pair_a
    products(firms.lj_shared, "电子元件", "不锈钢焊管")
    products(firms.lj_internal, "焊管")
    products(firms.wz_shared, "焊管")
    products(firms.wz_internal, "锅炉")
    peer = Enterprise.objects.create(
        partnership=a, side=a.developed_side, name="两江锅炉配套公司", shared=True,
        credit_code=credit_code(77),
    )  # fmt: skip
    products(peer, "焊管锅炉")
    products(firms.b_shared, "焊管")  # another pair: never suggested
    return peer
