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
