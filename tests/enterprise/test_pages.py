"""Every page of the app renders for those allowed and refuses the others (404/403)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

KINDS = ["enterprise", "product", "project", "technology", "talent"]

# role → status of the list pages, and of the create pages
LISTS = {"department_staff": 200, "enterprise_user": 200, "security_auditor": 200, "nobody": 200}
CREATE = {
    "department_staff": 200,
    "partnership_coordinator": 200,
    "system_admin": 403,
    "enterprise_user": 403,
    "sector_group_member": 403,
    "leader": 403,
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", sorted(LISTS))
def test_lists_render_and_hold_only_visible_rows(world, firms, login, kind, role):
    html = login(world.users[role]).get(reverse(f"enterprise:{kind}_list")).content.decode()
    assert "渝中共享企业" not in html
    if kind == "enterprise" and role in ("security_auditor", "nobody"):
        assert "两江共享电子公司" not in html


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("role", "status"), sorted(CREATE.items()))
def test_create_pages(world, firms, login, kind, role, status):
    response = login(world.users[role]).get(reverse(f"enterprise:{kind}_create"))
    assert response.status_code == status


def test_staff_create_an_enterprise_with_industry_codes(world, firms, login):
    from xietong.enterprise.models import Enterprise

    from .conftest import credit_code

    client = login(world.users["department_staff"])
    data = {
        "partnership": world.pair_a.pk,
        "side": world.pair_a.developed_side_id,
        "name": "页面新建企业",
        "credit_code": credit_code(60).lower(),
        "industries": "3670、3660",
        "size_class": "above",
        "expected_version": 0,
    }
    response = client.post(reverse("enterprise:enterprise_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    ent = Enterprise.objects.get(name="页面新建企业")
    assert ent.credit_code == credit_code(60).upper()
    assert sorted(i.code for i in ent.industries.all()) == ["3660", "3670"]
    data.update(credit_code=credit_code(61), name="坏代码", industries="9999")
    response = client.post(reverse("enterprise:enterprise_create"), data)
    assert response.status_code == 200 and "9999" in response.content.decode()


def test_the_edit_page_keeps_the_contacts_and_records_the_clear_view(world, firms, login):
    from xietong.core.models import SecurityEvent

    client = login(world.users["department_staff"])
    ent = firms.lj_internal
    page = client.get(reverse("enterprise:enterprise_edit", args=[ent.pk]))
    assert page.status_code == 200 and "13812341234" in page.content.decode()
    assert SecurityEvent.objects.filter(kind="unmask", detail__contains="edit form").exists()


def test_the_edit_page_types_its_product_and_contact_inputs(world, firms, login):
    html = (
        login(world.users["department_staff"])
        .get(reverse("enterprise:enterprise_edit", args=[firms.lj_internal.pk]))
        .content.decode()
    )
    assert 'type="number" step="0.01" id="id_products-0-share"' in html
    assert 'type="tel" id="id_contacts-0-phone"' in html
    assert 'type="email" id="id_contacts-0-email"' in html
    assert 'type="text" id="id_products-0-name"' in html


@pytest.mark.parametrize(
    ("role", "status"), [("enterprise_user", 200), ("department_staff", 404), ("nobody", 404)]
)
def test_the_profile_page_is_the_enterprise_users(world, firms, login, role, status):
    assert login(world.users[role]).get(reverse("enterprise:profile")).status_code == status


def test_the_menu_shows_the_entries_each_role_may_use(world, firms, login):
    html = login(world.users["enterprise_user"]).get(reverse("home")).content.decode()
    assert reverse("enterprise:profile") in html and reverse("enterprise:import") not in html
    html = login(world.users["department_staff"]).get(reverse("home")).content.decode()
    assert reverse("enterprise:import") in html and reverse("enterprise:profile") not in html
    html = login(world.users["security_auditor"]).get(reverse("home")).content.decode()
    assert 'data-testid="nav-enterprise"' not in html


def test_a_staff_edit_saves_products_and_contacts_and_keeps_industries(world, firms, login):
    client = login(world.users["department_staff"])
    ent = firms.lj_internal
    data = {
        "partnership": world.pair_a.pk, "side": world.pair_a.developed_side_id,
        "name": ent.name, "credit_code": ent.credit_code, "industries": "3670",
        "size_class": "below", "expected_version": 1,
        "products-TOTAL_FORMS": "1", "products-INITIAL_FORMS": "0",
        "products-0-name": "车灯", "products-0-share": "55",
        "contacts-TOTAL_FORMS": "1", "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "赵六", "contacts-0-phone": "13600000000",
    }  # fmt: skip
    response = client.post(reverse("enterprise:enterprise_edit", args=[ent.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    ent.refresh_from_db()
    assert ent.version == 2 and [i.code for i in ent.industries.all()] == ["3670"]
    assert [(p.name, str(p.share)) for p in ent.main_products.all()] == [("车灯", "55.00")]
    assert [c.name for c in ent.contacts.all()] == ["赵六"]
    response = client.post(reverse("enterprise:enterprise_edit", args=[ent.pk]), data)
    assert "已有其他人保存了修改" in response.content.decode()


def test_staff_create_and_edit_a_project_with_industry_codes(world, firms, login):
    from xietong.enterprise.models import Project

    client = login(world.users["partnership_coordinator"])
    data = {
        "partnership": world.pair_a.pk, "side": world.pair_a.developed_side_id,
        "name": "汽车零部件配套产业园", "kind": "investment", "stage": "planned",
        "industries": "3670 汽车零部件及配件制造、3660", "investment": "50000",
        "expected_version": 0, "shared": "on",
    }  # fmt: skip
    assert client.post(reverse("enterprise:project_create"), data).status_code == 302
    project = Project.objects.get()
    assert sorted(i.code for i in project.industries.all()) == ["3660", "3670"]
    page = client.get(reverse("enterprise:project_edit", args=[project.pk])).content.decode()
    assert "3670、3660" in page or "3660、3670" in page
    partner = login(world.users["enterprise_user"])  # 万州: sees the shared project
    assert partner.get(reverse("enterprise:project_detail", args=[project.pk])).status_code == 200
