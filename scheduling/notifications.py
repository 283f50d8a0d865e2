"""The booking e-mail. Mail leaves the machine through Django's e-mail back-end."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .calendar import patient_zone, session_ics, when_both
from .models import InfusionSession
from .services import session_action_url


def booking_email_send(*, booked_ids: list[int], cancelled_ids: list[int], change: str) -> int:
    """Send one e-mail to the patient listing booked and cancelled sessions. Returns the number
    of e-mails sent (0 when the patient has no e-mail address: texts are another feature)."""
    rows = InfusionSession.objects.select_related(
        "location", "patient__patient_profile", "course"
    ).filter(pk__in=[*booked_ids, *cancelled_ids])
    by_id = {s.pk: s for s in rows}
    booked = [by_id[i] for i in booked_ids if i in by_id and by_id[i].is_active]
    cancelled = [by_id[i] for i in cancelled_ids if i in by_id]
    sessions = booked or cancelled
    if not sessions:
        return 0
    patient = sessions[0].patient
    if not patient.email:
        return 0
    # The task runs outside any request: speak the patient's language, not the worker's.
    with translation.override(patient.preferred_language or "en"):
        return _send(patient, booked, cancelled, change)


def _send(patient, booked, cancelled, change) -> int:
    own_tz = patient_zone(patient)
    site = settings.SCHEDULING_SITE_URL.rstrip("/")
    context = {
        "patient": patient,
        "change": change,
        "booked": [
            {
                "when": when_both(s.starts_at, s.location.time_zone, own_tz),
                "location": s.location,
                "cancel_url": site + session_action_url(session=s, kind="cancel"),
                "reschedule_url": site + session_action_url(session=s, kind="reschedule"),
            }
            for s in booked
        ],
        "cancelled": [
            {"when": when_both(s.starts_at, s.location.time_zone, own_tz), "late": s.late_change}
            for s in cancelled
            if change != "rescheduled"
        ],
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
    }
    subject = {
        "booked": _("Your appointment is booked"),
        "rescheduled": _("Your appointment has moved"),
    }.get(change, _("Your appointment is cancelled"))
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("scheduling/email/booking.txt", context),
        to=[patient.email],
    )
    for n, session in enumerate(booked, start=1):
        message.attach(f"appointment-{n}.ics", session_ics(session), "text/calendar")
    for n, session in enumerate(cancelled, start=1):
        message.attach(f"cancelled-{n}.ics", session_ics(session, cancelled=True), "text/calendar")
    message.send()
    return 1
