"""Who sees and does what: one table, declared once per object type, run for every role.

Every fixture user belongs to pair A (两江新区 ↔ 万州区), except the programme coordinator,
who holds the whole programme of pairs A and B, and the administrator, the auditor and
"nobody". Each object type has three objects the matrix aims at:

- A: an object of pair A, the users' own pair;
- B: an object of pair B (渝中区 ↔ 城口县), same programme;
- C: an object of pair C (沙坪坝区 ↔ 奉节县), another programme.

The rules come from the docstring of ``xietong/core/scope.py``: an object outside the role's
reach answers 404 and appears in no list or count; a write the role may not do answers 403
where the object is visible, else 404; a write that succeeds leaves the row changed. Each
cell of the table is checked on the pages and on the API (people have no API).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.db.models import Model
from django.forms.models import model_to_dict
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from xietong.core.forms import (
    OrgUnitForm,
    PartnershipForm,
    ProgrammeForm,
    RegionForm,
    UserForm,
)
from xietong.core.models import (
    Membership,
    OrgUnit,
    Partnership,
    Programme,
    Region,
    Role,
    SecurityEvent,
    User,
)

from ..conftest import ROLES
from ..factories import PASSWORD, MembershipFactory, ProgrammeFactory, RegionFactory, UserFactory

# --- The table ----------------------------------------------------------------------------
#
# Each cell: the levels whose objects the role sees ("-": none), then what it may write
# (c = create, u = change, d = delete) on what it sees. Seeing an object means finding it
# in the list and opening it. A write not granted answers 403 on an object the role sees,
# 404 on one it does not; a creation not granted answers 403.

COLUMNS = ("programme", "region", "partnership", "orgunit", "person")
MATRIX = {
    #                          programme  region     partnership  org unit   people
    "system_admin":            ("ABC cud", "ABC cud", "ABC cud",   "ABC cud", "ABC cud"),
    "programme_coordinator":   ("AB",      "AB cu",   "AB cu",     "AB cu",   "AB"),
    "partnership_coordinator": ("A",       "A",       "A",         "A cud",   "A"),
    "department_staff":        ("A",       "A",       "A",         "A",       "A"),
    "sector_group_member":     ("A",       "A",       "A",         "A",       "A"),
    "enterprise_user":         ("A",       "A",       "A",         "-",       "-"),
    "leader":                  ("A",       "A",       "A",         "A",       "A"),
    "security_auditor":        ("-",       "-",       "-",         "-",       "-"),
    "nobody":                  ("-",       "-",       "-",         "-",       "-"),
}  # fmt: skip
ACTIONS = ("list", "view", "create", "change", "delete")

# Names that belong to one level only: a role that does not see a level's partnership must
# find none of them on any page or in any API answer.
LEVEL_NAMES = {
    "A": ("两江新区", "万州区", "产业促进局", "区经济信息委", "一区两群对口协同", "甲方联络员"),
    "B": ("渝中区", "城口县", "区发展改革委", "乙方联络员"),
    "C": ("沙坪坝区", "奉节县", "区科技局", "另一计划", "丙方联络员"),
}
PAIR_A_ROLES = [
    "partnership_coordinator",
    "department_staff",
    "sector_group_member",
    "enterprise_user",
    "leader",
]


@dataclass(frozen=True)
class Rule:
    reach: str  # levels seen, e.g. "AB"
    writes: str  # subset of "cud"

    @classmethod
    def of(cls, role: str, type_name: str) -> Rule:
        cell = MATRIX[role][COLUMNS.index(type_name)]
        reach, _, writes = cell.partition(" ")
        return cls(reach="" if reach == "-" else reach, writes=writes)

    def sees(self, level: str) -> bool:
        return level in self.reach

    def may(self, action: str) -> bool:
        return {"create": "c", "change": "u", "delete": "d"}[action] in self.writes


def hidden_names(role: str) -> list[str]:
    """Names of the pairs the role does not see: they must appear nowhere it looks."""
    pairs = Rule.of(role, "partnership")
    return [name for level, names in LEVEL_NAMES.items() if not pairs.sees(level) for name in names]


# --- The object types, declared once ------------------------------------------------------


@dataclass(frozen=True)
class ObjectType:
    name: str  # URL name prefix: <name>_list, _detail, _create, _edit, _delete
    model: type[Model]
    form: type  # the page's form, whose fields the tests post
    api: str | None  # API collection under /api/v1/; None: no API
    label: Callable[[Model], str]  # how a page shows the object
    new: Callable[[Any], dict]  # field values of a new object in pair A's scope
    key: tuple[str, ...]  # the fields of ``new`` that find the created row
    change: tuple[str, Any]  # the field a change sets, and its new value
    # A deletable stand-in when the level's object is still referenced (regions and
    # programmes in a pair cannot be deleted); only roles that may delete get it.
    deletable: Callable[[Any], Model] | None = None
    form_extra: dict = field(default_factory=dict)  # what a new object's form needs beside
    list_query: Callable[[Model], dict] = lambda obj: {}  # how a list finds the object

    def __str__(self) -> str:
        return self.name


TYPES = [
    ObjectType(
        "programme",
        Programme,
        ProgrammeForm,
        "programmes",
        label=lambda p: p.name,
        new=lambda w: {"name": "成渝协同计划", "code": "chengyu"},
        key=("code",),
        change=("description", "已更新的说明"),
        deletable=lambda w: ProgrammeFactory(name="待删除计划"),
    ),
    ObjectType(
        "region",
        Region,
        RegionForm,
        "regions",
        label=lambda r: r.name,
        new=lambda w: {"name": "巫山县", "kind": "county", "division_code": "500237"},
        key=("name",),
        change=("description", "已更新的说明"),
        deletable=lambda w: RegionFactory(
            name="待删除区", kind="functional_area", division_code=""
        ),
    ),
    ObjectType(
        "partnership",
        Partnership,
        PartnershipForm,
        "partnerships",
        label=str,
        new=lambda w: {
            "programme": w.programme,
            "developed_side": w.pair_b.developed_side,
            "partner_side": w.pair_a.partner_side,
            "start_date": date(2025, 3, 1),
            "status": "active",
        },
        key=("programme", "developed_side", "partner_side"),
        change=("status", "suspended"),
    ),
    ObjectType(
        "orgunit",
        OrgUnit,
        OrgUnitForm,
        "org-units",
        label=lambda u: u.name,
        new=lambda w: {"region": w.pair_a.developed_side, "name": "新设科室", "kind": "bureau"},
        key=("region", "name"),
        change=("phone", "023-67890000"),
        # The list shows the current partnership's units; the side filter finds the others.
        list_query=lambda u: {"region": u.region_id},
    ),
    ObjectType(
        "person",
        User,
        UserForm,
        None,
        label=lambda u: u.full_name,
        new=lambda w: {"username": "new_colleague", "full_name": "新同事", "email": "n@example.cn"},
        key=("username",),
        change=("title", "联络员"),
        form_extra={"password1": PASSWORD, "password2": PASSWORD},
    ),
]
TYPE_BY_NAME = {t.name: t for t in TYPES}


@pytest.fixture
def targets(world) -> dict[str, dict[str, Model]]:
    """The A, B and C object of each type (programmes: A and B share one)."""
    unit_c = OrgUnit.objects.get(name="区科技局")
    people = {}
    for level, username, full_name, unit in (
        ("A", "person_a", "甲方联络员", world.unit_a_partner),
        ("B", "person_b", "乙方联络员", world.unit_b),
        ("C", "person_c", "丙方联络员", unit_c),
    ):
        people[level] = UserFactory(username=username, full_name=full_name)
        MembershipFactory(user=people[level], role=Role.DEPARTMENT_STAFF, org_unit=unit)
    return {
        "programme": {"A": world.programme, "C": world.other_programme},
        "region": {"A": world.pair_a.partner_side, "B": world.pair_b.partner_side,
                   "C": world.pair_c.partner_side},
        "partnership": {"A": world.pair_a, "B": world.pair_b, "C": world.pair_c},
        "orgunit": {"A": world.unit_a_dev, "B": world.unit_b, "C": unit_c},
        "person": people,
    }  # fmt: skip


# --- Encoding what is posted --------------------------------------------------------------


def _form_value(value):
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def form_data(otype: ObjectType, instance: Model, **changes) -> dict:
    """What the page's form posts for ``instance`` with ``changes`` (checkboxes as a browser)."""
    values = model_to_dict(instance, fields=otype.form._meta.fields)
    values.update(changes)
    data = {}
    for name, value in values.items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = _form_value(value)
    return data


