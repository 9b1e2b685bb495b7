"""A small hand-written corpus for the matching engine (not taken from any benchmark)."""

from __future__ import annotations

import pytest

from xietong.matching import Engine, Record

# (id, region, industry, products in order of importance)
CORPUS = [
    ("E01", "A", "钢管", ["焊管", "钢结构"]),
    ("E02", "B", "钢管", ["不锈钢焊管", "无缝钢管"]),
    ("E03", "A", "锅炉设备", ["锅炉", "压力容器"]),
    ("E04", "A", "电池", ["锂电池", "储能系统"]),
    ("E05", "B", "电池化学品", ["正极材料", "三元前驱体"]),
    ("E06", "A", "电池化学品", ["磷酸铁锂正极材料"]),
    (
        "E07",
        "B",
        "综合",
        ["房地产开发", "物业管理", "贸易", "酒店", "建材", "正极材料", "物流", "技术服务"],
    ),
    ("E08", "B", "有色金属", ["铜", "铜杆"]),
    ("E09", "A", "有色金属", ["电解铜", "铜箔"]),
    ("E10", "A", "服务", ["技术服务", "供货", "产品", "生产", "材料"]),
    ("E11", "B", "涂料", ["涂料", "树脂"]),
    ("E12", "A", "化工原料", ["丙烯酸", "丙烯酸酯"]),
    ("E13", "B", "泵阀", ["叶轮"]),
    ("E14", "A", "泵阀", ["渣浆泵", "叶轮"]),
    ("E15", "B", "化纤", ["聚乙烯醇"]),
    ("E16", "A", "塑料", ["聚乙烯醇薄膜"]),
    ("E17", "B", "安防", ["视频监控系统"]),
    ("E18", "A", "光伏设备", []),
    ("E19", "B", "包装", ["纸箱", "包装材料"]),
    ("E20", "A", "包装", ["瓦楞纸箱"]),
    ("E21", "B", "建筑", ["模板"]),
    ("E22", "A", "建筑", ["悬臂模板"]),
    ("E23", "B", "钢管", ["焊管"]),
    ("E24", "A", "风电", ["风电机组"]),
    ("E25", "B", "轴承", ["轴承", "齿轮箱"]),
    ("E26", "A", "食品", ["挂面", "面粉"]),
    ("E27", "B", "粮油", ["面粉"]),
    ("E28", "A", "电力", ["电力", "电力供应"]),
    ("E29", "B", "电子", ["配套电子元器件"]),
    ("E30", "A", "稀土", ["稀土", "永磁材料"]),
    ("E31", "B", "电机", ["永磁电机"]),
    ("E32", "A", "光伏", ["光伏组件"]),
    ("E33", "B", "玻璃", ["光伏玻璃"]),
    ("E34", "A", "电池化学品", ["电解液"]),
]


def records() -> list[Record]:
    out = [
        Record(id=i, region=r, industry=ind, products=list(p), text="") for i, r, ind, p in CORPUS
    ]
    # A record with only a profile text: its products come from the text.
    out.append(
        Record.from_dict(
            {"id": "E35", "region": "B", "text": "某某玻璃有限公司。主营产品：光伏玻璃、镀膜玻璃。"}
        )
    )
    return out


@pytest.fixture(scope="session")
def engine() -> Engine:
    """Built once; tests that change the index build their own."""
    return Engine.build(records())


@pytest.fixture
def fresh_engine() -> Engine:
    return Engine.build(records())
