"""Writes and rules of the five databases: permissions, masking and its audited unmask,
optimistic concurrency, and the review of enterprise users' profile changes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core.audit import record
from xietong.core.models import Membership, Role, SecurityEvent, User
from xietong.core.notifications import notify

from .models import (
    ChangeRequest,
    Contact,
    Enterprise,
    IndustryCode,
    MainProduct,
    SideRecord,
    Talent,
)


class StaleEdit(Exception):
    """The record changed since the form was opened; the edit would overwrite it."""


# --- Permissions ----------------------------------------------------------------------


def _side_of(obj, ctx) -> tuple[int | None, int | None]:
    if obj is not None:
        if isinstance(obj, ChangeRequest):
            obj = obj.enterprise
        return obj.partnership_id, obj.side_id
    pair = ctx.get("partnership")
    side = ctx.get("side") or ctx.get("region")
    return getattr(pair, "pk", pair), getattr(side, "pk", side)


def permission(user: User, action: str, obj=None, **ctx) -> bool:
    """``core.scope.can`` for the enterprise models (the object is already visible)."""
    from .queries import reach

    r = reach(user)
    if isinstance(obj, ChangeRequest) or (obj is None and ctx.get("model") is ChangeRequest):
        return False  # only through submit_change / review_change
    # The administrator reads everything for support and does none of the business acts.
    pair_id, side_id = _side_of(obj, ctx)
    allowed = r.coordinator_sides if action == "delete" else r.staff_sides
    if pair_id is None or side_id is None:
        return bool(allowed)
    return (pair_id, side_id) in allowed


def may_review(user: User, enterprise: Enterprise) -> bool:
    """Department staff and coordinators of the enterprise's side review its changes."""
    from .queries import reach

    r = reach(user)
    return (enterprise.partnership_id, enterprise.side_id) in r.staff_sides


def may_review_change(user: User, change: ChangeRequest) -> bool:
    """A reviewer of the enterprise's side, who neither proposed the change nor keeps the
    enterprise: nobody approves their own change."""
    return (
        may_review(user, change.enterprise)
        and change.submitted_by_id != user.pk
        and not owns(user, change.enterprise)
    )


def owns(user: User, enterprise: Enterprise) -> bool:
    from .queries import reach

    return enterprise.pk in reach(user).enterprises


def own_enterprise(user: User) -> Enterprise | None:
    from .queries import reach

    ids = sorted(reach(user).enterprises)
    return Enterprise.objects.filter(pk__in=ids).first() if ids else None


# --- Masking --------------------------------------------------------------------------

PERSONAL_FIELDS = {Contact: ("name", "phone", "email"), Talent: ("name", "phone", "email")}


def mask_phone(value: str) -> str:
    """138****1234: the first three and last four digits stay, the rest is hidden."""
    digits = re.sub(r"\D", "", value or "")
    if not digits:
        return ""
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_email(value: str) -> str:
    if not value:
        return ""
    local, _at, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_name(value: str) -> str:
    """张** : the family name stays."""
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)


MASKS = {"phone": mask_phone, "email": mask_email, "name": mask_name}


def mask(field: str, value: str) -> str:
    return MASKS[field](value)


def may_unmask(user: User, obj: Contact | Talent) -> bool:
    """The record's own side's staff and coordinators, and the enterprise itself."""
    from .queries import reach

    r = reach(user)
    owner = obj.enterprise if isinstance(obj, Contact) else obj
    if (owner.partnership_id, owner.side_id) in r.staff_sides:
        return True
    return isinstance(obj, Contact) and obj.enterprise_id in r.enterprises


def unmask(user: User, obj: Contact | Talent, field: str, request=None) -> str:
    """The clear value of one personal field, recorded as a security event."""
    if field not in PERSONAL_FIELDS.get(type(obj), ()):
        raise ValidationError(_("%(field)s is not a personal data field.") % {"field": field})
    if not may_unmask(user, obj):
        raise PermissionDenied(_("Your role does not allow seeing this personal data."))
    label = obj._meta.model_name
    owner = f" of enterprise {obj.enterprise_id}" if isinstance(obj, Contact) else ""
    record(
        SecurityEvent.Kind.UNMASK,
        request,
        user=user,
        detail=f"{label} {obj.pk}{owner}: {field}",
    )
    return getattr(obj, field)


def record_form_unmask(user: User, enterprise: Enterprise, request=None) -> None:
    """An edit form shows the contacts in clear; that is an unmask too."""
    if enterprise.pk and enterprise.contacts.exists():
        record(
            SecurityEvent.Kind.UNMASK,
            request,
            user=user,
            detail=f"contacts of enterprise {enterprise.pk}: edit form",
        )


# --- Optimistic concurrency -----------------------------------------------------------


