"""An enterprise user's membership names its enterprise record (scoped choice) in place of
the free-text enterprise name; the side follows the record."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import UserFactory
from xietong.core.forms import MembershipForm
from xietong.core.models import Membership, Role


def form(granter, person, **data):
    return MembershipForm(
        {"role": Role.ENTERPRISE_USER, **data}, instance=Membership(user=person), user=granter
    )


def test_the_record_replaces_the_name_and_sets_the_side(world, firms):
    person = UserFactory(username="new_ent")
    f = form(world.users["system_admin"], person, enterprise=firms.lj_shared.pk)
    assert f.is_valid(), f.errors
    m = f.save()
    assert (m.enterprise, m.region, m.enterprise_name) == (
        firms.lj_shared,
        firms.lj_shared.side,
        "两江共享电子公司",
    )


def test_choices_are_limited_to_the_granting_users_scope(world, firms):
    choices = set(
        MembershipForm(user=world.users["department_staff"]).fields["enterprise"].queryset
    )
    assert firms.lj_internal in choices and firms.b_shared not in choices
    f = form(world.users["department_staff"], UserFactory(), enterprise=firms.b_shared.pk)
    assert not f.is_valid() and "enterprise" in f.errors


def test_side_must_match_and_one_of_record_or_name_is_needed(world, firms):
    with pytest.raises(ValidationError) as exc:
        Membership(
            user=UserFactory(), role=Role.ENTERPRISE_USER, region=firms.wz_internal.side,
            enterprise=firms.lj_shared,
        ).clean()  # fmt: skip
    assert "enterprise" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        Membership(
            user=UserFactory(), role=Role.ENTERPRISE_USER, region=firms.lj_shared.side
        ).clean()
    assert "enterprise" in exc.value.message_dict
    named = Membership(
        user=UserFactory(), role=Role.ENTERPRISE_USER, region=firms.lj_shared.side,
        enterprise_name="尚未入库的企业",
    )  # fmt: skip
    named.clean()
    with pytest.raises(ValidationError) as exc:
        Membership(
            user=UserFactory(), role=Role.DEPARTMENT_STAFF, org_unit=world.unit_a_dev,
            enterprise=firms.lj_shared,
        ).clean()  # fmt: skip
    assert "enterprise" in exc.value.message_dict


def test_me_shows_the_enterprise_record(world, firms, client):
    client.force_login(world.users["enterprise_user"])
    data = client.get("/api/v1/me/").json()
    assert data["memberships"][0]["enterprise"] == firms.wz_internal.pk
