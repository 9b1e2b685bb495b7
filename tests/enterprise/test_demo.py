"""The enterprise demo data: plausible, valid, deterministic and idempotent."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from xietong.core import demo as core_demo
from xietong.core.models import Membership, Role
from xietong.enterprise.models import Contact, Enterprise, MainProduct, Product, Talent

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Enterprise.objects.order_by("pk").values_list("pk", "credit_code", "name", "version")),
        list(MainProduct.objects.order_by("pk").values_list("pk", "name", "share")),
        list(Contact.objects.order_by("pk").values_list("pk", "phone")),
        Product.objects.count(),
        Talent.objects.count(),
    )


def test_the_demo_loads_hundreds_of_valid_enterprises_per_side_and_reruns_unchanged():
    core_demo.load()
    first = snapshot()
    for side in ("两江新区", "万州区"):
        assert Enterprise.objects.filter(side__name=side).count() == 200
    assert all(uscc.is_valid(code) for _pk, code, _n, _v in first[0])
    assert Enterprise.objects.filter(shared=True).count() > 200
    assert Product.objects.filter(industry__code__startswith="367").exists()  # automobile
    assert Product.objects.filter(category="食品").exists()
    user = Membership.objects.get(role=Role.ENTERPRISE_USER, user__username="wz_enterprise")
    assert user.enterprise.name == "重庆市万州区三峡机电有限公司"
    core_demo.load()
    assert snapshot() == first


def test_the_demo_has_postings_in_every_state_and_matches_with_a_deal():
    from xietong.enterprise.models import Match, Posting

    core_demo.load()
    states = set(Posting.objects.values_list("status", flat=True))
    assert states == {"draft", "submitted", "returned", "approved", "published", "closed"}
    assert set(Posting.objects.exclude(outcome="").values_list("outcome", flat=True)) == {
        "fulfilled",
        "withdrawn",
    }
    demand = Posting.objects.get(title="采购永磁同步电机一批")
    assert demand.suggestions.filter(partner_side=True).exists()
    deal = Match.objects.get(status="deal")
    assert deal.contract_value == 360 and deal.enterprise.side.name == "两江新区"
    before = (Posting.objects.count(), Match.objects.count())
    core_demo.load()
    assert (Posting.objects.count(), Match.objects.count()) == before
