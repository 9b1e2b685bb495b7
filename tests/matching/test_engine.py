"""Ranking on the hand-written corpus: exact top results, kind-of, peers, region, explanations."""

from __future__ import annotations

import pytest

from xietong.matching import Engine, Graph, Record


def ids(result):
    return [h.id for h in result.hits]


def test_material_makers_first_peers_absent(engine):
    r = engine.search("我司主营锂电池，现需采购正极材料，年需求量约500吨", top=10, region_mode=None)
    # exact makers first (specialist E05 before the conglomerate E07), then the narrower kind
    assert ids(r)[:3] == ["E05", "E07", "E06"]
    assert [h.tier for h in r.hits[:3]] == ["exact", "exact", "kind_of"]
    assert "E04" not in ids(r)  # the buyer's peer (makes 锂电池 only)


def test_kind_of_by_head_noun(engine):
    r = engine.search("求购焊管", top=10, region_mode=None)
    assert set(ids(r)[:2]) == {"E01", "E23"}
    assert ids(r)[2] == "E02"
    m = r.hits[2].match
    assert (m.how, m.term, m.product, m.product_rank) == ("kind_of", "焊管", "不锈钢焊管", 1)


def test_own_product_ending_with_material_is_still_a_kind_of_it(engine):
    r = engine.search("寻求模板供应商，我司专业生产悬臂模板", top=10, region_mode=None)
    assert ids(r)[:2] == ["E21", "E22"]
    assert [h.tier for h in r.hits[:2]] == ["exact", "kind_of"]


def test_peer_containing_material_goes_last(engine):
    # 聚乙烯醇薄膜 contains 聚乙烯醇 but is the buyer's own product: peer, after everything.
    r = engine.search(
        "为保障聚乙烯醇薄膜产线稳定运行，征集聚乙烯醇供应企业", top=10, region_mode=None
    )
    assert ids(r)[0] == "E15"
    assert r.hits[-1].id == "E16" and r.hits[-1].tier == "peer"


def test_related_and_lexical_fallbacks(engine):
    r = engine.search("求购视频设备", top=5)
    assert ids(r) == ["E17"]
    assert r.hits[0].match.how == "lexical"


def test_industry_fallback(engine):
    r = engine.search("求购光伏设备", top=10)
    assert "E18" in ids(r)  # no products, industry 光伏设备
    assert next(h for h in r.hits if h.id == "E18").match.how == "industry"


def test_products_from_text_when_no_list(engine):
    r = engine.search(
        "我司主要产品是光伏组件，上游光伏玻璃依赖进口，寻求国内货源", region_mode=None
    )
    assert set(ids(r)[:2]) == {"E33", "E35"}
    # the buyer's peer (光伏组件) only shares a word with the material: not a supplier
    assert "E32" not in ids(r)


def test_several_requested_products(engine):
    r = engine.search("本公司为风电机组生产企业，因扩产需要采购一批轴承和齿轮箱", top=5)
    assert ids(r) == ["E25"]
    assert "E24" not in ids(r)


def test_region_prefer_reorders_within_tier_only(engine):
    # Buyer in A: exact makers in B first, then exact in A, then kind-of (B) after all exact.
    r = engine.search("求购焊管", top=10, region="A", region_mode="prefer")
    assert ids(r)[:3] == ["E23", "E01", "E02"]
    assert [h.preferred for h in r.hits[:3]] == [True, False, True]
    r = engine.search("求购焊管", top=10, region="B", region_mode="prefer")
    assert ids(r)[:3] == ["E01", "E23", "E02"]


def test_scores_keep_tier_order_under_region_preference(engine):
    # The benchmark scorer sorts by score: a preferred kind-of hit must not outscore an exact
    # hit of the buyer's own side.
    for region in ("A", "B"):
        r = engine.search("我司主营锂电池，现需采购正极材料", top=20, region=region)
        scores = [h.score for h in r.hits]
        assert scores == sorted(scores, reverse=True)
        assert len(set(scores)) == len(scores)
        tiers = [h.tier for h in r.hits]
        assert tiers.index("kind_of") > max(i for i, t in enumerate(tiers) if t == "exact")


def test_prefix_names_before_infix_names():
    e = Engine.build(
        [
            Record(id="infix", products=["高清视频业务"]),
            Record(id="prefix", products=["视频监控系统"]),
            Record(id="exact", products=["视频"]),
        ]
    )
    r = e.search("求购视频", top=5)
    assert [(h.id, h.tier) for h in r.hits] == [
        ("exact", "exact"),
        ("prefix", "related"),
        ("infix", "contains"),
    ]


def test_region_only_filters(engine):
    r = engine.search("求购焊管", top=10, region="A", region_mode="only")
    assert ids(r) == ["E23", "E02"]
    assert all(h.region == "B" for h in r.hits)


def test_bad_region_mode(engine):
    with pytest.raises(ValueError, match="region_mode"):
        engine.search("求购焊管", region="A", region_mode="nearby")


def test_explanation_is_machine_readable(engine):
    d = engine.search("我们是做涂料的，需要丙烯酸", top=3).as_dict()
    assert d["demand"]["requested"] == ["丙烯酸"]
    assert d["demand"]["own"] == ["涂料"]
    hit = d["hits"][0]
    assert hit["id"] == "E12"
    assert hit["match"] == {
        "how": "exact",
        "term": "丙烯酸",
        "product": "丙烯酸",
        "product_rank": 1,
        "field": "products",
    }


def test_graph_subclass_and_upstream():
    g = Graph()
    g.add("瓦楞纸箱", "subclass_of", "包装材料")
    g.add("正极材料", "upstream_of", "锂电池")
    recs = [
        Record(id="a", products=["包装材料"]),
        Record(id="b", products=["瓦楞纸箱"]),
        Record(id="c", products=["锂电池"]),
        Record(id="d", products=["正极材料"]),
    ]
    e = Engine.build(recs, graph=g)
    r = e.search("求购包装材料", top=5)
    assert ids(r) == ["a", "b"]
    assert r.hits[1].match.how == "subclass"
    # No cue words at all: the graph says which one is the material.
    d = e.understand("锂电池 正极材料")
    assert [m.text for m in d.requested] == ["正极材料"]
    assert [m.text for m in d.own] == ["锂电池"]


def test_capabilities_are_indexed_after_products():
    e = Engine.build(
        [
            Record(id="x", products=["机加工件"], capabilities=["数控加工"]),
            Record(id="y", products=["数控加工"]),
        ]
    )
    r = e.search("委托数控加工", top=5)
    assert ids(r) == ["y", "x"]
    assert r.hits[1].match.field == "capabilities"
