"""Who sees which records of the five databases; every read starts here (via core.scope).

A record belongs to one side of one partnership. By role:

- administrator: every record.
- programme coordinator, or a leader of a programme or of a whole pair: every record of
  the pairs they read (city level; personal data stays masked).
- partnership coordinator, sector group member, a leader of one side: the records of
  their side of their pair, and the other side's records marked shared.
- department staff: the same, for every pair their unit's region is a side of.
- enterprise user: its own enterprise (and its products, projects, technologies), and the
  records of the other side of its region's pairs marked shared — not its own side's
  other enterprises.
- anyone else (auditor, people of other pairs): nothing, so such a URL is a 404.

Writes (``services.permission``): partnership coordinators and department staff of the
record's side create and change; coordinators delete (the administrator reads, writes none). An
enterprise user changes its own profile only through a change request that department
staff of its side review.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from xietong.core import scope
from xietong.core.models import Membership, Partnership, Role, User

from . import services
from .models import (
    ChangeRequest,
    Enterprise,
    IndustryCode,
    Label,
    Product,
    Project,
    Talent,
    Technology,
)

Side = tuple[int, int]  # (partnership id, region id)


@dataclass
class Reach:
    admin: bool = False
    whole_pairs: set[int] = field(default_factory=set)
    sides: set[Side] = field(default_factory=set)  # sees own records + partner's shared
    staff_sides: set[Side] = field(default_factory=set)  # creates, changes, reviews, unmasks
    coordinator_sides: set[Side] = field(default_factory=set)  # also deletes
    enterprise_sides: set[Side] = field(default_factory=set)  # partner's shared only
    enterprises: set[int] = field(default_factory=set)  # an enterprise user's own

    @property
    def anything(self) -> bool:
        return bool(
            self.admin
            or self.whole_pairs
            or self.sides
            or self.enterprise_sides
            or self.enterprises
        )


def reach(user: User) -> Reach:
    """What the user's memberships add up to here, computed once per request."""
    if not user or not user.is_authenticated or not user.is_active:
        return Reach()
    cached = getattr(user, "_xietong_enterprise_reach", None)
    if cached is not None:
        return cached
    r = Reach(admin=scope.grants(user).admin)
    pairs_of_region: dict[int, list[int]] = {}

    def pairs_of(region_id: int) -> list[int]:
        if region_id not in pairs_of_region:
            pairs_of_region[region_id] = list(
                Partnership.objects.filter(
                    Q(developed_side_id=region_id) | Q(partner_side_id=region_id)
                ).values_list("pk", flat=True)
            )
        return pairs_of_region[region_id]

    for m in Membership.objects.filter(user=user).select_related("org_unit"):
        if m.role in (Role.PROGRAMME_COORDINATOR, Role.LEADER) and m.programme_id:
            r.whole_pairs |= set(
                Partnership.objects.filter(programme_id=m.programme_id).values_list("pk", flat=True)
            )
        if m.role == Role.LEADER and m.partnership_id:
            if m.region_id:
                r.sides.add((m.partnership_id, m.region_id))
            else:
                r.whole_pairs.add(m.partnership_id)
        elif m.role == Role.PARTNERSHIP_COORDINATOR and m.partnership_id and m.region_id:
            side = (m.partnership_id, m.region_id)
            r.sides.add(side)
            r.staff_sides.add(side)
            r.coordinator_sides.add(side)
        elif m.role == Role.SECTOR_GROUP_MEMBER and m.partnership_id and m.region_id:
            r.sides.add((m.partnership_id, m.region_id))
        elif m.role == Role.DEPARTMENT_STAFF and m.org_unit_id:
            region_id = m.org_unit.region_id
            for pair_id in pairs_of(region_id):
                r.sides.add((pair_id, region_id))
                r.staff_sides.add((pair_id, region_id))
        elif m.role == Role.ENTERPRISE_USER and m.region_id:
            for pair_id in pairs_of(m.region_id):
                r.enterprise_sides.add((pair_id, m.region_id))
            if m.enterprise_id:
                r.enterprises.add(m.enterprise_id)
    user._xietong_enterprise_reach = r
    return r


