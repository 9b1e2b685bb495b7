"""Template filters for the conference pages' numbers."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def plain_number(value) -> str:
    """A decimal as people write it: 3, 4400, 12.5 — not 3.00, 4400.00 or 4.4E+3
    (``Decimal.normalize`` alone gives the exponent form)."""
    if value is None or value == "":
        return ""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    return f"{number.normalize():f}"
