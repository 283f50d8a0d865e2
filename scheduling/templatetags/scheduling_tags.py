from django import template

from ..calendar import when_both

register = template.Library()


@register.simple_tag
def when(instant, location_tz, own_tz=None):
    """A time in the location's zone, and in the patient's own when different."""
    return when_both(instant, location_tz, own_tz)
