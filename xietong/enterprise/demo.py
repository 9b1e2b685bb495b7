"""Demo data of the five databases for the pair 两江新区 ↔ 万州区, generated here.

Deterministic (a seeded generator) and idempotent: enterprises go through the import's
``apply`` (matched by credit code, only differences written), the other records are found
by their natural key. Products follow real chains — automobile, electronic information,
equipment, biomedicine, new materials, food — with GB/T 4754-2017 class codes; 两江新区
leans to vehicles, electronics and biomedicine, 万州区 to parts, materials and food.
Names and people are invented; credit codes are valid (GB 32100 check character).
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction
from stdnum.cn import uscc

from xietong.core.models import Membership, Partnership, Region, Role

from . import demo_events, imports
from .models import Enterprise, IndustryCode, Product, Project, Talent, Technology

PER_SIDE = 200
DEMO_ENTERPRISE = "重庆市万州区三峡机电有限公司"  # the demo enterprise user's own (core.demo)

# chain: (name words, [(class code, product, category)], processes, equipment, certificates)
CHAINS = {
    "汽车": (
        ["汽车部件", "车桥", "座椅", "汽车电子", "精密铸造", "车灯", "动力总成"],
        [
            ("3670", "汽车座椅总成", "汽车零部件"),
            ("3670", "制动盘", "汽车零部件"),
            ("3670", "铝合金轮毂", "汽车零部件"),
            ("3670", "汽车线束", "汽车零部件"),
            ("3612", "新能源乘用车", "整车"),
            ("3660", "车身冲压件", "汽车零部件"),
            ("3670", "动力电池包壳体", "新能源汽车部件"),
        ],
        ["冲压", "焊接", "涂装", "压铸", "注塑", "总装"],
        ["2000吨压铸机", "焊接机器人", "五轴加工中心", "电泳涂装线"],
        ["IATF 16949", "ISO 14001"],
    ),
    "电子信息": (
        ["电子", "光电", "智能终端", "半导体", "显示", "信息技术"],
        [
            ("3974", "液晶显示模组", "显示器件"),
            ("3982", "柔性电路板", "电子元件"),
            ("3972", "功率半导体器件", "半导体"),
            ("3911", "笔记本电脑", "智能终端"),
            ("3981", "贴片电容", "电子元件"),
            ("3976", "光纤连接器", "光电器件"),
        ],
        ["SMT贴片", "COF封装", "模组组装", "老化测试"],
        ["全自动贴片机", "回流焊炉", "AOI光学检测仪", "洁净车间"],
        ["ISO 9001", "IECQ QC 080000"],
    ),
    "装备制造": (
        ["机械", "重工", "智能装备", "液压", "电机", "机电"],
        [
            ("3444", "液压油缸", "液压件"),
            ("3453", "精密减速器", "传动件"),
            ("3812", "永磁同步电机", "电机"),
            ("3421", "数控车床", "机床"),
            ("3491", "工业机器人", "智能装备"),
            ("3441", "离心泵", "通用设备"),
        ],
        ["机加工", "热处理", "装配", "焊接", "喷涂"],
        ["数控车床", "龙门加工中心", "三坐标测量机", "热处理炉"],
        ["ISO 9001", "CE"],
    ),
    "生物医药": (
        ["生物", "制药", "医疗器械", "药业", "健康科技"],
        [
            ("2720", "化学药制剂", "化学药"),
            ("2761", "单克隆抗体", "生物药"),
            ("2740", "中药饮片", "中药"),
            ("3584", "一次性输液器", "医疗器械"),
            ("2710", "原料药", "化学药"),
        ],
        ["无菌灌装", "冻干", "提取", "制剂", "洁净包装"],
        ["冻干机", "生物反应器", "高效液相色谱仪", "万级洁净车间"],
        ["药品GMP", "ISO 13485"],
    ),
    "新材料": (
        ["新材料", "铝业", "复合材料", "化工", "玻璃纤维", "新型建材"],
        [
            ("3252", "铝合金型材", "有色金属材料"),
            ("3062", "玻璃纤维布", "复合材料"),
            ("2651", "工程塑料粒子", "高分子材料"),
            ("2669", "锂电池电解液", "电池材料"),
            ("3091", "碳纤维预浸料", "复合材料"),
        ],
        ["挤压", "熔炼", "改性", "拉丝", "表面处理"],
        ["挤压机", "熔铝炉", "双螺杆挤出机", "拉丝机"],
        ["ISO 9001", "ISO 45001"],
    ),
    "食品": (
        ["食品", "榨菜", "果业", "粮油", "茶业", "调味品"],
        [
            ("1453", "柑橘罐头", "农副食品"),
            ("1469", "榨菜", "酱腌菜"),
            ("1462", "火锅底料", "调味品"),
            ("1530", "精制茶", "饮料"),
            ("1331", "菜籽油", "粮油"),
            ("1523", "柠檬果汁", "饮料"),
        ],
        ["清洗分选", "杀菌", "灌装", "发酵", "冷链"],
        ["无菌灌装线", "隧道式杀菌机", "全自动包装机"],
        ["SC食品生产许可", "HACCP"],
    ),
}
SIDE_CHAINS = {
    "两江新区": ["汽车", "汽车", "电子信息", "电子信息", "装备制造", "生物医药", "新材料"],
    "万州区": ["汽车", "装备制造", "新材料", "新材料", "食品", "食品", "生物医药"],
}
DISTRICTS = {"两江新区": ["渝北区", "江北区", "北碚区"], "万州区": ["万州区"]}
DIVISION = {"两江新区": "500112", "万州区": "500101"}
PLACE = {"两江新区": "重庆两江", "万州区": "重庆市万州区"}
STREETS = {
    "两江新区": ["鱼复工业园", "水土高新园", "龙兴工业园", "空港工业园", "悦来"],
    "万州区": ["高峰园", "天子园", "龙都工业园", "新田港", "江南新区"],
}
PREFIXES = "鑫华联瑞达恒泰盛宏昌博远创新精诚嘉兴永丰凯航科润"
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何罗高林"
GIVEN = ["建国", "晓东", "海燕", "志强", "丽华", "明", "磊", "静", "伟", "芳", "勇", "敏", "军"]
LABELS = ["zhuanjingtexin", "high-tech", "tech-sme", "little-giant"]


def credit_code(division: str, seq: int) -> str:
    base = f"91{division}MA{seq:07d}"
    return base + uscc.calc_check_digit(base)


def _rows(side: str, rng: random.Random) -> list[imports.EnterpriseRow]:
    rows = []
    for i in range(1, PER_SIDE + 1):
        chain = SIDE_CHAINS[side][i % len(SIDE_CHAINS[side])]
        words, products, processes, equipment, certificates = CHAINS[chain]
        name = (
            DEMO_ENTERPRISE
            if side == "万州区" and i == 1
            else f"{PLACE[side]}{PREFIXES[i % len(PREFIXES)]}{PREFIXES[(i * 7) % len(PREFIXES)]}"
            f"{words[i % len(words)]}有限公司"
        )
        picks = rng.sample(products, k=min(len(products), rng.choice([1, 2, 3])))
        shares = [Decimal(s) for s in ([100], [60, 40], [50, 30, 20])[len(picks) - 1]]
        revenue = Decimal(rng.randrange(800, 600000)) / 10
        above = revenue >= 2000
        labels = [LABELS[i % 4]] if above and i % 5 == 0 else []
        rows.append(
            imports.EnterpriseRow(
                row=i,
                credit_code=credit_code(DIVISION[side], i),
                values={
                    "name": name,
                    "district": DISTRICTS[side][i % len(DISTRICTS[side])],
                    "size_class": "above" if above else "below",
                    "revenue": revenue.quantize(Decimal("0.01")),
                    "output_value": (revenue * Decimal("1.15")).quantize(Decimal("0.01")),
                    "employees": rng.randrange(20, 3000),
                    "address": f"{side}{rng.choice(STREETS[side])}{rng.randrange(1, 300)}号",
                    "processes": "、".join(rng.sample(processes, 3)),
                    "equipment": "、".join(rng.sample(equipment, 2)),
                    "certifications": "、".join(certificates[: rng.choice([1, 2])]),
                    "shared": i % 5 != 0,
                    "description": f"{chain}产业链企业，主营{picks[0][1]}。",
                },
                industries=sorted({code for code, _p, _c in picks}),
                labels=labels,
                main_products=[(p, s) for (_c, p, _cat), s in zip(picks, shares, strict=True)],
                contact={
                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "position": rng.choice(["总经理", "销售总监", "采购经理", "办公室主任"]),
                    "phone": f"13{rng.randrange(0, 10)}{rng.randrange(10**8):08d}",
                    "email": f"contact{i}@{DIVISION[side]}.demo.xietong",
                },
            )
        )
    return rows


@transaction.atomic
def load() -> dict[str, int]:
    """Load (or refresh) the demo records of 两江新区 ↔ 万州区; changes nothing on a rerun."""
    try:
        pair = Partnership.objects.get(developed_side__name="两江新区", partner_side__name="万州区")
    except Partnership.DoesNotExist:
        return {}
    codes = set(IndustryCode.objects.values_list("code", flat=True))
    rng = random.Random(20260315)
    for side_name in ("两江新区", "万州区"):
        side = Region.objects.get(name=side_name)
        rows = _rows(side_name, rng)
        for row in rows:
            row.industries = [c for c in row.industries if c in codes]
        result = imports.apply(None, pair, side, rows)
        if result.errors:
            raise RuntimeError(f"demo enterprises of {side_name}: {result.errors[:3]}")
        _records(pair, side, rng)
    Membership.objects.filter(
        role=Role.ENTERPRISE_USER, enterprise_name=DEMO_ENTERPRISE, enterprise__isnull=True
    ).update(enterprise=Enterprise.objects.filter(name=DEMO_ENTERPRISE).first())
    # Bulk writes send no signals: rebuild the pair's matching index, then the postings.
    from .suggestions import service

    service.rebuild(pair)
    return {
        "enterprises": Enterprise.objects.filter(partnership=pair).count(),
        "products": Product.objects.filter(partnership=pair).count(),
        **load_postings(pair),
        **demo_events.load(),  # networking events, after the postings and matches they use
    }


def _records(pair: Partnership, side: Region, rng: random.Random) -> None:
    firms = list(
        Enterprise.objects.filter(partnership=pair, side=side)
        .prefetch_related("main_products", "industries")
        .order_by("credit_code")
    )
    industries = {c.code: c for c in IndustryCode.objects.filter(level="class")}
    for ent in firms[::2]:
        first = ent.main_products.all()[:1]
        if not first:
            continue
        code = next((i.code for i in ent.industries.all()), None)
        Product.objects.get_or_create(
            enterprise=ent,
            name=first[0].name,
            defaults={
                "partnership": pair,
                "side": side,
                "category": ent.description[: ent.description.index("产业链")],
                "industry": industries.get(code),
                "shared": ent.shared,
                "specification": rng.choice(["标准型", "定制", "系列化"]),
            },
        )
    for n, ent in enumerate(firms[:12], start=1):
        chain = ent.description[: ent.description.index("产业链")]
        Project.objects.get_or_create(
            partnership=pair,
            side=side,
            name=f"{ent.name[:-4]}{chain}扩能项目",
            defaults={
                "kind": Project.Kind.INVESTMENT if n % 2 else Project.Kind.COOPERATION,
                "stage": list(Project.Stage.values)[n % 5],
                "enterprise": ent,
                "investment": Decimal(rng.randrange(5000, 200000)),
                "location": ent.address,
                "shared": n % 3 != 0,
                "description": f"围绕{chain}产业链延链补链。",
            },
        )
        Technology.objects.get_or_create(
            partnership=pair,
            side=side,
            name=f"{chain}{rng.choice(['轻量化', '智能检测', '高效节能', '绿色制造'])}技术{n}",
            defaults={
                "field": chain,
                "maturity": list(Technology.Maturity.values)[n % 4],
                "owner": ent.name,
                "enterprise": ent,
                "patents": f"ZL2023{rng.randrange(10**7):07d}.{n % 10}",
                "shared": n % 4 != 0,
            },
        )
        Talent.objects.get_or_create(
            partnership=pair,
            side=side,
            email=f"talent{n}@{side.division_code}.demo.xietong",
            defaults={
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "kind": Talent.Kind.EXPERT if n % 3 else Talent.Kind.SKILLED,
                "fields": f"{chain}、工艺改进",
                "title": rng.choice(["高级工程师", "高级技师", "教授级高工"]),
                "employer": ent.name,
                "availability": list(Talent.Availability.values)[n % 4],
                "phone": f"139{rng.randrange(10**8):08d}",
                "shared": n % 2 == 0,
            },
        )


# --- Postings and matches ---------------------------------------------------------------------

# (author, enterprise: "own" = the demo enterprise user's, "lj" = a 两江 firm or None, kind,
#  direction, title, subject, extra fields, final state)
POSTINGS = [
    ("wz_enterprise", "own", "order", "demand", "采购永磁同步电机一批", "永磁同步电机",
     {"quantity": 200, "unit": "台", "delivery_period": "三个月内"}, "published"),
    ("wz_enterprise", "own", "processing", "demand", "寻求液压油缸配套加工", "液压油缸",
     {"quantity": 500, "unit": "件", "technical_requirements": "工作压力 25MPa，缸径 80mm",
      "delivery_period": "分批交付，半年内"}, "submitted"),
    ("wz_enterprise", "own", "order", "demand", "采购铝合金型材", "铝合金型材",
     {"quantity": 50, "unit": "吨", "delivery_period": "年底前"}, "draft"),
    ("wz_enterprise", "own", "talent", "demand", "招聘数控设备调试技师", "数控车床",
     {"location": "万州经开区"}, "returned"),
    ("wz_enterprise", "own", "sales", "supply", "供应离心泵", "离心泵",
     {"quantity": 300, "unit": "台"}, "fulfilled"),
    ("lj_staff", "lj", "technology", "supply", "汽车轻量化技术合作", "铝合金轮毂",
     {"technical_requirements": "一体化压铸、轻量化设计"}, "published"),
    ("lj_staff", None, "investment", "demand", "两江企业赴万州投资建设配套园区", "汽车座椅总成",
     {"budget": 30000, "location": "万州经开区"}, "approved"),
    ("lj_staff", "lj", "order", "demand", "采购精制茶礼盒", "精制茶",
     {"quantity": 2000, "unit": "盒", "delivery_period": "春节前"}, "withdrawn"),
]  # fmt: skip


def load_postings(pair: Partnership) -> dict[str, int]:
    """Postings in every state and a few matches (one deal) for the demo pair; runs once
    (postings are recognised by title)."""
    from datetime import timedelta

    from django.utils import timezone

    from xietong.core.models import User

    from . import matches, postings
    from .models import Match, Posting

    users = {u.username: u for u in User.objects.filter(username__in=[
        "wz_enterprise", "wz_staff", "lj_staff", "lj_coord", "wz_coord",
    ])}  # fmt: skip
    if len(users) < 5:
        return {}
    own = Enterprise.objects.filter(name=DEMO_ENTERPRISE, partnership=pair).first()
    lj = pair.developed_side
    lj_firm = Enterprise.objects.filter(partnership=pair, side=lj).order_by("credit_code").first()
    reviewer = {"wz_enterprise": users["wz_staff"], "lj_staff": users["lj_coord"]}
    today = timezone.localdate()
    made = 0
    for author, which, kind, direction, title, subject, extra, state in POSTINGS:
        if Posting.objects.filter(partnership=pair, title=title).exists():
            continue
        ent = own if which == "own" else lj_firm if which == "lj" else None
        if which == "own" and own is None:
            continue
        user = users[author]
        start = today + timedelta(days=10) if state == "approved" else today
        posting = postings.create(
            user,
            Posting(
                partnership=pair,
                side=ent.side if ent else lj,
                enterprise=ent,
                kind=kind,
                direction=direction,
                title=title,
                subject=subject,
                description=f"{title}，欢迎对口区县企业联系。",
                valid_from=start,
                valid_until=start + timedelta(days=90),
                contact_name="孙丽" if author == "wz_enterprise" else "张伟",
                contact_phone="13908350000" if author == "wz_enterprise" else "13983000000",
                **extra,
            ),
        )
        made += 1
        if state == "draft":
            continue
        postings.submit(user, posting)
        if state == "submitted":
            continue
        approve = state != "returned"
        posting = postings.review(
            reviewer[author], posting, approve=approve,
            reason="" if approve else "请补充岗位人数和薪酬范围。",
        )  # fmt: skip
        if state in ("fulfilled", "withdrawn"):
            postings.close(user, posting, state)
    demand = Posting.objects.filter(partnership=pair, title=POSTINGS[0][4]).first()
    if demand is not None and demand.status == Posting.Status.PUBLISHED:
        if not Match.objects.filter(posting=demand).exists():
            found = [s for s in demand.suggestions.order_by("rank") if s.enterprise_id][:3]
            steps = [
                (Match.Status.DEAL, {"contract_value": 360, "deal_date": today}),
                (Match.Status.NEGOTIATING, {}),
                (Match.Status.NO_DEAL, {"reason": "交货期无法满足"}),
            ]
            for suggestion, (status, extra) in zip(found, steps, strict=False):
                match = matches.propose(users["wz_staff"], demand, suggestion=suggestion)
                if status == Match.Status.DEAL:
                    matches.advance(users["wz_staff"], match, Match.Status.CONTACTED)
                matches.advance(users["wz_staff"], match, status, **extra)
    return {"postings": made}
