"""The one place that decides what a user may see and change.

Every list, detail page, form, API endpoint, export and count starts from
``queryset(user, Model)`` and asks ``can(user, action, obj)`` before a write. An object
outside a user's scope is treated as absent: views answer 404, never 403.

Rules, by role (memberships carry the scope):

- system administrator: manages accounts, roles and master data (programmes, regions,
  partnerships, org units) everywhere; cannot read the audit log.
- security auditor: reads the audit log and nothing else.
- programme coordinator: all partnerships of a programme; creates and changes them, their
  regions and org units.
- partnership coordinator: one side of one pair; sees both sides, manages the org units of
  its own side.
- department staff: sees the partnerships its unit's region is in, read-only here.
- sector group member: one side of one pair, read-only here.
- enterprise user: the partnerships of its region, nothing internal (no units, no people).
- leader: reads a programme or a partnership, never writes.

What follows from them:

- Whoever sees a partnership sees its programme and its two regions. A programme
  coordinator also sees the regions that are in no partnership yet (it creates regions
  before pairing them), but not the regions of other programmes' pairs.
- Internal roles (every role but the enterprise user and the auditor) see the org units of
  the regions of their partnerships and the people who hold a role there; of a person's
  roles they see only those whose scope they see. The others see no units and no people,
  not even their own account (the administrator sees everything).
- "Creates and changes" is not "deletes": only the administrator deletes programmes,
  regions and partnerships; org units are deleted by the administrator and by the
  partnership coordinators of their side.

``tests/core/test_isolation.py`` holds the same rules as a table, run for every role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from .models import Membership, OrgUnit, Partnership, Programme, Region, Role, User

Action = Literal["list", "view", "create", "change", "delete"]
ACTIONS: tuple[Action, ...] = ("list", "view", "create", "change", "delete")


@dataclass
class Grants:
    """What a user's memberships add up to, computed once per request."""

    admin: bool = False
    auditor: bool = False
    # Partnerships readable through programme-wide roles, by programme id.
    read_programmes: set[int] = field(default_factory=set)
    manage_programmes: set[int] = field(default_factory=set)
    read_partnerships: set[int] = field(default_factory=set)
    # Regions whose partnerships a unit or enterprise sees.
    read_regions: set[int] = field(default_factory=set)
    # Regions whose org units the user manages (partnership coordinators).
    manage_unit_regions: set[int] = field(default_factory=set)
    # Sees internal data (units, people) of the visible partnerships.
    internal: bool = False
    # Partnerships the user coordinates (runs the conference and task list of).
    coordinate_partnerships: set[int] = field(default_factory=set)
    # Org units the user works in (department staff).
    units: set[int] = field(default_factory=set)


def grants(user: User) -> Grants:
    if not user or not user.is_authenticated or not user.is_active:
        return Grants()
    cached = getattr(user, "_xietong_grants", None)
    if cached is not None:
        return cached
    g = Grants(admin=user.is_superuser)
    for m in Membership.objects.filter(user=user).select_related("org_unit"):
        if m.role == Role.SYSTEM_ADMIN:
            g.admin = True
        elif m.role == Role.SECURITY_AUDITOR:
            g.auditor = True
        elif m.role == Role.PROGRAMME_COORDINATOR and m.programme_id:
            g.read_programmes.add(m.programme_id)
            g.manage_programmes.add(m.programme_id)
            g.internal = True
        elif m.role == Role.PARTNERSHIP_COORDINATOR and m.partnership_id:
            g.read_partnerships.add(m.partnership_id)
            g.coordinate_partnerships.add(m.partnership_id)
            if m.region_id:
                g.manage_unit_regions.add(m.region_id)
            g.internal = True
        elif m.role == Role.SECTOR_GROUP_MEMBER and m.partnership_id:
            g.read_partnerships.add(m.partnership_id)
            g.internal = True
        elif m.role == Role.DEPARTMENT_STAFF and m.org_unit_id:
            g.read_regions.add(m.org_unit.region_id)
            g.units.add(m.org_unit_id)
            g.internal = True
        elif m.role == Role.ENTERPRISE_USER and m.region_id:
            g.read_regions.add(m.region_id)
        elif m.role == Role.LEADER:
            if m.programme_id:
                g.read_programmes.add(m.programme_id)
            if m.partnership_id:
                g.read_partnerships.add(m.partnership_id)
            g.internal = True
    user._xietong_grants = g
    return g


