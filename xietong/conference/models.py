"""Joint conference (联席会议): meetings, plans, annual agreements and the task list.

Everything hangs off a partnership, so core.scope decides who sees it. A task's life is
that of government supervision (督查督办): assigned → acknowledged by each lead unit →
in progress with reports → completion claimed → reviewed → closed, or returned.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core.models import OrgUnit, Partnership, Programme, Region


class Area(models.TextChoices):
    """The four areas of the five-year implementation plan."""

    INDUSTRY = "industry", _("Industry development")
    URBAN_RURAL = "urban_rural", _("Urban-rural interaction")
    SCI_TECH = "sci_tech", _("Sci-tech collaboration")
    PUBLIC_SERVICES = "public_services", _("Public services")


class Plan(models.Model):
    """The overall plan (总体方案) or a five-year implementation plan (实施方案)."""

    class Kind(models.TextChoices):
        OVERALL = "overall", _("Overall plan")
        IMPLEMENTATION = "implementation", _("Five-year implementation plan")

    class Status(models.TextChoices):
        LIVE = "live", _("Live")
        CLOSED = "closed", _("Closed")

    partnership = models.ForeignKey(
        Partnership, models.CASCADE, related_name="plans", verbose_name=_("partnership")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    start_year = models.PositiveSmallIntegerField(_("from year"))
    end_year = models.PositiveSmallIntegerField(_("to year"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    summary = models.TextField(_("summary"), blank=True)
    adopted_at = models.ForeignKey(
        "Meeting",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name=_("adopted at"),
    )

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["partnership", "-start_year", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")), name="plan_years_in_order"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class KeyTask(models.Model):
    """A key task of a five-year plan, in one of the four areas."""

    plan = models.ForeignKey(Plan, models.CASCADE, related_name="key_tasks", verbose_name=_("plan"))
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("key task")
        verbose_name_plural = _("key tasks")
        ordering = ["plan", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="keytask_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Meeting(models.Model):
    """A joint conference (第N次联席会议), in principle once a year at the partner side."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")

    partnership = models.ForeignKey(
        Partnership, models.CASCADE, related_name="meetings", verbose_name=_("partnership")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    year = models.PositiveSmallIntegerField(_("year"))
    date = models.DateField(_("date"))
    host_side = models.ForeignKey(
        Region, models.PROTECT, related_name="+", verbose_name=_("host side")
    )
    place = models.CharField(_("place"), max_length=200)
    convener_developed = models.CharField(
        _("convener of the developed side"), max_length=100, blank=True
    )
    convener_partner = models.CharField(
        _("convener of the partner side"), max_length=100, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    minutes = models.TextField(_("minutes"), blank=True)

    class Meta:
        verbose_name = _("joint conference")
        verbose_name_plural = _("joint conferences")
        ordering = ["partnership", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "number"], name="meeting_number_unique"),
        ]

    def __str__(self) -> str:
        return str(
            _("Joint conference no. %(number)s (%(year)s)")
            % {
                "number": self.number,
                "year": self.year,
            }
        )


