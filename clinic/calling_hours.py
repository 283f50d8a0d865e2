"""Calling hours: when the clinic may call or text a patient, in the patient's own time zone. One
rule for the intake queue (which cases may be called now) and for messaging (when a reminder text
or call may go out), set by CALLING_HOURS_START and CALLING_HOURS_END."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings


def calling_hours() -> tuple[int, int]:
    """(first hour, first hour outside): (8, 21) allows 8:00 to 20:59 local time."""
    return settings.CALLING_HOURS_START, settings.CALLING_HOURS_END


def within_calling_hours(moment: dt.datetime, zone: ZoneInfo) -> bool:
    start, end = calling_hours()
    return start <= moment.astimezone(zone).hour < end
