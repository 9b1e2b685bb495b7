"""``{% pairing_nav as pn %}``: which entries of the 部门结对 menu the user gets.

Internal roles of a partnership see the whole menu; an enterprise user sees only the
inspection visits (the list shows those its own enterprise took part in).
"""

from django import template

from xietong.core import scope
from xietong.core.models import Membership, Role

register = template.Library()


@register.simple_tag(takes_context=True)
def pairing_nav(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"any": False, "internal": False, "visits": False}
    internal = scope.internal_partnerships(user).exists()
    visits = internal or Membership.objects.filter(user=user, role=Role.ENTERPRISE_USER).exists()
    return {"any": internal or visits, "internal": internal, "visits": visits}