def _partnership_q(g: Grants) -> Q | None:
    """The filter for the partnerships a user sees; None means all."""
    if g.admin:
        return None
    q = Q(pk__in=[])
    if g.read_programmes:
        q |= Q(programme_id__in=g.read_programmes)
    if g.read_partnerships:
        q |= Q(pk__in=g.read_partnerships)
    if g.read_regions:
        q |= Q(developed_side_id__in=g.read_regions) | Q(partner_side_id__in=g.read_regions)
    return q


def partnerships(user: User) -> QuerySet[Partnership]:
    qs = Partnership.objects.select_related("programme", "developed_side", "partner_side")
    q = _partnership_q(grants(user))
    return _ordered(qs if q is None else qs.filter(q))


def _ordered(qs: QuerySet) -> QuerySet:
    """Spell out the model's ordering: Django drops ``Meta.ordering`` once a list annotates
    counts (GROUP BY), and pages of an unordered list may repeat or skip rows."""
    return qs.order_by(*qs.model._meta.ordering)


def _side_ids(pairs: QuerySet[Partnership]) -> Q:
    """Regions that are a side of one of ``pairs``."""
    return Q(pk__in=pairs.values("developed_side")) | Q(pk__in=pairs.values("partner_side"))


def regions(user: User) -> QuerySet[Region]:
    g = grants(user)
    if g.admin:
        return _ordered(Region.objects.all())
    q = _side_ids(partnerships(user).order_by())
    if g.manage_programmes:
        q |= ~_side_ids(Partnership.objects.order_by())
    return _ordered(Region.objects.filter(q))


def programmes(user: User) -> QuerySet[Programme]:
    g = grants(user)
    if g.admin:
        return _ordered(Programme.objects.all())
    return _ordered(
        Programme.objects.filter(
            Q(pk__in=g.read_programmes)
            | Q(pk__in=partnerships(user).order_by().values("programme"))
        )
    )


def org_units(user: User) -> QuerySet[OrgUnit]:
    g = grants(user)
    qs = OrgUnit.objects.select_related("region", "parent")
    if g.admin:
        return _ordered(qs)
    if not g.internal:
        return qs.none()
    sides = Region.objects.filter(_side_ids(partnerships(user).order_by())).values("pk")
    return _ordered(qs.filter(region__in=sides))


def users(user: User) -> QuerySet[User]:
    """People: everyone for the administrator, the members of visible pairs for staff."""
    g = grants(user)
    if g.admin:
        return _ordered(User.objects.all())
    if not g.internal:
        return User.objects.none()
    member_ids = memberships(user).order_by().values("user_id")
    return _ordered(User.objects.filter(Q(pk__in=member_ids) | Q(pk=user.pk)))


def memberships(user: User) -> QuerySet[Membership]:
    """Roles whose scope the user sees (a person's roles elsewhere stay hidden)."""
    g = grants(user)
    related = (
        "user",
        "programme",
        "partnership__developed_side",
        "partnership__partner_side",
        "region",
        "org_unit__region",
    )
    qs = Membership.objects.select_related(*related)
    if g.admin:
        return _ordered(qs)
    if not g.internal:
        return qs.none()
    pairs = partnerships(user).order_by()
    sides = Region.objects.filter(_side_ids(pairs)).values("pk")
    in_scope = (
        Q(partnership__in=pairs.values("pk"))
        | Q(org_unit__region__in=sides)
        | Q(partnership__isnull=True, programme__in=pairs.values("programme"))
        | Q(partnership__isnull=True, org_unit__isnull=True, region__in=sides)
    )
    return _ordered(qs.filter(in_scope | Q(user=user)))


