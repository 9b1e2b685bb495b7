"""The import pages: a small file now, a large one as a huey job with progress."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xietong.enterprise.models import Enterprise, ImportJob

from .conftest import row, workbook

pytestmark = pytest.mark.django_db


def upload(rows):
    return SimpleUploadedFile("企业.xlsx", workbook(rows))


def target(world):
    return f"{world.pair_a.pk}-{world.pair_a.developed_side_id}"


def test_a_small_file_is_imported_at_once(world, login):
    client = login(world.users["department_staff"])
    response = client.post(
        reverse("enterprise:import"),
        {"kind": "enterprises", "target": target(world), "file": upload([row(1), row(2)])},
    )
    assert response.status_code == 302
    assert Enterprise.objects.filter(side=world.pair_a.developed_side).count() == 2
    job = ImportJob.objects.get()  # the import is recorded: who, which file, what it did
    assert (job.user, job.filename, job.result["created"]) == (
        world.users["department_staff"],
        "企业.xlsx",
        2,
    )


def test_errors_are_listed_by_row_and_column_on_the_page(world, login):
    client = login(world.users["department_staff"])
    response = client.post(
        reverse("enterprise:import"),
        {
            "kind": "enterprises",
            "target": target(world),
            "file": upload([row(1), row(2, 行业代码="8888")]),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.count('data-testid="import-error"') == 1
    assert "行业代码" in html and "8888" in html and Enterprise.objects.count() == 0


def test_a_large_file_runs_as_a_job_with_progress(world, login, settings):
    settings.ENTERPRISE_IMPORT_SYNC_ROWS = 2
    settings.HUEY = {**settings.HUEY}
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    try:
        client = login(world.users["department_staff"])
        response = client.post(
            reverse("enterprise:import"),
            {
                "kind": "enterprises",
                "target": target(world),
                "file": upload([row(n) for n in range(1, 6)]),
            },
        )
    finally:
        HUEY.immediate = False
    job = ImportJob.objects.get()
    assert response.url == reverse("enterprise:import_job", args=[job.pk])
    assert job.status == ImportJob.Status.DONE and job.data is None
    assert job.result["created"] == 5 and Enterprise.objects.count() == 5
    page = client.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in page and "every 2s" not in page


def test_a_queued_job_polls_and_is_only_visible_to_its_owner(world, login):
    job = ImportJob.objects.create(
        user=world.users["department_staff"], partnership=world.pair_a,
        side=world.pair_a.developed_side, filename="x.xlsx", rows_total=10,
    )  # fmt: skip
    page = login(world.users["department_staff"]).get(
        reverse("enterprise:import_job", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    assert "every 2s" in page.content.decode()
    other = login(world.users["partnership_coordinator"])
    assert other.get(reverse("enterprise:import_job", args=[job.pk])).status_code == 404


@pytest.mark.parametrize(("role", "status"), [("enterprise_user", 403), ("security_auditor", 404)])
def test_who_may_not_import(world, login, role, status):
    assert login(world.users[role]).get(reverse("enterprise:import")).status_code == status


def test_the_template_downloads(world, login):
    response = login(world.users["department_staff"]).get(reverse("enterprise:import_template"))
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_industry_search_by_code_and_by_name(world, login):
    client = login(world.users["enterprise_user"])
    by_code = client.get(reverse("enterprise:industry_search"), {"q": "367"}).json()["results"]
    assert by_code[0]["code"] == "367"
    by_name = client.get(reverse("enterprise:industry_search"), {"q": "淀粉"}).json()["results"]
    assert "1391" in {r["code"] for r in by_name}


def test_the_list_filters_by_industry_code_and_side(world, firms, login):
    client = login(world.users["system_admin"])
    html = client.get(reverse("enterprise:enterprise_list"), {"industry": "36"}).content.decode()
    assert "两江内部汽车部件公司" in html
    html = client.get(reverse("enterprise:enterprise_list"), {"industry": "13"}).content.decode()
    assert "两江内部汽车部件公司" not in html
    html = client.get(
        reverse("enterprise:enterprise_list"), {"side": world.pair_a.partner_side_id}
    ).content.decode()
    assert "万州共享食品公司" in html and "两江共享电子公司" not in html


def test_products_are_imported_from_the_same_page(world, login):
    from xietong.enterprise import imports
    from xietong.enterprise.models import Product

    from .conftest import credit_code

    client = login(world.users["department_staff"])
    client.post(
        reverse("enterprise:import"),
        {"kind": "enterprises", "target": target(world), "file": upload([row(1)])},
    )
    headers = [h for _n, h, _r, _k in imports.PRODUCT_COLUMNS]
    rows = [{"统一社会信用代码": credit_code(1), "产品名称": "车灯", "产品类别": "汽车零部件"}]
    response = client.post(
        reverse("enterprise:import"),
        {
            "kind": "products",
            "target": target(world),
            "file": SimpleUploadedFile("产品.xlsx", workbook(rows, headers=headers)),
        },
    )
    assert response.status_code == 302 and Product.objects.get().name == "车灯"
    assert client.get(reverse("enterprise:product_template")).content[:2] == b"PK"
