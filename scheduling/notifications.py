"""The booking e-mail. It is rendered here, in the patient's language, and stored in the messaging
outbox inside the booking transaction; the dispatcher sends it (clinic.messaging)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from clinic.messaging.models import Message
from clinic.messaging.services import email_queue

from .calendar import patient_zone, session_ics, when_both
from .links import session_action_url
from .models import InfusionSession


def booking_email_queue(
    *, booked_ids: list[int], cancelled_ids: list[int], change: str
) -> Message | None:
    """Queue one e-mail to the patient listing booked and cancelled sessions, with an .ics per
    session. Call it inside the booking transaction. Returns the message, or None when there is
    no session to tell about."""
    rows = InfusionSession.objects.select_related(
        "location", "patient__patient_profile", "course"
    ).filter(pk__in=[*booked_ids, *cancelled_ids])
    by_id = {s.pk: s for s in rows}
    booked = [by_id[i] for i in booked_ids if i in by_id and by_id[i].is_active]
    cancelled = [by_id[i] for i in cancelled_ids if i in by_id]
    sessions = booked or cancelled
    if not sessions:
        return None
    patient = sessions[0].patient
    # Speak the patient's language, not the one of whoever booked for them.
    with translation.override(patient.preferred_language or "en"):
        return _queue(patient, booked, cancelled, change)


def _dedupe_key(booked, cancelled, change) -> str:
    # A session is booked once and cancelled once, so these ids name one booking change.
    ids = ",".join(str(s.pk) for s in booked) + "/" + ",".join(str(s.pk) for s in cancelled)
    if len(ids) > 150:
        ids = hashlib.sha256(ids.encode()).hexdigest()
    return f"booking-email:{change}:{ids}"


def _queue(patient, booked, cancelled, change) -> Message:
    own_tz = patient_zone(patient)
    site = settings.SITE_URL.rstrip("/")
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
        # Minimum necessary: the neutral sender name, never the clinic's full name.
        "sender_name": settings.MESSAGING_SENDER_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
    }
    subject = {
        "booked": _("Your appointment is booked"),
        "rescheduled": _("Your appointment has moved"),
    }.get(change, _("Your appointment is cancelled"))
    attachments = [
        {
            "filename": f"appointment-{n}.ics",
            "content": session_ics(session),
            "mimetype": "text/calendar",
        }
        for n, session in enumerate(booked, start=1)
    ] + [
        {
            "filename": f"cancelled-{n}.ics",
            "content": session_ics(session, cancelled=True),
            "mimetype": "text/calendar",
        }
        for n, session in enumerate(cancelled, start=1)
    ]
    return email_queue(
        recipient=patient,
        kind=f"booking_{change}",
        subject=str(subject),
        body=render_to_string("scheduling/email/booking.txt", context),
        dedupe_key=_dedupe_key(booked, cancelled, change),
        topic=f"course:{(booked or cancelled)[0].course_id}",
        attachments=attachments,
    )
