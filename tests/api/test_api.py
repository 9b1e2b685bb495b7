"""The REST API: token sign-in, expiry and revocation, filters, pages, errors and the schema.

Who may see and change what through the API is in ``tests/core/test_isolation.py``.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from xietong.core.models import OrgUnit, Partnership, Region, SecurityEvent

from ..factories import PASSWORD, PartnershipFactory

TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"
LOGOUT_ALL_URL = "/api/v1/auth/logout-all/"
ME_URL = "/api/v1/me/"


@pytest.fixture
def api():
    return APIClient()


def sign_in(api, username, password=PASSWORD):
    return api.post(TOKEN_URL, {"username": username, "password": password}, "json")


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def admin_api(world):
    client = APIClient()
    client.force_authenticate(world.users["system_admin"])
    return client


# --- Tokens -------------------------------------------------------------------------------


def test_it_exchanges_a_password_for_a_token_with_an_expiry(world, api):
    user = world.users["partnership_coordinator"]
    before = timezone.now()
    response = sign_in(api, user.username)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    assert len(body["token"]) >= 32
    expiry = parse_datetime(body["expiry"])
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    assert before + ttl - timedelta(minutes=1) <= expiry <= timezone.now() + ttl
    assert AuthToken.objects.filter(user=user).count() == 1
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOKEN_CREATED, user=user).exists()


def test_it_serves_the_api_to_the_bearer_of_a_token(world, api):
    token = sign_in(api, "department_staff").json()["token"]
    response = with_token(token).get(ME_URL)
    assert response.status_code == 200
    me = response.json()
    assert me["username"] == "department_staff"
    assert [m["role"] for m in me["memberships"]] == ["department_staff"]
    assert me["memberships"][0]["org_unit"] == world.unit_a_dev.pk
    response = with_token(token).get("/api/v1/partnerships/")
    assert [p["id"] for p in response.json()["results"]] == [world.pair_a.pk]


@pytest.mark.parametrize("password", ["wrong-password-1", ""])
def test_it_refuses_a_wrong_password_and_issues_no_token(world, api, password):
    response = sign_in(api, "leader", password)
    assert response.status_code in (400, 401)
    assert "token" not in response.json()
    assert not AuthToken.objects.exists()


def test_it_answers_a_failed_sign_in_with_401_and_the_token_scheme(world, api):
    response = sign_in(api, "leader", "wrong-password-1")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_it_refuses_a_token_to_an_inactive_account(world, api):
    user = world.users["leader"]
    user.is_active = False
    user.save()
    assert sign_in(api, "leader").status_code == 401
    assert not AuthToken.objects.exists()


def test_it_locks_the_account_after_five_failed_sign_ins(world, api):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(api, "leader", "wrong-password-1").status_code == 401
    assert sign_in(api, "leader", "wrong-password-1").status_code == 429  # locked now
    response = sign_in(api, "leader")  # the right password, too late
    assert response.status_code == 429
    assert "token" not in response.json()
    assert not AuthToken.objects.exists()


def test_it_refuses_requests_without_a_token_or_with_a_made_up_one(world, api):
    assert api.get(ME_URL).status_code == 401
    assert with_token("0" * 64).get(ME_URL).status_code == 401
    assert with_token("0" * 64).get("/api/v1/partnerships/").status_code == 401


def test_it_refuses_a_token_past_its_expiry(world, api):
    token = sign_in(api, "leader").json()["token"]
    client = with_token(token)
    assert client.get(ME_URL).status_code == 200
    AuthToken.objects.filter(user=world.users["leader"]).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(ME_URL).status_code == 401
    assert client.get("/api/v1/partnerships/").status_code == 401


def test_it_still_accepts_a_token_just_before_its_expiry(world, api):
    token = sign_in(api, "leader").json()["token"]
    AuthToken.objects.filter(user=world.users["leader"]).update(
        expiry=timezone.now() + timedelta(minutes=1)
    )
    assert with_token(token).get(ME_URL).status_code == 200


def test_it_revokes_the_token_used_to_sign_out(world, api):
    user = world.users["leader"]
    kept = sign_in(api, "leader").json()["token"]
    revoked = sign_in(api, "leader").json()["token"]
    response = with_token(revoked).post(LOGOUT_URL)
    assert response.status_code == 204
    assert with_token(revoked).get(ME_URL).status_code == 401
    assert with_token(kept).get(ME_URL).status_code == 200  # only the one token is revoked
    assert AuthToken.objects.filter(user=user).count() == 1
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOKEN_REVOKED, user=user).exists()


def test_it_revokes_every_token_of_the_user_on_sign_out_everywhere(world, api):
    user = world.users["leader"]
    tokens = [sign_in(api, "leader").json()["token"] for _ in range(3)]
    other = sign_in(api, "department_staff").json()["token"]
    response = with_token(tokens[0]).post(LOGOUT_ALL_URL)
    assert response.status_code == 204
    for token in tokens:
        assert with_token(token).get(ME_URL).status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()
    assert with_token(other).get(ME_URL).status_code == 200  # another user's token stays
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.TOKEN_REVOKED, user=user)
    assert event.detail == "all"


def test_signing_out_needs_a_token(world, api):
    assert api.post(LOGOUT_URL).status_code == 401
    assert api.post(LOGOUT_ALL_URL).status_code == 401


# --- /me ----------------------------------------------------------------------------------


def test_me_describes_the_signed_in_user_and_their_roles(world, api):
    user = world.users["partnership_coordinator"]
    api.force_authenticate(user)
    response = api.get(ME_URL)
    assert response.status_code == 200
    me = response.json()
    assert (me["id"], me["username"], me["email"]) == (user.pk, user.username, user.email)
    (membership,) = me["memberships"]
    assert membership["role"] == "partnership_coordinator"
    assert membership["partnership"] == world.pair_a.pk
    assert membership["region"] == world.pair_a.developed_side_id
    assert membership["role_display"]


def test_me_works_with_the_session_of_the_pages(world, login):
    client = login(world.users["leader"])
    response = client.get(ME_URL)
    assert response.status_code == 200
    assert response.json()["username"] == "leader"


# --- Filters ------------------------------------------------------------------------------


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_it_filters_partnerships_by_status(world, admin_api):
    world.pair_b.status = Partnership.Status.SUSPENDED
    world.pair_b.save()
    url = "/api/v1/partnerships/"
    assert ids(admin_api.get(url, {"status": "suspended"})) == {world.pair_b.pk}
    assert ids(admin_api.get(url, {"status": "active"})) == {world.pair_a.pk, world.pair_c.pk}
    assert admin_api.get(url, {"status": "unknown"}).status_code == 400


def test_it_filters_partnerships_by_programme(world, admin_api):
    url = "/api/v1/partnerships/"
    assert ids(admin_api.get(url, {"programme": world.programme.pk})) == {
        world.pair_a.pk,
        world.pair_b.pk,
    }
    assert ids(admin_api.get(url, {"programme": world.other_programme.pk})) == {world.pair_c.pk}


def test_it_filters_partnerships_by_a_region_on_either_side(world, admin_api):
    wz = world.pair_a.partner_side
    lj = world.pair_a.developed_side
    reverse_pair = PartnershipFactory(
        programme=world.other_programme, developed_side=wz, partner_side=world.pair_c.partner_side
    )
    url = "/api/v1/partnerships/"
    assert ids(admin_api.get(url, {"region": wz.pk})) == {world.pair_a.pk, reverse_pair.pk}
    assert ids(admin_api.get(url, {"region": lj.pk})) == {world.pair_a.pk}
    assert ids(admin_api.get(url, {"partner_side": wz.pk})) == {world.pair_a.pk}
    assert ids(admin_api.get(url, {"developed_side": wz.pk})) == {reverse_pair.pk}


def test_it_filters_org_units_by_region(world, admin_api):
    lj = world.pair_a.developed_side
    assert ids(admin_api.get("/api/v1/org-units/", {"region": lj.pk})) == {world.unit_a_dev.pk}


def test_it_filters_regions_by_kind(world, admin_api):
    response = admin_api.get("/api/v1/regions/", {"kind": "county"})
    assert {row["name"] for row in response.json()["results"]} == {"城口县", "奉节县"}


def test_filters_combine_with_the_scope_of_the_user(world, api):
    api.force_authenticate(world.users["programme_coordinator"])
    url = "/api/v1/partnerships/"
    assert ids(api.get(url, {"programme": world.programme.pk})) == {
        world.pair_a.pk,
        world.pair_b.pk,
    }
    response = api.get(url, {"programme": world.other_programme.pk})
    assert response.status_code == 400  # as for a programme that does not exist
    assert "programme" in response.json()


def test_it_searches_and_orders(world, admin_api):
    response = admin_api.get("/api/v1/org-units/", {"search": "发展改革"})
    assert ids(response) == {world.unit_b.pk}
    response = admin_api.get("/api/v1/partnerships/", {"ordering": "-id"})
    order = [row["id"] for row in response.json()["results"]]
    assert order == sorted(order, reverse=True)


# --- Pages of results ---------------------------------------------------------------------


def test_it_pages_lists_by_50_unless_asked_otherwise(world, admin_api):
    Region.objects.bulk_create(
        Region(name=f"功能区{i:03}", kind=Region.Kind.FUNCTIONAL_AREA) for i in range(60)
    )
    total = Region.objects.count()
    body = admin_api.get("/api/v1/regions/").json()
    assert (body["count"], len(body["results"])) == (total, 50)
    assert body["next"] and body["previous"] is None
    body = admin_api.get("/api/v1/regions/", {"page_size": 5, "page": 2}).json()
    assert len(body["results"]) == 5
    assert body["previous"] and body["next"]


def test_it_caps_the_page_size_at_1000(world, admin_api):
    Region.objects.bulk_create(
        Region(name=f"功能区{i:04}", kind=Region.Kind.FUNCTIONAL_AREA) for i in range(1001)
    )
    total = Region.objects.count()
    body = admin_api.get("/api/v1/regions/", {"page_size": 5000}).json()
    assert body["count"] == total
    assert len(body["results"]) == 1000
    assert body["next"]
    rest = admin_api.get(body["next"]).json()
    assert len(rest["results"]) == total - 1000


# --- Invalid input ------------------------------------------------------------------------


def test_it_refuses_a_partnership_with_one_region_on_both_sides(world, admin_api):
    side = world.pair_a.developed_side_id
    response = admin_api.post(
        "/api/v1/partnerships/",
        {"programme": world.programme.pk, "developed_side": side, "partner_side": side,
         "start_date": "2025-01-01"},
        "json",
    )  # fmt: skip
    assert response.status_code == 400
    assert list(response.json()) == ["partner_side"]
    assert Partnership.objects.count() == 3


def test_it_refuses_a_change_that_puts_one_region_on_both_sides(world, admin_api):
    pair = world.pair_a
    response = admin_api.patch(
        f"/api/v1/partnerships/{pair.pk}/", {"partner_side": pair.developed_side_id}, "json"
    )
    assert response.status_code == 400
    assert "partner_side" in response.json()
    pair.refresh_from_db()
    assert pair.partner_side_id != pair.developed_side_id


@pytest.mark.parametrize("code", ["123", "999999", "50010A"])
def test_it_refuses_a_region_code_that_is_not_gbt2260(world, admin_api, code):
    response = admin_api.post(
        "/api/v1/regions/", {"name": "某县", "kind": "county", "division_code": code}, "json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["division_code"]
    assert not Region.objects.filter(name="某县").exists()


def test_it_refuses_a_district_without_a_code_but_not_a_functional_area(world, admin_api):
    url = "/api/v1/regions/"
    response = admin_api.post(url, {"name": "某区", "kind": "district"}, "json")
    assert response.status_code == 400
    assert "division_code" in response.json()
    for name in ("高新区", "经开区"):  # two areas without a code: the blank code is not unique
        response = admin_api.post(url, {"name": name, "kind": "functional_area"}, "json")
        assert response.status_code == 201, response.content
    assert Region.objects.filter(name__in=["高新区", "经开区"], division_code="").count() == 2


def test_it_refuses_a_code_already_taken(world, admin_api):
    response = admin_api.post(
        "/api/v1/regions/",
        {"name": "又一个万州", "kind": "district", "division_code": "500101"},
        "json",
    )
    assert response.status_code == 400
    assert "division_code" in response.json()


def test_it_refuses_an_org_unit_without_a_name(world, admin_api):
    region = world.pair_a.developed_side
    response = admin_api.post("/api/v1/org-units/", {"region": region.pk, "kind": "bureau"}, "json")
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert OrgUnit.objects.filter(region=region).count() == 1


def test_it_refuses_a_second_unit_of_the_same_name_in_a_region(world, admin_api):
    unit = world.unit_a_dev
    response = admin_api.post(
        "/api/v1/org-units/", {"region": unit.region_id, "name": unit.name}, "json"
    )
    assert response.status_code == 400
    assert OrgUnit.objects.filter(region=unit.region_id, name=unit.name).count() == 1


def test_it_refuses_a_parent_unit_of_another_region(world, admin_api):
    response = admin_api.post(
        "/api/v1/org-units/",
        {"region": world.unit_b.region_id, "name": "下属中心", "parent": world.unit_a_dev.pk},
        "json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["parent"]


def test_a_refused_change_leaves_the_row_as_it_was(world, admin_api):
    unit = world.unit_a_dev
    response = admin_api.patch(
        f"/api/v1/org-units/{unit.pk}/", {"name": "", "phone": "023-1"}, "json"
    )
    assert response.status_code == 400
    unit.refresh_from_db()
    assert (unit.name, unit.phone) == ("产业促进局", "")


def test_it_replaces_an_org_unit_with_put(world, admin_api):
    unit = world.unit_a_dev
    payload = {"region": unit.region_id, "name": "产业促进局（新）", "kind": "office",
               "parent": None, "phone": "023-1", "is_active": False}  # fmt: skip
    response = admin_api.put(f"/api/v1/org-units/{unit.pk}/", payload, "json")
    assert response.status_code == 200
    unit.refresh_from_db()
    assert (unit.name, unit.kind, unit.phone, unit.is_active) == (
        "产业促进局（新）",
        "office",
        "023-1",
        False,
    )


# --- Schema and docs ----------------------------------------------------------------------


def test_the_schema_is_an_openapi_3_document_listing_the_endpoints(world, client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Xietong API"
    paths = schema["paths"]
    for collection in ("programmes", "regions", "partnerships", "org-units"):
        assert {"get", "post"} <= set(paths[f"/api/v1/{collection}/"])
        assert {"get", "put", "patch", "delete"} <= set(paths[f"/api/v1/{collection}/{{id}}/"])
    for path in (ME_URL, TOKEN_URL, LOGOUT_URL, LOGOUT_ALL_URL):
        assert path in paths
    params = {p["name"] for p in paths["/api/v1/partnerships/"]["get"]["parameters"]}
    assert {"status", "programme", "region", "page", "page_size"} <= params
    assert schema["components"]["securitySchemes"]


def test_the_docs_page_loads_only_local_assets(world, client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page references no script or stylesheet"
    for url in assets:
        assert url.startswith(("/static/", "/api/")), url
    assert not re.search(r"https?://", html)
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert not re.search(r"https?://(?!localhost|127\.0\.0\.1)", script.content.decode())
    for url in assets:
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url
