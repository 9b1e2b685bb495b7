"""The enterprise import: every validation rule, all or nothing, idempotence, updates."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from xietong.core.xlsx_import import ImportRejected
from xietong.enterprise import imports
from xietong.enterprise.models import Contact, Enterprise, MainProduct

from .conftest import credit_code, row, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(world):
    return world.pair_a, world.pair_a.partner_side  # 万州区


@pytest.fixture
def staff(world, target):
    from tests.factories import OrgUnitFactory, UserFactory
    from xietong.core.models import Membership, Role

    user = UserFactory(username="wz_staff")
    unit = OrgUnitFactory(region=target[1], name="经济信息委")
    Membership.objects.create(user=user, role=Role.DEPARTMENT_STAFF, org_unit=unit)
    return user


def run(staff, target, rows, **kw):
    return imports.import_file(staff, *target, "e.xlsx", workbook(rows, **kw))


def messages(result):
    return [(e.row, e.column, e.message) for e in result.errors]


def test_it_creates_enterprises_with_their_children(staff, target):
    result = run(staff, target, [row(1), row(2, 主要产品及占比="电机")])
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    ent = Enterprise.objects.get(credit_code=credit_code(1))
    assert ent.side == target[1] and ent.shared and ent.size_class == "above"
    assert str(ent.revenue) == "1200.50" and ent.employees == 120
    assert [i.code for i in ent.industries.all()] == ["3670"]
    assert [x.name for x in ent.labels.all()] == ["专精特新"]
    assert [(p.name, str(p.share)) for p in ent.main_products.all()] == [
        ("汽车座椅", "60.00"),
        ("内饰件", "40.00"),
    ]
    assert Contact.objects.get(enterprise=ent).phone == "13700001234"


def test_reimporting_the_same_file_changes_nothing(staff, target):
    rows = [row(1), row(2)]
    run(staff, target, rows)
    before = list(Enterprise.objects.values("pk", "version", "updated_at").order_by("pk"))
    products = list(MainProduct.objects.values_list("pk", flat=True).order_by("pk"))
    result = run(staff, target, rows)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert list(Enterprise.objects.values("pk", "version", "updated_at").order_by("pk")) == before
    assert list(MainProduct.objects.values_list("pk", flat=True).order_by("pk")) == products


def test_a_known_credit_code_updates_the_enterprise(staff, target):
    run(staff, target, [row(1)])
    result = run(staff, target, [row(1, 企业名称="改名后的企业", 行业代码="3670、3660")])
    assert (result.created, result.updated) == (0, 1)
    ent = Enterprise.objects.get(credit_code=credit_code(1))
    assert ent.name == "改名后的企业" and ent.version == 2
    assert sorted(i.code for i in ent.industries.all()) == ["3660", "3670"]


def test_an_invalid_credit_code_names_the_check_character_it_should_have(staff, target):
    good = credit_code(7)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    result = run(staff, target, [row(7, 统一社会信用代码=bad)])
    [(line, column, message)] = messages(result)
    assert (line, column) == (2, "统一社会信用代码")
    assert f"“{uscc.calc_check_digit(bad[:17])}”" in message
    assert Enterprise.objects.count() == 0


def test_a_credit_code_of_the_wrong_length_is_refused(staff, target):
    result = run(staff, target, [row(1, 统一社会信用代码="91500000123")])
    assert messages(result)[0][1] == "统一社会信用代码"
    assert "18" in messages(result)[0][2]


def test_an_unknown_industry_code_is_refused(staff, target):
    result = run(staff, target, [row(1, 行业代码="3670、9999")])
    [(line, column, message)] = messages(result)
    assert (line, column) == (2, "行业代码") and "9999" in message


def test_a_number_in_a_text_column_is_refused(staff, target):
    result = run(staff, target, [row(1, 企业名称=12345)])
    [(line, column, message)] = messages(result)
    assert (line, column) == (2, "企业名称") and "12345" in message


def test_text_in_a_number_column_is_refused(staff, target):
    result = run(staff, target, [row(1, **{"营业收入（万元）": "约一千万", "从业人数": "12.5"})])
    assert {(c, "约一千万" in m or "12.5" in m) for _r, c, m in messages(result)} == {
        ("营业收入（万元）", True),
        ("从业人数", True),
    }


def test_a_missing_required_cell_is_refused(staff, target):
    result = run(staff, target, [row(1, 企业名称=None, 行业代码="  ")])
    assert sorted(c for _r, c, _m in messages(result)) == ["企业名称", "行业代码"]


def test_a_credit_code_twice_in_the_file_is_refused(staff, target):
    result = run(staff, target, [row(1), row(2), row(1, 企业名称="重复")])
    [(line, column, message)] = messages(result)
    assert (line, column) == (4, "统一社会信用代码") and "2" in message


def test_every_error_is_listed_and_nothing_is_written(staff, target):
    rows = [row(1), row(2, 行业代码="0000"), row(3), row(4, 从业人数="很多")]
    result = run(staff, target, rows)
    assert [r for r, _c, _m in messages(result)] == [3, 5]
    assert Enterprise.objects.count() == 0 and Contact.objects.count() == 0


def test_a_row_failing_in_the_database_rolls_back_every_row(staff, target, world):
    """A credit code registered for another side is found only when writing: the rows
    before it must not stay either."""
    from xietong.enterprise.models import Enterprise as E

    E.objects.create(
        partnership=world.pair_b, side=world.pair_b.partner_side, name="别处的企业",
        credit_code=credit_code(9),
    )  # fmt: skip
    result = run(staff, target, [row(1), row(2), row(9)])
    assert [(r, c) for r, c, _m in messages(result)] == [(4, "统一社会信用代码")]
    assert E.objects.count() == 1


def test_unknown_labels_sizes_and_bad_shares_are_refused(staff, target):
    result = run(
        staff,
        target,
        [row(1, 企业标签="独角兽", 企业规模="大型", 主要产品及占比="甲：80%、乙：50%")],
    )
    assert sorted(c for _r, c, _m in messages(result)) == ["主要产品及占比", "企业标签", "企业规模"]


def test_only_staff_of_the_side_may_import(world, target):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        imports.import_file(world.users["enterprise_user"], *target, "e.xlsx", workbook([row(1)]))


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("e.xls", b"whatever", ".xlsx"),
        ("e.xlsx", b"not a zip at all", "valid Excel"),
    ],
)
def test_files_that_are_not_xlsx_are_rejected(staff, target, name, data, says):
    with pytest.raises(ImportRejected, match=says):
        imports.import_file(staff, *target, name, data)


def test_a_file_over_the_size_cap_is_rejected(staff, target, settings):
    settings.ENTERPRISE_IMPORT_MAX_MB = 1
    with pytest.raises(ImportRejected, match="1 MB"):
        imports.import_file(staff, *target, "e.xlsx", b"PK" + b"0" * (1024 * 1024 + 1))


def test_a_zip_bomb_is_rejected(staff, target):
    import zipfile
    from io import BytesIO

    data = BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    with pytest.raises(ImportRejected, match="too much data"):
        imports.import_file(staff, *target, "e.xlsx", data.getvalue())


def test_an_xml_entity_declaration_is_rejected(staff, target):
    import zipfile
    from io import BytesIO

    data = BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><workbook/>',
        )
    with pytest.raises(ImportRejected, match="XML declarations"):
        imports.import_file(staff, *target, "e.xlsx", data.getvalue())


def test_a_sheet_without_the_required_headers_is_rejected(staff, target):
    with pytest.raises(ImportRejected, match="统一社会信用代码"):
        imports.import_file(staff, *target, "e.xlsx", workbook([], headers=["名称", "地址"]))


def test_the_template_has_the_chinese_headers_and_imports_empty_rows_as_nothing(staff, target):
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(imports.template_workbook()))
    assert [c.value for c in wb["企业名录"][1]] == [h for _n, h, _r, _k in imports.COLUMNS]
    with pytest.raises(ImportRejected, match="no enterprises"):
        imports.import_file(staff, *target, "t.xlsx", imports.template_workbook())


def product_file(rows):
    headers = [h for _n, h, _r, _k in imports.PRODUCT_COLUMNS]
    return workbook(rows, headers=headers)


def test_products_import_all_or_nothing_and_idempotent(staff, target):
    run(staff, target, [row(1), row(2)])
    good = [
        {"统一社会信用代码": credit_code(1), "产品名称": "座椅骨架", "产品类别": "汽车零部件",
         "行业代码": "3670", "向对口方共享": "是"},
        {"统一社会信用代码": credit_code(2), "产品名称": "线束", "产品类别": "汽车零部件"},
    ]  # fmt: skip
    result = imports.import_products(staff, *target, "p.xlsx", product_file(good))
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    again = imports.import_products(staff, *target, "p.xlsx", product_file(good))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    bad = [
        *good,
        {"统一社会信用代码": credit_code(3), "产品名称": "车灯", "产品类别": "汽车零部件"},
        {"统一社会信用代码": credit_code(1), "产品名称": "座椅骨架", "产品类别": "x"},
        {"统一社会信用代码": credit_code(1), "产品名称": "支架", "产品类别": "x", "行业代码": "36"},
    ]  # fmt: skip
    good[1]["产品类别"] = "改了"
    result = imports.import_products(staff, *target, "p.xlsx", product_file(bad))
    assert [(r, c) for r, c, _m in messages(result)] == [
        (4, "统一社会信用代码"),
        (5, "产品名称"),
        (6, "行业代码"),
    ]
    from xietong.enterprise.models import Product

    assert Product.objects.get(name="线束").category == "汽车零部件"  # nothing written
