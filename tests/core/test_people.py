"""The administrator manages accounts and roles from the people pages."""

from django.urls import reverse

from xietong.core.models import Membership, Role, User


def test_it_creates_an_account_with_a_strong_password(world, login):
    client = login(world.users["system_admin"])
    response = client.post(
        reverse("person_create"),
        {"username": "wz_new", "full_name": "郑小红", "email": "wz_new@example.cn",
         "password1": "Wanzhou#Talent2026", "password2": "Wanzhou#Talent2026",
         "is_active": "on"},
    )  # fmt: skip
    person = User.objects.get(username="wz_new")
    assert response.status_code == 302 and response["Location"] == f"/people/{person.pk}/"
    assert person.full_name == "郑小红" and person.check_password("Wanzhou#Talent2026")


def test_it_refuses_a_weak_password_and_says_why_in_chinese(world, login):
    client = login(world.users["system_admin"])
    response = client.post(
        reverse("person_create"),
        {"username": "wz_weak", "full_name": "弱密码", "password1": "short",
         "password2": "short", "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert "密码" in html and "12" in html
    assert not User.objects.filter(username="wz_weak").exists()


def test_it_grants_a_role_scoped_to_a_department(world, login):
    client = login(world.users["system_admin"])
    person = world.users["nobody"]
    response = client.post(
        reverse("membership_create", args=[person.pk]),
        {"role": Role.DEPARTMENT_STAFF, "org_unit": world.unit_a_partner.pk},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=person)
    assert membership.role == Role.DEPARTMENT_STAFF
    assert membership.org_unit == world.unit_a_partner
    html = client.get(f"/people/{person.pk}/").content.decode()
    assert "部门工作人员" in html and "区经济信息委" in html


def test_it_refuses_a_role_without_the_scope_it_needs(world, login):
    client = login(world.users["system_admin"])
    person = world.users["nobody"]
    response = client.post(
        reverse("membership_create", args=[person.pk]), {"role": Role.PARTNERSHIP_COORDINATOR}
    )
    assert response.status_code == 200
    assert "partnership" in response.context["form"].errors
    assert "该角色必须填写此项" in response.content.decode()
    assert not Membership.objects.filter(user=person).exists()


def test_it_removes_a_role(world, login):
    client = login(world.users["system_admin"])
    staff = world.users["department_staff"]
    membership = staff.memberships.get()
    response = client.post(reverse("membership_delete", args=[staff.pk, membership.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_it_lets_no_coordinator_grant_roles(world, login):
    client = login(world.users["partnership_coordinator"])
    person = world.users["department_staff"]
    response = client.post(
        reverse("membership_create", args=[person.pk]),
        {"role": Role.LEADER, "partnership": world.pair_a.pk},
    )
    assert response.status_code == 403
    assert person.memberships.count() == 1


def test_it_says_in_chinese_that_a_password_is_too_short(world, login):
    client = login(world.users["system_admin"])
    response = client.post(
        reverse("person_create"),
        {"username": "wz_short", "full_name": "短密码", "password1": "Ab1#xyz",
         "password2": "Ab1#xyz", "is_active": "on"},
    )  # fmt: skip
    assert "密码太短，至少需要 12 个字符" in response.content.decode()
    assert not User.objects.filter(username="wz_short").exists()
