from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def usd(value) -> str:
    """$1,234.50, or −$300.00 for a discount."""
    if value in (None, ""):
        return ""
    amount = Decimal(value)
    sign = "−" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"