def _partner_shared(side: Side) -> Q:
    pair_id, region_id = side
    return Q(partnership_id=pair_id, shared=True) & ~Q(side_id=region_id)


def visible_q(user: User, own_enterprise: str | None) -> Q | None:
    """The filter for the side records a user sees; None means all.

    ``own_enterprise`` names the lookup that ties a record to an enterprise user's own
    enterprise ("pk" for enterprises, "enterprise" for their products), or None.
    """
    r = reach(user)
    if r.admin:
        return None
    q = Q(pk__in=[])
    if r.whole_pairs:
        q |= Q(partnership_id__in=r.whole_pairs)
    for side in r.sides:
        q |= Q(partnership_id=side[0], side_id=side[1]) | _partner_shared(side)
    for side in r.enterprise_sides:
        q |= _partner_shared(side)
    if r.enterprises and own_enterprise:
        q |= Q(**{f"{own_enterprise}__in": r.enterprises})
    return q


def _scoped(user: User, qs: QuerySet, own_enterprise: str | None) -> QuerySet:
    q = visible_q(user, own_enterprise)
    return qs if q is None else qs.filter(q)


def enterprises(user: User) -> QuerySet[Enterprise]:
    qs = Enterprise.objects.select_related("partnership", "side")
    return _scoped(user, qs, "pk")


def products(user: User) -> QuerySet[Product]:
    qs = Product.objects.select_related("enterprise", "side", "industry")
    return _scoped(user, qs, "enterprise")


def projects(user: User) -> QuerySet[Project]:
    return _scoped(user, Project.objects.select_related("side", "enterprise"), "enterprise")


def technologies(user: User) -> QuerySet[Technology]:
    return _scoped(user, Technology.objects.select_related("side", "enterprise"), "enterprise")


def talent(user: User) -> QuerySet[Talent]:
    return _scoped(user, Talent.objects.select_related("side"), None)


def change_requests(user: User) -> QuerySet[ChangeRequest]:
    """Requests of visible enterprises, for their reviewers and for the enterprise itself."""
    r = reach(user)
    qs = ChangeRequest.objects.select_related("enterprise__side", "submitted_by", "reviewed_by")
    if r.admin:
        return qs
    q = Q(enterprise__in=r.enterprises)
    for pair_id, region_id in r.staff_sides:
        q |= Q(enterprise__partnership_id=pair_id, enterprise__side_id=region_id)
    return qs.filter(q)


def reference(model):
    """Industry codes and labels are public reference data for everyone signed in."""

    def _all(user: User) -> QuerySet:
        if not user or not user.is_authenticated:
            return model.objects.none()
        return model.objects.all()

    return _all


def search_industries(term: str, limit: int = 20) -> QuerySet[IndustryCode]:
    """Industry codes whose code starts with ``term`` or whose name contains it."""
    term = term.strip()
    if not term:
        return IndustryCode.objects.none()
    if term.isascii() and term.replace(" ", "").isalnum():
        qs = IndustryCode.objects.filter(code__istartswith=term.upper())
    else:
        qs = IndustryCode.objects.filter(name__icontains=term)
    return qs.order_by("code")[:limit]


def industry_filter(term: str) -> Q:
    """Records whose industries include ``term`` (a code, or its descendants, or a name)."""
    term = term.strip()
    if term.isascii() and term.isalnum():
        code = term.upper()
        return (
            Q(industries__code__startswith=code)
            if code[0].isdigit()
            else Q(industries__section=code)
        )
    return Q(industries__name__icontains=term)


for _model, _function in [
    (Enterprise, enterprises),
    (Product, products),
    (Project, projects),
    (Technology, technologies),
    (Talent, talent),
    (ChangeRequest, change_requests),
]:
    scope.register(_model, _function, services.permission)
scope.register(IndustryCode, reference(IndustryCode), lambda *a, **k: False)
scope.register(Label, reference(Label), lambda *a, **k: False)


def _register_postings() -> None:
    from . import matches, postings
    from .models import Match, Posting

    scope.register(Posting, postings.visible, postings.permission)
    scope.register(Match, matches.visible, matches.permission)


_register_postings()