def json_data(values: dict) -> dict:
    return {name: _form_value(value) for name, value in values.items()}


def created(otype: ObjectType, world) -> bool:
    new = otype.new(world)
    return otype.model.objects.filter(**{k: new[k] for k in otype.key}).exists()


def denial_recorded(user) -> bool:
    return SecurityEvent.objects.filter(kind=SecurityEvent.Kind.DENIED, user=user).exists()


def assert_hides(content: str, names: list[str]) -> None:
    leaked = [name for name in names if name in content]
    assert not leaked, f"names of pairs out of scope leaked: {leaked}"


# --- The pages ----------------------------------------------------------------------------


class Pages:
    def __init__(self, client, world, user, role):
        self.client, self.world, self.user, self.role = client, world, user, role
        client.force_login(user)

    def get(self, url, **query):
        response = self.client.get(url, query)
        if response.status_code == 200:
            assert_hides(response.content.decode(), hidden_names(self.role))
        return response

    def list(self, otype, rule, objects):
        pages = {}  # query string -> page content (most lists need a single page)
        for query in [{}, *(otype.list_query(obj) for obj in objects.values())]:
            key = tuple(sorted(query.items()))
            if key not in pages:
                response = self.get(reverse(f"{otype}_list"), **query)
                assert response.status_code == 200
                pages[key] = response.content.decode()
        for level, obj in objects.items():
            page = pages[tuple(sorted(otype.list_query(obj).items()))]
            shown = otype.label(obj) in page
            assert shown == rule.sees(level), f"{level} object shown: {shown}"

    def view(self, otype, rule, objects):
        for level, obj in objects.items():
            response = self.get(reverse(f"{otype}_detail", args=[obj.pk]))
            if rule.sees(level):
                assert response.status_code == 200
                assert otype.label(obj) in response.content.decode()
            else:
                assert response.status_code == 404, level

    def create(self, otype, rule, objects):
        url = reverse(f"{otype}_create")
        data = form_data(otype, otype.model(**otype.new(self.world)), **otype.form_extra)
        if rule.may("create"):
            assert self.get(url).status_code == 200
            response = self.client.post(url, data)
            assert response.status_code == 302, response.context and response.context["form"].errors
            assert created(otype, self.world)
        else:
            assert self.get(url).status_code == 403
            assert self.client.post(url, data).status_code == 403
            assert not created(otype, self.world)
            assert denial_recorded(self.user)

    def change(self, otype, rule, objects):
        name, value = otype.change
        for level, obj in objects.items():
            url = reverse(f"{otype}_edit", args=[obj.pk])
            before = getattr(obj, name)
            data = form_data(otype, obj, **{name: value})
            if rule.sees(level) and rule.may("change"):
                assert self.get(url).status_code == 200
                response = self.client.post(url, data)
                assert response.status_code == 302, (
                    response.context and response.context["form"].errors
                )
                assert getattr(otype.model.objects.get(pk=obj.pk), name) == value
            else:
                expected = 403 if rule.sees(level) else 404
                assert self.get(url).status_code == expected, level
                assert self.client.post(url, data).status_code == expected, level
                assert getattr(otype.model.objects.get(pk=obj.pk), name) == before

    def delete(self, otype, rule, objects):
        for level, obj in objects.items():
            if rule.sees(level) and rule.may("delete"):
                obj = otype.deletable(self.world) if otype.deletable else obj
                url = reverse(f"{otype}_delete", args=[obj.pk])
                assert self.get(url).status_code == 200
                assert self.client.post(url).status_code == 302
                assert not otype.model.objects.filter(pk=obj.pk).exists(), level
            else:
                url = reverse(f"{otype}_delete", args=[obj.pk])
                expected = 403 if rule.sees(level) else 404
                assert self.get(url).status_code == expected, level
                assert self.client.post(url).status_code == expected, level
                assert otype.model.objects.filter(pk=obj.pk).exists()


