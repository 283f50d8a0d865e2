"""Who a message goes to, by which channel and address, and when a text or call may go
(calling hours)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from clinic.calling_hours import calling_hours
from clinic.models import PatientProfile, User

from ..models import (
    Channel,
)

CALLED_CHANNELS = frozenset({Channel.SMS, Channel.VOICE})


# --- who, where, when ---------------------------------------------------------------------


def recipient_zone(user: User | None) -> ZoneInfo:
    if user is None:
        return ZoneInfo(settings.TIME_ZONE)
    try:
        return ZoneInfo(str(user.patient_profile.time_zone))
    except PatientProfile.DoesNotExist:
        return ZoneInfo(settings.TIME_ZONE)


def recipient_channel(user: User) -> str:
    try:
        return user.patient_profile.preferred_channel
    except PatientProfile.DoesNotExist:
        return Channel.SMS if user.phone else Channel.EMAIL


def address_for(user: User, channel: str) -> str:
    if channel == Channel.EMAIL:
        return user.email or ""
    return user.phone.as_e164 if user.phone else ""


def calling_time(*, when: datetime, zone: ZoneInfo, before: datetime | None) -> datetime | None:
    """When a text or call due at `when` may go: `when` itself inside calling hours; else the next
    opening if that is still before `before` (the event); else the last minute of the previous
    evening if that has not passed yet; else None (no allowed time is left)."""
    start_hour, end_hour = calling_hours()
    local = when.astimezone(zone)
    if start_hour <= local.hour < end_hour:
        return when
    day = local.date() if local.hour < start_hour else local.date() + timedelta(days=1)
    next_open = datetime.combine(day, time(start_hour), tzinfo=zone)
    if before is None or next_open < before:
        return next_open
    last_close = datetime.combine(day - timedelta(days=1), time(0), tzinfo=zone) + timedelta(
        hours=end_hour
    )
    last_minute = last_close - timedelta(minutes=1)
    if last_minute >= timezone.now():
        return last_minute
    return None
