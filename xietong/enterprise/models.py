"""The five shared databases of industrial enterprise collaboration (工业企业协同发展).

Every record belongs to one side (a region) of one partnership and is visible to the
partner side only when ``shared`` is set (the rules live in ``queries.py``). ``version``
counts saved edits, so that an edit made on an old copy is refused instead of silently
overwriting a newer one.

Personal data (contact and talent names, phones, e-mails) is stored here and shown masked
(``services.mask``) except on an audited unmask. National ID numbers are never stored.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from xietong.core.models import Partnership, Region

MONEY = {"max_digits": 14, "decimal_places": 2}


def credit_code_error(code: str) -> str | None:
    """Why ``code`` is not a unified social credit code (GB 32100-2015), or None."""
    code = (code or "").strip().upper()
    try:
        uscc.validate(code)
    except InvalidLength:
        return _("a unified social credit code has 18 characters, this one has %(n)d") % {
            "n": len(code)
        }
    except InvalidChecksum:
        expected = uscc.calc_check_digit(code[:17])
        return _(
            "the check character (18th) of %(code)s is wrong: it should be “%(expected)s”, "
            "not “%(actual)s”"
        ) % {"code": code, "expected": expected, "actual": code[17]}
    except (InvalidFormat, InvalidComponent):
        return _(
            "%(code)s is not a unified social credit code: it may hold only digits and the "
            "capital letters of GB 32100 (no I, O, Z, S, V)"
        ) % {"code": code}
    return None


def validate_credit_code(code: str) -> None:
    message = credit_code_error(code)
    if message:
        raise ValidationError(message[:1].upper() + message[1:] + ".", code="credit_code")


class IndustryCode(models.Model):
    """A code of the national economic industry classification (GB/T 4754-2017)."""

    class Level(models.TextChoices):
        SECTION = "section", _("Section")
        DIVISION = "division", _("Division")
        GROUP = "group", _("Group")
        CLASS = "class", _("Class")

    code = models.CharField(_("code"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.CharField(_("parent code"), max_length=4, blank=True)
    section = models.CharField(_("section"), max_length=1)

    class Meta:
        verbose_name = _("industry code")
        verbose_name_plural = _("industry codes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Label(models.Model):
    """A recognition an enterprise holds: 专精特新, 高新技术企业, 小巨人, …"""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=40, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("enterprise label")
        verbose_name_plural = _("enterprise labels")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class SideRecord(models.Model):
    """A record of one side of a partnership, shared with the partner side or not."""

    partnership = models.ForeignKey(
        Partnership, models.PROTECT, related_name="+", verbose_name=_("partnership")
    )
    side = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("side"))
    shared = models.BooleanField(
        _("shared with the partner side"),
        default=False,
        help_text=_("Only shared records are visible to the other side of the pair."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.partnership_id and self.side_id:
            if self.side_id not in self.partnership.region_ids:
                raise ValidationError(
                    {"side": _("The side must be one of the two sides of the partnership.")}
                )


class Enterprise(SideRecord):
    class Size(models.TextChoices):
        ABOVE = "above", _("Above designated size (规上)")
        BELOW = "below", _("Below designated size (规下)")

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    district = models.CharField(
        _("district"), max_length=40, blank=True, help_text=_("e.g. 渝北区, 万州区")
    )
    industries = models.ManyToManyField(
        IndustryCode, blank=True, related_name="enterprises", verbose_name=_("industry codes")
    )
    size_class = models.CharField(
        _("size class"), max_length=10, choices=Size.choices, default=Size.BELOW
    )
    labels = models.ManyToManyField(
        Label, blank=True, related_name="enterprises", verbose_name=_("labels")
    )
    revenue = models.DecimalField(_("revenue (10k yuan)"), null=True, blank=True, **MONEY)
    output_value = models.DecimalField(_("output value (10k yuan)"), null=True, blank=True, **MONEY)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    processes = models.TextField(_("processes"), blank=True, help_text=_("One a line."))
    equipment = models.TextField(_("equipment"), blank=True, help_text=_("One a line."))
    certifications = models.TextField(_("certifications"), blank=True, help_text=_("One a line."))

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["partnership", "side", "shared"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.credit_code = (self.credit_code or "").strip().upper()
        super().save(*args, **kwargs)


class MainProduct(models.Model):
    """One of an enterprise's main products, in order of importance, with its share."""

    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="main_products", verbose_name=_("enterprise")
    )
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    name = models.CharField(_("product"), max_length=100)
    share = models.DecimalField(
        _("share of revenue (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("main product")
        verbose_name_plural = _("main products")
        ordering = ["enterprise", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A contact person of an enterprise (personal data: shown masked)."""

    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="contacts", verbose_name=_("enterprise")
    )
    position_order = models.PositiveSmallIntegerField(_("order"), default=1)
    name = models.CharField(_("name"), max_length=40)
    position = models.CharField(_("position"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["enterprise", "position_order", "pk"]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.position}"


class Project(SideRecord):
    """An investment or cooperation project (招商项目 / 合作项目)."""

    class Kind(models.TextChoices):
        INVESTMENT = "investment", _("Investment project")
        COOPERATION = "cooperation", _("Cooperation project")

    class Stage(models.TextChoices):
        PLANNED = "planned", _("Planned")
        NEGOTIATING = "negotiating", _("Negotiating")
        SIGNED = "signed", _("Signed")
        BUILDING = "building", _("Under construction")
        OPERATING = "operating", _("In operation")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.PLANNED
    )
    enterprise = models.ForeignKey(
        Enterprise,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("enterprise"),
    )
    industries = models.ManyToManyField(
        IndustryCode, blank=True, related_name="+", verbose_name=_("industry codes")
    )
    investment = models.DecimalField(
        _("total investment (10k yuan)"), null=True, blank=True, **MONEY
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Product(SideRecord):
    """A product an enterprise offers, with its category (side and pair of its maker)."""

    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="products", verbose_name=_("enterprise")
    )
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=60)
    industry = models.ForeignKey(
        IndustryCode,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("industry code"),
    )
    specification = models.CharField(_("specification"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.enterprise_id and (
            self.enterprise.partnership_id != self.partnership_id
            or self.enterprise.side_id != self.side_id
        ):
            raise ValidationError(
                {"enterprise": _("A product belongs to the side and pair of its enterprise.")}
            )


class Technology(SideRecord):
    """A technology on offer: patents, maturity, owner."""

    class Maturity(models.TextChoices):
        RESEARCH = "research", _("Research")
        PROTOTYPE = "prototype", _("Prototype")
        PILOT = "pilot", _("Pilot production")
        INDUSTRIAL = "industrial", _("Industrialised")

    name = models.CharField(_("name"), max_length=200)
    field = models.CharField(_("field"), max_length=100)
    maturity = models.CharField(_("maturity"), max_length=12, choices=Maturity.choices)
    owner = models.CharField(_("owner"), max_length=200)
    enterprise = models.ForeignKey(
        Enterprise,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="technologies",
        verbose_name=_("owning enterprise"),
    )
    patents = models.TextField(_("patents"), blank=True, help_text=_("One patent number a line."))
    industries = models.ManyToManyField(
        IndustryCode, blank=True, related_name="+", verbose_name=_("industry codes")
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("technology")
        verbose_name_plural = _("technologies")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Talent(SideRecord):
    """An expert or skilled person (personal data: shown masked; no national ID number)."""

    class Kind(models.TextChoices):
        EXPERT = "expert", _("Expert")
        SKILLED = "skilled", _("Skilled worker")

    class Availability(models.TextChoices):
        FULL_TIME = "full_time", _("Full-time")
        PART_TIME = "part_time", _("Part-time")
        CONSULTING = "consulting", _("Consulting")
        UNAVAILABLE = "unavailable", _("Not available")

    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    fields = models.CharField(_("fields"), max_length=200, help_text=_("Separated by 、"))
    title = models.CharField(_("professional title"), max_length=60, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    availability = models.CharField(_("availability"), max_length=12, choices=Availability.choices)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("talent")
        verbose_name_plural = _("talent")
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        from .services import mask_name

        return f"{mask_name(self.name)} · {self.fields}"


class ChangeRequest(models.Model):
    """Changes an enterprise user proposes to its own profile, live after review."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="change_requests", verbose_name=_("enterprise")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    base_version = models.PositiveIntegerField(_("profile version"))
    proposed = models.JSONField(_("proposed values"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
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
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("profile change request")
        verbose_name_plural = _("profile change requests")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=models.Q(status="pending"),
                name="changerequest_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_status_display()}"


class ImportJob(models.Model):
    """An enterprise import: who, when, which file and what it did (large files run as a
    background job and the page polls ``progress``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        READING = "reading", _("Reading the file")
        WRITING = "writing", _("Writing")
        DONE = "done", _("Imported")
        REJECTED = "rejected", _("Not imported")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("user")
    )
    partnership = models.ForeignKey(
        Partnership, models.PROTECT, related_name="+", verbose_name=_("partnership")
    )
    side = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("side"))
    filename = models.CharField(_("file"), max_length=200)
    data = models.BinaryField(_("file content"), null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    problem = models.TextField(_("problem"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enterprise import")
        verbose_name_plural = _("enterprise imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} · {self.get_status_display()}"

    @property
    def percent(self) -> int:
        if self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED):
            return 100
        if self.status == self.Status.WRITING:
            return 90
        if not self.rows_total:
            return 0
        return min(int(85 * self.rows_done / self.rows_total), 85)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED)


# --- Supply-demand postings, matches (phase 2) -------------------------------------------


class PostingSettings(models.Model):
    """Per partnership: how long a demand is shown to the partner side first, and how many
    days before expiry the poster is reminded to renew."""

    partnership = models.OneToOneField(
        Partnership,
        models.CASCADE,
        related_name="posting_settings",
        verbose_name=_("partnership"),
    )
    partner_first_days = models.PositiveSmallIntegerField(
        _("partner-first window (days)"),
        default=14,
        help_text=_("A published demand is shown to the partner side only for this long."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("renewal reminder (days before expiry)"), default=7
    )

    class Meta:
        verbose_name = _("posting settings")
        verbose_name_plural = _("posting settings")

    def __str__(self) -> str:
        return str(self.partnership)


class Posting(models.Model):
    """A demand or a supply of one side, reviewed before it is published."""

    class Kind(models.TextChoices):
        INVESTMENT = "investment", _("Outbound investment")
        ORDER = "order", _("Order")
        SALES = "sales", _("Product sales")
        TECHNOLOGY = "technology", _("Technology cooperation")
        PROCESSING = "processing", _("Supporting processing")
        TALENT = "talent", _("Talent exchange")

    class Direction(models.TextChoices):
        DEMAND = "demand", _("Demand")
        SUPPLY = "supply", _("Supply")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        FULFILLED = "fulfilled", _("Fulfilled")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    class Visibility(models.TextChoices):
        PARTNER = "partner", _("Partner side only")
        BOTH = "both", _("Both sides")

    partnership = models.ForeignKey(
        Partnership, models.PROTECT, related_name="+", verbose_name=_("partnership")
    )
    side = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("side"))
    enterprise = models.ForeignKey(
        Enterprise,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="postings",
        verbose_name=_("enterprise"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("posted by")
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    direction = models.CharField(_("demand or supply"), max_length=6, choices=Direction.choices)
    title = models.CharField(_("title"), max_length=200)
    subject = models.CharField(
        _("products or fields"),
        max_length=200,
        help_text=_("What is asked for or offered, separated by 、 (e.g. 焊管、精密铸件)."),
    )
    description = models.TextField(_("description"), blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    budget = models.DecimalField(_("budget (10k yuan)"), null=True, blank=True, **MONEY)
    delivery_period = models.CharField(_("delivery period"), max_length=100, blank=True)
    technical_requirements = models.TextField(_("technical requirements"), blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    visibility = models.CharField(
        _("visibility"), max_length=8, choices=Visibility.choices, default=Visibility.BOTH
    )
    contact_name = models.CharField(_("contact person"), max_length=40)
    contact_phone = models.CharField(_("contact phone"), max_length=30)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reminder_sent_on = models.DateField(_("renewal reminder sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # The fields each kind needs besides the common ones.
    KIND_FIELDS = {
        Kind.INVESTMENT: ("budget", "location"),
        Kind.ORDER: ("quantity", "unit", "delivery_period"),
        Kind.SALES: ("quantity", "unit"),
        Kind.TECHNOLOGY: ("technical_requirements",),
        Kind.PROCESSING: ("quantity", "unit", "technical_requirements", "delivery_period"),
        Kind.TALENT: ("location",),
    }

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["partnership", "status"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = {}
        if self.partnership_id and self.side_id:
            if self.side_id not in self.partnership.region_ids:
                errors["side"] = _("The side must be one of the two sides of the partnership.")
        if self.enterprise_id and (
            self.enterprise.partnership_id != self.partnership_id
            or self.enterprise.side_id != self.side_id
        ):
            errors["enterprise"] = _("The enterprise must be of the posting's side and pair.")
        for name in self.KIND_FIELDS.get(self.kind, ()):
            if getattr(self, name) in (None, ""):
                errors[name] = _("A posting of type “%(kind)s” needs this field.") % {
                    "kind": self.get_kind_display()
                }
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The end of validity is before its start.")
        if errors:
            raise ValidationError(errors)

    @property
    def other_side_id(self) -> int | None:
        ids = [r for r in self.partnership.region_ids if r != self.side_id]
        return ids[0] if ids else None

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class PostingEvent(models.Model):
    """One step of a posting's life (who, when, from which status to which)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        EDITED = "edited", _("Edited")
        SUBMITTED = "submitted", _("Submitted for review")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")
        PUBLISHED = "published", _("Published")
        RENEWED = "renewed", _("Renewed")
        REMINDED = "reminded", _("Renewal reminder sent")
        CLOSED = "closed", _("Closed")
        INTEREST = "interest", _("Interest expressed")
        INTEREST_ACCEPTED = "interest_accepted", _("Interest accepted")
        INTEREST_DECLINED = "interest_declined", _("Interest declined")

    posting = models.ForeignKey(Posting, models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("posting event")
        verbose_name_plural = _("posting events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.posting} · {self.get_kind_display()}"


class Interest(models.Model):
    """An expression of interest in a posting; the poster's contact is revealed to the
    interested party only once the poster accepts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the poster")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    posting = models.ForeignKey(Posting, models.CASCADE, related_name="interests")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("from")
    )
    enterprise = models.ForeignKey(
        Enterprise,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enterprise"),
    )
    message = models.TextField(_("message"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("expression of interest")
        verbose_name_plural = _("expressions of interest")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["posting", "user"], name="interest_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.posting} · {self.enterprise or self.user}"


class Suggestion(models.Model):
    """A counterpart the matching engine proposed for a published posting."""

    posting = models.ForeignKey(Posting, models.CASCADE, related_name="suggestions")
    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, null=True, blank=True, related_name="+"
    )
    other_posting = models.ForeignKey(
        Posting, models.CASCADE, null=True, blank=True, related_name="+"
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    score = models.FloatField(_("score"))
    partner_side = models.BooleanField(_("partner side"), default=False)
    match = models.JSONField(_("why"), default=dict)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["posting", "rank"]

    def __str__(self) -> str:
        return f"{self.posting} → {self.enterprise or self.other_posting}"


class Match(models.Model):
    """A suggestion (or any counterpart) followed up: proposed → contacted → negotiating →
    deal or no deal; six months later the parties rate what came of it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", pgettext_lazy("match status", "Proposed")
        CONTACTED = "contacted", _("Contacted")
        NEGOTIATING = "negotiating", _("Negotiating")
        DEAL = "deal", _("Deal")
        NO_DEAL = "no_deal", _("No deal")

    class Rating(models.TextChoices):
        NO_CONTACT = "no_contact", _("No further contact")
        NEGOTIATING = "negotiating", _("Still negotiating")
        AGREEMENT = "agreement", _("Cooperation agreed")
        DEAL = "deal", _("Deal")

    posting = models.ForeignKey(
        Posting, models.PROTECT, related_name="matches", verbose_name=_("posting")
    )
    enterprise = models.ForeignKey(
        Enterprise,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="matches",
        verbose_name=_("counterpart enterprise"),
    )
    other_posting = models.ForeignKey(
        Posting,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("counterpart posting"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED
    )
    explanation = models.CharField(_("why"), max_length=300, blank=True)
    contract_value = models.DecimalField(
        _("contract value (10k yuan)"), null=True, blank=True, **MONEY
    )
    deal_date = models.DateField(_("deal date"), null=True, blank=True)
    no_deal_reason = models.TextField(_("reason for no deal"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    follow_up_asked_on = models.DateField(_("follow-up asked"), null=True, blank=True)
    follow_up_rating = models.CharField(
        _("follow-up rating"), max_length=12, choices=Rating.choices, blank=True
    )
    follow_up_at = models.DateTimeField(_("follow-up answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(enterprise__isnull=False)
                | models.Q(other_posting__isnull=False),
                name="match_has_counterpart",
            )
        ]

    def __str__(self) -> str:
        other = self.enterprise or self.other_posting
        return f"{self.posting} ↔ {other}"


class MatchEvent(models.Model):
    """One step of a match (status change or follow-up), with who and when."""

    match = models.ForeignKey(Match, models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.match} · {self.to_status}"


# --- Networking events (企业家联谊活动) -------------------------------------------------------


class Event(models.Model):
    """A networking event of a pair: enterprises register, ask each other for 1:1 meetings,
    the organisers (coordinators and department staff of the pair) build the schedule of
    slots × tables and publish it; afterwards each meeting's outcome is recorded."""

    class Theme(models.TextChoices):
        MANAGEMENT = "management", _("Management")
        SUPPLY_CHAIN = "supply_chain", _("Supply-chain pairing")
        TECHNICAL = "technical", _("Technical services")
        TALENT = "talent", _("Talent")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for registration")
        SCHEDULED = "scheduled", _("Schedule drafted")
        PUBLISHED = "published", _("Schedule published")
        HELD = "held", _("Held")

    partnership = models.ForeignKey(
        Partnership, models.PROTECT, related_name="+", verbose_name=_("partnership")
    )
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    themes = models.JSONField(_("themes"), default=list, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity (enterprises)"), validators=[MinValueValidator(2)]
    )
    start_time = models.TimeField(_("first slot starts at"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"), default=20, validators=[MinValueValidator(5)]
    )
    slot_count = models.PositiveSmallIntegerField(
        _("number of slots"), validators=[MinValueValidator(1), MaxValueValidator(48)]
    )
    tables = models.PositiveSmallIntegerField(
        _("number of tables"), validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("networking event")
        verbose_name_plural = _("networking events")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        unknown = [t for t in self.themes or [] if t not in self.Theme.values]
        if unknown:
            raise ValidationError(
                {"themes": _("Unknown theme: %(themes)s.") % {"themes": "、".join(unknown)}}
            )

    def theme_labels(self) -> list[str]:
        labels = dict(self.Theme.choices)
        return [str(labels[t]) for t in self.themes or [] if t in labels]

    def slot_start(self, index: int):
        """The time slot ``index`` (0-based) starts at."""
        from datetime import datetime, timedelta

        start = datetime.combine(self.date, self.start_time)
        return (start + timedelta(minutes=self.slot_minutes * index)).time()


class Registration(models.Model):
    """An enterprise taking part in an event, with the names of its delegates."""

    event = models.ForeignKey(
        Event, models.CASCADE, related_name="registrations", verbose_name=_("event")
    )
    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="+", verbose_name=_("enterprise")
    )
    delegates = models.TextField(_("delegates"), help_text=_("Name and position, one a line."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("registered by")
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("event registration")
        verbose_name_plural = _("event registrations")
        ordering = ["event", "enterprise__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "enterprise"], name="event_registration_once")
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.enterprise}"


class MeetingRequest(models.Model):
    """One registered enterprise asking another for a 1:1 meeting at the event."""

    class Preference(models.TextChoices):
        MUST = "must", _("Must meet")
        WOULD_LIKE = "would_like", _("Would like to meet")
        NO_THANKS = "no_thanks", _("No thanks")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")

    from_registration = models.ForeignKey(
        Registration, models.CASCADE, related_name="requests_sent", verbose_name=_("from")
    )
    to_registration = models.ForeignKey(
        Registration, models.CASCADE, related_name="requests_received", verbose_name=_("to")
    )
    preference = models.CharField(
        _("preference"), max_length=10, choices=Preference.choices, default=Preference.WOULD_LIKE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    message = models.TextField(_("message"), blank=True)
    expires_at = models.DateTimeField(_("answer by"))
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("meeting request")
        verbose_name_plural = _("meeting requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_registration", "to_registration"], name="meeting_request_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(from_registration=models.F("to_registration")),
                name="meeting_request_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_registration.enterprise} → {self.to_registration.enterprise}"


class BlockedSlot(models.Model):
    """A slot in which a registered enterprise cannot meet anyone."""

    registration = models.ForeignKey(
        Registration, models.CASCADE, related_name="blocked_slots", verbose_name=_("registration")
    )
    slot = models.PositiveSmallIntegerField(_("slot"))

    class Meta:
        verbose_name = _("blocked slot")
        verbose_name_plural = _("blocked slots")
        ordering = ["registration", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "slot"], name="blocked_slot_once")
        ]

    def __str__(self) -> str:
        return f"{self.registration} · {self.slot + 1}"


class ScheduledMeeting(models.Model):
    """An accepted request placed in a slot at a table, and what came of it. A meeting an
    organiser moved is pinned: rebuilding the draft schedules the others around it."""

    event = models.ForeignKey(
        Event, models.CASCADE, related_name="meetings", verbose_name=_("event")
    )
    request = models.OneToOneField(
        MeetingRequest, models.CASCADE, related_name="meeting", verbose_name=_("request")
    )
    slot = models.PositiveSmallIntegerField(_("slot"))
    table = models.PositiveSmallIntegerField(_("table"))
    held = models.BooleanField(_("held"), null=True, blank=True)
    follow_up = models.TextField(_("follow-up"), blank=True)
    deal = models.BooleanField(_("agreement reached"), default=False)
    pinned = models.BooleanField(
        _("pinned"),
        default=False,
        help_text=_("Moved by an organiser: rebuilding the schedule keeps it where it is."),
    )
    match = models.ForeignKey(
        Match,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("match followed up"),
    )

    class Meta:
        verbose_name = _("scheduled meeting")
        verbose_name_plural = _("scheduled meetings")
        ordering = ["event", "slot", "table"]
        constraints = [
            models.UniqueConstraint(fields=["event", "slot", "table"], name="meeting_table_once")
        ]

    def __str__(self) -> str:
        return f"{self.request} · {self.slot + 1}/{self.table}"