# --- The API ------------------------------------------------------------------------------


class Api:
    def __init__(self, client, world, user, role):
        self.world, self.user, self.role = world, user, role
        self.client = APIClient()
        _, token = AuthToken.objects.create(user)
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    def url(self, otype, obj=None):
        return f"/api/v1/{otype.api}/" + (f"{obj.pk}/" if obj else "")

    def list(self, otype, rule, objects):
        response = self.client.get(self.url(otype), {"page_size": 1000})
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == len(body["results"])  # nothing counted that is not shown
        assert_hides(json.dumps(body, ensure_ascii=False), hidden_names(self.role))
        ids = {row["id"] for row in body["results"]}
        for level, obj in objects.items():
            assert (obj.pk in ids) == rule.sees(level), level

    def view(self, otype, rule, objects):
        for level, obj in objects.items():
            response = self.client.get(self.url(otype, obj))
            if rule.sees(level):
                assert response.status_code == 200
                assert response.json()["id"] == obj.pk
                assert_hides(response.content.decode(), hidden_names(self.role))
            else:
                assert response.status_code == 404, level

    def create(self, otype, rule, objects):
        response = self.client.post(self.url(otype), json_data(otype.new(self.world)), "json")
        if rule.may("create"):
            assert response.status_code == 201, response.content
            assert created(otype, self.world)
        else:
            assert response.status_code == 403, response.content
            assert not created(otype, self.world)
            assert denial_recorded(self.user)

    def change(self, otype, rule, objects):
        name, value = otype.change
        for level, obj in objects.items():
            before = getattr(obj, name)
            response = self.client.patch(self.url(otype, obj), {name: value}, "json")
            if rule.sees(level) and rule.may("change"):
                assert response.status_code == 200, response.content
                assert getattr(otype.model.objects.get(pk=obj.pk), name) == value
            else:
                assert response.status_code == (403 if rule.sees(level) else 404), level
                assert getattr(otype.model.objects.get(pk=obj.pk), name) == before

    def delete(self, otype, rule, objects):
        for level, obj in objects.items():
            if rule.sees(level) and rule.may("delete"):
                obj = otype.deletable(self.world) if otype.deletable else obj
                assert self.client.delete(self.url(otype, obj)).status_code == 204
                assert not otype.model.objects.filter(pk=obj.pk).exists(), level
            else:
                response = self.client.delete(self.url(otype, obj))
                assert response.status_code == (403 if rule.sees(level) else 404), level
                assert otype.model.objects.filter(pk=obj.pk).exists()


