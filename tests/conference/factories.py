"""factory-boy factories for the conference models."""

from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from xietong.conference.models import (
    AgendaItem,
    AnnualAgreement,
    Attendee,
    CoordinationIssue,
    ExtensionRequest,
    KeyTask,
    LightRules,
    Meeting,
    Milestone,
    Plan,
    ProgressReport,
    Resolution,
    Target,
    Task,
    TaskEvent,
    TaskUnit,
)

from ..factories import OrgUnitFactory, PartnershipFactory, UserFactory


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = Plan

    partnership = factory.SubFactory(PartnershipFactory)
    kind = Plan.Kind.IMPLEMENTATION
    title = "对口协同发展实施方案（2026年-2030年）"
    start_year = 2026
    end_year = 2030
    status = Plan.Status.LIVE


class KeyTaskFactory(DjangoModelFactory):
    class Meta:
        model = KeyTask

    plan = factory.SubFactory(PlanFactory)
    area = "industry"
    code = factory.Sequence(lambda n: f"KT{n:02d}")
    title = factory.Sequence(lambda n: f"重点任务{n}")


class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = Meeting

    partnership = factory.SubFactory(PartnershipFactory)
    number = factory.Sequence(lambda n: n + 1)
    year = 2026
    date = date(2026, 1, 15)
    host_side = factory.LazyAttribute(lambda m: m.partnership.partner_side)
    place = "万州区行政中心"
    status = Meeting.Status.HELD


class AttendeeFactory(DjangoModelFactory):
    class Meta:
        model = Attendee

    meeting = factory.SubFactory(MeetingFactory)
    side = factory.LazyAttribute(lambda a: a.meeting.partnership.developed_side)
    name = factory.Sequence(lambda n: f"参会人{n}")


class AgendaItemFactory(DjangoModelFactory):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"议题{n}")


class ResolutionFactory(DjangoModelFactory):
    class Meta:
        model = Resolution

    meeting = factory.SubFactory(MeetingFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = "共同推进两地产业协同发展。"


class AgreementFactory(DjangoModelFactory):
    class Meta:
        model = AnnualAgreement

    partnership = factory.SubFactory(PartnershipFactory)
    year = 2026
    title = factory.LazyAttribute(lambda a: f"{a.partnership} {a.year}年度对口协同发展协议")
    status = AnnualAgreement.Status.ADOPTED


class TaskFactory(DjangoModelFactory):
    """A task row; give it units with ``lead_units=[...]`` (and ``support_units``)."""

    class Meta:
        model = Task
        skip_postgeneration_save = True

    agreement = factory.SubFactory(AgreementFactory)
    code = factory.Sequence(lambda n: f"2026-{n:03d}")
    title = factory.Sequence(lambda n: f"协同任务{n}")
    area = "industry"
    kind = Task.Kind.PROJECT
    start_date = date(2026, 2, 1)
    deadline = date(2026, 12, 31)
    baseline_deadline = factory.LazyAttribute(lambda t: t.deadline)

    @factory.post_generation
    def lead_units(self, create, extracted, **kwargs):
        for unit in extracted or []:
            TaskUnit.objects.create(task=self, unit=unit, role=TaskUnit.Role.LEAD)

    @factory.post_generation
    def support_units(self, create, extracted, **kwargs):
        for unit in extracted or []:
            TaskUnit.objects.create(task=self, unit=unit, role=TaskUnit.Role.SUPPORT)


class TaskUnitFactory(DjangoModelFactory):
    class Meta:
        model = TaskUnit

    task = factory.SubFactory(TaskFactory)
    unit = factory.SubFactory(OrgUnitFactory)
    role = TaskUnit.Role.LEAD


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = Milestone

    task = factory.SubFactory(TaskFactory)
    title = factory.Sequence(lambda n: f"节点{n}")
    due_date = date(2026, 6, 30)


class TargetFactory(DjangoModelFactory):
    class Meta:
        model = Target

    task = factory.SubFactory(TaskFactory)
    name = "引进项目"
    target_value = Decimal("10")
    measure = "个"


class ProgressReportFactory(DjangoModelFactory):
    class Meta:
        model = ProgressReport

    task = factory.SubFactory(TaskFactory)
    period = "2026-03"
    narrative = "按计划推进。"
    percent = 30
    submitted_by = factory.SubFactory(UserFactory)


class ExtensionRequestFactory(DjangoModelFactory):
    class Meta:
        model = ExtensionRequest

    task = factory.SubFactory(TaskFactory)
    new_deadline = date(2027, 3, 31)
    reason = "项目审批延后。"
    requested_by = factory.SubFactory(UserFactory)


class CoordinationIssueFactory(DjangoModelFactory):
    class Meta:
        model = CoordinationIssue

    partnership = factory.SubFactory(PartnershipFactory)
    title = factory.Sequence(lambda n: f"需协调解决的重大问题{n}")


class TaskEventFactory(DjangoModelFactory):
    class Meta:
        model = TaskEvent

    task = factory.SubFactory(TaskFactory)
    kind = TaskEvent.Kind.ASSIGNED


class LightRulesFactory(DjangoModelFactory):
    class Meta:
        model = LightRules

    programme = factory.SubFactory("tests.factories.ProgrammeFactory")
