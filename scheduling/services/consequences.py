"""What a booking, move or cancellation does besides the sessions themselves."""

from __future__ import annotations

from django.utils import timezone

from clinic.events import publish
from clinic.messaging.services import message_schedule, messages_cancel, reminders_plan_many

from ..events import (
    BookingChange,
    SessionBooked,
    SessionCancelled,
    SessionMoved,
)
from ..models import (
    Course,
    InfusionSession,
)
from ..notifications import booking_email_queue


def _after_booking_changed(
    *,
    course: Course,
    booked: list[int],
    cancelled: list[int],
    change: BookingChange,
    event: SessionBooked | SessionMoved | SessionCancelled | None = None,
    sessions: list[InfusionSession] = (),
) -> None:
    """Scheduling's own consequences of booking, moving and cancelling (reminders, the
    cancellation notice, the booking e-mail), then the event for the layers above. Called
    inside the booking transaction, so all of it happens with the booking or not at all.
    `course` is the locked course the sessions belong to (its patient loaded); `sessions`, the
    rows the caller already holds (just placed), are not read again."""
    patient = course.patient
    held = {s.pk: s for s in sessions}
    missing = [pk for pk in (*booked, *cancelled) if pk not in held]
    if missing:
        for session in InfusionSession.objects.filter(pk__in=missing):
            if session.patient_id == patient.pk:
                session.patient = patient  # the course's, already loaded (with its profile)
            held[session.pk] = session
    sessions = held
    now = timezone.now()
    for pk in cancelled:
        session = sessions[pk]
        messages_cancel(topic=f"session:{pk}", reason=change)
        if change in (BookingChange.CANCELLED, BookingChange.COURSE_CANCELLED) and (
            session.starts_at > now
        ):
            message_schedule(
                recipient=patient,
                kind="appointment_cancelled",
                send_after=now,
                context={"event_start": session.starts_at},
                topic=f"session:{pk}",
                dedupe_key=f"session:{pk}:cancelled",
                not_after=session.starts_at,
            )
    # Every booked session's reminders in one INSERT (a course planned in one step books three).
    reminders_plan_many(
        recipient=patient,
        events=[(sessions[pk].starts_at, f"session:{pk}") for pk in booked],
        rescheduled=change == BookingChange.RESCHEDULED,
    )
    if not (booked or cancelled):
        return
    if event is not None:
        publish(event)
    booking_email_queue(
        booked_ids=booked, cancelled_ids=cancelled, change=change, sessions=list(held.values())
    )
