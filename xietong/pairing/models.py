"""Department pairing (互访结对) and talent exchange (挂职锻炼 · 业务培训 · 互动考察).

Departments of the two sides of a partnership are paired (``DepartmentPair``) and keep a
rhythm of work contacts (``WorkContact``), monthly by default. One side records a contact,
the other side confirms it; only confirmed contacts make a period "held" (the rules are in
``compliance.py`` and docs/pairing.md). Everything hangs off a partnership, so core.scope
decides who sees it (``queries.py``).

Sides are named ``developed`` / ``partner`` (``Side``) rather than by region: the two
regions of the pair are always its ``developed_side`` and ``partner_side``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core.models import OrgUnit, Partnership, Region


class Side(models.TextChoices):
    """One of the two sides of a partnership."""

    DEVELOPED = "developed", _("Developed side")
    PARTNER = "partner", _("Partner side")

    @classmethod
    def other(cls, side: str) -> str:
        return cls.PARTNER if side == cls.DEVELOPED else cls.DEVELOPED


def region_of(partnership: Partnership, side: str) -> Region:
    """The region that is ``side`` of ``partnership``."""
    return partnership.developed_side if side == Side.DEVELOPED else partnership.partner_side


def region_id_of(partnership: Partnership, side: str) -> int:
    return partnership.developed_side_id if side == Side.DEVELOPED else partnership.partner_side_id


def side_of_region(partnership: Partnership, region_id: int | None) -> str | None:
    """``developed`` / ``partner`` for a region of the pair, None for any other region."""
    if region_id is None:
        return None
    if region_id == partnership.developed_side_id:
        return Side.DEVELOPED
    if region_id == partnership.partner_side_id:
        return Side.PARTNER
    return None


def default_reminder_day() -> int:
    return settings.PAIRING_REMINDER_DAY


class PairingSettings(models.Model):
    """The pairing knobs of one partnership; a partnership without a row uses the defaults.

    The secondment target is a range (the article: 2–3 cadres a year): ``secondment_minimum``
    is the floor below which the year is short, ``secondment_target`` the agreed number.
    """

    partnership = models.OneToOneField(
        Partnership,
        models.CASCADE,
        related_name="pairing_settings",
        verbose_name=_("partnership"),
    )
    reminder_day = models.PositiveSmallIntegerField(
        _("reminder day of the month"),
        default=default_reminder_day,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Pairs with no work contact in the month yet are reminded from this day."),
    )
    secondment_minimum = models.PositiveSmallIntegerField(
        _("secondments a year, at least"), default=2
    )
    secondment_target = models.PositiveSmallIntegerField(_("secondments a year, target"), default=3)

    class Meta:
        verbose_name = _("pairing settings")
        verbose_name_plural = _("pairing settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(secondment_minimum__lte=F("secondment_target")),
                name="pairing_settings_minimum_le_target",
            ),
        ]

    def __str__(self) -> str:
        return str(self.partnership)

    def clean(self) -> None:
        if (
            self.secondment_minimum is not None
            and self.secondment_target is not None
            and self.secondment_minimum > self.secondment_target
        ):
            raise ValidationError(
                {"secondment_minimum": _("The minimum cannot be above the target.")}
            )


class DepartmentPair(models.Model):
    """Two departments paired across the sides (结对部门), e.g. 经济运行局 ↔ 发展改革委."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        BIMONTHLY = "bimonthly", _("Every two months")
        QUARTERLY = "quarterly", _("Quarterly")

    partnership = models.ForeignKey(
        Partnership,
        models.CASCADE,
        related_name="department_pairs",
        verbose_name=_("partnership"),
    )
    developed_unit = models.ForeignKey(
        OrgUnit,
        models.PROTECT,
        related_name="pairs_as_developed",
        verbose_name=_("department of the developed side"),
    )
    partner_unit = models.ForeignKey(
        OrgUnit,
        models.PROTECT,
        related_name="pairs_as_partner",
        verbose_name=_("department of the partner side"),
    )
    frequency = models.CharField(
        _("contact frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    developed_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person in charge, developed side"),
    )
    partner_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person in charge, partner side"),
    )
    started_on = models.DateField(_("paired since"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("department pair")
        verbose_name_plural = _("department pairs")
        ordering = ["partnership", "developed_unit__sort_order", "developed_unit__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "developed_unit", "partner_unit"],
                name="department_pair_unique",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="department_pair_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.developed_unit.name} ↔ {self.partner_unit.name}"

    def clean(self) -> None:
        errors = {}
        if self.partnership_id:
            pair = self.partnership
            if self.developed_unit_id and self.developed_unit.region_id != pair.developed_side_id:
                errors["developed_unit"] = _(
                    "This department is not of the developed side of the partnership."
                )
            if self.partner_unit_id and self.partner_unit.region_id != pair.partner_side_id:
                errors["partner_unit"] = _(
                    "This department is not of the partner side of the partnership."
                )
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            errors["ended_on"] = _("A pair cannot end before it started.")
        if errors:
            raise ValidationError(errors)

    def unit_of(self, side: str) -> OrgUnit:
        return self.developed_unit if side == Side.DEVELOPED else self.partner_unit

    def lead_of(self, side: str):
        return self.developed_lead if side == Side.DEVELOPED else self.partner_lead

    @property
    def months_per_period(self) -> int:
        return {self.Frequency.BIMONTHLY: 2, self.Frequency.QUARTERLY: 3}.get(self.frequency, 1)

    def is_active_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or self.ended_on >= day)

    @property
    def is_active(self) -> bool:
        return self.is_active_on(timezone.localdate())


class WorkContact(models.Model):
    """A work contact of a department pair (工作对接): recorded by one side, confirmed by the
    other. A returned record goes back to the recording side, which corrects and resubmits it.
    """

    class Form(models.TextChoices):
        FIELD_RESEARCH = "field_research", _("Field research")
        SYMPOSIUM = "symposium", _("Work symposium")
        VIDEO = "video", _("Video meeting")
        OTHER = "other", pgettext_lazy("contact form", "Other")

    class Status(models.TextChoices):
        AWAITING = "awaiting_confirmation", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        RETURNED = "returned", _("Returned")

    pair = models.ForeignKey(
        DepartmentPair, models.CASCADE, related_name="contacts", verbose_name=_("department pair")
    )
    held_on = models.DateField(_("held on"))
    form = models.CharField(_("form"), max_length=20, choices=Form.choices)
    form_other = models.CharField(_("other form"), max_length=60, blank=True)
    host_side = models.CharField(_("host side"), max_length=10, choices=Side.choices)
    place = models.CharField(_("place"), max_length=200, blank=True)
    topics = models.TextField(_("topics"))
    outcomes = models.TextField(_("outcomes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_side = models.CharField(_("recorded by side"), max_length=10, choices=Side.choices)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.AWAITING
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("returned by"),
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)

    class Meta:
        verbose_name = _("work contact")
        verbose_name_plural = _("work contacts")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["pair", "held_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(form="other") | ~Q(form_other=""),
                name="work_contact_other_form_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pair} · {self.held_on:%Y-%m-%d} · {self.form_label}"

    @property
    def form_label(self) -> str:
        if self.form == self.Form.OTHER and self.form_other:
            return self.form_other
        return str(self.get_form_display())

    @property
    def partnership(self) -> Partnership:
        return self.pair.partnership

    @property
    def confirming_side(self) -> str:
        return Side.other(self.recorded_side)


class ContactParticipant(models.Model):
    """A participant of a work contact, of either side; an account when there is one."""

    contact = models.ForeignKey(
        WorkContact, models.CASCADE, related_name="participants", verbose_name=_("work contact")
    )
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    unit = models.CharField(_("unit"), max_length=100, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["contact", "side", "pk"]

    def __str__(self) -> str:
        return self.name


class FollowUpAction(models.Model):
    """Something agreed at a contact (后续事项); it may become a task of the annual task list,
    which then shows where it came from (``task.pairing_actions``)."""

    contact = models.ForeignKey(
        WorkContact, models.CASCADE, related_name="follow_ups", verbose_name=_("work contact")
    )
    text = models.TextField(_("action"))
    owner_side = models.CharField(_("owner side"), max_length=10, choices=Side.choices)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    task = models.ForeignKey(
        "conference.Task",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="pairing_actions",
        verbose_name=_("task"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up action")
        verbose_name_plural = _("follow-up actions")
        ordering = ["contact", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class ContactAttachment(models.Model):
    """A file of a work contact (minutes, photos, slides); downloaded only within scope."""

    contact = models.ForeignKey(
        WorkContact, models.CASCADE, related_name="attachments", verbose_name=_("work contact")
    )
    file = models.FileField(_("file"), upload_to="pairing/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact attachment")
        verbose_name_plural = _("contact attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class ReminderLog(models.Model):
    """That a pair was reminded (or escalated) about a period: the job sends once.

    ``period`` is the first month of the period, ``YYYY-MM``.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        ESCALATION = "escalation", _("Escalation")

    pair = models.ForeignKey(
        DepartmentPair, models.CASCADE, related_name="reminders", verbose_name=_("department pair")
    )
    period = models.CharField(_("period"), max_length=7)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    recipients = models.PositiveSmallIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("reminder log")
        verbose_name_plural = _("reminder logs")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pair", "period", "kind"], name="reminder_log_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pair} · {self.period} · {self.get_kind_display()}"


class Rating(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")


class SecondmentQuerySet(models.QuerySet):
    def with_status(self, today: date | None = None) -> SecondmentQuerySet:
        """Annotate ``current_status`` as of ``today`` (Asia/Shanghai), for filters and sorts."""
        today = today or timezone.localdate()
        return self.annotate(
            current_status=Case(
                When(cancelled=True, then=Value(Secondment.Status.CANCELLED)),
                When(starts_on__gt=today, then=Value(Secondment.Status.PLANNED)),
                When(ends_on__lt=today, then=Value(Secondment.Status.COMPLETED)),
                default=Value(Secondment.Status.ONGOING),
                output_field=models.CharField(),
            )
        )


class Secondment(models.Model):
    """A cadre of the partner side on secondment (挂职锻炼) to the developed side.

    The status follows from the dates (planned → ongoing → completed) unless cancelled.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("secondment", "Planned")
        ONGOING = "ongoing", pgettext_lazy("secondment", "Ongoing")
        COMPLETED = "completed", pgettext_lazy("secondment", "Completed")
        CANCELLED = "cancelled", pgettext_lazy("secondment", "Cancelled")

    partnership = models.ForeignKey(
        Partnership, models.CASCADE, related_name="secondments", verbose_name=_("partnership")
    )
    person_name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="secondments",
        verbose_name=_("account"),
    )
    person_title = models.CharField(_("job title"), max_length=100, blank=True)
    sending_unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="+", verbose_name=_("sending unit")
    )
    host_unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="+", verbose_name=_("host unit")
    )
    position = models.CharField(_("seconded position"), max_length=100, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mentor (account)"),
    )
    mentor_name = models.CharField(_("mentor"), max_length=60, blank=True)
    goals = models.TextField(_("goals"), blank=True)
    mid_evaluation = models.TextField(_("mid-term evaluation"), blank=True)
    mid_rating = models.CharField(
        _("mid-term rating"), max_length=10, choices=Rating.choices, blank=True
    )
    final_evaluation = models.TextField(_("final evaluation"), blank=True)
    final_rating = models.CharField(
        _("final rating"), max_length=10, choices=Rating.choices, blank=True
    )
    cancelled = models.BooleanField(_("cancelled"), default=False)
    cancel_reason = models.TextField(_("reason for cancellation"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SecondmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("secondment")
        verbose_name_plural = _("secondments")
        ordering = ["-starts_on", "person_name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="secondment_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_name} · {self.host_unit.name}"

    def clean(self) -> None:
        errors = {}
        if self.partnership_id:
            pair = self.partnership
            if self.sending_unit_id and self.sending_unit.region_id != pair.partner_side_id:
                errors["sending_unit"] = _(
                    "The sending unit must be a department of the partner side."
                )
            if self.host_unit_id and self.host_unit.region_id != pair.developed_side_id:
                errors["host_unit"] = _("The host unit must be a department of the developed side.")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The end cannot be before the start.")
        if errors:
            raise ValidationError(errors)

    def status_on(self, day: date) -> str:
        if self.cancelled:
            return self.Status.CANCELLED
        if day < self.starts_on:
            return self.Status.PLANNED
        if day > self.ends_on:
            return self.Status.COMPLETED
        return self.Status.ONGOING

    @property
    def status(self) -> str:
        return self.status_on(timezone.localdate())

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)

    @property
    def mentor_label(self) -> str:
        if self.mentor_id:
            return self.mentor.display_name
        return self.mentor_name


class Training(models.Model):
    """A training session for investment staff (招商人员业务培训), usually held by the
    developed side for the partner side."""

    partnership = models.ForeignKey(
        Partnership, models.CASCADE, related_name="trainings", verbose_name=_("partnership")
    )
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("held on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    topics = models.TextField(_("topics"), blank=True)
    trainers = models.TextField(_("trainers"), blank=True, help_text=_("One a line."))
    host_unit = models.ForeignKey(
        OrgUnit,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("host unit"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["-held_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("held_on")),
                name="training_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = {}
        if self.partnership_id and self.host_unit_id:
            if self.host_unit.region_id not in self.partnership.region_ids:
                errors["host_unit"] = _("This unit is not on either side of the partnership.")
        if self.held_on and self.ends_on and self.ends_on < self.held_on:
            errors["ends_on"] = _("The end cannot be before the start.")
        if errors:
            raise ValidationError(errors)


class TrainingAttendance(models.Model):
    """One person at a training, with the hours that count for their training record."""

    training = models.ForeignKey(
        Training, models.CASCADE, related_name="attendances", verbose_name=_("training")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="training_attendances",
        verbose_name=_("account"),
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    unit = models.ForeignKey(
        OrgUnit,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
    )
    unit_name = models.CharField(_("unit (as written)"), max_length=100, blank=True)
    side = models.CharField(_("side"), max_length=10, choices=Side.choices, default=Side.PARTNER)
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendances")
        ordering = ["training", "side", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["training", "user"],
                condition=Q(user__isnull=False),
                name="training_attendance_once_per_user",
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="training_hours_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.training}"

    @property
    def unit_label(self) -> str:
        return self.unit.name if self.unit_id else self.unit_name


class InspectionVisit(models.Model):
    """A mutual inspection visit (互动考察): an enterprise delegation of one side visits the
    other side; the host side is the other one."""

    partnership = models.ForeignKey(
        Partnership,
        models.CASCADE,
        related_name="inspection_visits",
        verbose_name=_("partnership"),
    )
    visiting_side = models.CharField(_("visiting side"), max_length=10, choices=Side.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    destination = models.CharField(_("destination"), max_length=200)
    lead = models.CharField(_("head of delegation"), max_length=100, blank=True)
    purpose = models.TextField(_("purpose"), blank=True)
    enterprises = models.ManyToManyField(
        "enterprise.Enterprise",
        blank=True,
        related_name="inspection_visits",
        verbose_name=_("enterprises involved"),
    )
    findings = models.TextField(_("findings"), blank=True)
    follow_ups = models.TextField(_("follow-ups"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection visit")
        verbose_name_plural = _("inspection visits")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="inspection_visit_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_on:%Y-%m-%d} {self.destination}"

    @property
    def host_side(self) -> str:
        return Side.other(self.visiting_side)

    def get_host_side_display(self) -> str:
        return str(Side(self.host_side).label)

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end cannot be before the start.")})
