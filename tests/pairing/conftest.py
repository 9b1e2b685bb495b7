"""Pairing fixtures on top of the core `world`: pair A's departments 两江新区产业促进局 ↔
万州区经济信息委 paired since 2025-01-01 (monthly), with a person in charge on each side;
a partnership coordinator of the partner side (万州区); staff of pair B."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.enterprise.conftest import credit_code
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory
from xietong.core.models import Membership, Role
from xietong.enterprise.models import Enterprise
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


# --- Trainings and visits of pair A (used by the page and delete tests) --------------


@pytest.fixture
def trainee(world):
    user = UserFactory(username="trainee", full_name="陈招商")
    MembershipFactory(user=user, role=Role.DEPARTMENT_STAFF, org_unit=world.unit_a_partner)
    return user


@pytest.fixture
def trainings(world, people, trainee):
    first = services.create_training(
        people.developed_staff,
        partnership=world.pair_a,
        title="招商实务培训",
        held_on=date(2026, 4, 8),
        host_unit=world.unit_a_dev,
        trainers="李教授\n王处长",
        attendees=[
            {"name": "陈招商", "hours": Decimal("6"), "user": trainee},
            {"name": "周某", "hours": Decimal("2"), "unit_name": "万州经开区"},
        ],
    )
    second = services.create_training(
        people.developed_staff,
        partnership=world.pair_a,
        title="产业链招商专题",
        held_on=date(2026, 6, 3),
        attendees=[{"name": "陈招商", "hours": Decimal("3.5"), "user": trainee}],
    )
    return first, second


@pytest.fixture
def firms(world):
    pair = world.pair_a
    own = Enterprise.objects.create(
        partnership=pair, side=pair.partner_side, name="万州测试企业", credit_code=credit_code(21)
    )
    partner_other = Enterprise.objects.create(
        partnership=pair, side=pair.partner_side, name="万州食品公司", credit_code=credit_code(22)
    )
    developed = Enterprise.objects.create(
        partnership=pair, side=pair.developed_side, name="两江汽车", credit_code=credit_code(23)
    )
    Membership.objects.filter(user=world.users["enterprise_user"]).update(enterprise=own)
    return own, partner_other, developed


@pytest.fixture
def visits(world, people, firms):
    own, partner_other, developed = firms
    values = {
        "partnership": world.pair_a,
        "starts_on": date(2026, 5, 6),
        "ends_on": date(2026, 5, 7),
    }
    with_own = services.create_visit(
        people.developed_coordinator,
        visiting_side="partner",
        destination="两江新区鱼复工业园",
        lead="万州区副区长",
        purpose="考察汽车零部件配套",
        findings="三家企业有配套意向",
        follow_ups="6月底前组织专场对接",
        enterprises=[own, partner_other],
        **values,
    )
    without = services.create_visit(
        people.developed_coordinator,
        visiting_side="developed",
        destination="万州经开区",
        enterprises=[developed],
        **values,
    )
    return with_own, without
