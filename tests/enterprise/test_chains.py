"""Industry chains in matching: the reference (chains.csv) against GB/T 4754-2017, a supply
finds its buyers further down the chain (partner side first), every reason names the chain
link in the words a civil servant reads."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from xietong.enterprise import chains, demo, postings, suggestions
from xietong.enterprise.models import Enterprise, IndustryCode, Posting

from .conftest import credit_code, products
from .test_postings import draft

# --- The reference -----------------------------------------------------------------------------


def test_every_class_of_the_reference_is_a_gbt4754_class(db):
    codes = chains.all_codes()
    known = set(
        IndustryCode.objects.filter(code__in=codes, level="class").values_list("code", flat=True)
    )
    assert len(codes) > 200 and sorted(codes - known) == []


def test_chain_link_and_downstream_codes():
    assert chains.chain_link("3670") == ("automobile", "parts", 2)
    assert chains.chain_link("3612") == ("automobile", "vehicles", 3)
    assert chains.chain_link("0000") is None and chains.downstream_codes("0000") == set()
    down = chains.downstream_codes("3670")
    assert {"3611", "3612", "5261", "8111"} <= down  # vehicles, dealers, repair
    assert "3670" not in down and "3252" not in down  # not itself, not its materials
    assert "3670" not in chains.downstream_codes("3612")  # a vehicle maker buys, not sells, parts
    # Aluminium rolling is 新材料·材料 and also 汽车·原材料: parts makers buy it.
    assert chains.chain_link("3252") == ("new_materials", "materials", 2)
    assert "3670" in chains.downstream_codes("3252")
    # Rapeseed oil (primary processing) goes to hot-pot seasoning makers (manufacturing).
    assert "1462" in chains.downstream_codes("1331")


def test_relation_prefers_the_closest_link_and_the_buyers_home_chain():
    rel = chains.relation("3252", ["3670"])
    assert (rel.item.chain, rel.item.key, rel.buyer.key, rel.distance) == (
        "automobile",
        "materials",
        "parts",
        1,
    )
    assert chains.relation("3670", ["5261", "3612"]).buyer.key == "vehicles"
    assert chains.relation("3612", ["3670"]) is None
    assert chains.placement(["3252"], "automobile").name_zh == "原材料"
    assert chains.placement(["3252"]).name_zh == "材料"
    assert chains.placement(["9999"]) is None


@pytest.mark.parametrize("chain_zh", list(demo.CHAINS))
def test_every_demo_product_class_is_on_its_chain(chain_zh):
    for code, product, _category in demo.CHAINS[chain_zh][1]:
        names = {link.chain_zh for link in chains.links_of(code)}
        assert chain_zh in names, f"{product} ({code}) is not on the {chain_zh} chain"


# --- Suggestions ------------------------------------------------------------------------------


def firm(world, n, name, side, code, *names, shared=True):
    ent = Enterprise.objects.create(
        partnership=world.pair_a, side=side, name=name, credit_code=credit_code(n), shared=shared
    )
    ent.industries.set(IndustryCode.objects.filter(code=code))
    products(ent, *names)
    return ent


def publish(people, ent, user="wz_ent", reviewer="wz_staff", **over):
    if "enterprise" in over:  # posted by a department: draft() takes the side's firm
        posting = draft(people[user], ent, title="x", subject="x")
        values = {f.attname: getattr(posting, f.attname) for f in Posting._meta.concrete_fields}
        posting.delete()
        values.pop("id")
        values.pop("enterprise_id")
        values.update(over)
        posting = postings.create(people[user], Posting(**values))
    else:
        posting = draft(people[user], ent, **over)
    postings.submit(people[user], posting)
    return postings.review(people[reviewer], posting, approve=True)


@pytest.fixture
def car_chain(world, firms):
    """万州测试企业 (3670, the enterprise user's own) makes 铝合金轮毂. Downstream: a 两江
    vehicle maker, a 两江 dealer, a 万州 bus maker; beside them a 两江 maker of the same
    wheels (a competitor) and a 两江 seasoning maker (another chain)."""
    lj, wz = world.pair_a.developed_side, world.pair_a.partner_side
    products(firms.wz_internal, "铝合金轮毂")
    return {
        "lj_car": firm(world, 201, "两江新能源汽车公司", lj, "3612", "新能源乘用车"),
        "lj_dealer": firm(world, 202, "两江汽车销售公司", lj, "5261", "汽车销售服务"),
        "wz_bus": firm(world, 203, "万州客车公司", wz, "3612", "纯电动客车"),
        "lj_rival": firm(world, 204, "两江轮毂公司", lj, "3670", "铝合金轮毂"),
        "lj_food": firm(world, 205, "两江火锅底料公司", lj, "1462", "火锅底料"),
    }


def test_supply_gets_downstream_enterprises_partner_side_first_with_chinese_reasons(
    people, firms, car_chain, client
):
    supply = publish(
        people, firms.wz_internal, direction=Posting.Direction.SUPPLY, kind=Posting.Kind.SALES,
        title="供应铝合金轮毂", subject="铝合金轮毂",
    )  # fmt: skip
    stored = list(supply.suggestions.order_by("rank"))
    c = car_chain
    # The partner side's buyers first (the vehicle maker before the dealer: the next link),
    # then the own side's; neither the competitor nor the other chain, nor the poster.
    assert [s.enterprise for s in stored] == [c["lj_car"], c["lj_dealer"], c["wz_bus"]]
    assert [s.partner_side for s in stored] == [True, True, False]
    assert stored[0].match == {
        "how": "downstream", "term": "铝合金轮毂", "product": "新能源乘用车", "product_rank": 0,
        "field": "products", "chain": "automobile", "link": "parts", "buyer_link": "vehicles",
    }  # fmt: skip

    client.force_login(people["wz_staff"])
    page = client.get(reverse("enterprise:posting_detail", args=[supply.pk])).content.decode()
    assert (
        "汽车产业链·零部件环节：该企业主营新能源乘用车（整车），所供铝合金轮毂为其上游配套。"
        in page
    )
    assert (
        "汽车产业链·零部件环节：该企业主营汽车销售服务（销售与后市场），所供铝合金轮毂为其上游配套。"
        in page
    )
    assert "两江新能源汽车公司" in page and "万州客车公司" in page
    assert "两江轮毂公司" not in page and "两江火锅底料公司" not in page
    assert (
        page.index("两江新能源汽车公司")
        < page.index("两江汽车销售公司")
        < page.index("万州客车公司")
    )

    with translation.override("en"):
        assert suggestions.explain(stored[0].match) == (
            "Automobile chain · parts and components link: the enterprise makes “新能源乘用车”"
            " (complete vehicles); the offered “铝合金轮毂” supplies it upstream."
        )


def test_only_the_poster_and_officials_see_whom_the_engine_proposes(
    people, firms, car_chain, client
):
    supply = publish(
        people, firms.wz_internal, direction=Posting.Direction.SUPPLY, kind=Posting.Kind.SALES,
        title="供应铝合金轮毂", subject="铝合金轮毂",
    )  # fmt: skip
    assert supply.suggestions.exists()
    for name, sees in (("wz_ent", True), ("lj_staff", True), ("lj_ent", False)):
        client.force_login(people[name])
        page = client.get(reverse("enterprise:posting_detail", args=[supply.pk])).content.decode()
        assert page.count("两江新能源汽车公司") == (1 if sees else 0), name
        api = client.get(f"/api/v1/postings/{supply.pk}/suggestions/")
        assert api.status_code == 200
        assert bool(api.json()) == sees, name


def test_supply_item_class_comes_from_the_makers_when_the_poster_has_none(
    world, people, firms, car_chain
):
    """A department's supply posting (no enterprise): the class of 铝合金轮毂 is the class of
    the enterprises the engine finds making it (3670), so its buyers are found the same."""
    lj = world.pair_a.developed_side
    supply = publish(
        people, firms.lj_shared, user="lj_staff", reviewer="lj_coord",
        direction=Posting.Direction.SUPPLY, kind=Posting.Kind.SALES, enterprise=None, side=lj,
        title="组织供应铝合金轮毂", subject="铝合金轮毂",
    )  # fmt: skip
    assert suggestions.item_classes(supply, suggestions.service.engine(world.pair_a)) == {
        "铝合金轮毂": "3670"
    }
    names = [s.enterprise.name for s in supply.suggestions.order_by("rank")]
    # 两江 posted it: 万州's bus maker is the partner side now.
    assert names == ["万州客车公司", "两江新能源汽车公司", "两江汽车销售公司"]


def test_demand_explanations_name_the_chain_link(world, people, firms, client):
    lj = world.pair_a.developed_side
    alu = firm(world, 301, "两江铝业公司", lj, "3252", "铝合金型材")
    spice = firm(world, 302, "两江调味品公司", lj, "1462", "火锅底料", "铝合金型材包装")
    demand = publish(people, firms.wz_internal, title="采购铝合金型材", subject="铝合金型材")
    stored = {s.enterprise_id: s for s in demand.suggestions.all() if s.enterprise_id}
    # The poster makes car parts (3670): aluminium rolling is the raw-materials link of its
    # chain; the seasoning maker sits on its own chain.
    assert (stored[alu.pk].match["chain"], stored[alu.pk].match["link"]) == (
        "automobile",
        "materials",
    )
    assert (stored[spice.pk].match["chain"], stored[spice.pk].match["link"]) == (
        "food",
        "manufacturing",
    )
    client.force_login(people["wz_staff"])
    page = client.get(reverse("enterprise:posting_detail", args=[demand.pk])).content.decode()
    assert (
        "汽车产业链·原材料环节：该企业第1主营产品「铝合金型材」正是所需的「铝合金型材」。" in page
    )
    assert "食品产业链·食品饮料制造环节：" in page