class Attendee(models.Model):
    meeting = models.ForeignKey(
        Meeting, models.CASCADE, related_name="attendees", verbose_name=_("meeting")
    )
    side = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("side"))
    org_unit = models.ForeignKey(
        OrgUnit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit")
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    title = models.CharField(_("job title"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        ordering = ["meeting", "side", "pk"]

    def __str__(self) -> str:
        return self.name


class AgendaItem(models.Model):
    meeting = models.ForeignKey(
        Meeting, models.CASCADE, related_name="agenda_items", verbose_name=_("meeting")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    title = models.CharField(_("title"), max_length=200)
    presenter = models.CharField(_("presenter"), max_length=100, blank=True)
    issue = models.ForeignKey(
        "CoordinationIssue",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("issue raised"),
    )

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "order", "pk"]

    def __str__(self) -> str:
        return self.title


class Resolution(models.Model):
    """A decision of a meeting (议定事项); it may become one or more tasks."""

    meeting = models.ForeignKey(
        Meeting, models.CASCADE, related_name="resolutions", verbose_name=_("meeting")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("decision"))

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="resolution_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:40]}"


class CoordinationIssue(models.Model):
    """A major problem raised by a unit (协调解决重大问题), for the next meeting's agenda."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ON_AGENDA = "on_agenda", _("On the agenda")
        RESOLVED = "resolved", _("Resolved")

    partnership = models.ForeignKey(
        Partnership, models.CASCADE, related_name="issues", verbose_name=_("partnership")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    raised_by = models.ForeignKey(
        OrgUnit,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raised by"),
    )
    task = models.ForeignKey(
        "Task",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="issues",
        verbose_name=_("overdue task"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    raised_on = models.DateField(_("raised on"), default=date.today)

    class Meta:
        verbose_name = _("coordination issue")
        verbose_name_plural = _("coordination issues")
        ordering = ["partnership", "status", "-raised_on", "-pk"]
        constraints = [
            # An overdue task is escalated once while it is open.
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(task__isnull=False) & ~Q(status="resolved"),
                name="issue_one_open_per_task",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AnnualAgreement(models.Model):
    """The annual agreement (年度协议) adopted at a meeting, with its task list."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ADOPTED = "adopted", _("Adopted")
        CLOSED = "closed", _("Closed")

    partnership = models.ForeignKey(
        Partnership, models.CASCADE, related_name="agreements", verbose_name=_("partnership")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    meeting = models.ForeignKey(
        Meeting,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("adopted at"),
    )
    plan = models.ForeignKey(
        Plan,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("implementation plan"),
    )
    previous = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_agreements",
        verbose_name=_("previous agreement"),
    )
    preamble = models.TextField(_("preamble"), blank=True)

    class Meta:
        verbose_name = _("annual agreement")
        verbose_name_plural = _("annual agreements")
        ordering = ["partnership", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "year"], name="agreement_year_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    """A task of the annual task list, tracked to the person and the deadline."""

    class Kind(models.TextChoices):
        PROJECT = "project", _("Project-based")
        ITEM = "item", _("Item-based")
        MECHANISM = "mechanism", _("Mechanism-based")

    class Stage(models.TextChoices):
        """Where the task is in supervision (督查督办)."""

        ASSIGNED = "assigned", pgettext_lazy("task stage", "Assigned")
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("task stage", "Acknowledged")
        IN_PROGRESS = "in_progress", pgettext_lazy("task stage", "In progress")
        CLAIMED = "claimed", pgettext_lazy("task stage", "Completion claimed")
        CLOSED = "closed", pgettext_lazy("task stage", "Closed")
        TERMINATED = "terminated", pgettext_lazy("task stage", "Terminated")

    class Status(models.TextChoices):
        """What the board shows (未启动 / 推进中 / 已完成 / 滞后 / 已终止)."""

        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        LAGGING = "lagging", _("Lagging")
        TERMINATED = "terminated", _("Terminated")

    class Light(models.TextChoices):
        GREEN = "green", _("Green")
        AMBER = "amber", _("Amber")
        RED = "red", _("Red")

    class Priority(models.TextChoices):
        HIGH = "high", _("High")
        NORMAL = "normal", _("Normal")
        LOW = "low", _("Low")

    class Cadence(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")

    agreement = models.ForeignKey(
        AnnualAgreement, models.CASCADE, related_name="tasks", verbose_name=_("agreement")
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"), blank=True)
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    units = models.ManyToManyField(
        OrgUnit, through="TaskUnit", related_name="tasks", verbose_name=_("units")
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="responsible_tasks",
        verbose_name=_("responsible person"),
    )
    working_group = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="working_group_tasks",
        verbose_name=_("working group"),
    )
    start_date = models.DateField(_("start date"))
    deadline = models.DateField(_("deadline"))
    baseline_deadline = models.DateField(
        _("original deadline"), help_text=_("The deadline before any extension.")
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    cadence = models.CharField(
        _("report cadence"), max_length=10, choices=Cadence.choices, default=Cadence.MONTHLY
    )
    stage = models.CharField(
        _("stage"), max_length=15, choices=Stage.choices, default=Stage.ASSIGNED
    )
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.NOT_STARTED
    )
    light = models.CharField(
        _("traffic light"), max_length=5, choices=Light.choices, default=Light.GREEN
    )
    percent = models.PositiveSmallIntegerField(
        _("percent complete"), default=0, validators=[MaxValueValidator(100)]
    )
    termination_reason = models.TextField(_("termination reason"), blank=True)
    key_task = models.ForeignKey(
        KeyTask,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("key task of the plan"),
    )
    resolution = models.ForeignKey(
        Resolution,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("resolution"),
    )
    carried_from = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_to",
        verbose_name=_("carried over from"),
    )
    last_accepted_report_on = models.DateField(_("last accepted report"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["agreement", "code"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "code"], name="task_code_unique"),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("start_date")),
                name="task_deadline_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def partnership(self) -> Partnership:
        return self.agreement.partnership

    @property
    def is_open(self) -> bool:
        return self.stage not in (self.Stage.CLOSED, self.Stage.TERMINATED)

    @property
    def extended(self) -> bool:
        return self.deadline != self.baseline_deadline


class TaskUnit(models.Model):
    """A unit on a task: a lead unit (牵头单位) of one side, or a supporting unit (配合单位)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead unit")
        SUPPORT = "support", _("Supporting unit")

    task = models.ForeignKey(Task, models.CASCADE, related_name="task_units")
    unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="task_units")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("task unit")
        verbose_name_plural = _("task units")
        ordering = ["task", "role", "unit__region__name", "unit__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit"], name="taskunit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.task.code} · {self.unit} · {self.get_role_display()}"


class Milestone(models.Model):
    task = models.ForeignKey(Task, models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    due_date = models.DateField(_("due date"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["task", "due_date", "pk"]

    def __str__(self) -> str:
        return self.title


class Target(models.Model):
    """A quantified target of a task: target value, unit of measure, actual."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="targets")
    name = models.CharField(_("indicator"), max_length=100)
    target_value = models.DecimalField(_("target value"), max_digits=14, decimal_places=2)
    measure = models.CharField(_("unit of measure"), max_length=20, blank=True)
    actual = models.DecimalField(_("actual"), max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["task", "pk"]

    def __str__(self) -> str:
        return f"{self.name} {self.target_value}{self.measure}"


class ProgressReport(models.Model):
    """A periodic report by the lead unit; the coordinator accepts or returns it."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    task = models.ForeignKey(Task, models.CASCADE, related_name="reports")
    period = models.CharField(
        pgettext_lazy("report", "period"), max_length=10, help_text=_("e.g. 2026-03 or 2026Q1")
    )
    narrative = models.TextField(_("progress"))
    percent = models.PositiveSmallIntegerField(
        _("percent complete"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    unit = models.ForeignKey(
        OrgUnit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["task", "-submitted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.task.code} · {self.period}"


class TargetActual(models.Model):
    report = models.ForeignKey(ProgressReport, models.CASCADE, related_name="actuals")
    target = models.ForeignKey(Target, models.CASCADE, related_name="+")
    value = models.DecimalField(_("actual"), max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "target"], name="targetactual_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.target.name}: {self.value}"


class ExtensionRequest(models.Model):
    """A deadline extension (延期申请); the coordinator approves or rejects it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    task = models.ForeignKey(Task, models.CASCADE, related_name="extensions")
    new_deadline = models.DateField(_("requested deadline"))
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["task", "-requested_at"]

    def __str__(self) -> str:
        return f"{self.task.code} → {self.new_deadline}"


class TaskEvent(models.Model):
    """One time-stamped step of a task's life, shown as its history."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        REPORTED = "reported", _("Report submitted")
        REPORT_ACCEPTED = "report_accepted", _("Report accepted")
        REPORT_RETURNED = "report_returned", _("Report returned")
        CLAIMED = "claimed", _("Completion claimed")
        CLOSED = "closed", _("Reviewed and closed")
        RETURNED = "returned", _("Returned")
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
        EXTENSION_APPROVED = "extension_approved", _("Extension approved")
        EXTENSION_REJECTED = "extension_rejected", _("Extension rejected")
        TERMINATED = "terminated", _("Terminated")
        LIGHT_CHANGED = "light_changed", _("Traffic light changed")
        ESCALATED = "escalated", _("Escalated")
        CARRIED_OVER = "carried_over", _("Carried over")
        MILESTONE_DONE = "milestone_done", _("Milestone reached")

    task = models.ForeignKey(Task, models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("task event")
        verbose_name_plural = _("task events")
        ordering = ["task", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.task.code} · {self.get_kind_display()}"


class Attachment(models.Model):
    """A file attached to a meeting or a progress report; downloaded only within scope."""

    meeting = models.ForeignKey(
        Meeting, models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    report = models.ForeignKey(
        ProgressReport, models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="conference/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting__isnull=False, report__isnull=True)
                | Q(meeting__isnull=True, report__isnull=False),
                name="attachment_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LightRules(models.Model):
    """The traffic-light rules of a programme (documented in docs/conference.md)."""

    programme = models.OneToOneField(
        Programme, models.CASCADE, related_name="light_rules", verbose_name=_("programme")
    )
    amber_days_before_due = models.PositiveSmallIntegerField(
        _("amber when a deadline or milestone is within (days)"), default=3
    )
    amber_days_without_report = models.PositiveSmallIntegerField(
        _("amber after days without an accepted report"), default=35
    )

    class Meta:
        verbose_name = _("traffic-light rules")
        verbose_name_plural = _("traffic-light rules")

    def __str__(self) -> str:
        return str(self.programme)
