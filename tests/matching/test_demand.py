"""Demand understanding: what is asked for vs what the buyer makes, on many phrasings."""

from __future__ import annotations

import pytest

from xietong.matching.demand import is_weak
from xietong.matching.text import normalize, strip_quantities

# (demand text, requested, buyer's own products). Written for these tests: varied word order,
# with and without own product, quantities, subcontracting, full-width and "traditional"
# punctuation (「」﹐『』；), English commas, spaces, boilerplate in odd places.
PHRASINGS = [
    ("我司主营锂电池，现需采购正极材料，年需求量约500吨。", ["正极材料"], ["锂电池"]),
    ("我司主营锂电池,现需采购正极材料,年需求量约500吨", ["正极材料"], ["锂电池"]),
    ("锂电池生产企业，需要正极材料 (500 t/年)", ["正极材料"], ["锂电池"]),
    ("求购焊管，长期合作。", ["焊管"], []),
    ("求购 焊管 ,首批 20 套", ["焊管"], []),
    ("『求购』焊管；长期合作", ["焊管"], []),
    ("Looking for 焊管 suppliers", ["焊管"], []),
    ("急求：不锈钢焊管 500米", ["不锈钢焊管"], []),
    ("本厂专业生产锅炉,需要大量焊管,请报价", ["焊管"], ["锅炉"]),
    ("锅炉制造商寻找焊管供应商", ["焊管"], ["锅炉"]),
    ("寻找焊管的稳定货源，用于锅炉生产", ["焊管"], ["锅炉"]),
    ("求购锅炉用焊管", ["焊管"], ["锅炉"]),
    ("委托加工叶轮，每月用量1000件左右。", ["叶轮"], []),
    ("我们是做渣浆泵的，叶轮外协加工，首批200套", ["叶轮"], ["渣浆泵"]),
    ("渣浆泵项目配套采购叶轮", ["叶轮"], ["渣浆泵"]),
    ("有没有做叶轮的厂家？我们渣浆泵厂长期要货", ["叶轮"], ["渣浆泵"]),
    ("外包加工叶轮，我司生产渣浆泵", ["叶轮"], ["渣浆泵"]),
    ("「采购需求」丙烯酸﹐用途：涂料生产原料﹐年采购额约50万元", ["丙烯酸"], ["涂料"]),
    ("采购需求：丙烯酸。用途：涂料生产原料。", ["丙烯酸"], ["涂料"]),
    ("涂料生产企业急需丙烯酸 20 吨", ["丙烯酸"], ["涂料"]),
    ("本公司拟采购丙烯酸，欢迎生产厂家报价", ["丙烯酸"], []),
    ("丙烯酸采购需求：首批10吨，需提供样品", ["丙烯酸"], []),
    ("我们公司做涂料，丙烯酸用量很大，想找本地供应商", ["丙烯酸"], ["涂料"]),
    ("为保障聚乙烯醇薄膜产线稳定运行，征集聚乙烯醇供应企业", ["聚乙烯醇"], ["聚乙烯醇薄膜"]),
    (
        "本公司为风电机组生产企业，因扩产需要采购一批轴承和齿轮箱",
        ["轴承", "齿轮箱"],
        ["风电机组"],
    ),
    ("采购轴承、齿轮箱，用于风电机组", ["轴承", "齿轮箱"], ["风电机组"]),
    ("我司是一家挂面生产企业，现向合作园区诚征面粉供货商", ["面粉"], ["挂面"]),
    ("我厂生产挂面，面粉需求量大，求长期供货", ["面粉"], ["挂面"]),
    ("年产10万吨挂面项目，需配套面粉供应", ["面粉"], ["挂面"]),
    ("代工：纸箱，用于挂面包装", ["纸箱"], ["挂面"]),
    ("急需一批稀土，用于永磁电机生产，可现款结算", ["稀土"], ["永磁电机"]),
    ("永磁电机厂家求购稀土", ["稀土"], ["永磁电机"]),
    ("寻找铜箔生产厂家，我司为锂电池制造商", ["铜箔"], ["锂电池"]),
    ("诚征铜供货商:我司专业生产铜箔", ["铜"], ["铜箔"]),
    ("铜箔生产用电解铜，月需300吨", ["电解铜"], ["铜箔"]),
    ("寻找电力供应商", ["电力"], []),
    ("需要配套电子元器件，首批5000件", ["配套电子元器件"], []),
    ("诚征技术服务供应商", ["技术服务"], []),
    ("光伏组件厂商长期收购光伏玻璃", ["光伏玻璃"], ["光伏组件"]),
    ("我司主要产品是光伏组件，上游光伏玻璃依赖进口，寻求国内货源", ["光伏玻璃"], ["光伏组件"]),
    ("寻求模板供应商，我司专业生产悬臂模板", ["模板"], ["悬臂模板"]),
    ("现有锂电池生产线扩产，需采购正极材料和电解液", ["正极材料", "电解液"], ["锂电池"]),
    ("正极材料，年需求量约500吨，锂电池用", ["正极材料"], ["锂电池"]),
    ("需采购正极材料，我方生产锂电池，欢迎供货、生产企业联系", ["正极材料"], ["锂电池"]),
    ("采购服务：正极材料的采购，用于我司锂电池生产", ["正极材料"], ["锂电池"]),
    ("寻找视频监控系统供应商", ["视频监控系统"], []),
    ("委托加工钠离子电池正极材料", ["正极材料"], []),
    ("【采购】轴承 | 需求方：风电机组生产厂 | 数量：200套", ["轴承"], ["风电机组"]),
    ("叶轮（用于渣浆泵）采购，款到发货", ["叶轮"], ["渣浆泵"]),
    ("本集团涂料板块采购丙烯酸，要求有资质", ["丙烯酸"], ["涂料"]),
    ("本司专注永磁电机，诚邀稀土生产企业合作", ["稀土"], ["永磁电机"]),
    ("需求：面粉；应用：挂面；数量：每月50吨", ["面粉"], ["挂面"]),
    ("渣浆泵加工需用叶轮，求推荐厂家", ["叶轮"], ["渣浆泵"]),
    ("我方系锂电池生产商，铜箔缺口较大，寻求稳定供货渠道", ["铜箔"], ["锂电池"]),
    ("一家挂面企业，长期收面粉", ["面粉"], ["挂面"]),
    ("有没有卖光伏玻璃的？急用", ["光伏玻璃"], []),
    ("急！光伏组件车间光伏玻璃告急，求现货", ["光伏玻璃"], ["光伏组件"]),
    ("以电解铜为原料生产铜箔，求供应", ["电解铜"], ["铜箔"]),
    ("拟采购进口不锈钢焊管一批", ["不锈钢焊管"], []),
    ("拟采购锂电池正极材料一批", ["正极材料"], []),  # 锂电池 only qualifies the head noun
]


