"""Pairing fixtures on top of the core `world`: pair A's departments 两江新区产业促进局 ↔
万州区经济信息委 paired since 2025-01-01 (monthly), with a person in charge on each side;
a partnership coordinator of the partner side (万州区); staff of pair B."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory
from xietong.core.models import Role
from xietong.pairing import services
from xietong.pairing.models import DepartmentPair, WorkContact


@dataclass
class People:
    developed_staff: object  # 两江新区产业促进局, person in charge of the developed side
    partner_staff: object  # 万州区经济信息委, person in charge of the partner side
    partner_coordinator: object  # partnership coordinator of 万州区
    developed_coordinator: object  # partnership coordinator of 两江新区 (the world's)
    programme_coordinator: object
    b_staff: object  # a department of pair B


@pytest.fixture
def people(world) -> People:
    partner_staff = UserFactory(username="wz_staff", full_name="万州联络员")
    MembershipFactory(user=partner_staff, role=Role.DEPARTMENT_STAFF, org_unit=world.unit_a_partner)
    partner_coordinator = UserFactory(username="wz_coordinator", full_name="万州协调员")
    MembershipFactory(
        user=partner_coordinator,
        role=Role.PARTNERSHIP_COORDINATOR,
        partnership=world.pair_a,
        region=world.pair_a.partner_side,
    )
    b_staff = UserFactory(username="b_staff")
    MembershipFactory(user=b_staff, role=Role.DEPARTMENT_STAFF, org_unit=world.unit_b)
    return People(
        developed_staff=world.users["department_staff"],
        partner_staff=partner_staff,
        partner_coordinator=partner_coordinator,
        developed_coordinator=world.users["partnership_coordinator"],
        programme_coordinator=world.users["programme_coordinator"],
        b_staff=b_staff,
    )


@pytest.fixture
def dept_pair(world, people) -> DepartmentPair:
    return services.create_pair(
        people.developed_coordinator,
        partnership=world.pair_a,
        developed_unit=world.unit_a_dev,
        partner_unit=world.unit_a_partner,
        started_on=date(2025, 1, 1),
        developed_lead=people.developed_staff,
        partner_lead=people.partner_staff,
    )


@pytest.fixture
def pair_b_pair(world) -> DepartmentPair:
    """A department pair of pair B (渝中区 ↔ 城口县)."""
    ck_unit = OrgUnitFactory(region=world.pair_b.partner_side, name="县发展改革委")
    return DepartmentPair.objects.create(
        partnership=world.pair_b,
        developed_unit=world.unit_b,
        partner_unit=ck_unit,
        started_on=date(2025, 1, 1),
    )


@pytest.fixture
def at(monkeypatch):
    """Set the clock: ``at(datetime(..., tzinfo=UTC))``; timezone.localdate() follows."""

    def _set(moment: datetime) -> None:
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return _set


def contact(pair, user, held_on, status=WorkContact.Status.CONFIRMED, **extra) -> WorkContact:
    """A contact row written directly (for compliance and job tests)."""
    values = {
        "pair": pair,
        "held_on": held_on,
        "form": WorkContact.Form.VIDEO,
        "host_side": "developed",
        "topics": "汽车零部件配套对接",
        "recorded_by": user,
        "recorded_side": "developed",
        "status": status,
        **extra,
    }
    return WorkContact.objects.create(**values)
