"""Times shown with their zone, and .ics files. Nothing here names a drug, a diagnosis or a
treatment: calendars and mail previews are seen by other people and other apps."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

# Times with their zone are formatted by clinic.formatting (cheap, shared with the pages).
from clinic.formatting import clock, when, when_both  # noqa: F401

from .models import InfusionSession


def patient_zone(user) -> ZoneInfo | None:
    profile = getattr(user, "patient_profile", None)
    return profile.time_zone if profile is not None else None


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