def claim_version(obj: SideRecord, expected: int) -> None:
    """Move ``obj`` to its next version, or raise StaleEdit if someone saved it meanwhile.

    Call inside the transaction that saves the edit: the conditional UPDATE is the lock.
    """
    model = type(obj)
    if not model.objects.filter(pk=obj.pk, version=expected).update(version=F("version") + 1):
        raise StaleEdit(
            _(
                "Someone else saved this record after you opened it. Reload the page to see "
                "their changes, then make yours again."
            )
        )
    obj.version = expected + 1


def save_record(user: User, obj: SideRecord, *, expected_version: int | None, save) -> None:
    """Check the permission, then run ``save()`` (the form's) under the version check."""
    action = "change" if obj.pk else "create"
    ctx = {} if obj.pk else {"partnership": obj.partnership_id, "side": obj.side_id}
    if not permission(user, action, obj if obj.pk else None, **ctx):
        raise PermissionDenied(_("Your role does not allow this."))
    with transaction.atomic():
        if obj.pk:
            claim_version(obj, expected_version if expected_version is not None else -1)
        save()


# --- Profile values and change requests -----------------------------------------------

PROFILE_FIELDS = [
    "name",
    "district",
    "size_class",
    "revenue",
    "output_value",
    "employees",
    "address",
    "description",
    "processes",
    "equipment",
    "certifications",
]
LIST_FIELDS = {
    "industries": gettext_lazy("industry codes"),
    "main_products": gettext_lazy("main products"),
    "contacts": gettext_lazy("contacts"),
}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral() else str(value.normalize())
    return value


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": value}) from exc


def profile_values(enterprise: Enterprise) -> dict[str, Any]:
    """The profile as plain JSON values, the shape a change request proposes."""
    values = {name: _plain(getattr(enterprise, name)) for name in PROFILE_FIELDS}
    if values["revenue"] is not None:
        values["revenue"] = str(values["revenue"])
    if values["output_value"] is not None:
        values["output_value"] = str(values["output_value"])
    values["industries"] = sorted(enterprise.industries.values_list("code", flat=True))
    values["main_products"] = [
        {"name": p.name, "share": None if p.share is None else str(_plain(p.share))}
        for p in enterprise.main_products.all()
    ]
    values["contacts"] = [
        {"name": c.name, "position": c.position, "phone": c.phone, "email": c.email}
        for c in enterprise.contacts.all()
    ]
    return values


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    """Only the keys present: a partial dict (e.g. just the contacts) stays partial."""
    out = dict(values)
    for name in ("revenue", "output_value"):
        if name in out:
            number = _decimal(out[name])
            out[name] = None if number is None else str(_plain(number.quantize(Decimal("0.01"))))
    if "industries" in out:
        out["industries"] = sorted(out["industries"] or [])
    if "main_products" in out:
        out["main_products"] = [
            {
                "name": p["name"],
                "share": None
                if _decimal(p.get("share")) is None
                else str(_plain(_decimal(p["share"]).quantize(Decimal("0.01")))),
            }
            for p in out["main_products"] or []
        ]
    return out


def _show(name: str, value: Any) -> str:
    if name == "main_products":
        return "、".join(
            f"{p['name']}（{p['share']}%）" if p.get("share") else p["name"] for p in value
        )
    if name == "contacts":
        return "、".join(
            " ".join(
                x
                for x in (
                    mask_name(c["name"]),
                    c.get("position", ""),
                    mask_phone(c.get("phone", "")),
                    mask_email(c.get("email", "")),
                )
                if x
            )
            for c in value
        )
    if name == "industries":
        names = dict(IndustryCode.objects.filter(code__in=value).values_list("code", "name"))
        return "、".join(f"{code} {names.get(code, '')}".strip() for code in value)
    if name == "size_class" and value:
        return str(dict(Enterprise.Size.choices).get(value, value))
    return "" if value is None else str(value)


