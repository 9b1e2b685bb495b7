"""`xietong demo load`: the article's pair, two sample pairs, a user per role; idempotent."""

from django.core.management import call_command

from xietong.core.models import Membership, OrgUnit, Partnership, Region, Role, User


def _counts():
    return (
        Region.objects.count(),
        Partnership.objects.count(),
        OrgUnit.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    )


def test_it_loads_the_article_pair_with_its_real_departments(db):
    call_command("demo", "load")
    pair = Partnership.objects.get(developed_side__name="两江新区", partner_side__name="万州区")
    assert not pair.is_sample
    assert pair.programme.name == "一区两群对口协同"
    assert pair.developed_side.kind == Region.Kind.FUNCTIONAL_AREA
    assert pair.partner_side.division_code == "500101"
    lj_units = set(OrgUnit.objects.filter(region__name="两江新区").values_list("name", flat=True))
    wz_units = set(OrgUnit.objects.filter(region__name="万州区").values_list("name", flat=True))
    assert {"经济运行局", "产业促进局"} <= lj_units
    assert {"发展改革委", "经济信息委"} <= wz_units


def test_it_marks_the_two_other_pairs_as_sample_data(db):
    call_command("demo", "load")
    samples = Partnership.objects.filter(is_sample=True)
    assert samples.count() == 2
    assert all(p.developed_side.division_code.startswith("50") for p in samples)


def test_it_creates_one_user_per_role_who_can_sign_in(db, client):
    call_command("demo", "load")
    held = set(Membership.objects.values_list("role", flat=True))
    assert held == set(Role.values)
    response = client.post(
        "/accounts/login/", {"username": "lj_coord", "password": "Xietong@2026demo"}
    )
    assert response.status_code == 302
    assert client.get("/").context["user"].username == "lj_coord"


def test_it_changes_nothing_when_run_twice(db):
    call_command("demo", "load")
    first = _counts()
    call_command("demo", "load")
    assert _counts() == first


def test_it_keeps_a_password_the_user_changed(db, client):
    call_command("demo", "load")
    user = User.objects.get(username="wz_coord")
    user.set_password("Another-Secret-2026")
    user.save()
    call_command("demo", "load")
    response = client.post(
        "/accounts/login/", {"username": "wz_coord", "password": "Another-Secret-2026"}
    )
    assert response.status_code == 302