_QUERYSETS = {
    Programme: programmes,
    Region: regions,
    Partnership: partnerships,
    OrgUnit: org_units,
    User: users,
    Membership: memberships,
}


_PERMISSIONS: dict = {}


def register(model: type[Model], function, permission=None) -> None:
    """Let another app declare how its model is scoped (called from its AppConfig.ready).

    ``permission(user, action, obj, **ctx) -> bool`` answers ``can`` for writes on it.
    """
    _QUERYSETS[model] = function
    if permission is not None:
        _PERMISSIONS[model] = permission


def is_scoped(model: type[Model]) -> bool:
    """Does ``core.scope`` know who may see rows of ``model``?"""
    return model in _QUERYSETS


def queryset(user: User, model: type[Model]) -> QuerySet:
    return _QUERYSETS[model](user)


def get_or_404(user: User, model: type[Model], **lookup) -> Model:
    """The object if the user may see it; otherwise 404, whether it exists or not."""
    try:
        return queryset(user, model).get(**lookup)
    except model.DoesNotExist as exc:
        raise Http404 from exc


def can_read_audit(user: User) -> bool:
    """Separation of duties: an administrator never reads the audit log, auditor or not."""
    g = grants(user)
    return g.auditor and not g.admin


def can(user: User, action: Action, model: type[Model], obj: Model | None = None, **ctx) -> bool:
    """May ``user`` do ``action`` on ``obj`` (or create a ``model`` with context ``ctx``)?

    For "view", "change" and "delete" the caller must already hold a visible object; this
    function answers only whether the role allows the action.
    """
    g = grants(user)
    if action in ("list", "view"):
        return model in _QUERYSETS and (
            obj is None or queryset(user, model).filter(pk=obj.pk).exists()
        )
    if model in _PERMISSIONS:
        return _PERMISSIONS[model](user, action, obj, **ctx)
    if model in (User, Membership, Programme):
        return g.admin
    if model is Region:
        return g.admin or (bool(g.manage_programmes) and action != "delete")
    if model is Partnership:
        if g.admin:
            return True
        if action == "delete":
            return False
        programme_id = obj.programme_id if obj else _id(ctx.get("programme"))
        if programme_id is None:
            return bool(g.manage_programmes)
        return programme_id in g.manage_programmes
    if model is OrgUnit:
        if g.admin:
            return True
        region_id = obj.region_id if obj else _id(ctx.get("region"))
        managed = set(g.manage_unit_regions)
        if action != "delete":
            managed |= _programme_region_ids(g)
        return bool(managed) if region_id is None else region_id in managed
    return False


def manageable_regions(user: User) -> QuerySet[Region]:
    """Regions in which the user may create org units (for form choices)."""
    g = grants(user)
    if g.admin:
        return Region.objects.all()
    return Region.objects.filter(pk__in=set(g.manage_unit_regions) | _programme_region_ids(g))


def manageable_programmes(user: User) -> QuerySet[Programme]:
    g = grants(user)
    if g.admin:
        return Programme.objects.all()
    return Programme.objects.filter(pk__in=g.manage_programmes)


def _programme_region_ids(g: Grants) -> set[int]:
    if not g.manage_programmes:
        return set()
    pairs = Partnership.objects.filter(programme_id__in=g.manage_programmes)
    return {r for pair in pairs.values_list("developed_side", "partner_side") for r in pair}


def _id(value) -> int | None:
    if value is None or value == "":
        return None
    return getattr(value, "pk", value)


def internal_partnerships(user: User) -> QuerySet[Partnership]:
    """Partnerships whose internal work (conference, tasks, pairing) the user sees."""
    g = grants(user)
    if not (g.admin or g.internal):
        return Partnership.objects.none()
    return partnerships(user)
