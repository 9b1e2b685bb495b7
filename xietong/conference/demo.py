"""Demo data of the joint conference for the article's pair 两江新区 ↔ 万州区.

The closed 2021–2025 implementation plan with five years of meetings, agreements and closed
tasks; the live 2026–2030 plan; the sixth joint conference (2026) and the 2026 annual
agreement with 30 tasks in every stage of supervision, with their reports, extensions and
escalations. The 2026 calendar is fixed, except what must stand relative to today (deadlines
due soon or overdue, a claim awaiting review): those dates come from
``timezone.localdate()``, and every open task's light and status are those
``services.light_of`` gives for today.

``load()`` is idempotent: rows are found by natural keys and updated in place; a task's
events are rewritten only when they differ from what the data says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from auditlog.context import disable_auditlog
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from xietong.core.demo import DEMO_PASSWORD
from xietong.core.models import Membership, OrgUnit, Partnership, Role, User
from xietong.core.notifications import notify

from . import services
from .models import (
    AgendaItem,
    AnnualAgreement,
    Area,
    Attendee,
    CoordinationIssue,
    ExtensionRequest,
    KeyTask,
    Meeting,
    Plan,
    ProgressReport,
    Resolution,
    Target,
    TargetActual,
    Task,
    TaskEvent,
    TaskUnit,
)

LJ, WZ = "两江新区", "万州区"
CENT = Decimal("0.01")
IND, URB, SCI, PUB = Area.INDUSTRY, Area.URBAN_RURAL, Area.SCI_TECH, Area.PUBLIC_SERVICES

# Departments the conference needs beyond the core demo's: (region, name, kind, phone).
EXTRA_UNITS = [
    (LJ, "政务服务中心", OrgUnit.Kind.AGENCY, "023-67880906"),
    (WZ, "教委", OrgUnit.Kind.BUREAU, "023-58221702"),
    (WZ, "卫生健康委", OrgUnit.Kind.BUREAU, "023-58221815"),
    (WZ, "农业农村委", OrgUnit.Kind.BUREAU, "023-58221903"),
    (WZ, "文化旅游委", OrgUnit.Kind.BUREAU, "023-58222016"),
    (WZ, "规划自然资源局", OrgUnit.Kind.BUREAU, "023-58222120"),
    (WZ, "政务服务管理办公室", OrgUnit.Kind.OFFICE, "023-58222238"),
]

# The named person (专人) of each unit on the task list: (username, name, title, region, unit).
# lj_staff and wz_staff come from the core demo; the others are department staff, too.
UNIT_STAFF = [
    ("lj_staff", None, None, LJ, "产业促进局"),
    ("wz_staff", None, None, WZ, "经济信息委"),
    ("lj_jyj", "黄涛", "两江新区经济运行局综合协调处科员", LJ, "经济运行局"),
    ("lj_kcj", "何静", "两江新区科技创新局科技合作处科员", LJ, "科技创新局"),
    ("lj_sfj", "杨帆", "两江新区社会发展局科员", LJ, "社会发展局"),
    ("lj_ghj", "罗俊", "两江新区规划和自然资源局科员", LJ, "规划和自然资源局"),
    ("lj_zwfw", "周敏", "两江新区政务服务中心科员", LJ, "政务服务中心"),
    ("lj_tcz", "吴昊", "两江新区投资促进中心项目专员", LJ, "投资促进中心"),
    ("lj_dzb", "冯雪", "两江新区党政办公室科员", LJ, "党政办公室"),
    ("lj_zsjt", "彭程", "两江招商集团招商专员", LJ, "两江招商集团"),
    ("wz_fgw", "陈露", "万州区发展改革委区域协调科科员", WZ, "发展改革委"),
    ("wz_kjj", "郑凯", "万州区科技局科员", WZ, "科技局"),
    ("wz_sww", "程亮", "万州区商务委科员", WZ, "商务委"),
    ("wz_zsj", "谭勇", "万州区招商投资促进局科员", WZ, "招商投资促进局"),
    ("wz_rsj", "邓敏", "万州区人力社保局科员", WZ, "人力社保局"),
    ("wz_kfq", "秦川", "万州经济技术开发区管委会经济发展局科员", WZ, "万州经济技术开发区管委会"),
    ("wz_zfb", "熊伟", "万州区政府办公室科员", WZ, "政府办公室"),
    ("wz_jw", "谭丽", "万州区教委科员", WZ, "教委"),
    ("wz_wjw", "冉冬梅", "万州区卫生健康委科员", WZ, "卫生健康委"),
    ("wz_nyw", "向洪", "万州区农业农村委科员", WZ, "农业农村委"),
    ("wz_wlw", "牟娟", "万州区文化旅游委科员", WZ, "文化旅游委"),
    ("wz_ghj", "黎强", "万州区规划自然资源局科员", WZ, "规划自然资源局"),
    ("wz_zwb", "向静", "万州区政务服务管理办公室科员", WZ, "政务服务管理办公室"),
]

PLAN_2021 = "两江新区管委会万州区人民政府对口协同发展实施方案（2021年-2025年）"
PLAN_2026 = "两江新区管委会万州区人民政府对口协同发展实施方案（2026年-2030年）"
OVERALL = "两江新区万州区对口协同发展总体方案"

# (code, area, title)
KEY_TASKS_2021 = [
    ("CY1", IND, "共建汽车零部件配套产业园，推动汽车产业链向万州延伸"),
    ("CY2", IND, "推动电子信息、装备制造产业梯度转移"),
    ("CY3", IND, "建立协同招商和产业协作机制，共建重点企业“五库”"),
    ("CX1", URB, "推动万州特色农产品进主城、进两江"),
    ("CX2", URB, "加强港口物流协作，推进果园港与万州港联动发展"),
    ("KJ1", SCI, "协同培育高新技术企业和科技型企业"),
    ("KJ2", SCI, "推动科技成果在万州转移转化"),
    ("GG1", PUB, "开展教育、医疗对口协作"),
    ("GG2", PUB, "深化干部人才交流，万州每年选派干部到两江新区挂职锻炼"),
]
KEY_TASKS_2026 = [
    ("CY1", IND, "打造汽车零部件配套产业集群，建成万州汽车零部件配套产业园"),
    ("CY2", IND, "承接电子信息、生物医药产业转移"),
    ("CY3", IND, "深化协同招商，联合策划包装推介招商项目"),
    ("CY4", IND, "推动万州企业融入两江新区重点产业链供应链"),
    ("CX1", URB, "拓展农产品进主城和消费协作渠道"),
    ("CX2", URB, "共建三峡文旅精品线路"),
    ("CX3", URB, "推进港口物流和城市规划建设协作"),
    ("CX4", URB, "协同推进乡村振兴示范建设"),
    ("KJ1", SCI, "共建科技创新平台，共享科研资源"),
    ("KJ2", SCI, "促进专利和科技成果转化"),
    ("GG1", PUB, "推动教育、医疗优质资源共享"),
    ("GG2", PUB, "推进政务服务“跨区通办”和社保协同"),
    ("GG3", PUB, "加强干部人才和就业协作"),
]

# Joint conferences: (number, date, place, agenda titles, resolutions)
MEETINGS = [
    (
        1,
        date(2021, 4, 16),
        "万州区行政中心第一会议室",
        [
            "审议《两江新区万州区对口协同发展总体方案》",
            "审议2021—2025年实施方案",
            "审议2021年度对口协同发展合作协议及任务清单",
        ],
        [
            "建立两江新区—万州区对口协同发展联席会议制度，原则上每年在万州召开一次。",
            "原则通过总体方案和2021—2025年实施方案，两地成员单位按职责抓好落实。",
            "签署2021年度合作协议，任务实行项目化、事项化、机制化推进，专人专班、挂图打表。",
        ],
    ),
    (
        2,
        date(2022, 3, 25),
        "万州区行政中心第一会议室",
        ["通报2021年度任务完成情况", "审议2022年度合作协议及任务清单"],
        [
            "2021年度任务全部完成，予以销号。",
            "共建产业协同发展服务平台，年内上线运行。",
            "每半年举办一次重点骨干企业家联谊活动。",
        ],
    ),
    (
        3,
        date(2023, 3, 17),
        "万州经济技术开发区管委会会议室",
        ["通报2022年度任务完成情况", "审议2023年度合作协议及任务清单"],
        [
            "推动汽车零部件配套项目向万州经开区集聚。",
            "开展高新技术企业培育结对，两江新区提供辅导服务。",
            "扩大万州农特产品在两江新区的消费帮扶规模。",
        ],
    ),
    (
        4,
        date(2024, 3, 22),
        "万州区行政中心第一会议室",
        ["通报2023年度任务完成情况", "审议2024年度合作协议及任务清单"],
        [
            "启动万州汽车零部件配套产业园（一期）规划编制。",
            "推动两地优质学校结对全覆盖。",
            "加强果园港与万州港航线和舱位协作。",
        ],
    ),
    (
        5,
        date(2025, 3, 21),
        "万州区行政中心第一会议室",
        ["通报2024年度任务完成情况", "审议2025年度合作协议及任务清单", "部署实施方案终期评估"],
        [
            "加快万州汽车零部件配套产业园（一期）建设。",
            "推进电子信息企业梯度转移，建设远程医疗会诊平台。",
            "开展2021—2025年实施方案终期评估，启动2026—2030年实施方案编制。",
        ],
    ),
    (
        6,
        date(2026, 3, 20),
        "万州区行政中心第一会议室",
        [
            "通报2021—2025年实施方案终期评估情况",
            "审议2026—2030年实施方案",
            "审议2026年度合作协议及任务清单",
            "协调万州汽车零部件配套产业园二期用地问题",
        ],
        [
            "原则通过2026—2030年实施方案，聚焦产业发展、城乡互动、科技协作、公共服务四大领域。",
            "签署2026年度合作协议，30项任务逐项明确牵头单位、责任人和完成时限。",
            "加快建设万州汽车零部件配套产业园二期，年内首批配套企业投产。",
            "推动电子信息、生物医药项目优先向万州转移。",
            "推进教育医疗资源共享和政务服务“跨区通办”。",
        ],
    ),
]

CONVENER_LJ = "两江新区党工委副书记、管委会常务副主任"
CONVENER_WZ = "万州区委副书记、区政府区长"

MINUTES = (
    "第{n}次联席会议在{place}召开。会议由{wz}主持，{lj}出席并讲话。两地发展改革、经济信息、"
    "产业促进、科技、商务、招商等成员单位主要负责同志参加会议。会议听取了上年度对口协同任务"
    "完成情况汇报，审议了{year}年度合作协议及任务清单，研究了需协调解决的重大问题。"
)

# Closed tasks of the 2021–2025 agreements: (year, code, area, kind, title, lead units)
HISTORY = [
    (2021, "2021-01", URB, "mechanism", "建立对口协同发展联席会议制度和日常联络机制",
     [(LJ, "经济运行局"), (WZ, "发展改革委")]),
    (2021, "2021-02", PUB, "item", "开展部门互访结对，签订部门结对协议",
     [(LJ, "党政办公室"), (WZ, "政府办公室")]),
    (2021, "2021-03", IND, "mechanism", "共建重点工业企业、项目、产品、技术及人才“五库”",
     [(LJ, "产业促进局"), (WZ, "经济信息委")]),
    (2022, "2022-01", IND, "project", "搭建产业协同发展服务平台并上线运行",
     [(LJ, "产业促进局"), (WZ, "经济信息委")]),
    (2022, "2022-02", IND, "item", "举办首届重点骨干企业家联谊活动",
     [(LJ, "产业促进局"), (WZ, "经济信息委")]),
    (2022, "2022-03", PUB, "item", "组织万州招商干部赴两江新区跟岗培训",
     [(LJ, "投资促进中心"), (WZ, "招商投资促进局")]),
    (2023, "2023-01", IND, "project", "推动汽车零部件配套项目落户万州经开区",
     [(LJ, "产业促进局"), (WZ, "万州经济技术开发区管委会")]),
    (2023, "2023-02", SCI, "item", "开展高新技术企业培育结对辅导",
     [(LJ, "科技创新局"), (WZ, "科技局")]),
    (2023, "2023-03", URB, "item", "万州特色农产品进两江消费帮扶",
     [(LJ, "经济运行局"), (WZ, "商务委")]),
    (2024, "2024-01", IND, "project", "编制万州汽车零部件配套产业园（一期）规划",
     [(LJ, "产业促进局"), (WZ, "万州经济技术开发区管委会")]),
    (2024, "2024-02", PUB, "item", "推动两地优质学校结对全覆盖",
     [(LJ, "社会发展局"), (WZ, "教委")]),
    (2024, "2024-03", URB, "mechanism", "建立果园港与万州港航线舱位协作机制",
     [(LJ, "经济运行局"), (WZ, "发展改革委")]),
    (2025, "2025-02", IND, "project", "推进电子信息企业向万州梯度转移",
     [(LJ, "产业促进局"), (WZ, "经济信息委")]),
    (2025, "2025-03", PUB, "project", "建设两江—万州远程医疗会诊平台",
     [(LJ, "社会发展局"), (WZ, "卫生健康委")]),
    (2025, "2025-04", URB, "item", "开展2021—2025年实施方案终期评估",
     [(LJ, "经济运行局"), (WZ, "发展改革委")]),
]  # fmt: skip


@dataclass
class Report:
    period: str
    percent: int
    narrative: str
    status: str = ProgressReport.Status.ACCEPTED
    comment: str = ""
    submitted: date | None = None  # default: the 5th of the month after the period
    actuals: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class Spec:
    """One task of the 2026 list and where it stands today."""

    code: str
    area: str
    kind: str
    title: str
    content: str
    leads: list[tuple[str, str]]
    supports: list[tuple[str, str]] = field(default_factory=list)
    key: str = ""
    resolution: int | None = None
    priority: str = Task.Priority.NORMAL
    cadence: str = Task.Cadence.MONTHLY
    start: date = date(2026, 4, 1)
    deadline: date = date(2026, 12, 31)
    baseline: date | None = None  # the deadline before an approved extension
    milestones: list[tuple[str, date, date | None]] = field(default_factory=list)
    targets: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, value, unit
    acknowledged: bool = True
    reports: list[Report] = field(default_factory=list)
    claim: tuple[date, str] | None = None
    claim_returned: tuple[date, str] | None = None
    closed: date | None = None
    terminated: tuple[date, str] | None = None
    extension: tuple[date, date, str, str, date | None, str] | None = None
    carried_from: str = ""  # the code of the task of an earlier year this one carries on
    carried_to: str = ""


def _specs(today: date) -> list[Spec]:
    """The 2026 task list; dates that must stand relative to today are computed here."""

    def later(d: date) -> date:  # a date still ahead, whatever today is
        return max(d, today + timedelta(days=20))

    def past(d: date, days: int) -> date:  # a date already behind us
        return min(d, today - timedelta(days=days))

    d = Decimal
    year_end = later(date(2026, 12, 31))
    return [
        # --- Industry development ---------------------------------------------------------
        Spec(
            "2026-CY-01", IND, "project", "建设万州汽车零部件配套产业园（二期）",
            "在万州经开区高峰园建设标准厂房12万平方米，引导两江新区整车企业一级、二级供应商"
            "在园区布局配套基地，年内首批配套企业投产。",
            [(LJ, "产业促进局"), (WZ, "经济信息委")],
            [(WZ, "万州经济技术开发区管委会"), (LJ, "两江招商集团")],
            key="CY1", resolution=3, priority=Task.Priority.HIGH, start=date(2026, 3, 25),
            deadline=year_end, carried_from="2025-01",
            milestones=[
                ("二期标准厂房主体完工", date(2026, 6, 30), date(2026, 6, 26)),
                ("首批配套企业设备进场", date(2026, 9, 30), date(2026, 9, 28)),
                ("首批配套企业投产", later(date(2026, 12, 15)), None),
            ],
            targets=[("入驻配套企业", "15", "家"), ("完成固定资产投资", "12", "亿元")],
            reports=[
                Report("2026-08", 55, "二期标准厂房主体全部完工，正在进行室外管网施工；"
                       "已签约配套企业7家。",
                       actuals={"入驻配套企业": d(7), "完成固定资产投资": d("6.8")}),
                Report("2026-09", 65, "首批3家配套企业设备进场调试；新签约线束、内饰件企业2家，"
                       "累计签约9家。",
                       actuals={"入驻配套企业": d(9), "完成固定资产投资": d("8.1")}),
                Report("2026-10", 75, "首批企业试生产，产品通过整车企业PPAP审核；"
                       "累计完成投资9.2亿元。",
                       actuals={"入驻配套企业": d(9), "完成固定资产投资": d("9.2")}),
            ],
        ),
        Spec(
            "2026-CY-02", IND, "project", "推动两江新区整车企业在万州布局零部件配套基地",
            "组织两江新区整车企业与万州零部件企业开展配套对接，推动冲压件、线束、座椅等"
            "零部件就近配套。",
            [(LJ, "产业促进局"), (WZ, "经济信息委")],
            key="CY1", resolution=3, priority=Task.Priority.HIGH,
            targets=[("新增配套企业", "10", "家"), ("新增配套产值", "8", "亿元")],
            reports=[
                Report("2026-07", 40, "组织万州12家零部件企业赴两江新区整车企业开展供应商对接。"),
                Report("2026-08", 50, "3家万州企业进入整车企业二级供应商名录。",
                       actuals={"新增配套企业": d(3), "新增配套产值": d("1.6")}),
                Report("2026-09", 55, "新增配套企业5家，配套产值2.4亿元。",
                       actuals={"新增配套企业": d(5), "新增配套产值": d("2.4")}),
                Report("2026-10", 70, "累计新增配套企业8家，新增配套产值5.1亿元。",
                       ProgressReport.Status.RETURNED,
                       "配套企业清单与整车企业供应商名录不一致，请核实后重新报送并附合同清单。",
                       actuals={"新增配套企业": d(8), "新增配套产值": d("5.1")}),
            ],
        ),
        Spec(
            "2026-CY-03", IND, "project", "承接笔电及智能终端配套产业转移",
            "围绕两江新区笔电、智能终端产业链，推动结构件、电源、包材等配套企业向万州转移。",
            [(LJ, "产业促进局"), (WZ, "经济信息委")], [(WZ, "招商投资促进局")],
            key="CY2", resolution=4,
            targets=[("转移落地项目", "5", "个")],
            milestones=[("完成转移项目签约", date(2026, 8, 31), date(2026, 8, 20))],
            reports=[
                Report("2026-08", 60,
                       "签约转移项目5个，其中结构件项目2个、电源项目1个、包材项目2个。",
                       actuals={"转移落地项目": d(3)}),
                Report("2026-09", 85, "4个项目开工建设，1个项目租赁厂房投产。",
                       actuals={"转移落地项目": d(4)}),
                Report("2026-10", 100, "5个转移项目全部落地，其中3个已投产。",
                       actuals={"转移落地项目": d(5)}),
            ],
            claim=(today - timedelta(days=3),
                   "5个转移项目全部落地，附项目签约合同、用地批复及投产证明材料。"),
        ),
        Spec(
            "2026-CY-04", IND, "project", "推动生物医药项目向万州转移",
            "梳理两江新区生物医药企业产能扩张需求，推动原料药、医疗器械项目在万州经开区落地。",
            [(LJ, "产业促进局"), (WZ, "万州经济技术开发区管委会")], [(WZ, "招商投资促进局")],
            key="CY2", resolution=4, priority=Task.Priority.HIGH,
            deadline=past(date(2026, 10, 31), 10),
            targets=[("签约生物医药项目", "3", "个")],
            milestones=[("完成项目环评审批", date(2026, 8, 31), date(2026, 9, 25))],
            reports=[
                Report("2026-07", 30, "完成2个原料药项目选址踏勘。"),
                Report("2026-08", 40, "1个项目完成环评公示，另1个项目环评因园区规划环评调整延后。",
                       actuals={"签约生物医药项目": d(1)}),
                Report("2026-09", 50, "1个原料药项目签约，医疗器械项目仍在洽谈。",
                       actuals={"签约生物医药项目": d(1)}),
            ],
        ),
        Spec(
            "2026-CY-05", IND, "mechanism", "建立产业转移项目库和信息互通机制",
            "两地每季度互通拟转移项目、重点招商项目信息，建立动态更新的产业转移项目库。",
            [(LJ, "投资促进中心"), (WZ, "招商投资促进局")],
            key="CY3", start=date(2026, 3, 25), deadline=date(2026, 9, 30),
            reports=[
                Report("2026-05", 60, "印发《产业转移项目信息互通工作规则》，首批入库项目26个。"),
                Report("2026-06", 100, "完成第二季度项目信息互通，项目库累计入库41个。"),
            ],
            claim=(date(2026, 7, 10), "工作规则已印发，项目库运行两个季度，附入库项目清单。"),
            closed=date(2026, 7, 16),
        ),
        Spec(
            "2026-CY-06", IND, "item", "联合开展长三角、粤港澳大湾区专题招商推介",
            "两地招商部门联合组团赴长三角、粤港澳大湾区开展汽车零部件、电子信息专题推介。",
            [(LJ, "两江招商集团"), (WZ, "招商投资促进局")],
            key="CY3",
            targets=[("联合推介活动", "2", "场"), ("签约项目", "6", "个")],
            milestones=[("苏州专题推介会", date(2026, 6, 18), date(2026, 6, 18)),
                        ("深圳专题推介会", later(date(2026, 12, 10)), None)],
            reports=[
                Report("2026-06", 40, "在苏州联合举办汽车零部件产业专题推介会，签约项目3个。",
                       actuals={"联合推介活动": d(1), "签约项目": d(3)}),
                Report("2026-09", 55, "深圳推介会筹备中，已对接意向企业18家。"),
                Report("2026-10", 60, "深圳推介会方案已报两地领导审定。"),
            ],
        ),
        Spec(
            "2026-CY-07", IND, "item", "推动万州企业进入两江新区重点企业供应链",
            "依托产业协同发展服务平台发布两江新区重点企业采购需求，组织万州企业开展供需对接。",
            [(WZ, "经济信息委"), (LJ, "产业促进局")],
            key="CY4", deadline=today + timedelta(days=2),
            targets=[("供需对接活动", "4", "场"), ("达成合作企业", "20", "家")],
            reports=[
                Report("2026-09", 70, "举办供需对接活动3场，达成合作企业14家。",
                       actuals={"供需对接活动": d(3), "达成合作企业": d(14)}),
                Report("2026-10", 80, "第4场对接活动定于本月底举办，已征集采购需求56条。",
                       actuals={"供需对接活动": d(3), "达成合作企业": d(16)}),
            ],
        ),
        Spec(
            "2026-CY-08", IND, "item", "举办重点骨干企业家联谊活动（上下半年各一次）",
            "围绕企业管理、供应链对接、技术服务、人才交流，组织两地重点骨干企业家开展联谊活动。",
            [(LJ, "产业促进局"), (WZ, "经济信息委")],
            key="CY4",
            milestones=[("上半年联谊活动", date(2026, 6, 26), date(2026, 6, 25)),
                        ("下半年联谊活动", today + timedelta(days=1), None)],
            targets=[("参加企业家", "120", "人次")],
            reports=[
                Report("2026-06", 50, "上半年联谊活动在两江新区举办，两地63名企业家参加。",
                       actuals={"参加企业家": d(63)}),
                Report("2026-10", 60, "下半年联谊活动拟在万州举办，已完成企业报名。"),
            ],
        ),
        Spec(
            "2026-CY-09", IND, "mechanism", "研究“飞地园区”共建合作模式",
            "研究两江新区在万州共建“飞地园区”的税收分享、统计核算和管理体制。",
            [(LJ, "经济运行局"), (WZ, "发展改革委")],
            key="CY1",
            reports=[Report("2026-05", 20, "完成外省市“飞地园区”案例调研。")],
            terminated=(date(2026, 7, 28),
                        "经两地联席会议办公室研究，“飞地园区”模式调整为园区共建，"
                        "相关工作并入任务2026-CY-01统筹推进，本任务终止。"),
        ),
        Spec(
            "2026-CY-10", IND, "project", "共建软件和信息服务外包基地",
            "依托两江数字经济产业园资源，在万州共建软件和信息服务外包交付基地。",
            [(LJ, "产业促进局"), (WZ, "经济信息委")],
            key="CY2", start=today - timedelta(days=6), acknowledged=False,
            milestones=[("完成基地选址", later(date(2026, 12, 20)), None)],
        ),
        # --- Urban-rural interaction -------------------------------------------------------
        Spec(
            "2026-CX-01", URB, "project", "推动万州特色农产品进主城、进两江",
            "推动万州柠檬、古红桔、玫瑰香橙等特色农产品进入两江新区商超、机关企事业单位食堂。",
            [(WZ, "农业农村委"), (LJ, "经济运行局")], [(WZ, "商务委")],
            key="CX1", resolution=5,
            targets=[("销售额", "3000", "万元"), ("新增销售网点", "20", "个")],
            reports=[
                Report("2026-08", 55, "在两江新区新设万州农产品专柜9个，销售额1420万元。",
                       actuals={"销售额": d(1420), "新增销售网点": d(9)}),
                Report("2026-09", 65, "新增专柜5个，中秋期间销售额增长明显。",
                       actuals={"销售额": d(1860), "新增销售网点": d(14)}),
                Report("2026-10", 75, "古红桔上市，累计销售额2110万元。",
                       actuals={"销售额": d(2110), "新增销售网点": d(14)}),
            ],
        ),
        Spec(
            "2026-CX-02", URB, "item", "两江新区机关企事业单位消费协作采购万州农特产品",
            "两江新区机关企事业单位工会、食堂优先采购万州农特产品，开展消费协作。",
            [(LJ, "经济运行局"), (WZ, "商务委")],
            key="CX1",
            targets=[("采购金额", "800", "万元")],
            reports=[
                Report("2026-09", 50, "组织机关食堂采购对接2次，采购金额360万元。",
                       actuals={"采购金额": d(360)}),
                Report("2026-10", 65, "采购金额累计520万元。", actuals={"采购金额": d(520)}),
                Report("2026-11", 80, "工会节日慰问品采购万州农特产品，采购金额累计690万元。",
                       ProgressReport.Status.SUBMITTED, submitted=today - timedelta(days=1),
                       actuals={"采购金额": d(690)}),
            ],
        ),
        Spec(
            "2026-CX-03", URB, "project", "共同打造“两江—万州”三峡文旅精品线路",
            "联合推出“两江—万州”三峡平湖、大瀑布、西山钟楼文旅精品线路，开展互游互推。",
            [(WZ, "文化旅游委"), (LJ, "社会发展局")],
            key="CX2", deadline=year_end, baseline=date(2026, 9, 30),
            targets=[("精品线路", "3", "条"), ("组织游客", "5000", "人次")],
            reports=[
                Report("2026-08", 50, "完成2条精品线路踩线，第3条线路受汛期影响推迟。",
                       actuals={"精品线路": d(2), "组织游客": d(2100)}),
                Report("2026-09", 60, "第3条线路完成踩线，旅行社产品开发中。",
                       actuals={"精品线路": d(2), "组织游客": d(2600)}),
                Report("2026-10", 75, "3条线路全部上线，国庆期间组织两江职工游客1800人次。",
                       actuals={"精品线路": d(3), "组织游客": d(4400)}),
            ],
            extension=(date(2026, 9, 12), year_end,
                       "受主汛期长江水位影响，平湖游船线路踩线推迟，申请延期。",
                       ExtensionRequest.Status.APPROVED, date(2026, 9, 15),
                       "同意延期，原定完成时间作为基线保留。"),
        ),
        Spec(
            "2026-CX-04", URB, "item", "组织两江新区职工到万州疗休养",
            "组织两江新区机关企事业单位职工分批到万州开展疗休养活动。",
            [(LJ, "社会发展局"), (WZ, "文化旅游委")],
            key="CX2", deadline=date(2026, 10, 31),
            targets=[("疗休养职工", "1500", "人次")],
            reports=[
                Report("2026-07", 60, "组织职工疗休养4批次，920人次。",
                       actuals={"疗休养职工": d(920)}),
                Report("2026-09", 100, "累计组织职工疗休养8批次1630人次。",
                       actuals={"疗休养职工": d(1630)}),
            ],
            claim=(date(2026, 10, 12), "疗休养8批次1630人次，超额完成，附各批次名单及接待记录。"),
            closed=date(2026, 10, 20),
        ),
        Spec(
            "2026-CX-05", URB, "item", "开展城市规划建设交流，对口指导万州江南新区规划",
            "两江新区规划部门对口指导万州江南新区片区规划和城市设计，开展业务培训。",
            [(LJ, "规划和自然资源局"), (WZ, "规划自然资源局")],
            key="CX3", start=today - timedelta(days=12),
            milestones=[("联合开展规划业务培训", later(date(2026, 12, 18)), None)],
        ),
        Spec(
            "2026-CX-06", URB, "project", "共建乡村振兴示范村",
            "两江新区结对支持万州区分水镇建设乡村振兴示范村，发展柑橘深加工和乡村旅游。",
            [(LJ, "社会发展局"), (WZ, "农业农村委")],
            key="CX4", cadence=Task.Cadence.QUARTERLY,
            targets=[("支持项目资金", "500", "万元")],
            reports=[
                Report("2026Q2", 35, "确定示范村建设方案，首批资金200万元拨付到位。",
                       actuals={"支持项目资金": d(200)}),
            ],
        ),
        Spec(
            "2026-CX-07", URB, "mechanism", "推进果园港与万州港江海联运、铁水联运协作",
            "深化果园港与万州新田港协作，开行江海联运、铁水联运班列，共享货源和舱位信息。",
            [(LJ, "经济运行局"), (WZ, "发展改革委")],
            key="CX3",
            milestones=[("签署港口物流协作协议", past(date(2026, 11, 20), 7), None)],
            targets=[("联运班列", "24", "列")],
            reports=[
                Report("2026-09", 45, "开行铁水联运班列9列，协作协议文本已征求意见。",
                       actuals={"联运班列": d(9)}),
                Report("2026-10", 55, "开行联运班列13列；协议涉及收费分成条款尚未达成一致。",
                       actuals={"联运班列": d(13)}),
            ],
        ),
        # --- Sci-tech collaboration --------------------------------------------------------
        Spec(
            "2026-KJ-01", SCI, "project", "共建两江协同创新区万州联合研发中心",
            "依托两江协同创新区高校院所资源，在万州共建汽车电子、新材料联合研发中心。",
            [(LJ, "科技创新局"), (WZ, "科技局")],
            key="KJ1", priority=Task.Priority.HIGH,
            targets=[("入驻研发团队", "6", "个")],
            milestones=[("联合研发中心挂牌", date(2026, 9, 30), date(2026, 9, 26))],
            reports=[
                Report("2026-08", 50, "研发中心场地装修完成，4个研发团队签订入驻协议。",
                       actuals={"入驻研发团队": d(4)}),
                Report("2026-09", 65, "联合研发中心挂牌运行。", actuals={"入驻研发团队": d(4)}),
                Report("2026-10", 75, "新增入驻研发团队1个，累计5个。",
                       actuals={"入驻研发团队": d(5)}),
            ],
        ),
        Spec(
            "2026-KJ-02", SCI, "project", "推动高校院所专利在万州企业转化实施",
            "梳理两江新区高校院所可转化专利，组织万州企业开展专利许可、转让对接。",
            [(LJ, "科技创新局"), (WZ, "科技局")],
            key="KJ2",
            targets=[("专利转化", "30", "件")],
            reports=[
                Report("2026-08", 60, "组织专利对接会2场，达成转化意向22件。",
                       actuals={"专利转化": d(18)}),
                Report("2026-09", 95, "累计完成专利许可、转让31件。", actuals={"专利转化": d(31)}),
                Report("2026-10", 90, "补充技术合同登记证明，已登记27件，其余4件正在办理。",
                       actuals={"专利转化": d(27)}),
            ],
            claim=(date(2026, 10, 14), "完成专利转化31件，附专利许可、转让合同。"),
            claim_returned=(date(2026, 10, 20),
                            "部分合同未办理技术合同登记，请补充登记证明后再申请办结。"),
        ),
        Spec(
            "2026-KJ-03", SCI, "item", "协同培育高新技术企业",
            "两江新区科技服务机构为万州企业提供高新技术企业认定辅导。",
            [(LJ, "科技创新局"), (WZ, "科技局")],
            key="KJ1", deadline=date(2026, 10, 31),
            targets=[("辅导企业", "30", "家"), ("新增高新技术企业", "10", "家")],
            reports=[
                Report("2026-06", 60, "完成30家企业申报辅导，申报材料已提交。",
                       actuals={"辅导企业": d(30), "新增高新技术企业": d(0)}),
                Report("2026-09", 100, "第一批认定公示，万州新增高新技术企业12家。",
                       actuals={"辅导企业": d(30), "新增高新技术企业": d(12)}),
            ],
            claim=(date(2026, 10, 9), "12家企业通过高新技术企业认定，附认定公示名单。"),
            closed=date(2026, 10, 16),
        ),
        Spec(
            "2026-KJ-04", SCI, "item", "举办科技成果转化对接会",
            "组织两江新区高校院所、新型研发机构到万州发布科技成果，开展成果转化对接。",
            [(WZ, "科技局"), (LJ, "科技创新局")],
            key="KJ2", deadline=today + timedelta(days=2),
            targets=[("发布科技成果", "50", "项")],
            reports=[
                Report("2026-10", 40, "对接会方案已确定，征集科技成果38项；受场地原因需调整会期。",
                       actuals={"发布科技成果": d(38)}),
            ],
            extension=(today - timedelta(days=2), max(date(2027, 1, 31), today + timedelta(45)),
                       "对接会与市科技成果转化交易会时间冲突，拟调整至明年1月举办。",
                       ExtensionRequest.Status.PENDING, None, ""),
        ),
        Spec(
            "2026-KJ-05", SCI, "mechanism", "向万州企业开放大型科研仪器设备共享",
            "两江新区科研仪器设备共享平台向万州企业开放，享受同等补贴政策。",
            [(LJ, "科技创新局"), (WZ, "科技局")],
            key="KJ1", start=today - timedelta(days=12),
        ),
        Spec(
            "2026-KJ-06", SCI, "item", "联合申报市级科技计划项目",
            "两地企业、高校院所联合申报2027年度市级技术创新与应用发展专项。",
            [(WZ, "科技局"), (LJ, "科技创新局")],
            key="KJ1", start=today - timedelta(days=6), acknowledged=False,
            targets=[("联合申报项目", "5", "项")],
        ),
        # --- Public services ---------------------------------------------------------------
        Spec(
            "2026-GG-01", PUB, "item", "推动两地优质学校结对和教师交流",
            "两江新区优质中小学与万州学校结对，开展跟岗学习、送教下乡和教研联动。",
            [(LJ, "社会发展局"), (WZ, "教委")],
            key="GG1", resolution=5,
            targets=[("结对学校", "12", "对"), ("跟岗学习教师", "60", "人次")],
            reports=[
                Report("2026-09", 60, "新增结对学校4对，累计12对；秋季学期跟岗学习教师28人次。",
                       actuals={"结对学校": d(12), "跟岗学习教师": d(28)}),
                Report("2026-10", 70, "开展送教下乡3次，跟岗学习教师累计41人次。",
                       actuals={"结对学校": d(12), "跟岗学习教师": d(41)}),
            ],
        ),
        Spec(
            "2026-GG-02", PUB, "project", "推进医疗专科共建和远程会诊",
            "两江新区医疗机构与万州区医院共建心血管、儿科专科，远程会诊平台覆盖万州区级医院。",
            [(LJ, "社会发展局"), (WZ, "卫生健康委")],
            key="GG1", resolution=5, deadline=past(date(2026, 11, 15), 5),
            targets=[("共建专科", "2", "个"), ("远程会诊", "300", "例")],
            reports=[
                Report("2026-08", 50, "心血管专科共建协议签订，派驻专家2名。",
                       actuals={"共建专科": d(1), "远程会诊": d(120)}),
                Report("2026-09", 60, "儿科专科共建方案待两地卫生健康部门审定。",
                       actuals={"共建专科": d(1), "远程会诊": d(168)}),
                Report("2026-10", 65, "远程会诊累计196例；儿科专科因派驻人员未落实进展滞后。",
                       actuals={"共建专科": d(1), "远程会诊": d(196)}),
            ],
        ),
        Spec(
            "2026-GG-03", PUB, "item", "万州区选派干部到两江新区挂职锻炼",
            "万州区选派3名干部到两江新区产业促进、招商等部门挂职锻炼一年。",
            [(WZ, "政府办公室"), (LJ, "党政办公室")],
            key="GG3", start=date(2026, 3, 25), deadline=date(2026, 6, 30),
            targets=[("挂职干部", "3", "名")],
            reports=[
                Report("2026-04", 50, "完成挂职人选推荐和考察。", actuals={"挂职干部": d(0)}),
                Report("2026-05", 100, "3名干部到两江新区产业促进局、投资促进中心报到挂职。",
                       actuals={"挂职干部": d(3)}),
            ],
            claim=(date(2026, 6, 10), "3名挂职干部全部到岗，附挂职通知文件。"),
            closed=date(2026, 6, 15),
        ),
        Spec(
            "2026-GG-04", PUB, "project", "推进政务服务“跨区通办”",
            "梳理两地高频政务服务事项，通过“全渝通办”实现异地代收代办、多地联办。",
            [(LJ, "政务服务中心"), (WZ, "政务服务管理办公室")],
            key="GG2", resolution=5,
            targets=[("跨区通办事项", "100", "项")],
            milestones=[("发布第一批通办事项清单", date(2026, 6, 30), date(2026, 6, 29))],
            reports=[
                Report("2026-08", 60, "第一批通办事项62项上线运行。",
                       actuals={"跨区通办事项": d(62)}),
                Report("2026-09", 70, "第二批通办事项梳理完成，待市级系统开通数据共享权限。",
                       actuals={"跨区通办事项": d(62)}),
                Report("2026-10", 80, "第二批24项上线，累计86项。",
                       actuals={"跨区通办事项": d(86)}),
            ],
        ),
        Spec(
            "2026-GG-05", PUB, "item", "为万州培训招商干部",
            "两江新区为万州举办招商引资专题培训班，安排招商干部跟岗实训。",
            [(LJ, "投资促进中心"), (WZ, "招商投资促进局")],
            key="GG3",
            targets=[("培训招商干部", "60", "人次")],
            reports=[
                Report("2026-08", 50, "举办招商专题培训班1期，培训35人次。",
                       actuals={"培训招商干部": d(35)}),
                Report("2026-09", 60, "跟岗实训进行中。", ProgressReport.Status.RETURNED,
                       "请补充跟岗实训人员名单、岗位和实训内容。"),
                Report("2026-10", 70, "第二期培训班完成，累计培训58人次；跟岗实训8人，名单附后。",
                       actuals={"培训招商干部": d(58)}),
            ],
        ),
        Spec(
            "2026-GG-06", PUB, "mechanism", "推进社保医保业务异地经办协同",
            "推动两地社保关系转移、医保异地就医备案等业务“一地受理、两地协同”。",
            [(WZ, "人力社保局"), (LJ, "社会发展局")],
            key="GG2",
            targets=[("协同经办事项", "15", "项")],
            reports=[
                Report("2026-10", 60, "协同经办事项清单确定，首批9项实现一地受理。",
                       actuals={"协同经办事项": d(9)}),
                Report("2026-11", 75, "第二批3项实现协同经办，累计12项。",
                       ProgressReport.Status.SUBMITTED, submitted=today - timedelta(days=2),
                       actuals={"协同经办事项": d(12)}),
            ],
        ),
        Spec(
            "2026-GG-07", PUB, "item", "两江新区企业赴万州开展专场招聘",
            "组织两江新区重点企业到万州开展专场招聘会，促进万州劳动力就近就业、有序流动。",
            [(WZ, "人力社保局"), (LJ, "社会发展局")],
            key="GG3",
            targets=[("提供岗位", "1000", "个"), ("达成就业意向", "300", "人")],
            reports=[
                Report("2026-09", 70, "举办专场招聘会2场，提供岗位860个，达成就业意向215人。",
                       actuals={"提供岗位": d(860), "达成就业意向": d(215)}),
                Report("2026-10", 100, "第3场招聘会举办，累计提供岗位1240个，达成就业意向318人。",
                       actuals={"提供岗位": d(1240), "达成就业意向": d(318)}),
            ],
            claim=(today - timedelta(days=4), "招聘会3场，提供岗位1240个，达成就业意向318人，"
                   "附招聘会签到表和企业用工登记。"),
        ),
    ]  # fmt: skip


# Open coordination issues besides the escalated overdue tasks: (title, description, unit)
ISSUES = [
    (
        "万州汽车零部件配套产业园二期建设用地指标不足",
        "二期后续地块尚缺建设用地指标约300亩，需争取市级统筹解决。",
        (WZ, "万州经济技术开发区管委会"),
    ),
    (
        "政务服务“跨区通办”第二批事项需市级系统开通数据共享权限",
        "第二批通办事项涉及市级业务系统，需协调市大数据发展局开通数据共享权限。",
        (WZ, "政务服务管理办公室"),
    ),
]


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _report_day(period: str) -> date:
    """Reports are due by the 5th of the month after the period (or after the quarter)."""
    year = int(period[:4])
    month = int(period[-1]) * 3 if "Q" in period else int(period[5:7])
    return date(year + month // 12, month % 12 + 1, 5)


class _Loader:
    def __init__(self, today: date):
        self.today = today
        self.pair = Partnership.objects.get(
            developed_side__name=LJ, partner_side__name=WZ, programme__code="yiqu-liangqun"
        )
        self.regions = {LJ: self.pair.developed_side, WZ: self.pair.partner_side}
        self.coord = {
            LJ: User.objects.get(username="lj_coord"),
            WZ: User.objects.get(username="wz_coord"),
        }
        self.units: dict[tuple[str, str], OrgUnit] = {}
        self.staff: dict[tuple[str, str], User] = {}
        self.password_hash = ""

    # --- People and units ---------------------------------------------------------------

    def people(self) -> None:
        for order, (region, name, kind, phone) in enumerate(EXTRA_UNITS, start=1):
            OrgUnit.objects.update_or_create(
                region=self.regions[region],
                name=name,
                defaults={"kind": kind, "phone": phone, "sort_order": 200 + order * 10},
            )
        for unit in OrgUnit.objects.filter(region__in=self.regions.values()):
            self.units[(unit.region.name, unit.name)] = unit
        for username, full_name, title, region, unit_name in UNIT_STAFF:
            unit = self.units[(region, unit_name)]
            if full_name is None:  # a core demo user
                self.staff[(region, unit_name)] = User.objects.get(username=username)
                continue
            user, created = User.objects.update_or_create(
                username=username,
                defaults={
                    "full_name": full_name,
                    "title": title,
                    "email": f"{username}@demo.xietong",
                },
            )
            if created or not user.has_usable_password():
                # One hash for all of them: hashing is slow on purpose, and this password
                # is public anyway.
                self.password_hash = self.password_hash or make_password(DEMO_PASSWORD)
                user.password = self.password_hash
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(
                user=user, role=Role.DEPARTMENT_STAFF, org_unit=unit, partnership=None
            )
            self.staff[(region, unit_name)] = user

    def unit(self, key: tuple[str, str]) -> OrgUnit:
        return self.units[key]

    def person(self, key: tuple[str, str]) -> User:
        return self.staff[key]

    def reviewer(self, key: tuple[str, str]) -> User:
        return self.coord[key[0]]

    # --- Plans, meetings, agreements -------------------------------------------------------

    def plans(self) -> dict[str, Plan]:
        rows = [
            (OVERALL, Plan.Kind.OVERALL, 2021, 2030, Plan.Status.LIVE, 1,
             "明确两江新区与万州区对口协同发展的总体要求、目标任务和“1+3”工作机制。"),
            (PLAN_2021, Plan.Kind.IMPLEMENTATION, 2021, 2025, Plan.Status.CLOSED, 1,
             "“十四五”时期对口协同发展实施方案，已于2025年底完成终期评估。"),
            (PLAN_2026, Plan.Kind.IMPLEMENTATION, 2026, 2030, Plan.Status.LIVE, 6,
             "“十五五”时期对口协同发展实施方案，聚焦产业发展、城乡互动、科技协作、公共服务。"),
        ]  # fmt: skip
        plans = {}
        for title, kind, start, end, status, meeting, summary in rows:
            plans[title], _ = Plan.objects.update_or_create(
                partnership=self.pair,
                title=title,
                defaults={
                    "kind": kind,
                    "start_year": start,
                    "end_year": end,
                    "status": status,
                    "summary": summary,
                    "adopted_at": self.meetings[meeting],
                },
            )
        for title, key_tasks in ((PLAN_2021, KEY_TASKS_2021), (PLAN_2026, KEY_TASKS_2026)):
            for code, area, name in key_tasks:
                KeyTask.objects.update_or_create(
                    plan=plans[title], code=code, defaults={"area": area, "title": name}
                )
        return plans

    def meeting_rows(self) -> None:
        self.meetings: dict[int, Meeting] = {}
        self.resolutions: dict[tuple[int, int], Resolution] = {}
        for number, day, place, agenda, resolutions in MEETINGS:
            meeting, _ = Meeting.objects.update_or_create(
                partnership=self.pair,
                number=number,
                defaults={
                    "year": day.year,
                    "date": day,
                    "host_side": self.regions[WZ],
                    "place": place,
                    "convener_developed": CONVENER_LJ,
                    "convener_partner": CONVENER_WZ,
                    "status": Meeting.Status.HELD,
                    "minutes": MINUTES.format(
                        n=number, place=place, wz=CONVENER_WZ, lj=CONVENER_LJ, year=day.year
                    ),
                },
            )
            self.meetings[number] = meeting
            for order, title in enumerate(agenda, start=1):
                AgendaItem.objects.update_or_create(
                    meeting=meeting, order=order, defaults={"title": title}
                )
            for n, text in enumerate(resolutions, start=1):
                self.resolutions[(number, n)], _ = Resolution.objects.update_or_create(
                    meeting=meeting, number=n, defaults={"text": text}
                )
            attendees = [
                (LJ, "经济运行局", self.coord[LJ].full_name, self.coord[LJ].title),
                (WZ, "发展改革委", self.coord[WZ].full_name, self.coord[WZ].title),
                (LJ, "产业促进局", "陈志刚", "两江新区产业促进局局长"),
                (WZ, "经济信息委", "谭宏伟", "万州区经济信息委主任"),
            ]
            for side, unit_name, name, title in attendees:
                Attendee.objects.update_or_create(
                    meeting=meeting,
                    name=name,
                    defaults={
                        "side": self.regions[side],
                        "org_unit": self.unit((side, unit_name)),
                        "title": title,
                    },
                )

    def agreements(self, plans: dict[str, Plan]) -> dict[int, AnnualAgreement]:
        agreements: dict[int, AnnualAgreement] = {}
        previous = None
        for number, day, *_rest in MEETINGS:
            year = day.year
            agreements[year], _ = AnnualAgreement.objects.update_or_create(
                partnership=self.pair,
                year=year,
                defaults={
                    "title": f"两江新区管委会 万州区人民政府{year}年度对口协同发展合作协议",
                    "status": AnnualAgreement.Status.ADOPTED
                    if year == 2026
                    else AnnualAgreement.Status.CLOSED,
                    "meeting": self.meetings[number],
                    "plan": plans[PLAN_2026 if year >= 2026 else PLAN_2021],
                    "previous": previous,
                    "preamble": (
                        f"根据第{number}次联席会议议定事项，双方就{year}年度对口协同发展工作"
                        "达成如下协议，任务清单实行项目化、事项化、机制化推进，"
                        "明确牵头单位、责任人和完成时限，挂图打表、按月调度。"
                    ),
                },
            )
            previous = agreements[year]
        return agreements

    # --- Tasks ------------------------------------------------------------------------------

    def task(self, agreement: AnnualAgreement, spec: Spec, key_tasks: dict[str, KeyTask]) -> Task:
        leads = [self.unit(u) for u in spec.leads]
        responsible = self.person(spec.leads[0])
        task, _ = Task.objects.update_or_create(
            agreement=agreement,
            code=spec.code,
            defaults={
                "title": spec.title,
                "content": spec.content,
                "area": spec.area,
                "kind": spec.kind,
                "start_date": spec.start,
                "deadline": spec.deadline,
                "baseline_deadline": spec.baseline or spec.deadline,
                "priority": spec.priority,
                "cadence": spec.cadence,
                "responsible": responsible,
                "key_task": key_tasks.get(spec.key),
                "resolution": self.resolutions.get((agreement.meeting.number, spec.resolution))
                if spec.resolution
                else None,
                "carried_from": Task.objects.filter(
                    agreement__partnership=self.pair, code=spec.carried_from
                ).first()
                if spec.carried_from
                else None,
            },
        )
        services.set_units(task, leads, [self.unit(u) for u in spec.supports])
        task.working_group.set(
            [self.person(u) for u in spec.leads[1:] if u in self.staff]
            + [self.person(u) for u in spec.supports if u in self.staff]
        )
        for title, due, done in spec.milestones:
            task.milestones.update_or_create(
                title=title, defaults={"due_date": due, "done_on": done}
            )
        targets = {}
        for name, value, measure in spec.targets:
            targets[name], _ = Target.objects.update_or_create(
                task=task,
                name=name,
                defaults={"target_value": Decimal(value).quantize(CENT), "measure": measure},
            )
        events = self.flow(task, spec, targets)
        self.sync_events(task, events)
        return task

    def flow(self, task: Task, spec: Spec, targets: dict[str, Target]) -> list[tuple]:
        """Write the task's acknowledgements, reports, claim and decisions; return its events."""
        lead_coord = self.reviewer(spec.leads[0])
        assigned = _at(spec.start - timedelta(days=2), 9)
        events = [(assigned, TaskEvent.Kind.ASSIGNED, lead_coord, "")]
        if task.carried_from:
            note = f"{task.carried_from.agreement.year} · {task.carried_from.code}"
            events.append((assigned, TaskEvent.Kind.CARRIED_OVER, lead_coord, note))
        Task.objects.filter(pk=task.pk).update(created_at=assigned)
        task.created_at = assigned
        stage = Task.Stage.ASSIGNED
        for offset, key in enumerate(spec.leads):
            tu = TaskUnit.objects.get(task=task, unit=self.unit(key))
            when = _at(spec.start + timedelta(days=2 + offset), 15) if spec.acknowledged else None
            who = self.person(key) if spec.acknowledged else None
            if (tu.acknowledged_at, tu.acknowledged_by) != (when, who):
                tu.acknowledged_at, tu.acknowledged_by = when, who
                tu.save(update_fields=["acknowledged_at", "acknowledged_by"])
            if spec.acknowledged:
                events.append((when, TaskEvent.Kind.ACKNOWLEDGED, who, str(tu.unit)))
        if spec.acknowledged:
            stage = Task.Stage.ACKNOWLEDGED
        percent, last_accepted = 0, None
        latest_actuals: dict[str, Decimal] = {}
        for report in spec.reports:
            author_key = spec.leads[0]
            author = self.person(author_key)
            submitted = report.submitted or _report_day(report.period)
            reviewed = submitted + timedelta(days=3)
            done = report.status != ProgressReport.Status.SUBMITTED
            row, _ = ProgressReport.objects.update_or_create(
                task=task,
                period=report.period,
                defaults={
                    "narrative": report.narrative,
                    "percent": report.percent,
                    "unit": self.unit(author_key),
                    "submitted_by": author,
                    "status": report.status,
                    "reviewed_by": self.reviewer(author_key) if done else None,
                    "reviewed_at": _at(reviewed, 16) if done else None,
                    "review_comment": report.comment,
                },
            )
            ProgressReport.objects.filter(pk=row.pk).update(submitted_at=_at(submitted, 11))
            for name, value in report.actuals.items():
                TargetActual.objects.update_or_create(
                    report=row, target=targets[name], defaults={"value": value}
                )
            events.append((_at(submitted, 11), TaskEvent.Kind.REPORTED, author, report.period))
            stage = Task.Stage.IN_PROGRESS
            if report.status == ProgressReport.Status.ACCEPTED:
                percent, last_accepted = report.percent, reviewed
                latest_actuals.update(report.actuals)
                kind = TaskEvent.Kind.REPORT_ACCEPTED
            elif report.status == ProgressReport.Status.RETURNED:
                kind = TaskEvent.Kind.REPORT_RETURNED
            else:
                continue
            events.append((_at(reviewed, 16), kind, self.reviewer(author_key), report.comment))
        if spec.extension:
            asked, new_deadline, reason, status, decided, comment = spec.extension
            requester = self.person(spec.leads[0])
            ExtensionRequest.objects.update_or_create(
                task=task,
                reason=reason,
                defaults={
                    "new_deadline": new_deadline,
                    "requested_by": requester,
                    "status": status,
                    "decided_by": lead_coord if decided else None,
                    "decided_at": _at(decided, 17) if decided else None,
                    "comment": comment,
                },
            )
            ExtensionRequest.objects.filter(task=task, reason=reason).update(
                requested_at=_at(asked, 9, 30)
            )
            note = f"{new_deadline:%Y-%m-%d} {reason}"
            events.append((_at(asked, 9, 30), TaskEvent.Kind.EXTENSION_REQUESTED, requester, note))
            if status == ExtensionRequest.Status.APPROVED:
                events.append((_at(decided, 17), TaskEvent.Kind.EXTENSION_APPROVED, lead_coord,
                               comment))  # fmt: skip
        if spec.claim:
            day, evidence = spec.claim
            events.append((_at(day, 14), TaskEvent.Kind.CLAIMED, self.person(spec.leads[0]),
                           evidence))  # fmt: skip
            stage = Task.Stage.CLAIMED
        if spec.claim_returned:
            day, comment = spec.claim_returned
            events.append((_at(day, 14), TaskEvent.Kind.RETURNED, lead_coord, comment))
            stage = Task.Stage.IN_PROGRESS
        if spec.closed:
            events.append((_at(spec.closed, 15), TaskEvent.Kind.CLOSED, lead_coord, "同意销号。"))
            stage, percent = Task.Stage.CLOSED, 100
        if spec.terminated:
            day, reason = spec.terminated
            if spec.carried_to:
                note = f"→ {day.year + 1} · {spec.carried_to}"
                events.append((_at(day, 14), TaskEvent.Kind.CARRIED_OVER, lead_coord, note))
            events.append((_at(day, 15), TaskEvent.Kind.TERMINATED, lead_coord, reason))
            stage = Task.Stage.TERMINATED
        for name, value in latest_actuals.items():
            if targets[name].actual != value:
                targets[name].actual = value
                targets[name].save(update_fields=["actual"])
        task.stage, task.percent = stage, percent
        task.last_accepted_report_on = last_accepted
        task.closed_on = spec.closed
        task.termination_reason = spec.terminated[1] if spec.terminated else ""
        task.light = Task.Light.GREEN
        rules = services.rules_for(self.pair)
        dues = [m.due_date for m in task.milestones.all() if m.done_on is None]
        task.light, task.status = services.light_of(task, self.today, rules, dues)
        task.save(
            update_fields=[
                "stage",
                "percent",
                "last_accepted_report_on",
                "closed_on",
                "termination_reason",
                "light",
                "status",
            ]
        )
        events += self.escalation(task, dues)
        return events

    def escalation(self, task: Task, dues: list[date]) -> list[tuple]:
        """What the daily job left behind: the light's turn and, when red, the issue."""
        if task.light == Task.Light.GREEN or not task.is_open:
            return []
        status_label = {
            Task.Status.NOT_STARTED: "未启动",
            Task.Status.IN_PROGRESS: "推进中",
            Task.Status.LAGGING: "滞后",
        }
        if task.light == Task.Light.AMBER:
            turned, note = self.today, "绿 → 黄"
        else:
            late = min(due for due in [task.deadline, *dues] if due < self.today)
            turned = late + timedelta(days=1)
            note = f"绿 → 红; 推进中 → {status_label[task.status]}"
        when = _at(turned, 1, 0)
        result = [(when, TaskEvent.Kind.LIGHT_CHANGED, None, note)]
        if task.light == Task.Light.RED:
            if late == task.deadline:
                reason = f"完成时限为{late:%Y年%m月%d日}，已逾期。"
            else:
                reason = f"节点“{task.milestones.get(due_date=late, done_on=None).title}”"
                reason += f"应于{late:%Y年%m月%d日}完成，已逾期。"
            CoordinationIssue.objects.update_or_create(
                partnership=self.pair,
                task=task,
                defaults={
                    "title": f"逾期任务{task.code}：{task.title}"[:200],
                    "description": reason,
                    "raised_on": turned,
                    "status": CoordinationIssue.Status.OPEN,
                },
            )
            result.append((when, TaskEvent.Kind.ESCALATED, None, reason))
        return result

    def sync_events(self, task: Task, events: list[tuple]) -> None:
        """Rewrite the task's history only when it differs from what the data says."""
        events.sort(key=lambda e: e[0])
        wanted = [(at, kind, getattr(actor, "pk", None), note) for at, kind, actor, note in events]
        have = list(task.events.order_by("at", "pk").values_list("at", "kind", "actor", "note"))
        if have == wanted:
            return
        task.events.all().delete()
        for at, kind, actor, note in events:
            event = TaskEvent.objects.create(task=task, kind=kind, actor=actor, note=note)
            TaskEvent.objects.filter(pk=event.pk).update(at=at)

    def history(self, agreements: dict[int, AnnualAgreement], key_tasks: dict) -> None:
        """Closed tasks of 2021–2025, and the 2025 task carried into 2026."""
        area_keys = {IND: "CY1", URB: "CX1", SCI: "KJ1", PUB: "GG1"}
        specs = [
            (year, Spec(
                code, area, kind, title, f"落实第{year - 2020}次联席会议议定事项：{title}。",
                leads, key=area_keys[area], start=date(year, 4, 20),
                deadline=date(year, 12, 31),
                reports=[
                    Report(f"{year}-06", 50, "按计划推进，完成阶段性目标。"),
                    Report(f"{year}-11", 100, "各项工作全部完成。"),
                ],
                claim=(date(year, 12, 8), "任务已完成，附工作总结及佐证材料。"),
                closed=date(year, 12, 18),
            ))
            for year, code, area, kind, title, leads in HISTORY
        ]  # fmt: skip
        specs.append(
            (
                2025,
                Spec(
                    "2025-01", IND, "project", "建设万州汽车零部件配套产业园（一期）",
                    "完成一期标准厂房建设并引进首批配套企业。",
                    [(LJ, "产业促进局"), (WZ, "经济信息委")],
                    [(WZ, "万州经济技术开发区管委会")],
                    key="CY1", start=date(2025, 4, 20), deadline=date(2025, 12, 31),
                    reports=[
                        Report("2025-06", 40, "一期厂房主体施工。"),
                        Report("2025-11", 85, "一期厂房竣工，引进配套企业6家，二期用地报批中。"),
                    ],
                    carried_to="2026-CY-01",
                    terminated=(date(2025, 12, 26),
                                "一期建设已完成，二期及未完成部分结转2026年度协议"
                                "（任务2026-CY-01）继续推进。"),
                ),
            )
        )  # fmt: skip
        for year, spec in specs:
            self.task(agreements[year], spec, key_tasks[PLAN_2021])

    def notifications(self) -> int:
        """What the daily job (``tasks.run_daily``) sent when each open task of the demo
        turned amber or red, and when a red one went on the issue list: so the people
        concerned (lead-unit staff, the responsible person, the pair's coordinators) find
        them in their notification centre. Same keys, titles and texts as the job;
        ``notify`` stores each key once, so loading the demo again adds nothing."""
        from . import tasks as jobs  # the job's module imports huey: only when loading

        people = jobs.People()
        rules = services.rules_for(self.pair)
        sent = 0
        with translation.override(settings.LANGUAGE_CODE):
            open_tasks = (
                jobs.open_tasks()
                .filter(agreement__partnership=self.pair)
                .exclude(light=Task.Light.GREEN)
            )
            for task in open_tasks:
                turned_at = (
                    task.events.filter(kind=TaskEvent.Kind.LIGHT_CHANGED)
                    .order_by("-at")
                    .values_list("at", flat=True)
                    .first()
                )
                day = timezone.localdate(turned_at) if turned_at else self.today
                reason = jobs.reason_for(task, self.today, rules, list(task.milestones.all()))
                sent += jobs.notify_turn(task, task.light, day, reason, people)
                issue = task.issues.exclude(status=CoordinationIssue.Status.RESOLVED).first()
                if task.light != Task.Light.RED or issue is None:
                    continue
                for user in people.coordinators_of(task):
                    note = notify(
                        user,
                        key=f"conference.escalated.{task.pk}.{issue.raised_on:%Y%m%d}",
                        title=gettext("Escalated to the next joint conference: %(title)s")
                        % {"title": issue.title},
                        body=issue.description,
                        url=jobs._issue_url() or jobs._task_url(task),
                    )
                    sent += note is not None
        return sent

    def issues(self) -> None:
        for title, description, unit in ISSUES:
            CoordinationIssue.objects.update_or_create(
                partnership=self.pair,
                title=title,
                defaults={
                    "description": description,
                    "raised_by": self.unit(unit),
                    "raised_on": date(2026, 11, 10),
                },
            )


@transaction.atomic
def load() -> dict[str, int]:
    """Create or update the conference demo data of 两江新区 ↔ 万州区 (after the core's).

    Seeding is not somebody's change of business data: the audit log is left out of it
    (it would also triple the time the load takes).
    """
    with disable_auditlog():
        return _load()


def _load() -> dict[str, int]:
    loader = _Loader(timezone.localdate())
    loader.people()
    loader.meeting_rows()
    plans = loader.plans()
    key_tasks = {
        title: {kt.code: kt for kt in plan.key_tasks.all()} for title, plan in plans.items()
    }
    agreements = loader.agreements(plans)
    loader.history(agreements, key_tasks)
    for spec in _specs(loader.today):
        loader.task(agreements[2026], spec, key_tasks[PLAN_2026])
    loader.issues()
    loader.notifications()
    return {
        "meetings": Meeting.objects.filter(partnership=loader.pair).count(),
        "tasks": Task.objects.filter(agreement__partnership=loader.pair).count(),
    }
