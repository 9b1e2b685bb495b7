"""What people see on the core pages, in Chinese by default and in English on request."""

import pytest
from django.urls import reverse

from xietong.core.models import OrgUnit, Partnership


def test_it_sends_an_anonymous_visitor_to_the_login_page_in_chinese(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    html = client.get(response["Location"]).content.decode()
    assert 'lang="zh-hans"' in html
    assert "登录" in html


def test_it_shows_a_coordinator_their_pair_with_both_sides_departments_and_members(world, login):
    html = login(world.users["partnership_coordinator"]).get("/").content.decode()
    assert "两江新区 ↔ 万州区" in html
    assert "支持方" in html and "协同方" in html
    assert "产业促进局" in html and "区经济信息委" in html
    assert "department_staff" not in html  # members are shown by name, not username
    assert world.users["department_staff"].full_name in html
    assert "渝中区" not in html and "城口县" not in html


def test_it_shows_an_enterprise_user_the_pair_but_no_internal_data(world, login):
    html = login(world.users["enterprise_user"]).get("/").content.decode()
    assert "两江新区 ↔ 万州区" in html
    assert "产业促进局" not in html
    assert world.users["department_staff"].full_name not in html


def test_it_lists_every_pair_of_the_programme_for_its_coordinator(world, login):
    html = login(world.users["programme_coordinator"]).get("/").content.decode()
    assert "两江新区 ↔ 万州区" in html and "渝中区 ↔ 城口县" in html
    assert "沙坪坝区" not in html  # another programme


def test_it_switches_the_current_partnership(world, login):
    client = login(world.users["programme_coordinator"])
    response = client.post(
        reverse("switch_partnership"), {"partnership": world.pair_b.pk, "next": "/org-units/"}
    )
    assert response.status_code == 302 and response["Location"] == "/org-units/"
    html = client.get("/org-units/").content.decode()
    assert "区发展改革委" in html  # pair B's unit
    assert "产业促进局" not in html  # pair A's unit is not in the current pair's list
    assert client.get("/").context["request"].partnership == world.pair_b


def test_it_refuses_to_switch_to_a_pair_out_of_scope(world, login):
    client = login(world.users["partnership_coordinator"])
    response = client.post(reverse("switch_partnership"), {"partnership": world.pair_b.pk})
    assert response.status_code == 404
    assert client.get("/").context["request"].partnership == world.pair_a


def test_it_ignores_a_foreign_next_url_when_switching(world, login):
    client = login(world.users["programme_coordinator"])
    response = client.post(
        reverse("switch_partnership"),
        {"partnership": world.pair_a.pk, "next": "https://evil.example.com/"},
    )
    assert response["Location"] == "/"


def test_it_switches_the_interface_to_english_and_back(world, login):
    client = login(world.users["partnership_coordinator"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Partnerships" in html and "Developed side" in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "支持方" in client.get("/").content.decode()


def test_it_answers_an_unknown_page_with_a_chinese_404(world, login):
    response = login(world.users["partnership_coordinator"]).get("/partnerships/999999/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_it_lets_a_coordinator_add_a_department_to_their_side(world, login):
    client = login(world.users["partnership_coordinator"])
    response = client.post(
        reverse("orgunit_create"),
        {"region": world.pair_a.developed_side.pk, "name": "科技创新局", "kind": "bureau",
         "sort_order": 30, "is_active": "on"},
    )  # fmt: skip
    unit = OrgUnit.objects.get(name="科技创新局")
    assert response.status_code == 302 and response["Location"] == f"/org-units/{unit.pk}/"
    assert unit.region == world.pair_a.developed_side
    assert "已保存" in client.get(response["Location"]).content.decode()


def test_it_shows_form_errors_in_chinese(world, login):
    client = login(world.users["partnership_coordinator"])
    response = client.post(reverse("orgunit_create"), {"region": world.pair_a.developed_side.pk})
    assert response.status_code == 200
    assert "该字段是必填项" in response.content.decode()
    assert not OrgUnit.objects.filter(region=world.pair_a.developed_side, name="").exists()


def test_it_does_not_offer_the_other_sides_region_to_a_coordinator(world, login):
    client = login(world.users["partnership_coordinator"])
    form = client.get(reverse("orgunit_create")).context["form"]
    assert list(form.fields["region"].queryset) == [world.pair_a.developed_side]


def test_it_creates_a_partnership_for_the_programme_coordinator(world, login):
    client = login(world.users["programme_coordinator"])
    response = client.post(
        reverse("partnership_create"),
        {"programme": world.programme.pk, "developed_side": world.pair_a.developed_side.pk,
         "partner_side": world.pair_b.partner_side.pk, "start_date": "2026-03-01",
         "status": "active"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Partnership.objects.filter(
        developed_side=world.pair_a.developed_side, partner_side=world.pair_b.partner_side
    ).exists()


def test_it_refuses_a_pair_with_the_same_region_on_both_sides(world, login):
    client = login(world.users["programme_coordinator"])
    side = world.pair_a.developed_side.pk
    response = client.post(
        reverse("partnership_create"),
        {"programme": world.programme.pk, "developed_side": side, "partner_side": side,
         "start_date": "2026-03-01", "status": "active"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Partnership.objects.count() == 3


@pytest.mark.parametrize("role", ["leader", "department_staff"])
def test_it_shows_no_write_buttons_to_read_only_roles(world, login, role):
    html = login(world.users[role]).get(f"/partnerships/{world.pair_a.pk}/").content.decode()
    assert "/edit/" not in html and "/delete/" not in html


def test_it_shows_the_administrator_the_role_management(world, login):
    client = login(world.users["system_admin"])
    person = world.users["department_staff"]
    html = client.get(f"/people/{person.pk}/").content.decode()
    assert f"/people/{person.pk}/roles/new/" in html
    assert "产业促进局" in html


def test_it_counts_the_records_of_a_list(world, login):
    html = login(world.users["system_admin"]).get("/partnerships/").content.decode()
    assert "共 3 条记录" in html