CASES = [
    pytest.param(
        channel, otype, action, role, id=f"{channel.__name__.lower()}-{otype}-{action}-{role}"
    )
    for channel in (Pages, Api)
    for otype in TYPES
    if channel is Pages or otype.api
    for action in ACTIONS
    for role in [*ROLES, "nobody"]
]


@pytest.mark.parametrize(("channel", "otype", "action", "role"), CASES)
def test_matrix(channel, otype, action, role, world, targets, client):
    user = world.users[role]
    runner = channel(client, world, user, role)
    getattr(runner, action)(otype, Rule.of(role, otype.name), targets[otype.name])


def test_the_matrix_covers_every_role():
    assert set(MATRIX) == {*ROLES, "nobody"}
    assert set(ROLES) == set(Role.values)


# --- Pair A's users and pair B's objects, spelt out -------------------------------------


def pair_b_objects(world):
    pair = world.pair_b
    return [
        ("partnership", pair),
        ("orgunit", world.unit_b),
        ("region", pair.developed_side),
        ("region", pair.partner_side),
    ]


@pytest.mark.parametrize("role", PAIR_A_ROLES)
def test_a_user_of_pair_a_gets_404_for_every_object_of_pair_b(world, login, role):
    user = world.users[role]
    client = login(user)
    api = APIClient()
    api.force_authenticate(user)
    for name, obj in pair_b_objects(world):
        otype = TYPE_BY_NAME[name]
        snapshot = model_to_dict(obj)
        assert client.get(reverse(f"{name}_detail", args=[obj.pk])).status_code == 404
        for view in ("edit", "delete"):
            url = reverse(f"{name}_{view}", args=[obj.pk])
            assert client.get(url).status_code == 404, url
            assert client.post(url, form_data(otype, obj)).status_code == 404, url
        url = f"/api/v1/{otype.api}/{obj.pk}/"
        assert api.get(url).status_code == 404, url
        assert api.patch(url, {"description": "x"}, "json").status_code == 404, url
        assert api.put(url, json_data(model_to_dict(obj)), "json").status_code == 404, url
        assert api.delete(url).status_code == 404, url
        obj.refresh_from_db()
        assert model_to_dict(obj) == snapshot


