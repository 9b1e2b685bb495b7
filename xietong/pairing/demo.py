"""Demo data of department pairing for the article's pair 两江新区 ↔ 万州区 and the two
sample pairs: department pairs, 18 months of work contacts (kept, unconfirmed, returned and
missed months), follow-up actions (a few on the current task list), secondments, trainings,
inspection visits, and the reminders the daily job sent this month.

Deterministic: a generator seeded by pair and month decides each month, so the same day
always gives the same data; dates are relative to today in Asia/Shanghai
(``timezone.localdate()``). Idempotent: every row is found by its natural key (a pair by its
two departments, a contact by its pair and date, a secondment by person and start, a training
by title and date, a visit by date and destination); a second load adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from auditlog.context import disable_auditlog
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone, translation

from xietong.core.demo import DEMO_PASSWORD
from xietong.core.models import Membership, OrgUnit, Partnership, Role, User

from . import compliance, services
from .models import (
    ContactParticipant,
    DepartmentPair,
    FollowUpAction,
    InspectionVisit,
    Rating,
    ReminderLog,
    Secondment,
    Side,
    Training,
    TrainingAttendance,
    WorkContact,
)

LJ, WZ = "两江新区", "万州区"
YZ, CK, SPB, FJ = "渝中区", "城口县", "沙坪坝区", "奉节县"
MONTHS = 18  # months of contacts, the current one included
SEED = 20210112  # the day the article appeared

DEVELOPED, PARTNER = Side.DEVELOPED, Side.PARTNER
FIELD, SYMPOSIUM, VIDEO, OTHER = (
    WorkContact.Form.FIELD_RESEARCH,
    WorkContact.Form.SYMPOSIUM,
    WorkContact.Form.VIDEO,
    WorkContact.Form.OTHER,
)

# Departments pairing needs beyond the core and conference demos: (region, name, kind, phone).
EXTRA_UNITS = [
    (LJ, "人才服务中心", OrgUnit.Kind.AGENCY, "023-67880950"),
    (CK, "人力社保局", OrgUnit.Kind.BUREAU, "023-59221460"),
    (YZ, "人力社保局", OrgUnit.Kind.BUREAU, "023-63891520"),
]

# Staff of the sample pairs' departments: (username, name, title, region, unit).
# The article pair's departments have their staff from the conference demo.
SAMPLE_STAFF = [
    ("yz_fgw", "马骏", "渝中区发展改革委区域合作科科员", YZ, "发展改革委"),
    ("ck_fgw", "田甜", "城口县发展改革委科员", CK, "发展改革委"),
    ("yz_tcz", "龚宇", "渝中区投资促进中心项目专员", YZ, "投资促进中心"),
    ("ck_zsz", "冉涛", "城口县招商投资促进中心科员", CK, "招商投资促进中心"),
    ("yz_rsj", "林雪", "渝中区人力社保局科员", YZ, "人力社保局"),
    ("ck_rsj", "周蕾", "城口县人力社保局科员", CK, "人力社保局"),
    ("spb_jxw", "邱实", "沙坪坝区经济信息委科员", SPB, "经济信息委"),
    ("fj_jxw", "向阳", "奉节县经济信息委科员", FJ, "经济信息委"),
    ("spb_fgw", "蒋琳", "沙坪坝区发展改革委科员", SPB, "发展改革委"),
    ("fj_fgw", "刘畅", "奉节县发展改革委科员", FJ, "发展改革委"),
]

# Topics of contacts, from the article's three mechanisms.
TOPICS = {
    "economy": [
        "共同研究对口协同发展年度协议重点任务推进情况",
        "经济运行形势分析与重点指标调度",
        "“十五五”对口协同实施方案重点项目储备",
        "协调解决重点项目要素保障问题",
        "联席会议议定事项落实情况对账",
    ],
    "industry": [
        "汽车零部件本地配套对接，梳理万州可配套企业清单",
        "重点工业企业、项目、产品、技术及人才库数据共享",
        "产业协同发展服务平台订单和配套加工信息发布",
        "电子信息产业链上下游企业供需对接",
        "筹备半年度重点骨干企业家联谊活动",
        "装备制造企业技术合作需求对接",
    ],
    "investment": [
        "协同招商项目共同策划包装与对外推介",
        "汽车制造、电子信息项目优先向万州转移的承接条件",
        "延链补链壮链招商目标企业清单会商",
        "招商信息互通：在谈项目与落地项目通报",
        "双向集群招商与产业链互补招商计划",
    ],
    "science": [
        "科技成果在万州转移转化对接",
        "共建科技创新平台、共享科研仪器设备",
        "高新技术企业协同培育工作交流",
    ],
    "talent": [
        "干部人才交流与挂职锻炼人选沟通",
        "招商干部专业培训需求调研",
        "技能人才联合培养与劳务协作",
    ],
    "park": [
        "园区管理经验交流与标准厂房招商",
        "配套产业基地和原材料供应基地选址踏勘",
        "园区企业互动考察行程安排",
    ],
}

OUTCOMES = [
    "双方交换了工作进展，明确下阶段对接重点和责任人。",
    "形成会议纪要，议定事项纳入月度调度。",
    "梳理出一批可对接的企业和项目，约定下月实地走访。",
    "就存在的问题达成共识，分别向各自分管领导报告。",
    "确定联合推介活动方案，分工准备材料。",
]

FOLLOW_UPS = [
    ("梳理可配套企业和产品清单，报对方部门", PARTNER),
    ("组织重点企业赴对方园区实地考察", DEVELOPED),
    ("共同起草联合招商推介方案", DEVELOPED),
    ("报送在谈招商项目信息表", PARTNER),
    ("协调落实项目用地和标准厂房", PARTNER),
    ("提供产业政策汇编和招商案例材料", DEVELOPED),
    ("更新重点企业、项目、产品、技术及人才库信息", PARTNER),
]

# Other participants (names only, no account).
NAMES = ["王强", "李娜", "赵军", "陈刚", "杨静", "吴磊", "郑欣", "孙浩", "黄敏", "冉建华"]

RETURN_REASONS = [
    "参会人员与实际不符，请核实后重新提交。",
    "会议日期有误，实际为次日召开。",
    "议定事项表述与纪要不一致，请修改。",
]

# (partnership, developed unit, partner unit, frequency, developed lead, partner lead,
#  topic group, reliability: the share of months a contact is held, months of history)
PAIRS = [
    ((LJ, WZ), "经济运行局", "发展改革委", "monthly", "lj_jyj", "wz_fgw", "economy", 0.9),
    ((LJ, WZ), "产业促进局", "经济信息委", "monthly", "lj_staff", "wz_staff", "industry", 0.85),
    ((LJ, WZ), "投资促进中心", "招商投资促进局", "monthly", "lj_tcz", "wz_zsj", "investment", 0.8),
    ((LJ, WZ), "科技创新局", "科技局", "monthly", "lj_kcj", "wz_kjj", "science", 0.65),
    ((LJ, WZ), "社会发展局", "人力社保局", "bimonthly", "lj_sfj", "wz_rsj", "talent", 0.7),
    (
        (LJ, WZ),
        "两江招商集团",
        "万州经济技术开发区管委会",
        "quarterly",
        "lj_zsjt",
        "wz_kfq",
        "park",
        0.75,
    ),
    ((YZ, CK), "发展改革委", "发展改革委", "monthly", "yz_fgw", "ck_fgw", "economy", 0.7),
    (
        (YZ, CK),
        "投资促进中心",
        "招商投资促进中心",
        "monthly",
        "yz_tcz",
        "ck_zsz",
        "investment",
        0.6,
    ),
    ((YZ, CK), "人力社保局", "人力社保局", "quarterly", "yz_rsj", "ck_rsj", "talent", 0.8),
    ((SPB, FJ), "经济信息委", "经济信息委", "monthly", "spb_jxw", "fj_jxw", "industry", 0.75),
    ((SPB, FJ), "发展改革委", "发展改革委", "bimonthly", "spb_fgw", "fj_fgw", "economy", 0.55),
]

PLACES = {
    LJ: ["两江新区管委会会议室", "两江新区鱼复工业园", "两江数字经济产业园", "两江协同创新区"],
    WZ: ["万州区政府会议室", "万州经济技术开发区", "万州新田港", "万州高峰园"],
    YZ: ["渝中区政府会议室", "解放碑商圈"],
    CK: ["城口县政府会议室", "城口县工业园区"],
    SPB: ["沙坪坝区政府会议室", "西部（重庆）科学城"],
    FJ: ["奉节县政府会议室", "奉节县工业园区"],
}

# Secondments: (partnership, sending unit, host unit, mentor username, [people]) with each
# person as (name, title, position); 2 or 3 a year, cycling through the list.
SECONDMENTS = {
    (LJ, WZ): (
        "招商投资促进局",
        ["投资促进中心", "两江招商集团", "产业促进局"],
        ["lj_tcz", "lj_zsjt", "lj_staff"],
        [
            ("何清荣", "万州区招商投资促进局副局长", "招商一部副部长"),
            ("谭晓峰", "万州区招商投资促进局科长", "产业链招商专班成员"),
            ("邓雨婷", "万州区招商投资促进局科员", "招商项目策划岗"),
            ("牟志刚", "万州区招商投资促进局科长", "汽车产业招商组副组长"),
            ("黄晓燕", "万州区招商投资促进局副科长", "电子信息招商组成员"),
            ("陈思远", "万州区招商投资促进局科员", "招商信息统计岗"),
            ("冉小龙", "万州区招商投资促进局科员", "装备制造招商组成员"),
            ("向丽君", "万州区招商投资促进局副科长", "生物医药招商组成员"),
        ],
    ),
    (YZ, CK): (
        "招商投资促进中心",
        ["投资促进中心", "发展改革委"],
        ["yz_tcz", "yz_fgw"],
        [
            ("彭海", "城口县招商投资促进中心副主任", "楼宇招商专员"),
            ("袁丽", "城口县招商投资促进中心科员", "项目策划岗"),
            ("王川", "城口县招商投资促进中心科员", "招商服务岗"),
            ("李雯", "城口县招商投资促进中心科员", "招商信息岗"),
            ("蒲刚", "城口县招商投资促进中心副科长", "产业招商岗"),
            ("张静怡", "城口县招商投资促进中心科员", "项目服务岗"),
        ],
    ),
    (SPB, FJ): (
        "经济信息委",
        ["经济信息委", "发展改革委"],
        ["spb_jxw", "spb_fgw"],
        [
            ("刘涛", "奉节县经济信息委科长", "产业发展科副科长"),
            ("熊燕", "奉节县经济信息委科员", "工业园区服务岗"),
            ("唐明", "奉节县经济信息委科员", "企业服务岗"),
            ("付琴", "奉节县经济信息委科员", "信息化推进岗"),
            ("谢鹏", "奉节县经济信息委副科长", "产业链服务岗"),
            ("曾悦", "奉节县经济信息委科员", "企业服务岗"),
        ],
    ),
}

# Trainings for the partner side's investment staff: (title, topics, trainers, hours).
TRAININGS = [
    (
        "产业链招商实务培训",
        "围绕主导产业延链、补链、壮链开展产业链招商；目标企业研判与对接方法",
        "两江新区投资促进中心招商一处处长\n两江招商集团项目总监",
        Decimal("6"),
    ),
    (
        "招商项目策划包装与推介",
        "招商项目策划、包装和对外推介；项目可行性分析与推介材料编制",
        "两江招商集团副总裁\n高校产业经济研究团队",
        Decimal("4"),
    ),
    (
        "协同招商与产业转移政策解读",
        "协同招商、信息互通、产业协作、产业转移、人才交流五项机制；产业转移项目承接政策",
        "两江新区产业促进局政策法规处",
        Decimal("3.5"),
    ),
    (
        "园区运营管理与标准厂房招商",
        "园区管理、标准厂房招商运营、配套产业基地建设经验",
        "两江新区鱼复工业园管理团队",
        Decimal("5"),
    ),
]

# People of the partner side at the trainings: an account (username) or (name, unit).
TRAINEES = {
    (LJ, WZ): [
        "wz_zsj",
        "wz_staff",
        "wz_kfq",
        "wz_fgw",
        ("谭晓峰", "招商投资促进局"),
        ("邓雨婷", "招商投资促进局"),
        ("秦岭", "万州经济技术开发区管委会"),
        ("杨帆", "商务委"),
    ],
    (YZ, CK): ["ck_zsz", "ck_fgw", ("袁丽", "招商投资促进中心"), ("王川", "招商投资促进中心")],
    (SPB, FJ): ["fj_jxw", "fj_fgw", ("熊燕", "经济信息委"), ("唐明", "经济信息委")],
}

HOST_UNITS = {(LJ, WZ): "投资促进中心", (YZ, CK): "投资促进中心", (SPB, FJ): "经济信息委"}


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _working_day(day: date, days: int = 1) -> date:
    """``day``, moved off the weekend (Saturday back to Friday, Sunday on to Monday) so a
    meeting of ``days`` days falls on working days: offices meet on weekdays."""
    if day.weekday() == 6:
        day += timedelta(days=1)
    while (day + timedelta(days=days - 1)).weekday() >= 5:
        day -= timedelta(days=1)
    return day


@dataclass
class Month:
    """What the generator decided for a month of a pair."""

    day: int
    outcome: str  # confirmed, awaiting, returned, returned_then_confirmed, missed


class _Loader:
    def __init__(self, today: date):
        self.today = today
        self.pairs: dict[tuple[str, str], Partnership] = {
            (p.developed_side.name, p.partner_side.name): p
            for p in Partnership.objects.filter(programme__code="yiqu-liangqun").select_related(
                "developed_side", "partner_side"
            )
        }
        self.units: dict[tuple[str, str], OrgUnit] = {}
        self.users: dict[str, User] = {}
        self.password_hash = ""
        self.first_month = compliance.add_months(compliance.month_start(today), 1 - MONTHS)
        self.pending: list[tuple] = []  # this month's contacts, recorded with the job

    # --- People and units ---------------------------------------------------------------

    def people(self) -> None:
        regions = {}
        for pair in self.pairs.values():
            regions[pair.developed_side.name] = pair.developed_side
            regions[pair.partner_side.name] = pair.partner_side
        for order, (region, name, kind, phone) in enumerate(EXTRA_UNITS, start=1):
            if region in regions:
                OrgUnit.objects.update_or_create(
                    region=regions[region],
                    name=name,
                    defaults={"kind": kind, "phone": phone, "sort_order": 300 + order * 10},
                )
        for unit in OrgUnit.objects.filter(region__in=regions.values()).select_related("region"):
            self.units[(unit.region.name, unit.name)] = unit
        for username, full_name, title, region, unit_name in SAMPLE_STAFF:
            user, created = User.objects.update_or_create(
                username=username,
                defaults={
                    "full_name": full_name,
                    "title": title,
                    "email": f"{username}@demo.xietong",
                },
            )
            if created or not user.has_usable_password():
                self.password_hash = self.password_hash or make_password(DEMO_PASSWORD)
                user.password = self.password_hash
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(
                user=user,
                role=Role.DEPARTMENT_STAFF,
                org_unit=self.units[(region, unit_name)],
                partnership=None,
            )
        wanted = {name for row in PAIRS for name in row[4:6]} | {"lj_coord", "wz_coord"}
        wanted |= {name for _s, _h, mentors, _p in SECONDMENTS.values() for name in mentors}
        wanted |= {who for people in TRAINEES.values() for who in people if isinstance(who, str)}
        for user in User.objects.filter(username__in=wanted):
            self.users[user.username] = user

    # --- Department pairs ---------------------------------------------------------------

    def department_pairs(self) -> list[tuple[DepartmentPair, str, str, float]]:
        found = []
        for key, dev, partner, frequency, dev_lead, partner_lead, topics, reliability in PAIRS:
            if key not in self.pairs:
                continue
            months = compliance.MONTHS_PER_PERIOD[frequency]
            # Paired at the start of the period holding the first month shown.
            started = compliance.period_of(self.first_month, months).start
            pair, _ = DepartmentPair.objects.update_or_create(
                partnership=self.pairs[key],
                developed_unit=self.units[(key[0], dev)],
                partner_unit=self.units[(key[1], partner)],
                defaults={
                    "frequency": frequency,
                    "developed_lead": self.users.get(dev_lead),
                    "partner_lead": self.users.get(partner_lead),
                    "started_on": started,
                    "note": "原则上每月开展一次工作对接。" if months == 1 else "",
                },
            )
            found.append((pair, f"{key}:{dev}:{partner}", topics, reliability))
        return found

    # --- Work contacts ------------------------------------------------------------------

    def plan(self, pair: DepartmentPair, seed: str, reliability: float) -> dict[date, Month]:
        """The outcome of each period of the pair, in the period's first month (bimonthly and
        quarterly pairs hold one contact per period, in one of its months)."""
        months = pair.months_per_period
        periods = compliance.periods_between(self.first_month, self.today, months)
        plan: dict[date, Month] = {}
        current = compliance.period_of(self.today, months)
        for period in periods:
            rng = random.Random(f"{SEED}:{seed}:{period.key}")
            offset = rng.randrange(months)
            # Within the 18 months shown, even for a period that began before them.
            month = max(compliance.add_months(period.start, offset), self.first_month)
            day = rng.randint(3, 26)
            roll = rng.random()
            recent = period.end >= compliance.add_months(compliance.month_start(self.today), -2)
            if roll > reliability:
                outcome = "missed" if rng.random() < 0.75 else "returned"
            elif recent and roll > reliability - 0.25:
                outcome = "awaiting"
            elif roll < 0.12:
                outcome = "returned_then_confirmed"
            else:
                outcome = "confirmed"
            if period == current and outcome in ("missed", "returned"):
                outcome = "awaiting"  # the current period is still open
            if period == current and rng.random() < 0.3:
                outcome = "not_yet"  # no contact yet: the job reminds the pair
            plan[month] = Month(day, outcome)
        return plan

    def contacts(self, pair: DepartmentPair, seed: str, topic_group: str, reliability: float):
        key = (pair.partnership.developed_side.name, pair.partnership.partner_side.name)
        this_month = compliance.month_start(self.today)
        for month, decided in sorted(self.plan(pair, seed, reliability).items()):
            if decided.outcome in ("missed", "not_yet"):
                continue
            held_on = _working_day(month.replace(day=decided.day))
            if held_on >= self.today:
                continue  # not held yet
            entry = (pair, seed, key, held_on, decided.outcome, topic_group)
            if held_on >= this_month:
                self.pending.append(entry)  # recorded day by day with the job (``reminders``)
            else:
                self.record(*entry)

    def record(self, pair, seed, key, held_on, outcome, topic_group) -> None:
        # One contact a month per pair: found by its month (a reload stays idempotent).
        if WorkContact.objects.filter(
            pair=pair, held_on__year=held_on.year, held_on__month=held_on.month
        ).exists():
            return
        rng = random.Random(f"{SEED}:{seed}:{held_on}")
        self.contact(pair, key, held_on, outcome, topic_group, rng)

    def contact(self, pair, key, held_on, outcome, topic_group, rng) -> WorkContact:
        recorded_side = rng.choice([DEVELOPED, PARTNER])
        host_side = rng.choice([DEVELOPED, PARTNER])
        form = rng.choices([FIELD, SYMPOSIUM, VIDEO, OTHER], weights=[3, 4, 4, 1])[0]
        host_region = key[0] if host_side == DEVELOPED else key[1]
        recorder = pair.lead_of(recorded_side)
        confirmer = pair.lead_of(Side.other(recorded_side))
        topics = rng.sample(TOPICS[topic_group], k=min(2, len(TOPICS[topic_group])))
        recorded_at = _at(min(held_on + timedelta(days=rng.randint(0, 2)), self.today), 17, 30)
        contact = WorkContact.objects.create(
            pair=pair,
            held_on=held_on,
            form=form,
            form_other="联合招商推介会" if form == OTHER else "",
            host_side=host_side,
            place="视频会议系统" if form == VIDEO else rng.choice(PLACES[host_region]),
            topics="；".join(topics) + "。",
            outcomes=rng.choice(OUTCOMES),
            recorded_by=recorder,
            recorded_side=recorded_side,
        )
        values = {"recorded_at": recorded_at}
        answered = min(recorded_at + timedelta(days=rng.randint(1, 5)), timezone.now())
        if outcome in ("returned", "returned_then_confirmed"):
            values.update(
                status=WorkContact.Status.RETURNED,
                returned_by=confirmer,
                returned_at=answered,
                return_reason=rng.choice(RETURN_REASONS),
            )
        if outcome in ("confirmed", "returned_then_confirmed"):
            values.update(
                status=WorkContact.Status.CONFIRMED,
                confirmed_by=confirmer,
                confirmed_at=min(answered + timedelta(days=2), timezone.now()),
            )
        WorkContact.objects.filter(pk=contact.pk).update(**values)
        contact.refresh_from_db()
        for side in (DEVELOPED, PARTNER):
            unit = pair.unit_of(side)
            lead = pair.lead_of(side)
            ContactParticipant.objects.create(
                contact=contact,
                side=side,
                user=lead,
                name=lead.display_name,
                unit=unit.name,
                title="联络员",
            )
            ContactParticipant.objects.create(
                contact=contact,
                side=side,
                name=rng.choice(NAMES),
                unit=unit.name,
                title=rng.choice(["副局长", "副主任", "科长", "处长"]),
            )
        if outcome != "returned" and rng.random() < 0.4:
            for text, owner in rng.sample(FOLLOW_UPS, k=rng.randint(1, 2)):
                FollowUpAction.objects.create(
                    contact=contact,
                    text=text,
                    owner_side=owner,
                    due_on=held_on + timedelta(days=rng.choice([30, 45, 60])),
                    created_by=recorder,
                )
        if contact.status == WorkContact.Status.AWAITING:
            services.notify_confirmers(contact)  # the request the other side received
        return contact

    def tasks_from_actions(self) -> int:
        """Two follow-up actions of the article pair, agreed this year, on the current
        annual task list (as a coordinator did it), when that agreement exists."""
        pair = self.pairs.get((LJ, WZ))
        coordinator = self.users.get("lj_coord")
        if pair is None or coordinator is None:
            return 0
        if services.current_agreement(pair, self.today) is None:
            return 0
        actions = FollowUpAction.objects.filter(
            contact__pair__partnership=pair,
            contact__status=WorkContact.Status.CONFIRMED,
            contact__held_on__year=self.today.year,
            due_on__year=self.today.year,
        ).order_by("contact__held_on", "pk")
        wanted = 2 - actions.filter(task__isnull=False).count()
        made = 0
        for action in actions.filter(task__isnull=True)[: max(wanted, 0)]:
            services.follow_up_to_task(coordinator, action)
            made += 1
        return made

    # --- Secondments, trainings, visits -------------------------------------------------

    def years(self) -> list[int]:
        return list(range(self.first_month.year, self.today.year + 1))

    def secondments(self) -> None:
        for key, (sending, hosts, mentors, people) in SECONDMENTS.items():
            if key not in self.pairs:
                continue
            partnership = self.pairs[key]
            index = 0
            for year in self.years():
                count = 2 + (year + len(key[1])) % 2  # 2 or 3 a year
                for n in range(count):
                    name, title, position = people[index % len(people)]
                    index += 1
                    starts = date(year, 3 + n * 3, 1)
                    ends = compliance.add_months(starts, 6) - timedelta(days=1)
                    mentor = self.users.get(mentors[n % len(mentors)])
                    secondment, _ = Secondment.objects.get_or_create(
                        partnership=partnership,
                        person_name=name,
                        starts_on=starts,
                        defaults={
                            "person_title": title,
                            "sending_unit": self.units[(key[1], sending)],
                            "host_unit": self.units[(key[0], hosts[n % len(hosts)])],
                            "position": position,
                            "ends_on": ends,
                            "mentor": mentor,
                            "goals": "学习招商工作和产业发展方面的先进经验、工作举措、政策措施，"
                            "参与至少一个重点招商项目的全过程。",
                        },
                    )
                    self.evaluate(secondment, n)

    def evaluate(self, secondment: Secondment, n: int) -> None:
        """Evaluations written as the dates allow: mid-term three months in, final at the end."""
        changes = {}
        if not secondment.mid_rating and self.today >= secondment.starts_on + timedelta(days=90):
            changes["mid_rating"] = [Rating.GOOD, Rating.EXCELLENT, Rating.GOOD][n % 3]
            changes["mid_evaluation"] = "能较快熟悉招商工作流程，参与项目洽谈，工作积极主动。"
        if not secondment.final_rating and self.today > secondment.ends_on and n != 2:
            changes["final_rating"] = [Rating.EXCELLENT, Rating.GOOD][n % 2]
            changes["final_evaluation"] = (
                "挂职期间参与产业链招商和项目策划包装，掌握了协同招商工作方法，圆满完成挂职任务。"
            )
        if changes:
            Secondment.objects.filter(pk=secondment.pk).update(**changes)

    def trainings(self) -> None:
        for key, trainees in TRAINEES.items():
            if key not in self.pairs:
                continue
            partnership = self.pairs[key]
            host = self.units.get((key[0], HOST_UNITS[key]))
            sessions = TRAININGS if key == (LJ, WZ) else TRAININGS[:2]
            for n, (title, topics, trainers, hours) in enumerate(sessions):
                held_on = _working_day(
                    compliance.add_months(self.first_month, 2 + n * 4).replace(day=15),
                    2 if hours >= 5 else 1,
                )
                if held_on >= self.today:
                    continue
                training, created = Training.objects.get_or_create(
                    partnership=partnership,
                    title=title,
                    held_on=held_on,
                    defaults={
                        "ends_on": held_on + timedelta(days=1) if hours >= 5 else None,
                        "place": f"{key[0]}{HOST_UNITS[key]}培训室",
                        "topics": topics,
                        "trainers": trainers,
                        "host_unit": host,
                    },
                )
                if not created:
                    continue
                rng = random.Random(f"{SEED}:training:{training.pk}")
                chosen = rng.sample(trainees, k=max(3, len(trainees) - 2))
                for who in chosen:
                    present = hours if rng.random() > 0.15 else hours / 2
                    if isinstance(who, str):
                        user = self.users[who]
                        unit = user.memberships.filter(org_unit__isnull=False).first()
                        TrainingAttendance.objects.create(
                            training=training,
                            user=user,
                            name=user.display_name,
                            unit=unit.org_unit if unit else None,
                            unit_name=unit.org_unit.name if unit else "",
                            side=PARTNER,
                            hours=present,
                        )
                    else:
                        name, unit_name = who
                        TrainingAttendance.objects.create(
                            training=training,
                            name=name,
                            unit=self.units.get((key[1], unit_name)),
                            unit_name=unit_name,
                            side=PARTNER,
                            hours=present,
                        )

    def visits(self) -> None:
        from xietong.enterprise.demo import DEMO_ENTERPRISE
        from xietong.enterprise.models import Enterprise

        pair = self.pairs.get((LJ, WZ))
        if pair is None:
            return
        firms = {
            side: list(
                Enterprise.objects.filter(partnership=pair, side=region).order_by("credit_code")
            )
            for side, region in ((DEVELOPED, pair.developed_side), (PARTNER, pair.partner_side))
        }
        own = Enterprise.objects.filter(partnership=pair, name=DEMO_ENTERPRISE).first()
        rows = [
            (
                PARTNER,
                compliance.add_months(self.first_month, 3).replace(day=18),
                2,
                "两江新区鱼复工业园、龙兴工业园",
                "万州区经济信息委主任",
                "万州重点工业企业赴两江新区考察整车和零部件龙头企业，对接配套需求。",
                [own, *firms[PARTNER][:3]],
                "整车企业提出座椅、线束等本地配套需求，三家企业进入供应商考察名单。",
                "经济信息委牵头跟踪供应商审核进度，按月通报。",
            ),
            (
                DEVELOPED,
                compliance.add_months(self.first_month, 9).replace(day=9),
                2,
                "万州经济技术开发区、万州新田港",
                "两江新区产业促进局副局长",
                "两江新区骨干企业赴万州考察配套产业基地和原材料供应基地选址。",
                firms[DEVELOPED][:4],
                "两家企业有意在万州经开区建设配套产业基地，已提出用地和厂房需求。",
                "招商投资促进局牵头组建项目专班，落实选址和要素保障。",
            ),
            (
                PARTNER,
                compliance.add_months(self.first_month, 15).replace(day=22),
                1,
                "两江数字经济产业园",
                "万州区招商投资促进局副局长",
                "万州电子信息企业考察两江数字经济产业园，学习园区运营和产业链协作。",
                firms[PARTNER][3:6],
                "与两家两江企业达成技术合作意向，拟联合申报市级项目。",
                "",
            ),
        ]
        recorder = self.users.get("wz_coord")
        for side, starts, days, destination, lead, purpose, enterprises, findings, follow in rows:
            starts = _working_day(starts, days)
            if starts >= self.today:
                continue
            visit, created = InspectionVisit.objects.get_or_create(
                partnership=pair,
                starts_on=starts,
                destination=destination,
                defaults={
                    "visiting_side": side,
                    "ends_on": starts + timedelta(days=days - 1),
                    "lead": lead,
                    "purpose": purpose,
                    "findings": findings,
                    "follow_ups": follow,
                    "recorded_by": recorder,
                },
            )
            if created:
                visit.enterprises.set([e for e in enterprises if e is not None])

    def this_month(self) -> None:
        """This month day by day: the contacts held the day before are recorded, then the
        daily job runs, as it did at 01:00. So it escalates the periods missed last month (on
        the 1st) and, from the reminder day, reminds the pairs that had no contact yet;
        its log and notifications carry that day's time."""
        from xietong.core.models import Notification

        from . import tasks as jobs  # the job's module imports huey: only when loading

        day = compliance.month_start(self.today)
        while day <= self.today:
            for entry in self.pending:
                if entry[3] < day:
                    self.record(*entry)
            started = timezone.now()
            jobs.run_daily(day)
            sent_at = _at(day, 1, 0)
            ReminderLog.objects.filter(sent_at__gte=started).update(sent_at=sent_at)
            Notification.objects.filter(
                key__regex=r"^pairing\.(reminder|escalation)\.", created_at__gte=started
            ).update(created_at=sent_at)
            day += timedelta(days=1)
        for entry in self.pending:
            self.record(*entry)


@transaction.atomic
def load() -> dict[str, int]:
    """Create (or complete) the pairing demo data; a second load adds nothing.

    Seeding is not somebody's change of business data: the audit log is left out of it.
    The notifications it leaves are in the default language, as the job's are.
    """
    with disable_auditlog(), translation.override(settings.LANGUAGE_CODE):
        return _load()


def _load() -> dict[str, int]:
    loader = _Loader(timezone.localdate())
    if not loader.pairs:
        return {}
    loader.people()
    for pair, seed, topics, reliability in loader.department_pairs():
        loader.contacts(pair, seed, topics, reliability)
    loader.tasks_from_actions()
    loader.secondments()
    loader.trainings()
    loader.visits()
    loader.this_month()
    return {
        "department_pairs": DepartmentPair.objects.count(),
        "work_contacts": WorkContact.objects.count(),
        "secondments": Secondment.objects.count(),
        "trainings": Training.objects.count(),
    }
