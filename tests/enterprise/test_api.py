"""The API of the five databases: scope, masking, audited unmask, writes and versions."""

from __future__ import annotations

import pytest

from xietong.core.models import SecurityEvent
from xietong.enterprise.models import Enterprise

from .conftest import credit_code

pytestmark = pytest.mark.django_db
URL = "/api/v1/enterprises/"


def test_the_list_holds_exactly_the_visible_records_masked(world, firms, login):
    data = login(world.users["enterprise_user"]).get(URL).json()
    names = {r["name"] for r in data["results"]}
    assert names == {"万州测试企业", "两江共享电子公司"}
    contact = data["results"][0]["contacts"][0]
    assert contact["phone"] == "138****1234" and contact["name"] == "张**"


def test_out_of_scope_is_a_404(world, firms, login):
    client = login(world.users["department_staff"])
    assert client.get(f"{URL}{firms.b_shared.pk}/").status_code == 404
    assert client.get(f"{URL}{firms.wz_internal.pk}/").status_code == 404


def test_filters_by_industry_and_side(world, firms, login):
    client = login(world.users["system_admin"])
    assert client.get(URL, {"industry": "367"}).json()["count"] == 5
    assert client.get(URL, {"industry": "1391"}).json()["count"] == 0
    side = world.pair_a.partner_side_id
    assert {r["name"] for r in client.get(URL, {"side": side}).json()["results"]} == {
        "万州测试企业",
        "万州共享食品公司",
    }


def test_unmask_through_the_api_is_audited_and_limited(world, firms, login):
    contact = firms.lj_internal.contacts.get()
    client = login(world.users["department_staff"])
    response = client.post(
        f"{URL}{firms.lj_internal.pk}/unmask/", {"contact": contact.pk, "field": "phone"}
    )
    assert response.status_code == 200 and response.json()["value"] == "13812341234"
    assert (
        SecurityEvent.objects.filter(kind="unmask", user=world.users["department_staff"]).count()
        == 1
    )
    partner = firms.wz_shared.contacts.get()
    response = client.post(
        f"{URL}{firms.wz_shared.pk}/unmask/", {"contact": partner.pk, "field": "phone"}
    )
    assert response.status_code == 403


def test_staff_create_on_their_side_only(world, firms, login):
    client = login(world.users["department_staff"])
    body = {
        "partnership": world.pair_a.pk,
        "side": world.pair_a.developed_side_id,
        "name": "新建企业",
        "credit_code": credit_code(50),
        "industries": ["3670"],
        "main_products": [{"name": "车灯", "share": "80"}],
    }
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 201, response.content
    ent = Enterprise.objects.get(name="新建企业")
    assert [p.name for p in ent.main_products.all()] == ["车灯"]
    body.update(side=world.pair_a.partner_side_id, credit_code=credit_code(51), name="别方企业")
    assert client.post(URL, body, content_type="application/json").status_code == 403


def test_a_bad_credit_code_is_a_400_naming_the_check_character(world, firms, login):
    client = login(world.users["department_staff"])
    good = credit_code(52)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    body = {
        "partnership": world.pair_a.pk,
        "side": world.pair_a.developed_side_id,
        "name": "错码企业",
        "credit_code": bad,
    }
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert f"“{good[17]}”" in str(response.json())


def test_a_stale_version_is_a_409(world, firms, login):
    client = login(world.users["department_staff"])
    url = f"{URL}{firms.lj_internal.pk}/"
    first = client.patch(url, {"address": "一号", "version": 1}, content_type="application/json")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.patch(url, {"address": "二号", "version": 1}, content_type="application/json")
    assert stale.status_code == 409
    firms.lj_internal.refresh_from_db()
    assert firms.lj_internal.address == "一号"


def test_the_partner_side_may_read_but_not_change_a_shared_record(world, firms, login):
    client = login(world.users["department_staff"])
    url = f"{URL}{firms.wz_shared.pk}/"
    assert client.get(url).status_code == 200
    assert client.patch(url, {"address": "x"}, content_type="application/json").status_code == 403


def test_talent_is_masked_in_the_api(world, firms, login):
    data = login(world.users["enterprise_user"]).get("/api/v1/talent/").json()
    [talent] = data["results"]
    assert talent["phone"] == "139****1111" and talent["name"] == "李***"
