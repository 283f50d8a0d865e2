"""A booked session's life: cancelled, moved, checked in, no-show, completed; the signed links
that cancel or move one; a patient's confirmation."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import ApplicationError
from clinic.events import publish
from clinic.models import User

from ..events import (
    BookingChange,
    CourseCompleted,
    SessionCancelled,
    SessionCheckedIn,
    SessionCompleted,
    SessionMoved,
    SessionNoShow,
)
from ..links import action_link_resolve
from ..models import (
    CourseStatus,
    InfusionSession,
    SessionStatus,
)
from .booking import _place
from .consequences import _after_booking_changed
from .locks import _lock_location_days, _lock_session, _span
from .statuses import _course_set_status, _session_set_status, is_late_change


@transaction.atomic
def session_cancel(
    *, session: InfusionSession, by: User | None, now: dt.datetime | None = None, reason: str = ""
) -> InfusionSession:
    """Cancel a booked session. With less notice than the location's rules ask, the session is
    marked late_change (a late cancellation, for billing). Its reminders stop, the patient is
    told, and SessionCancelled is published (the GFE must match the new schedule). The reason,
    when staff give one, is kept in the session's history."""
    now = now or timezone.now()
    session, course = _lock_session(session)
    if session.status != SessionStatus.BOOKED:
        raise ApplicationError(_("Only a booked session can be cancelled."), code="session_state")
    session.late_change = is_late_change(session, now)
    _session_set_status(session, SessionStatus.CANCELLED, by, reason)
    _after_booking_changed(
        course=course,
        booked=[],
        cancelled=[session.pk],
        change=BookingChange.CANCELLED,
        event=SessionCancelled(course=course, session_id=session.pk, by=by),
    )
    return session


@transaction.atomic
def session_reschedule(
    *,
    session: InfusionSession,
    new_starts_at: dt.datetime,
    by: User | None,
    now: dt.datetime | None = None,
) -> InfusionSession:
    """Move a booked session: the old row becomes 'moved' (late_change when inside the notice
    period) and a new session takes its place in the course. Links for the old one stop
    working; reminders are retimed and SessionMoved is published (the GFE must match).
    Raises SlotTaken or ApplicationError and changes nothing then."""
    now = now or timezone.now()
    session, course = _lock_session(session)
    if session.status != SessionStatus.BOOKED:
        raise ApplicationError(_("Only a booked session can be moved."), code="session_state")
    location = session.location
    _lock_location_days(location, [session.starts_at, *_span(course, new_starts_at)])
    session.late_change = is_late_change(session, now)
    _session_set_status(session, SessionStatus.RESCHEDULED, by)
    new = _place(
        course=course,
        location=location,
        starts_at=new_starts_at,
        by=by,
        now=now,
        slot=session.slot,
        rescheduled_from=session,
        free_holds=True,
    )
    _after_booking_changed(
        course=course,
        booked=[new.pk],
        cancelled=[session.pk],
        change=BookingChange.RESCHEDULED,
        event=SessionMoved(course=course, from_session_id=session.pk, to_session_id=new.pk, by=by),
    )
    return new


@transaction.atomic
def session_check_in(*, session: InfusionSession, by: User) -> InfusionSession:
    """A clinician records that the patient has arrived. Publishes SessionCheckedIn (the
    referral shows 'in treatment')."""
    session, course = _lock_session(session)
    _session_set_status(session, SessionStatus.CHECKED_IN, by)
    publish(SessionCheckedIn(course=course, session_id=session.pk, by=by))
    return session


@transaction.atomic
def session_mark_no_show(
    *, session: InfusionSession, by: User, reason: str = ""
) -> InfusionSession:
    """A clinician records that the patient did not come (why, in the history); the course's
    place is freed and SessionNoShow is published (the policy's fee). A mistake can be corrected
    the same day (session_correct_no_show)."""
    session, course = _lock_session(session)
    _session_set_status(session, SessionStatus.NO_SHOW, by, reason)
    publish(SessionNoShow(course=course, session_id=session.pk, by=by))
    return session