@pytest.mark.parametrize("role", PAIR_A_ROLES)
def test_no_list_of_a_pair_a_user_names_pair_b(world, targets, login, role):
    client = login(world.users[role])
    api = APIClient()
    api.force_authenticate(world.users[role])
    b_names = LEVEL_NAMES["B"]
    for otype in TYPES:
        for query in ({}, {"q": "区"}, {"status": "active"}, {"kind": "bureau"}):
            response = client.get(reverse(f"{otype}_list"), query)
            assert response.status_code == 200
            assert_hides(response.content.decode(), b_names)
        if otype.api:
            response = api.get(f"/api/v1/{otype.api}/", {"page_size": 1000})
            assert_hides(json.dumps(response.json(), ensure_ascii=False), b_names)
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert_hides(home.content.decode(), b_names)


@pytest.mark.parametrize("role", PAIR_A_ROLES)
def test_filters_do_not_widen_the_scope_of_a_pair_a_user(world, login, role):
    client = login(world.users[role])
    api = APIClient()
    api.force_authenticate(world.users[role])
    yz = world.pair_b.developed_side
    response = client.get(reverse("orgunit_list"), {"region": yz.pk})
    assert response.status_code == 200
    assert "区发展改革委" not in response.content.decode()
    response = api.get("/api/v1/org-units/", {"region": yz.pk})
    assert response.status_code in (200, 400)
    assert "区发展改革委" not in response.content.decode()
    response = api.get("/api/v1/partnerships/", {"partner_side": world.pair_b.partner_side_id})
    assert response.status_code in (200, 400)
    assert response.status_code == 400 or response.json()["results"] == []


@pytest.mark.parametrize("role", PAIR_A_ROLES)
def test_a_filter_on_an_object_out_of_scope_answers_as_for_one_that_does_not_exist(world, role):
    api = APIClient()
    api.force_authenticate(world.users[role])
    hidden = api.get("/api/v1/partnerships/", {"programme": world.other_programme.pk})
    missing = api.get("/api/v1/partnerships/", {"programme": 999999})
    assert hidden.status_code == missing.status_code
    assert hidden.json().keys() == missing.json().keys()
    if hidden.status_code == 200:
        assert hidden.json()["results"] == missing.json()["results"] == []


