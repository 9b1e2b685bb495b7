"""Rules the core model enforces, whoever writes the data."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from xietong.core.models import Membership, OrgUnit, Partnership, Region, Role

from ..factories import OrgUnitFactory, PartnershipFactory, RegionFactory, UserFactory


def test_it_accepts_a_real_division_code(db):
    region = Region(name="万州区", kind=Region.Kind.DISTRICT, division_code="500101")
    region.full_clean()


@pytest.mark.parametrize("code", ["50010", "5001011", "50A101", "999999"])
def test_it_rejects_a_code_that_is_not_gbt2260(db, code):
    region = Region(name="某区", kind=Region.Kind.DISTRICT, division_code=code)
    with pytest.raises(ValidationError) as err:
        region.full_clean()
    assert "division_code" in err.value.message_dict


def test_it_lets_a_functional_area_go_without_a_code(db):
    Region(name="两江新区", kind=Region.Kind.FUNCTIONAL_AREA).full_clean()


def test_it_requires_a_code_for_a_district(db):
    with pytest.raises(ValidationError) as err:
        Region(name="某区", kind=Region.Kind.DISTRICT).full_clean()
    assert "division_code" in err.value.message_dict


def test_it_refuses_a_pair_of_one_region_with_itself(db):
    region = RegionFactory()
    pair = PartnershipFactory.build(
        programme=PartnershipFactory().programme, developed_side=region, partner_side=region
    )
    with pytest.raises(ValidationError):
        pair.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        pair.save()


def test_it_lets_a_region_be_in_several_partnerships(db):
    hub = RegionFactory(name="两江新区", kind="functional_area", division_code="")
    first = PartnershipFactory(developed_side=hub)
    second = PartnershipFactory(programme=first.programme, developed_side=hub)
    assert set(Partnership.objects.filter(developed_side=hub)) == {first, second}


def test_it_refuses_the_same_pair_twice_in_a_programme(db):
    pair = PartnershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Partnership.objects.create(
            programme=pair.programme,
            developed_side=pair.developed_side,
            partner_side=pair.partner_side,
            start_date=date(2026, 1, 1),
        )


def test_it_keeps_a_parent_unit_in_the_same_region(db):
    parent = OrgUnitFactory()
    child = OrgUnit(region=RegionFactory(), name="投资促进中心", parent=parent)
    with pytest.raises(ValidationError) as err:
        child.full_clean()
    assert "parent" in err.value.message_dict


def test_it_refuses_a_unit_that_is_its_own_ancestor(db):
    top = OrgUnitFactory()
    child = OrgUnitFactory(region=top.region, parent=top)
    top.parent = child
    with pytest.raises(ValidationError):
        top.full_clean()


def test_it_names_a_unit_with_its_region(db):
    unit = OrgUnitFactory(region=RegionFactory(name="万州区"), name="发展改革委")
    assert str(unit) == "万州区发展改革委"


@pytest.mark.parametrize(
    ("role", "fields", "error_field"),
    [
        (Role.PARTNERSHIP_COORDINATOR, {}, "partnership"),
        (Role.DEPARTMENT_STAFF, {}, "org_unit"),
        (Role.PROGRAMME_COORDINATOR, {}, "programme"),
        (Role.LEADER, {}, "programme"),
    ],
)
def test_it_requires_the_scope_a_role_needs(db, role, fields, error_field):
    membership = Membership(user=UserFactory(), role=role, **fields)
    with pytest.raises(ValidationError) as err:
        membership.full_clean()
    assert error_field in err.value.message_dict


def test_it_keeps_a_coordinator_on_a_side_of_their_pair(db):
    pair = PartnershipFactory()
    stranger = RegionFactory()
    membership = Membership(
        user=UserFactory(), role=Role.PARTNERSHIP_COORDINATOR, partnership=pair, region=stranger
    )
    with pytest.raises(ValidationError) as err:
        membership.full_clean()
    assert "region" in err.value.message_dict


def test_it_gives_the_administrator_no_scope(db):
    pair = PartnershipFactory()
    membership = Membership(user=UserFactory(), role=Role.SYSTEM_ADMIN, partnership=pair)
    with pytest.raises(ValidationError) as err:
        membership.full_clean()
    assert "role" in err.value.message_dict


def test_it_keeps_administrator_and_auditor_apart(db):
    user = UserFactory()
    Membership.objects.create(user=user, role=Role.SYSTEM_ADMIN)
    with pytest.raises(ValidationError) as err:
        Membership(user=user, role=Role.SECURITY_AUDITOR).full_clean()
    assert "role" in err.value.message_dict
