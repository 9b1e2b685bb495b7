"""Who sees pairing data: the pair's people; not other pairs, not enterprise users (except
the inspection visits of their own enterprise)."""

from __future__ import annotations

from datetime import date

import pytest
from django.http import Http404

from xietong.core import scope
from xietong.core.models import Membership
from xietong.enterprise.models import Enterprise
from xietong.pairing import services
from xietong.pairing.models import (
    DepartmentPair,
    InspectionVisit,
    Secondment,
    Training,
    WorkContact,
)

from .conftest import contact

INTERNAL = [
    "programme_coordinator",
    "partnership_coordinator",
    "department_staff",
    "sector_group_member",
    "leader",
    "system_admin",
]
OUTSIDE = ["enterprise_user", "security_auditor", "nobody"]


@pytest.fixture
def records(world, people, dept_pair, pair_b_pair):
    a = contact(dept_pair, people.developed_staff, date(2026, 3, 3))
    b = contact(pair_b_pair, people.b_staff, date(2026, 3, 3))
    return a, b


@pytest.mark.parametrize("role", INTERNAL)
def test_the_pairs_people_see_its_pairing_and_not_pair_b(world, records, role):
    user = world.users[role]
    a, b = records
    pairs = scope.queryset(user, DepartmentPair)
    assert a.pair in pairs
    contacts = scope.queryset(user, WorkContact)
    assert a in contacts
    # The programme's coordinator sees every pair of the programme, pair B included.
    if role in ("system_admin", "programme_coordinator"):
        assert b in contacts
    else:
        assert b.pair not in pairs and b not in contacts
        with pytest.raises(Http404):
            scope.get_or_404(user, WorkContact, pk=b.pk)


@pytest.mark.parametrize("role", OUTSIDE)
def test_outsiders_see_no_pairing(world, records, role):
    user = world.users[role]
    for model in (DepartmentPair, WorkContact, Secondment, Training, InspectionVisit):
        assert not scope.queryset(user, model).exists()
    with pytest.raises(Http404):
        scope.get_or_404(user, WorkContact, pk=records[0].pk)


def test_pair_b_staff_see_nothing_of_pair_a(world, people, records):
    a, b = records
    assert list(scope.queryset(people.b_staff, WorkContact)) == [b]
    assert not services.may_record(people.b_staff, a.pair)
    assert not scope.can(people.b_staff, "change", WorkContact, a)


def test_leaders_read_but_never_write(world, people, records):
    leader = world.users["leader"]
    a, _b = records
    assert scope.can(leader, "view", WorkContact, a)
    assert not scope.can(leader, "change", WorkContact, a)
    assert not scope.can(leader, "change", DepartmentPair, a.pair)
    assert not services.may_record(leader, a.pair)
    assert scope.can(people.developed_coordinator, "change", DepartmentPair, a.pair)


def test_an_enterprise_user_sees_only_visits_of_its_own_enterprise(world, people):
    from tests.enterprise.conftest import credit_code

    pair = world.pair_a
    own = Enterprise.objects.create(
        partnership=pair, side=pair.partner_side, name="万州测试企业", credit_code=credit_code(11)
    )
    other = Enterprise.objects.create(
        partnership=pair, side=pair.developed_side, name="两江汽车", credit_code=credit_code(12)
    )
    user = world.users["enterprise_user"]
    Membership.objects.filter(user=user).update(enterprise=own)
    values = {"partnership": pair, "starts_on": date(2026, 4, 1), "ends_on": date(2026, 4, 2)}
    with_own = services.create_visit(
        people.developed_coordinator,
        visiting_side="partner",
        destination="两江新区鱼复工业园",
        enterprises=[own, other],
        **values,
    )
    without = services.create_visit(
        people.developed_coordinator,
        visiting_side="developed",
        destination="万州经开区",
        enterprises=[other],
        **values,
    )
    assert with_own.host_side == "developed"
    assert list(scope.queryset(user, InspectionVisit)) == [with_own]
    with pytest.raises(Http404):
        scope.get_or_404(user, InspectionVisit, pk=without.pk)
    assert not scope.can(user, "change", InspectionVisit, with_own)
    assert not scope.queryset(user, DepartmentPair).exists()
    assert set(scope.queryset(people.developed_staff, InspectionVisit)) == {with_own, without}
    assert not scope.queryset(people.b_staff, InspectionVisit).exists()