@pytest.mark.parametrize("role", PAIR_A_ROLES)
def test_a_pair_a_user_cannot_switch_to_pair_b(world, login, role):
    client = login(world.users[role])
    response = client.post(reverse("switch_partnership"), {"partnership": world.pair_b.pk})
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_and_the_api_refuses_them(world, client):
    for otype in TYPES:
        response = client.get(reverse(f"{otype}_list"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        if otype.api:
            assert client.get(f"/api/v1/{otype.api}/").status_code == 401


# --- Writes that land outside what the role manages ---------------------------------------


@pytest.fixture
def coordinator(world):
    """The partnership coordinator of pair A's developed side (两江新区)."""
    user = world.users["partnership_coordinator"]
    api = APIClient()
    api.force_authenticate(user)
    return user, api


def test_a_partnership_coordinator_may_not_manage_the_other_sides_units(world, login, coordinator):
    user, api = coordinator
    unit = world.unit_a_partner  # 万州区: visible, but not the coordinator's side
    client = login(user)
    otype = TYPE_BY_NAME["orgunit"]
    for view in ("edit", "delete"):
        url = reverse(f"orgunit_{view}", args=[unit.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, form_data(otype, unit, phone="1")).status_code == 403
    url = f"/api/v1/org-units/{unit.pk}/"
    assert api.patch(url, {"phone": "1"}, "json").status_code == 403
    assert api.delete(url).status_code == 403
    unit.refresh_from_db()
    assert unit.phone == ""


def test_a_partnership_coordinator_cannot_pull_the_other_sides_unit_to_its_own_side(
    world, coordinator
):
    _, api = coordinator
    unit = world.unit_a_partner
    own_side = world.pair_a.developed_side
    response = api.patch(f"/api/v1/org-units/{unit.pk}/", {"region": own_side.pk}, "json")
    assert response.status_code == 403
    unit.refresh_from_db()
    assert unit.region == world.pair_a.partner_side


def test_a_partnership_coordinator_cannot_push_its_unit_to_the_other_side(
    world, login, coordinator
):
    user, api = coordinator
    unit = world.unit_a_dev
    other_side = world.pair_a.partner_side
    response = api.patch(f"/api/v1/org-units/{unit.pk}/", {"region": other_side.pk}, "json")
    assert response.status_code == 403
    client = login(user)
    otype = TYPE_BY_NAME["orgunit"]
    data = form_data(otype, unit, region=other_side.pk)
    response = client.post(reverse("orgunit_edit", args=[unit.pk]), data)
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    unit.refresh_from_db()
    assert unit.region == world.pair_a.developed_side


@pytest.mark.parametrize(
    ("region", "api_status"),
    [("partner_side", 403), ("pair_b", 400)],
    ids=["other-side", "pair-b"],
)
def test_a_partnership_coordinator_creates_units_only_on_its_own_side(
    world, login, coordinator, region, api_status
):
    user, api = coordinator
    side = world.pair_a.partner_side if region == "partner_side" else world.pair_b.partner_side
    payload = {"region": side.pk, "name": "越权科室", "kind": "bureau"}
    assert api.post("/api/v1/org-units/", payload, "json").status_code == api_status
    response = login(user).post(reverse("orgunit_create"), {**payload, "sort_order": 1})
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert not OrgUnit.objects.filter(name="越权科室").exists()


def test_a_programme_coordinator_cannot_create_a_pair_in_another_programme(world, login):
    user = world.users["programme_coordinator"]
    api = APIClient()
    api.force_authenticate(user)
    sides = (world.pair_a.developed_side, world.pair_b.partner_side)
    payload = {
        "programme": world.other_programme.pk,
        "developed_side": sides[0].pk,
        "partner_side": sides[1].pk,
        "start_date": "2025-01-01",
    }
    response = api.post("/api/v1/partnerships/", payload, "json")
    assert response.status_code == 400
    assert "programme" in response.json()
    response = login(user).post(reverse("partnership_create"), {**payload, "status": "active"})
    assert response.status_code == 200
    assert "programme" in response.context["form"].errors
    assert not Partnership.objects.filter(programme=world.other_programme, partner_side=sides[1])


def test_a_programme_coordinator_cannot_move_a_pair_to_another_programme(world):
    user = world.users["programme_coordinator"]
    api = APIClient()
    api.force_authenticate(user)
    url = f"/api/v1/partnerships/{world.pair_a.pk}/"
    response = api.patch(url, {"programme": world.other_programme.pk}, "json")
    assert response.status_code == 400
    world.pair_a.refresh_from_db()
    assert world.pair_a.programme == world.programme


def test_a_programme_coordinator_sees_a_region_it_just_created(world, login):
    client = login(world.users["programme_coordinator"])
    data = {"name": "巫山县", "kind": "county", "division_code": "500237"}
    response = client.post(reverse("region_create"), data)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_a_person_page_shows_only_the_roles_within_scope(world, targets, login):
    person = targets["person"]["A"]
    unit_c = targets["orgunit"]["C"]
    MembershipFactory(user=person, role=Role.DEPARTMENT_STAFF, org_unit=unit_c)
    MembershipFactory(user=person, role=Role.PARTNERSHIP_COORDINATOR,
                      partnership=world.pair_b, region=world.pair_b.partner_side)  # fmt: skip
    html = login(world.users["department_staff"]).get(reverse("person_detail", args=[person.pk]))
    assert html.status_code == 200
    content = html.content.decode()
    assert "区经济信息委" in content
    assert_hides(content, [*LEVEL_NAMES["B"][:3], *LEVEL_NAMES["C"][:3]])
    assert Membership.objects.filter(user=person).count() == 3


# --- Deleting what is still referenced ----------------------------------------------------


def test_a_region_in_a_pair_cannot_be_deleted(world, login):
    admin = world.users["system_admin"]
    region = world.pair_a.partner_side
    response = login(admin).post(reverse("region_delete", args=[region.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("region_detail", args=[region.pk])
    api = APIClient()
    api.force_authenticate(admin)
    assert api.delete(f"/api/v1/regions/{region.pk}/").status_code == 409
    assert Region.objects.filter(pk=region.pk).exists()


# --- Counts -------------------------------------------------------------------------------


def test_the_programme_list_counts_only_the_pairs_in_scope(world, login):
    response = login(world.users["partnership_coordinator"]).get(reverse("programme_list"))
    (row,) = response.context["rows"]
    assert row[1][2] == 1  # pair A only; pair B is out of scope


def test_the_region_list_counts_no_units_for_an_enterprise_user(world, login):
    response = login(world.users["enterprise_user"]).get(reverse("region_list"))
    counts = {obj.name: values[3] for obj, values in response.context["rows"]}
    assert counts == {"两江新区": 0, "万州区": 0}


def test_the_org_unit_list_ignores_a_malformed_side_filter(world, login):
    response = login(world.users["partnership_coordinator"]).get("/org-units/?region=abc")
    assert response.status_code == 200
    assert "产业促进局" in response.content.decode()


def test_the_people_list_shows_no_role_held_outside_the_viewers_scope(world, login):
    from ..factories import MembershipFactory

    staff = world.users["department_staff"]
    MembershipFactory(user=staff, role="department_staff", org_unit=world.unit_b)
    MembershipFactory(user=staff, role="sector_group_member", partnership=world.pair_b,
                      region=world.pair_b.developed_side, sector="文化旅游")  # fmt: skip
    client = login(world.users["leader"])
    response = client.get(reverse("person_list"))
    roles = {obj.username: values[3] for obj, values in response.context["rows"]}
    assert "行业招商小组成员" not in roles["department_staff"]
    filtered = client.get(reverse("person_list") + "?role=sector_group_member")
    names = {obj.username for obj, _values in filtered.context["rows"]}
    assert "department_staff" not in names
    assert "sector_group_member" in names


@pytest.mark.parametrize("role", ["enterprise_user", "security_auditor", "nobody"])
def test_roles_without_internal_data_see_no_people_not_even_themselves(world, login, role):
    user = world.users[role]
    client = login(user)
    response = client.get(reverse("person_list"))
    assert response.status_code == 200
    assert response.context["paginator"].count == 0
    assert client.get(reverse("person_detail", args=[user.pk])).status_code == 404


@pytest.mark.parametrize("otype", TYPES, ids=str)
def test_lists_keep_an_order_so_their_pages_neither_repeat_nor_skip_rows(world, login, otype):
    response = login(world.users["system_admin"]).get(reverse(f"{otype}_list"))
    assert response.status_code == 200
    assert response.context["object_list"].ordered


def test_a_leader_of_the_programme_reads_every_pair_of_it_and_writes_nothing(world, login):
    user = UserFactory(username="programme_leader")
    MembershipFactory(user=user, role=Role.LEADER, programme=world.programme)
    client = login(user)
    content = client.get(reverse("partnership_list")).content.decode()
    assert str(world.pair_a) in content and str(world.pair_b) in content
    assert_hides(content, LEVEL_NAMES["C"])
    assert client.get(reverse("partnership_edit", args=[world.pair_b.pk])).status_code == 403
    assert client.get(reverse("partnership_detail", args=[world.pair_c.pk])).status_code == 404
    api = APIClient()
    api.force_authenticate(user)
    url = f"/api/v1/partnerships/{world.pair_b.pk}/"
    assert api.patch(url, {"status": "ended"}, "json").status_code == 403
    world.pair_b.refresh_from_db()
    assert world.pair_b.status == Partnership.Status.ACTIVE