def diff(enterprise: Enterprise, proposed: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field label, current, proposed) for every field the request would change."""
    current = _normalise(profile_values(enterprise))
    wanted = _normalise(proposed)
    rows = []
    for name in [*PROFILE_FIELDS, *LIST_FIELDS]:
        if name in wanted and current.get(name) != wanted.get(name):
            label = (
                LIST_FIELDS[name]
                if name in LIST_FIELDS
                else Enterprise._meta.get_field(name).verbose_name
            )
            rows.append((str(label), _show(name, current.get(name)), _show(name, wanted[name])))
    return rows


def _reviewers(enterprise: Enterprise) -> Iterable[User]:
    members = Membership.objects.filter(
        Q(role=Role.DEPARTMENT_STAFF, org_unit__region_id=enterprise.side_id)
        | Q(
            role=Role.PARTNERSHIP_COORDINATOR,
            partnership_id=enterprise.partnership_id,
            region_id=enterprise.side_id,
        )
    )
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True)


def submit_change(user: User, enterprise: Enterprise, proposed: dict[str, Any]) -> ChangeRequest:
    """An enterprise user proposes changes to its own profile; reviewers are notified."""
    if not owns(user, enterprise):
        raise PermissionDenied(_("Only the enterprise itself proposes changes to its profile."))
    proposed = _normalise(proposed)
    proposed.setdefault("industries", [])
    if not diff(enterprise, proposed):
        raise ValidationError(_("The proposal changes nothing."))
    unknown = set(proposed["industries"]) - set(
        IndustryCode.objects.filter(code__in=proposed["industries"]).values_list("code", flat=True)
    )
    if unknown:
        raise ValidationError(
            _("Unknown industry code: %(codes)s.") % {"codes": "、".join(sorted(unknown))}
        )
    try:
        with transaction.atomic():
            change = ChangeRequest.objects.create(
                enterprise=enterprise,
                submitted_by=user,
                base_version=enterprise.version,
                proposed=proposed,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("A change request of this enterprise is already waiting for review.")
        ) from exc
    url = reverse("enterprise:change_detail", args=[change.pk])
    for reviewer in _reviewers(enterprise):
        notify(
            reviewer,
            key=f"enterprise-change-{change.pk}-submitted",
            title=_("Profile change to review: %(name)s") % {"name": enterprise.name},
            url=url,
        )
    return change


def apply_profile(enterprise: Enterprise, values: dict[str, Any]) -> None:
    """Write profile ``values`` (the change-request shape) onto the enterprise."""
    values = _normalise(values)
    for name in PROFILE_FIELDS:
        if name in values:
            value = values[name]
            if name in ("revenue", "output_value"):
                value = _decimal(value)
            setattr(enterprise, name, value if value is not None or name != "name" else "")
    enterprise.full_clean(exclude=["industries", "labels", "credit_code"])
    enterprise.save()
    if "industries" in values:
        enterprise.industries.set(IndustryCode.objects.filter(code__in=values["industries"]))
    if "main_products" in values:
        enterprise.main_products.all().delete()
        MainProduct.objects.bulk_create(
            MainProduct(enterprise=enterprise, position=i, name=p["name"], share=p["share"])
            for i, p in enumerate(values["main_products"], start=1)
        )
    if "contacts" in values:
        enterprise.contacts.all().delete()
        for i, c in enumerate(values["contacts"], start=1):
            contact = Contact(enterprise=enterprise, position_order=i, **c)
            contact.full_clean(exclude=["enterprise"])
            contact.save()


def review_change(
    user: User, change: ChangeRequest, *, approve: bool, reason: str = ""
) -> ChangeRequest:
    """A reviewer of the enterprise's side approves (the values go live) or rejects with a
    reason. A request made on an older version of the profile cannot be approved."""
    enterprise = change.enterprise
    if not may_review(user, enterprise):
        raise PermissionDenied(_("Only department staff of the enterprise's side review it."))
    if not may_review_change(user, change):
        raise PermissionDenied(_("You cannot review a change you proposed yourself."))
    if change.status != ChangeRequest.Status.PENDING:
        raise ValidationError(_("This request has already been reviewed."))
    if not approve and not reason.strip():
        raise ValidationError(_("Give the reason for rejecting the request."))
    with transaction.atomic():
        if approve:
            try:
                claim_version(enterprise, change.base_version)
            except StaleEdit as exc:
                raise ValidationError(
                    _(
                        "The profile has changed since this request was made; reject it and "
                        "ask the enterprise to propose its changes again."
                    )
                ) from exc
            apply_profile(enterprise, change.proposed)
        change.status = ChangeRequest.Status.APPROVED if approve else ChangeRequest.Status.REJECTED
        change.reviewed_by = user
        change.reviewed_at = timezone.now()
        change.reason = reason.strip()
        change.save(update_fields=["status", "reviewed_by", "reviewed_at", "reason"])
    title = (
        _("Your profile change was approved: %(name)s")
        if approve
        else _("Your profile change was rejected: %(name)s")
    ) % {"name": enterprise.name}
    notify(
        change.submitted_by,
        key=f"enterprise-change-{change.pk}-{change.status}",
        title=title,
        body=change.reason,
        url=reverse("enterprise:change_detail", args=[change.pk]),
    )
    return change


# --- Records for the matching engine ----------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\n;；]+", text or "") if line.strip()]


def matching_record(enterprise: Enterprise) -> dict[str, Any]:
    """An enterprise as the plain record ``xietong.matching`` ranks (no Django inside)."""
    products = [p.name for p in enterprise.main_products.all()]
    capabilities = [
        *_lines(enterprise.processes),
        *_lines(enterprise.equipment),
        *_lines(enterprise.certifications),
    ]
    industries = [i.code for i in enterprise.industries.all()]
    return {
        "id": f"enterprise:{enterprise.pk}",
        "name": enterprise.name,
        "text": " ".join([enterprise.name, enterprise.description, *products, *capabilities]),
        "industries": industries,
        "products": products,
        "capabilities": capabilities,
        "region": enterprise.side_id,
        "partnership": enterprise.partnership_id,
        "shared": enterprise.shared,
    }