@transaction.atomic
def session_correct_no_show(
    *, session: InfusionSession, by: User, reason: str, now: dt.datetime | None = None
) -> InfusionSession:
    """Undo a mistaken no-show: the patient did come. Only on the session's own day in the
    location's zone, and with a reason; the session becomes checked in (SessionCheckedIn is
    published, as for any check-in), and both changes stay in its history. Raises
    ApplicationError otherwise, or when the place has been given to another booking since
    (the database refuses two active sessions in one place)."""
    now = now or timezone.now()
    session, course = _lock_session(session)
    if session.status != SessionStatus.NO_SHOW:
        raise ApplicationError(_("Only a no-show can be corrected."), code="session_state")
    if now.astimezone(session.location.time_zone).date() != session.local_date:
        raise ApplicationError(
            _("A no-show can only be corrected on the day of the session."), code="too_late"
        )
    if not reason.strip():
        raise ApplicationError(_("Say why the no-show was wrong."), field="reason")
    try:
        with transaction.atomic():
            _session_set_status(session, SessionStatus.CHECKED_IN, by, reason)
    except IntegrityError as exc:
        raise ApplicationError(
            _("Its place in the course or its chair has been booked since: it cannot come back."),
            code="taken",
        ) from exc
    publish(SessionCheckedIn(course=course, session_id=session.pk, by=by))
    return session


@transaction.atomic
def session_complete(*, session: InfusionSession, by: User) -> InfusionSession:
    """A clinician records the infusion as done. Completing the last planned session
    completes the course and publishes CourseCompleted (the referral shows 'course complete').
    SessionCompleted is published for every session (the infusion may be charged now)."""
    session, course = _lock_session(session)
    _session_set_status(session, SessionStatus.COMPLETED, by)
    publish(SessionCompleted(course=course, session_id=session.pk, by=by))
    done = course.sessions.filter(status=SessionStatus.COMPLETED).count()
    if done >= course.planned_sessions and course.can_become(CourseStatus.COMPLETED):
        _course_set_status(course=course, status=CourseStatus.COMPLETED, by=by)
        publish(CourseCompleted(course=course, by=by))
    return session


@transaction.atomic
def action_link_cancel(*, token: str, now: dt.datetime | None = None) -> InfusionSession:
    """Cancel the session a signed cancel link names, and use the link up."""
    link = action_link_resolve(token, for_update=True)
    if link.kind != "cancel":
        raise ApplicationError(_("This link does not cancel a session."))
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return session_cancel(session=link.session, by=link.session.patient, now=now)


@transaction.atomic
def action_link_reschedule(
    *, token: str, new_starts_at: dt.datetime, now: dt.datetime | None = None
) -> InfusionSession:
    """Move the session a signed reschedule link names, and use the link up."""
    link = action_link_resolve(token, for_update=True)
    if link.kind != "reschedule":
        raise ApplicationError(_("This link does not move a session."))
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return session_reschedule(
        session=link.session, new_starts_at=new_starts_at, by=link.session.patient, now=now
    )


def session_confirm_next(*, user: User | None, reply=None, now: dt.datetime | None = None) -> bool:
    """The patient confirmed by text (C) or keypress (1): their next booked session is marked
    confirmed. MESSAGING_CONFIRM_HOOK points here. Returns whether a session was confirmed."""
    if user is None:
        return False
    now = now or timezone.now()
    with transaction.atomic():
        session = (
            InfusionSession.objects.select_for_update()
            .filter(patient=user, status=SessionStatus.BOOKED, starts_at__gt=now)
            .order_by("starts_at")
            .first()
        )
        if session is None:
            return False
        if session.confirmed_at is None:
            session.confirmed_at = now
            session.save(update_fields=["confirmed_at"])
    return True