@pytest.mark.parametrize(("text", "requested", "own"), PHRASINGS)
def test_requested_and_own(engine, text, requested, own):
    d = engine.understand(text)
    assert [m.text for m in d.requested] == requested
    assert [m.text for m in d.own] == own


def test_enough_phrasings():
    assert len(PHRASINGS) >= 40


def test_boilerplate_never_wanted_when_a_product_is_named(engine):
    # 供货, 生产, 产品, 材料 are products of E10, yet never what the demand asks for.
    d = engine.understand("采购产品：焊管，供货生产企业请联系，材料需检测")
    assert [m.text for m in d.requested] == ["焊管"]
    assert all(m.weak for m in d.mentions if m.text in {"供货", "生产", "产品", "材料"})


def test_single_character_product_needs_a_word_boundary(engine):
    # 铜 is a product; 铜箔 contains it but is one word, and 供货 never yields 货.
    d = engine.understand("求购铜箔")
    assert [m.text for m in d.mentions] == ["铜箔"]


def test_cue_inside_a_product_name_is_part_of_the_name(engine):
    # 配套 is a purchase cue, but 配套电子元器件 is the product.
    assert [m.text for m in engine.understand("求购配套电子元器件").requested] == ["配套电子元器件"]


def test_unknown_words_go_to_keywords(engine):
    d = engine.understand("求购视频设备")
    assert d.requested == []
    assert "视频" in d.keywords
    assert "求购" not in d.keywords


def test_roles_carry_their_cues(engine):
    d = engine.understand("我司主营锂电池，现需采购正极材料")
    roles = {m.text: (m.role, m.cues) for m in d.mentions}
    assert roles["锂电池"][0] == "own" and "主营" in roles["锂电池"][1]
    assert roles["正极材料"][0] == "requested" and "采购" in roles["正极材料"][1]


def test_weak_words():
    assert is_weak("供货") and is_weak("主要产品为") and is_weak("服务")
    assert not is_weak("产品研制")  # two cue words without glue: a real name
    assert not is_weak("焊管")


def test_normalize_and_quantities():
    assert normalize("「不锈钢焊管」﹐ABC") == "不锈钢焊管 ,abc"
    for text, kept in [
        ("年需求量约500吨", ""),
        ("每月用量1000万件左右", ""),
        ("首批 20 套", ""),
        ("年采购额约50万元", ""),
        ("5G基站", "5g基站"),
        ("3D打印机", "3d打印机"),
    ]:
        assert strip_quantities(normalize(text)).strip(",") == kept
