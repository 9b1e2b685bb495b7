"""``{% enterprise_nav as en %}``: which entries of the 企业协同 menu the user gets."""

from django import template

from xietong.enterprise import queries

register = template.Library()


@register.simple_tag(takes_context=True)
def enterprise_nav(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    r = queries.reach(user) if user is not None else queries.Reach()
    return {
        "any": r.anything,
        "own": bool(r.enterprises),
        "staff": bool(r.admin or r.staff_sides),
    }
