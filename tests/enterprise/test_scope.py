"""Who sees which records; masking and the audited unmask."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xietong.core import scope
from xietong.core.models import SecurityEvent
from xietong.enterprise import services
from xietong.enterprise.models import Enterprise

pytestmark = pytest.mark.django_db

# role → names of pair A's / pair B's enterprises it sees
VISIBLE = {
    "system_admin": {"lj_internal", "lj_shared", "wz_internal", "wz_shared", "b_shared"},
    "programme_coordinator": {"lj_internal", "lj_shared", "wz_internal", "wz_shared", "b_shared"},
    "partnership_coordinator": {"lj_internal", "lj_shared", "wz_shared"},
    "department_staff": {"lj_internal", "lj_shared", "wz_shared"},
    "sector_group_member": {"lj_internal", "lj_shared", "wz_shared"},
    "leader": {"lj_internal", "lj_shared", "wz_internal", "wz_shared"},
    "enterprise_user": {"wz_internal", "lj_shared"},
    "security_auditor": set(),
    "nobody": set(),
}


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_each_role_sees_its_side_and_the_partners_shared_records(world, firms, role):
    user = world.users[role]
    names = {k for k in VISIBLE["system_admin"] if True}
    by_pk = {getattr(firms, k).pk: k for k in names}
    seen = {by_pk[pk] for pk in scope.queryset(user, Enterprise).values_list("pk", flat=True)}
    assert seen == VISIBLE[role]


@pytest.mark.parametrize("role", ["department_staff", "enterprise_user", "security_auditor"])
def test_a_record_out_of_scope_is_a_404_on_the_page(world, firms, login, role):
    client = login(world.users[role])
    hidden = firms.b_shared if role != "security_auditor" else firms.lj_shared
    assert client.get(reverse("enterprise:enterprise_detail", args=[hidden.pk])).status_code == 404


def test_the_partner_side_sees_a_shared_record_but_not_an_internal_one(world, firms, login):
    client = login(world.users["department_staff"])  # 两江新区
    assert (
        client.get(reverse("enterprise:enterprise_detail", args=[firms.wz_shared.pk])).status_code
        == 200
    )
    assert (
        client.get(reverse("enterprise:enterprise_detail", args=[firms.wz_internal.pk])).status_code
        == 404
    )


def test_staff_may_edit_their_sides_records_only(world, firms, login):
    client = login(world.users["department_staff"])
    assert (
        client.get(reverse("enterprise:enterprise_edit", args=[firms.lj_internal.pk])).status_code
        == 200
    )
    assert (
        client.get(reverse("enterprise:enterprise_edit", args=[firms.wz_shared.pk])).status_code
        == 403
    )


def test_phones_are_masked_on_the_page(world, firms, login):
    client = login(world.users["department_staff"])
    page = client.get(reverse("enterprise:enterprise_detail", args=[firms.lj_internal.pk]))
    html = page.content.decode()
    assert "138****1234" in html and "13812341234" not in html
    assert "张**" in html and "张三丰" not in html
    assert 'data-testid="unmask"' in html


def test_the_partner_side_may_not_unmask(world, firms, login):
    client = login(world.users["department_staff"])  # 两江: wz_shared is the partner's
    html = client.get(
        reverse("enterprise:enterprise_detail", args=[firms.wz_shared.pk])
    ).content.decode()
    assert "138****1234" in html and 'data-testid="unmask"' not in html
    contact = firms.wz_shared.contacts.get()
    response = client.post(reverse("enterprise:unmask", args=["contact", contact.pk, "phone"]))
    assert response.status_code == 403
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.UNMASK).exists()


def test_unmasking_shows_the_value_and_is_audited(world, firms, login):
    user = world.users["department_staff"]
    contact = firms.lj_internal.contacts.get()
    response = login(user).post(reverse("enterprise:unmask", args=["contact", contact.pk, "phone"]))
    assert response.status_code == 200 and "13812341234" in response.content.decode()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.UNMASK)
    assert event.user == user
    assert event.detail == f"contact {contact.pk} of enterprise {firms.lj_internal.pk}: phone"


def test_the_enterprise_itself_may_unmask_its_contacts(world, firms, login):
    contact = firms.wz_internal.contacts.get()
    response = login(world.users["enterprise_user"]).post(
        reverse("enterprise:unmask", args=["contact", contact.pk, "email"])
    )
    assert response.status_code == 200 and "zhang@example.cn" in response.content.decode()


def test_unmasking_out_of_scope_is_a_404(world, firms, login):
    contact = firms.b_shared.contacts.get()
    response = login(world.users["department_staff"]).post(
        reverse("enterprise:unmask", args=["contact", contact.pk, "phone"])
    )
    assert response.status_code == 404


def test_talent_is_masked_and_unmasked_for_its_side(world, firms, login):
    client = login(world.users["partnership_coordinator"])
    html = client.get(
        reverse("enterprise:talent_detail", args=[firms.lj_talent.pk])
    ).content.decode()
    assert "139****1111" in html and "李**" in html and "李工程师" not in html
    response = client.post(
        reverse("enterprise:unmask", args=["talent", firms.lj_talent.pk, "name"])
    )
    assert "李工程师" in response.content.decode()


@pytest.mark.parametrize(
    ("value", "masked"),
    [("13812341234", "138****1234"), ("023-67880001", "023****0001"), ("", ""), ("12345", "*****")],
)
def test_mask_phone(value, masked):
    assert services.mask_phone(value) == masked


def test_an_edit_on_an_old_copy_is_refused(world, firms, login):
    client = login(world.users["department_staff"])
    url = reverse("enterprise:product_create")
    ent = firms.lj_internal
    client.post(
        url,
        {"enterprise": ent.pk, "name": "座椅骨架", "category": "汽车零部件", "expected_version": 0},
    )
    from xietong.enterprise.models import Product

    product = Product.objects.get(name="座椅骨架")
    edit = reverse("enterprise:product_edit", args=[product.pk])
    data = {
        "enterprise": ent.pk,
        "name": "座椅骨架A",
        "category": "汽车零部件",
        "expected_version": 1,
    }
    assert client.post(edit, data).status_code == 302
    data["name"] = "座椅骨架B"  # a second tab still holding version 1
    response = client.post(edit, data)
    assert response.status_code == 200 and "已有其他人保存了修改" in response.content.decode()
    product.refresh_from_db()
    assert (product.name, product.version) == ("座椅骨架A", 2)
