"""Reads of the core that are more than one filter; each starts from core.scope."""

from __future__ import annotations

from collections.abc import Iterable

from . import scope
from .models import Membership, Partnership, Role, User

# Enterprise users belong to their enterprise, not to a pair's working structure.
WORKING_ROLES = [r for r in Role.values if r != Role.ENTERPRISE_USER]


def members_by_partnership(user: User, pairs: Iterable[Partnership]) -> dict[int, list[Membership]]:
    """The people working on each pair, as the user may see them: coordinators of the pair
    or its programme, sector groups, leaders, and staff of the departments of both sides."""
    pairs = list(pairs)
    found: dict[int, list[Membership]] = {pair.pk: [] for pair in pairs}
    if not pairs:
        return found
    visible = (
        scope.memberships(user)
        .filter(user__is_active=True, role__in=WORKING_ROLES)
        .order_by("role", "user__username")
    )
    for m in visible:
        for pair in pairs:
            if (
                m.partnership_id == pair.pk
                or (m.programme_id and m.programme_id == pair.programme_id)
                or (m.org_unit_id and m.org_unit.region_id in pair.region_ids)
            ):
                found[pair.pk].append(m)
    return found
