"""Times shown with their zone, and .ics files. Nothing here names a drug, a diagnosis or a
treatment: calendars and mail previews are seen by other people and other apps."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import InfusionSession


def when(instant: dt.datetime, tz: ZoneInfo) -> str:
    """'Tue 3 Mar 2026, 9:00 AM EST' ('mar 3 Mar 2026, 09:00 EST' in Spanish): the wall clock in
    a zone, in the active language, with the zone's abbreviation."""
    local = instant.astimezone(tz)
    # Translators: a date format (Django's date filter letters): weekday, day, month, year.
    day = formats.date_format(local, pgettext("date format", "D j M Y"))
    return f"{day}, {clock(instant, tz)}"


def clock(instant: dt.datetime, tz: ZoneInfo) -> str:
    """'9:00 AM EST' ('09:00 EST' in Spanish)."""
    local = instant.astimezone(tz)
    # Translators: a time format (Django's date filter letters): 'g:i A' is 9:00 AM, 'H:i' 09:00.
    time_format = pgettext("time format", "g:i A")
    return f"{formats.date_format(local, time_format)} {local.tzname()}"


def patient_zone(user) -> ZoneInfo | None:
    profile = getattr(user, "patient_profile", None)
    return profile.time_zone if profile is not None else None


def when_both(instant: dt.datetime, location_tz: ZoneInfo, own_tz: ZoneInfo | None) -> str:
    """The location's time, and the patient's own when their zone differs."""
    text = when(instant, location_tz)
    if own_tz is not None and str(own_tz) != str(location_tz):
        mine = instant.astimezone(own_tz)
        if mine.utcoffset() != instant.astimezone(location_tz).utcoffset():
            text += " " + _("(%(time)s your time)") % {"time": clock(instant, own_tz)}
    return text


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_time(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def session_ics(session: InfusionSession, *, cancelled: bool = False) -> str:
    """One VEVENT, in UTC (every calendar converts it to its own zone). Stable UID per course
    place, so a moved session replaces its old entry."""
    location = session.location
    uid = f"course-{session.course_id}-{session.slot}@{settings.SCHEDULING_ICS_DOMAIN}"
    address = f"{location.address_line}, {location.city}, {location.state} {location.zip_code}"
    description = _("Please arrive 15 minutes early. Questions? Call %(phone)s.") % {
        "phone": settings.CLINIC_PHONE
    }
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Clinic portal//Scheduling//EN",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if cancelled else 'PUBLISH'}",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{int(session.updated_at.timestamp())}",
        f"DTSTAMP:{_ics_time(session.updated_at)}",
        f"DTSTART:{_ics_time(session.starts_at)}",
        f"DTEND:{_ics_time(session.ends_at)}",
        # Neutral on purpose: the clinic's own name can hint at a diagnosis.
        f"SUMMARY:{_ics_escape(_('Clinic appointment'))}",
        f"LOCATION:{_ics_escape(address)}",
        f"DESCRIPTION:{_ics_escape(description)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"
