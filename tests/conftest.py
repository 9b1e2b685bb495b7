"""Shared fixtures: two partnerships of one programme, a third of another, a user per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from xietong.core.models import Role

from .factories import (
    MembershipFactory,
    OrgUnitFactory,
    PartnershipFactory,
    ProgrammeFactory,
    RegionFactory,
    UserFactory,
)


@dataclass
class World:
    programme: object
    other_programme: object
    pair_a: object  # the partnership under test
    pair_b: object  # same programme, different regions
    pair_c: object  # another programme
    unit_a_dev: object  # a department of pair A's developed side
    unit_a_partner: object
    unit_b: object  # a department of pair B
    users: dict


ROLES = [
    "programme_coordinator",
    "partnership_coordinator",
    "department_staff",
    "sector_group_member",
    "enterprise_user",
    "leader",
    "system_admin",
    "security_auditor",
]


@pytest.fixture
def world(db) -> World:
    programme = ProgrammeFactory(name="一区两群对口协同")
    other = ProgrammeFactory(name="另一计划")
    lj = RegionFactory(name="两江新区", kind="functional_area", division_code="500157")
    wz = RegionFactory(name="万州区", division_code="500101")
    yz = RegionFactory(name="渝中区", division_code="500103")
    ck = RegionFactory(name="城口县", kind="county", division_code="500229")
    spb = RegionFactory(name="沙坪坝区", division_code="500106")
    fj = RegionFactory(name="奉节县", kind="county", division_code="500236")
    pair_a = PartnershipFactory(programme=programme, developed_side=lj, partner_side=wz)
    pair_b = PartnershipFactory(programme=programme, developed_side=yz, partner_side=ck)
    pair_c = PartnershipFactory(programme=other, developed_side=spb, partner_side=fj)
    unit_a_dev = OrgUnitFactory(region=lj, name="产业促进局")
    unit_a_partner = OrgUnitFactory(region=wz, name="区经济信息委")
    unit_b = OrgUnitFactory(region=yz, name="区发展改革委")
    OrgUnitFactory(region=spb, name="区科技局")
    scopes = {
        "programme_coordinator": {"programme": programme},
        "partnership_coordinator": {"partnership": pair_a, "region": lj},
        "department_staff": {"org_unit": unit_a_dev},
        "sector_group_member": {"partnership": pair_a, "region": lj, "sector": "工业制造"},
        "enterprise_user": {"region": wz, "enterprise_name": "万州测试企业"},
        "leader": {"partnership": pair_a},
        "system_admin": {},
        "security_auditor": {},
    }
    users = {}
    for role in ROLES:
        user = UserFactory(username=role)
        MembershipFactory(user=user, role=Role(role), **scopes[role])
        users[role] = user
    users["nobody"] = UserFactory(username="nobody")
    return World(
        programme, other, pair_a, pair_b, pair_c, unit_a_dev, unit_a_partner, unit_b, users
    )


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
