"""The booking e-mail. It is stored in the messaging outbox inside the booking transaction, with its
subject and single-use links; its body and calendar files are written here, in the patient's
language, when the dispatcher sends it (clinic.messaging; the renderer is registered in
wiring/subscribers.py)."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from clinic.errors import ApplicationError
from clinic.messaging.models import Message
from clinic.messaging.services import email_queue

from .calendar import patient_zone, session_ics, when_both
from .links import action_link_path, session_action_links_create
from .models import InfusionSession

# The name the booking e-mail's renderer is registered under (wiring/subscribers.py).
BOOKING_EMAIL = "scheduling.booking_email"


def booking_email_queue(
    *,
    booked_ids: list[int],
    cancelled_ids: list[int],
    change: str,
    sessions: list[InfusionSession] = (),
) -> Message | None:
    """Queue one e-mail to the patient listing booked and cancelled sessions, with an .ics per
    session. Call it inside the booking transaction: it stores the message with its subject and
    the booked sessions' single-use links (one INSERT); the dispatcher writes the body and the
    calendar files when it sends it (booking_email_render). Returns the message, or None when
    there is no session to tell about. `sessions`, rows the caller holds already (with their
    patient), are not read again."""
    by_id = {s.pk: s for s in sessions}
    missing = [pk for pk in (*booked_ids, *cancelled_ids) if pk not in by_id]
    if missing:
        rows = InfusionSession.objects.select_related("patient__patient_profile").filter(
            pk__in=missing
        )
        by_id.update({s.pk: s for s in rows})
    booked = [by_id[i] for i in booked_ids if i in by_id and by_id[i].is_active]
    cancelled = [by_id[i] for i in cancelled_ids if i in by_id]
    sessions = booked or cancelled
    if not sessions:
        return None
    patient = sessions[0].patient
    # Speak the patient's language, not the one of whoever booked for them.
    with translation.override(patient.preferred_language or "en"):
        subject = {
            "booked": _("Your appointment is booked"),
            "rescheduled": _("Your appointment has moved"),
        }.get(change, _("Your appointment is cancelled"))
    return email_queue(
        recipient=patient,
        kind=f"booking_{change}",
        subject=str(subject),
        body="",
        dedupe_key=_dedupe_key(booked, cancelled, change),
        topic=f"course:{sessions[0].course_id}",
        render_context={
            "renderer": BOOKING_EMAIL,
            "change": change,
            "booked": [s.pk for s in booked],
            "cancelled": [s.pk for s in cancelled],
            "links": session_action_links_create(sessions=booked),
        },
    )


def _dedupe_key(booked, cancelled, change) -> str:
    # A session is booked once and cancelled once, so these ids name one booking change.
    ids = ",".join(str(s.pk) for s in booked) + "/" + ",".join(str(s.pk) for s in cancelled)
    if len(ids) > 150:
        ids = hashlib.sha256(ids.encode()).hexdigest()
    return f"booking-email:{change}:{ids}"


def booking_email_render(
    *, message: Message, context: dict, sent_at: dt.datetime
) -> tuple[str, str, list[dict]]:
    """The body and .ics files of a booking e-mail queued by booking_email_queue, as the
    sessions were booked (a session cancelled since is still listed: its links no longer work,
    and the cancellation sends its own notice)."""
    ids = [*context["booked"], *context["cancelled"]]
    by_id = {
        s.pk: s
        for s in InfusionSession.objects.select_related(
            "location", "patient__patient_profile", "course"
        ).filter(pk__in=ids)
    }
    booked = [by_id[i] for i in context["booked"] if i in by_id]
    cancelled = [by_id[i] for i in context["cancelled"] if i in by_id]
    if not (booked or cancelled):
        raise ApplicationError("The sessions of this booking e-mail no longer exist.")
    patient = (booked or cancelled)[0].patient
    with translation.override(message.language or "en"):
        body = _body(patient, booked, cancelled, context["change"], context.get("links", {}))
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
    return message.subject, body, attachments


def _body(patient, booked, cancelled, change, links) -> str:
    own_tz = patient_zone(patient)
    site = settings.SITE_URL.rstrip("/")

    def url(session, kind):
        return site + action_link_path(links[str(session.pk)][kind])

    context = {
        "patient": patient,
        "change": change,
        "booked": [
            {
                "when": when_both(s.starts_at, s.location.time_zone, own_tz),
                "location": s.location,
                "cancel_url": url(s, "cancel"),
                "reschedule_url": url(s, "reschedule"),
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
    return render_to_string("scheduling/email/booking.txt", context)
