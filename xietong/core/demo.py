"""Demo data: the article's pair 两江新区 ↔ 万州区 and two sample pairs of the programme.

``load()`` is idempotent: every row is found by its natural key and updated in place, so
running it again changes nothing and duplicates nothing.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from .models import Membership, OrgUnit, Partnership, Programme, Region, Role, User

DEMO_PASSWORD = "Xietong@2026demo"

PROGRAMME = {
    "code": "yiqu-liangqun",
    "name": "一区两群对口协同",
    "description": "重庆市主城都市区与渝东北三峡库区城镇群、渝东南武陵山区城镇群区县对口协同发展。",
}

# (name, kind, GB/T 2260 code, description, sample?)
REGIONS = [
    (
        "两江新区",
        Region.Kind.FUNCTIONAL_AREA,
        "500157",
        "国家级新区，重庆经济发展主战场和重要增长极；功能区，跨江北、渝北、北碚等行政区。",
        False,
    ),
    (
        "万州区",
        Region.Kind.DISTRICT,
        "500101",
        "渝东北三峡库区城镇群中心城市，长江十大港口城市之一。",
        False,
    ),
    ("渝中区", Region.Kind.DISTRICT, "500103", "重庆母城，主城都市区中心城区。", True),
    ("城口县", Region.Kind.COUNTY, "500229", "渝东北三峡库区城镇群，大巴山腹地。", True),
    ("沙坪坝区", Region.Kind.DISTRICT, "500106", "主城都市区中心城区，科教资源集中。", True),
    ("奉节县", Region.Kind.COUNTY, "500236", "渝东北三峡库区城镇群，夔门所在地。", True),
]

# (developed, partner, start, sample?)
PAIRS = [
    ("两江新区", "万州区", date(2021, 1, 12), False),
    ("渝中区", "城口县", date(2021, 3, 1), True),
    ("沙坪坝区", "奉节县", date(2021, 3, 1), True),
]

# Departments by region: (name, kind, parent name or None, office phone)
UNITS = {
    "两江新区": [
        ("党政办公室", OrgUnit.Kind.LEADERSHIP, None, "023-67880001"),
        ("经济运行局", OrgUnit.Kind.BUREAU, None, "023-67880102"),
        ("产业促进局", OrgUnit.Kind.BUREAU, None, "023-67880215"),
        ("科技创新局", OrgUnit.Kind.BUREAU, None, "023-67880330"),
        ("财政局", OrgUnit.Kind.BUREAU, None, "023-67880408"),
        ("规划和自然资源局", OrgUnit.Kind.BUREAU, None, "023-67880512"),
        ("社会发展局", OrgUnit.Kind.BUREAU, None, "023-67880620"),
        ("两江招商集团", OrgUnit.Kind.STATE_ENTERPRISE, None, "023-67880788"),
        ("投资促进中心", OrgUnit.Kind.AGENCY, "产业促进局", "023-67880216"),
    ],
    "万州区": [
        ("政府办公室", OrgUnit.Kind.LEADERSHIP, None, "023-58221001"),
        ("发展改革委", OrgUnit.Kind.BUREAU, None, "023-58221120"),
        ("经济信息委", OrgUnit.Kind.BUREAU, None, "023-58221236"),
        ("科技局", OrgUnit.Kind.BUREAU, None, "023-58221318"),
        ("商务委", OrgUnit.Kind.BUREAU, None, "023-58221425"),
        ("招商投资促进局", OrgUnit.Kind.BUREAU, None, "023-58221566"),
        ("人力社保局", OrgUnit.Kind.BUREAU, None, "023-58221602"),
        ("万州经济技术开发区管委会", OrgUnit.Kind.AGENCY, None, "023-58221780"),
    ],
    "渝中区": [
        ("发展改革委", OrgUnit.Kind.BUREAU, None, "023-63891201"),
        ("商务委", OrgUnit.Kind.BUREAU, None, "023-63891305"),
        ("投资促进中心", OrgUnit.Kind.AGENCY, None, "023-63891410"),
    ],
    "城口县": [
        ("发展改革委", OrgUnit.Kind.BUREAU, None, "023-59221102"),
        ("经济信息委", OrgUnit.Kind.BUREAU, None, "023-59221230"),
        ("招商投资促进中心", OrgUnit.Kind.AGENCY, None, "023-59221355"),
    ],
    "沙坪坝区": [
        ("发展改革委", OrgUnit.Kind.BUREAU, None, "023-65361120"),
        ("经济信息委", OrgUnit.Kind.BUREAU, None, "023-65361245"),
        ("科技局", OrgUnit.Kind.BUREAU, None, "023-65361318"),
    ],
    "奉节县": [
        ("发展改革委", OrgUnit.Kind.BUREAU, None, "023-56551106"),
        ("经济信息委", OrgUnit.Kind.BUREAU, None, "023-56551223"),
        ("商务委", OrgUnit.Kind.BUREAU, None, "023-56551340"),
    ],
}

# One demo user per role: (username, full name, title, role, scope)
USERS = [
    ("admin", "系统管理员", "信息中心工程师", Role.SYSTEM_ADMIN, {}),
    ("auditor", "安全审计员", "信息中心安全审计岗", Role.SECURITY_AUDITOR, {}),
    (
        "city_coord",
        "陈静",
        "市发展改革委区域协调处处长",
        Role.PROGRAMME_COORDINATOR,
        {"programme": True},
    ),
    (
        "lj_coord",
        "李明",
        "两江新区经济运行局副局长",
        Role.PARTNERSHIP_COORDINATOR,
        {"pair": ("两江新区", "万州区"), "region": "两江新区"},
    ),
    (
        "wz_coord",
        "王芳",
        "万州区发展改革委副主任",
        Role.PARTNERSHIP_COORDINATOR,
        {"pair": ("两江新区", "万州区"), "region": "万州区"},
    ),
    (
        "lj_staff",
        "张伟",
        "两江新区产业促进局科员",
        Role.DEPARTMENT_STAFF,
        {"unit": ("两江新区", "产业促进局")},
    ),
    (
        "wz_staff",
        "刘洋",
        "万州区经济信息委科员",
        Role.DEPARTMENT_STAFF,
        {"unit": ("万州区", "经济信息委")},
    ),
    (
        "lj_sector",
        "赵磊",
        "两江招商集团项目经理",
        Role.SECTOR_GROUP_MEMBER,
        {"pair": ("两江新区", "万州区"), "region": "两江新区", "sector": "工业制造"},
    ),
    (
        "wz_enterprise",
        "孙丽",
        "重庆万州某机电有限公司经理",
        Role.ENTERPRISE_USER,
        {"region": "万州区", "enterprise": "重庆市万州区三峡机电有限公司"},
    ),
    ("leader", "周建国", "市委区域协调发展领导小组办公室", Role.LEADER, {"programme": True}),
    (
        "yz_coord",
        "吴倩",
        "渝中区发展改革委科长（样例）",
        Role.PARTNERSHIP_COORDINATOR,
        {"pair": ("渝中区", "城口县"), "region": "渝中区"},
    ),
]


@transaction.atomic
def load() -> dict[str, int]:
    """Create or update the demo data; returns counts of what is there afterwards."""
    programme, _ = Programme.objects.update_or_create(
        code=PROGRAMME["code"],
        defaults={"name": PROGRAMME["name"], "description": PROGRAMME["description"]},
    )
    regions = {}
    for name, kind, code, description, sample in REGIONS:
        regions[name], _ = Region.objects.update_or_create(
            name=name,
            defaults={
                "kind": kind,
                "division_code": code,
                "description": description,
                "is_sample": sample,
            },
        )
    pairs = {}
    for developed, partner, start, sample in PAIRS:
        pairs[(developed, partner)], _ = Partnership.objects.update_or_create(
            programme=programme,
            developed_side=regions[developed],
            partner_side=regions[partner],
            defaults={"start_date": start, "is_sample": sample},
        )
    units = {}
    for region_name, rows in UNITS.items():
        for order, (name, kind, parent, phone) in enumerate(rows, start=1):
            units[(region_name, name)], _ = OrgUnit.objects.update_or_create(
                region=regions[region_name],
                name=name,
                defaults={
                    "kind": kind,
                    "parent": units.get((region_name, parent)) if parent else None,
                    "phone": phone,
                    "sort_order": order * 10,
                },
            )
    for username, full_name, title, role, where in USERS:
        user, created = User.objects.update_or_create(
            username=username,
            defaults={"full_name": full_name, "title": title, "email": f"{username}@demo.xietong"},
        )
        if created or not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(
            user=user,
            role=role,
            programme=programme if where.get("programme") else None,
            partnership=pairs[where["pair"]] if "pair" in where else None,
            region=regions[where["region"]] if "region" in where else None,
            org_unit=units[where["unit"]] if "unit" in where else None,
            sector=where.get("sector", ""),
            enterprise_name=where.get("enterprise", ""),
        )
    from xietong.conference import demo as conference_demo  # the conference's own demo data

    conference_demo.load()
    from xietong.enterprise import demo as enterprise_demo  # the five databases' demo data

    enterprise_demo.load()
    from xietong.pairing import demo as pairing_demo  # pairs, contacts, secondments, trainings

    pairing_demo.load()
    return {
        "partnerships": Partnership.objects.count(),
        "org_units": OrgUnit.objects.count(),
        "users": User.objects.count(),
    }
