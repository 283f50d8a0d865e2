"""Writes for courses and infusion sessions.

Lock order, everywhere: the course row first (SELECT ... FOR UPDATE), then the location-day
advisory locks in ascending key order. Two bookings that compete for a chair or for monitoring
capacity at one location on one local day therefore run one after the other, and each re-checks
availability after it holds the lock. The database constraints (exclusion over chair and patient
time ranges, one infusion per patient per day, slot within plan) still refuse whatever a lock
could miss; their IntegrityError becomes the same friendly refusal.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.errors import ApplicationError
from clinic.events import publish
from clinic.messaging.services import message_schedule, messages_cancel, reminders_plan
from clinic.models import Role, User

from .availability import check_start, load_snapshot, local_day_bounds, rules_for
from .events import (
    BookingChange,
    CourseCancelled,
    CourseCompleted,
    CoursePlannedCountChanged,
    SessionBooked,
    SessionCancelled,
    SessionCheckedIn,
    SessionMoved,
)
from .links import action_link_resolve, session_action_url  # noqa: F401 (views, tests use these)
from .models import (
    MAX_SESSIONS_PER_COURSE,
    Course,
    CourseStatus,
    CourseStatusChange,
    InfusionSession,
    Location,
    SessionStatus,
    SessionStatusChange,
    SessionType,
    SlotHold,
)
from .notifications import booking_email_queue

logger = logging.getLogger(__name__)

REFUSALS = {
    "notice": gettext_lazy("That time is too soon to book; the clinic needs more notice."),
    "closed": gettext_lazy("The clinic is not open for a whole session at that time."),
    "spacing": gettext_lazy("That time is too close to another infusion of this course."),
    "course_span": gettext_lazy("That time is too long after the first infusion of this course."),
    "patient_day": gettext_lazy("This patient already has a session booked that day."),
    "taken": gettext_lazy("Sorry, that time was just taken."),
    "capacity": gettext_lazy("Sorry, that time was just taken."),
}


class SlotTaken(ApplicationError):
    """The time is no longer free (a chair or the monitoring capacity went to someone else).
    Views answer with the nearest free times rather than an error page."""

    def __init__(self, starts_at: dt.datetime):
        super().__init__(str(REFUSALS["taken"]), code="slot_taken")
        self.starts_at = starts_at


def default_session_type() -> SessionType:
    session_type, _created = SessionType.objects.get_or_create(
        name="Infusion", defaults={"infusion_minutes": 60, "recovery_minutes": 30}
    )
    return session_type


# --- courses -----------------------------------------------------------------------------------


def _course_set_status(*, course: Course, status: str, by: User | None, reason: str = "") -> None:
    if not course.can_become(status):
        raise ApplicationError(
            _("This course is %(status)s and cannot change that way.")
            % {"status": course.get_status_display().lower()}
        )
    CourseStatusChange.objects.create(
        course=course, from_status=course.status, to_status=status, changed_by=by, reason=reason
    )
    course.status = status
    course.save(update_fields=["status", "decline_reason", "updated_at"])


@transaction.atomic
def course_create(
    *,
    patient: User,
    location: Location,
    planned_sessions: int,
    needs_clinician_review: bool,
    created_by: User | None,
    session_type: SessionType | None = None,
    diagnosis_codes: list[str] | None = None,
) -> Course:
    """Open a course of 1 to 6 infusions for a patient. It waits for a clinician's review when
    needs_clinician_review, else it is active at once; a patient books only an active course.
    diagnosis_codes (the referral's) go on the course's Good Faith Estimates.
    Raises ApplicationError for a non-patient, a bad count or a second open course."""
    if patient.role != Role.PATIENT:
        raise ApplicationError(_("Only a patient can have an infusion course."), field="patient")
    if not 1 <= planned_sessions <= MAX_SESSIONS_PER_COURSE:
        raise ApplicationError(
            _("A course has between 1 and 6 sessions."), field="planned_sessions"
        )
    status = CourseStatus.AWAITING_REVIEW if needs_clinician_review else CourseStatus.ACTIVE
    try:
        with transaction.atomic():
            course = Course.objects.create(
                patient=patient,
                location=location,
                session_type=session_type or default_session_type(),
                planned_sessions=planned_sessions,
                needs_clinician_review=needs_clinician_review,
                status=status,
                created_by=created_by,
                diagnosis_codes=list(diagnosis_codes or []),
            )
    except IntegrityError as exc:
        raise ApplicationError(_("This patient already has an open course.")) from exc
    CourseStatusChange.objects.create(
        course=course, from_status="", to_status=status, changed_by=created_by
    )
    return course


@transaction.atomic
def course_review(*, course: Course, clinician: User, approve: bool, reason: str = "") -> Course:
    """A prescribing clinician (physician, NP or PA, as the clinic admin records it) approves
    (active) or declines a course awaiting review, with a note either way; the decision and its
    note stay in the course's history. Raises ApplicationError for anyone else or no note."""
    if not clinician.can_sign_off_courses:
        raise ApplicationError(
            _("Only a prescribing clinician (physician, NP or PA) can sign off a course.")
        )
    course = Course.objects.select_for_update().get(pk=course.pk)
    if not reason.strip():
        if approve:
            raise ApplicationError(
                _("Write a note: why the course is safe to go ahead."), field="reason"
            )
        raise ApplicationError(_("Say why the course is declined."), field="reason")
    if not approve:
        course.decline_reason = reason.strip()
    _course_set_status(
        course=course,
        status=CourseStatus.ACTIVE if approve else CourseStatus.DECLINED,
        by=clinician,
        reason=reason.strip(),
    )
    return course


@transaction.atomic
def course_cancel(*, course: Course, by: User, reason: str = "") -> Course:
    """Cancel an active course and every session of it still to come: their reminders stop and
    the patient is told of each. Publishes CourseCancelled (the Good Faith Estimate still owed
    for the course is closed as no longer required, with the reason). Raises ApplicationError
    when the course is not active."""
    course = (
        Course.objects.select_related("patient").select_for_update(of=("self",)).get(pk=course.pk)
    )
    _course_set_status(course=course, status=CourseStatus.CANCELLED, by=by, reason=reason)
    cancelled = []
    for session in course.sessions.filter(status=SessionStatus.BOOKED):
        _session_set_status(session, SessionStatus.CANCELLED, by)
        cancelled.append(session.pk)
    _after_booking_changed(
        course=course, booked=[], cancelled=cancelled, change=BookingChange.COURSE_CANCELLED
    )
    publish(CourseCancelled(course=course, session_ids=tuple(cancelled), by=by, reason=reason))
    return course


def _compact_slots(course: Course) -> None:
    """Number the course's active sessions 1, 2, 3... in their present order, so a lower count
    still holds them all (a cancelled session leaves a gap). Each moves to a place at or below
    its own, taken in ascending order, so the one-active-session-per-place rule never clashes."""
    active = course.sessions.active().order_by("slot")
    for place, session in enumerate(active, start=1):
        if session.slot != place:
            session.slot = place
            session.save(update_fields=["slot", "updated_at"])


@transaction.atomic
def course_change_planned_count(*, course: Course, count: int, by: User, reason: str) -> Course:
    """Plan a different number of infusions (1 to 6) for an open course, never fewer than the
    sessions already booked or given. Writes a line of the course history with the note; the
    sessions follow the new count. Publishes CoursePlannedCountChanged (the Good Faith Estimate
    is owed and issued again for the new count, exactly as after a booking). Raises
    ApplicationError for a closed course, a count out of range or unchanged, a count below the
    sessions booked or done, or no note."""
    # FOR UPDATE: the count bounds every booking of the course (the same lock they take).
    course = _lock_course(course)
    if course.status not in (CourseStatus.AWAITING_REVIEW, CourseStatus.ACTIVE):
        raise ApplicationError(
            _("This course is %(status)s; its number of infusions can no longer change.")
            % {"status": course.get_status_display().lower()}
        )
    if not 1 <= count <= MAX_SESSIONS_PER_COURSE:
        raise ApplicationError(_("A course has between 1 and 6 sessions."), field="count")
    if count == course.planned_sessions:
        raise ApplicationError(
            _("The course already has %(n)s planned.") % {"n": count}, field="count"
        )
    active = list(course.sessions.active().values_list("status", flat=True))
    done = active.count(SessionStatus.COMPLETED)
    if count < len(active):
        raise ApplicationError(
            _("%(n)s sessions are booked or done: cancel one first, or choose %(n)s or more.")
            % {"n": len(active)},
            field="count",
        )
    if count <= done:
        raise ApplicationError(
            _("%(n)s infusions are already done. To end the course now, cancel it.") % {"n": done},
            field="count",
        )
    if not reason.strip():
        raise ApplicationError(_("Say why the number of infusions changes."), field="reason")
    if count < course.planned_sessions:
        _compact_slots(course)
    CourseStatusChange.objects.create(
        course=course,
        from_status=course.status,
        to_status=course.status,
        planned_from=course.planned_sessions,
        planned_to=count,
        changed_by=by,
        reason=reason.strip(),
    )
    planned_from = course.planned_sessions
    # The sessions' copy of the count follows through their ON UPDATE CASCADE foreign key.
    course.planned_sessions = count
    course.save(update_fields=["planned_sessions", "updated_at"])
    publish(
        CoursePlannedCountChanged(course=course, planned_from=planned_from, planned_to=count, by=by)
    )
    return course


# --- locking -----------------------------------------------------------------------------------


def _location_day_key(location_id: int, day: dt.date) -> int:
    # One bigint per (location, local day), in a namespace of its own (0x5C = 'scheduling').
    return (0x5C << 48) | (location_id << 20) | day.toordinal()


def _lock_location_days(location: Location, instants: Iterable[dt.datetime]) -> None:
    """Serialise bookings competing for the same location and local day. Transaction-level
    advisory locks, taken in ascending key order so two multi-day bookings cannot deadlock;
    released at commit or rollback."""
    tz = location.time_zone
    keys = set()
    for instant in instants:
        keys.add(_location_day_key(location.pk, instant.astimezone(tz).date()))
    with connection.cursor() as cursor:
        for key in sorted(keys):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _lock_course(course: Course) -> Course:
    # FOR UPDATE: the course's slots are read and filled below; one booking per course at a time.
    return (
        Course.objects.select_related("session_type", "patient")
        .select_for_update(of=("self",))
        .get(pk=course.pk)
    )


def _span(course: Course, starts_at: dt.datetime) -> list[dt.datetime]:
    return [starts_at, starts_at + course.session_type.total]


# --- booking -----------------------------------------------------------------------------------


def _place(
    *,
    course: Course,
    location: Location,
    starts_at: dt.datetime,
    by: User | None,
    now: dt.datetime,
    slot: int | None = None,
    rescheduled_from: InfusionSession | None = None,
) -> InfusionSession:
    """Check one start time (the lock is already held) and insert the session."""
    if starts_at.tzinfo is None:
        raise ApplicationError(_("A time without its zone cannot be booked."))
    _check_location_accepts(location)
    tz = location.time_zone
    day_start, _end = local_day_bounds(starts_at.astimezone(tz).date(), tz)
    snapshot = load_snapshot(
        course=course,
        location=location,
        start=day_start - dt.timedelta(days=1),
        end=day_start + dt.timedelta(days=2),
        now=now,
    )
    chair_id, reason = check_start(snapshot, starts_at)
    if chair_id is None:
        if reason in ("taken", "capacity"):
            raise SlotTaken(starts_at)
        raise ApplicationError(str(REFUSALS[reason]), code=reason)
    if slot is None:
        used = set(course.sessions.active().values_list("slot", flat=True))
        free = [n for n in range(1, course.planned_sessions + 1) if n not in used]
        if not free:
            raise ApplicationError(
                _("Every planned session of this course is already booked."), code="course_full"
            )
        slot = free[0]
    starts_utc = starts_at.astimezone(dt.UTC)
    try:
        with transaction.atomic():
            session = InfusionSession.objects.create(
                course=course,
                patient_id=course.patient_id,
                location=location,
                course_planned_sessions=course.planned_sessions,
                slot=slot,
                chair_id=chair_id,
                starts_at=starts_utc,
                infusion_ends_at=starts_utc + course.session_type.infusion,
                ends_at=starts_utc + course.session_type.total,
                local_date=starts_at.astimezone(location.time_zone).date(),
                booked_by=by,
                rescheduled_from=rescheduled_from,
            )
    except IntegrityError as exc:
        # A race the lock cannot see (e.g. the same patient booking at another location).
        logger.info("booking refused by a database constraint: %s", type(exc).__name__)
        raise SlotTaken(starts_at) from exc
    SessionStatusChange.objects.create(
        session=session, from_status="", to_status=SessionStatus.BOOKED, changed_by=by
    )
    return session


def _check_location_accepts(location: Location) -> None:
    """The one rule for where a session may be placed: a location switched off ("accepting
    patients" unticked) takes no new booking, hold or move, whichever page asks."""
    if not location.is_active:
        raise ApplicationError(
            _("%(location)s is not taking bookings at the moment. Please choose another location.")
            % {"location": location.name},
            code="location_closed",
        )


def _check_can_book(course: Course) -> None:
    if course.status != CourseStatus.ACTIVE:
        raise ApplicationError(
            _("This course cannot be booked yet: it is %(status)s.")
            % {"status": course.get_status_display().lower()},
            code="course_not_active",
        )


@transaction.atomic
def session_book(
    *,
    course: Course,
    starts_at: dt.datetime,
    by: User | None,
    location: Location | None = None,
    now: dt.datetime | None = None,
) -> InfusionSession:
    """Book one infusion of the course at starts_at (any chair that is free) at the location
    (the course's own by default). Frees the course's holds, plans the reminders, queues the
    confirmation and publishes SessionBooked (the referral becomes 'scheduled', a GFE is owed).
    Raises SlotTaken when the time has gone, ApplicationError for the rules."""
    now = now or timezone.now()
    course = _lock_course(course)
    _check_can_book(course)
    location = location or course.location
    _lock_location_days(location, _span(course, starts_at))
    session = _place(course=course, location=location, starts_at=starts_at, by=by, now=now)
    SlotHold.objects.filter(course=course).delete()
    _after_booking_changed(
        course=course,
        booked=[session.pk],
        cancelled=[],
        change=BookingChange.BOOKED,
        event=SessionBooked(course=course, session_ids=(session.pk,), by=by),
    )
    return session


@transaction.atomic
def course_book_sessions(
    *,
    course: Course,
    starts: list[dt.datetime],
    by: User | None,
    location: Location | None = None,
    now: dt.datetime | None = None,
) -> list[InfusionSession]:
    """'Plan my course': book every start time, or none of them, with the consequences of
    session_book (one SessionBooked for them all). Raises SlotTaken (naming the first time that
    has gone) or ApplicationError; nothing is booked then."""
    now = now or timezone.now()
    course = _lock_course(course)
    _check_can_book(course)
    if not starts:
        raise ApplicationError(_("Choose at least one time."))
    if len(set(starts)) != len(starts):
        raise ApplicationError(_("The same time is chosen twice."))
    location = location or course.location
    _lock_location_days(location, [t for s in starts for t in _span(course, s)])
    sessions = [
        _place(course=course, location=location, starts_at=s, by=by, now=now)
        for s in sorted(starts)
    ]
    SlotHold.objects.filter(course=course).delete()
    booked = [s.pk for s in sessions]
    _after_booking_changed(
        course=course,
        booked=booked,
        cancelled=[],
        change=BookingChange.BOOKED,
        event=SessionBooked(course=course, session_ids=tuple(booked), by=by),
    )
    return sessions


def _hold_minutes() -> int:
    return getattr(settings, "SCHEDULING_HOLD_MINUTES", 5)


@transaction.atomic
def slot_hold(
    *,
    course: Course,
    starts_at: dt.datetime,
    location: Location | None = None,
    replaces: InfusionSession | None = None,
    now: dt.datetime | None = None,
) -> SlotHold:
    """Keep a free time for this course for SCHEDULING_HOLD_MINUTES while the patient confirms,
    so it is not offered to anyone else. Replaces the course's earlier holds. Expiry needs no
    job: availability and booking ignore holds whose expires_at has passed."""
    now = now or timezone.now()
    course = _lock_course(course)
    _check_can_book(course)
    location = location or course.location
    _check_location_accepts(location)
    _lock_location_days(location, _span(course, starts_at))
    snapshot = load_snapshot(
        course=course,
        location=location,
        start=starts_at - dt.timedelta(days=1),
        end=starts_at + dt.timedelta(days=1),
        now=now,
        ignore_session_id=replaces.pk if replaces else None,
    )
    chair_id, reason = check_start(snapshot, starts_at)
    if chair_id is None:
        if reason in ("taken", "capacity"):
            raise SlotTaken(starts_at)
        raise ApplicationError(str(REFUSALS[reason]), code=reason)
    SlotHold.objects.filter(course=course).delete()
    return SlotHold.objects.create(
        course=course,
        location=location,
        chair_id=chair_id,
        starts_at=starts_at,
        infusion_ends_at=starts_at + course.session_type.infusion,
        ends_at=starts_at + course.session_type.total,
        expires_at=now + dt.timedelta(minutes=_hold_minutes()),
        replaces=replaces,
    )


def is_late_change(session: InfusionSession, now: dt.datetime | None = None) -> bool:
    """Would cancelling or moving this session now count as a late cancellation?"""
    now = now or timezone.now()
    return session.starts_at - now < rules_for(session.location).change_notice


def _session_set_status(session: InfusionSession, status: str, by: User | None) -> None:
    if not session.can_become(status):
        raise ApplicationError(
            _("This session is %(status)s and cannot change that way.")
            % {"status": session.get_status_display().lower()},
            code="session_state",
        )
    SessionStatusChange.objects.create(
        session=session, from_status=session.status, to_status=status, changed_by=by
    )
    session.status = status
    session.changed_by = by
    session.status_changed_at = timezone.now()
    session.save(
        update_fields=["status", "changed_by", "status_changed_at", "late_change", "updated_at"]
    )


def _lock_session(session: InfusionSession) -> tuple[InfusionSession, Course]:
    course = _lock_course(session.course)
    # FOR UPDATE: its status decides what may happen next; taken after the course (lock order).
    session = (
        InfusionSession.objects.select_related("location").select_for_update(of=("self",))
    ).get(pk=session.pk)
    return session, course


@transaction.atomic
def session_cancel(
    *, session: InfusionSession, by: User | None, now: dt.datetime | None = None
) -> InfusionSession:
    """Cancel a booked session. With less notice than the location's rules ask, the session is
    marked late_change (a late cancellation, for billing). Its reminders stop, the patient is
    told, and SessionCancelled is published (the GFE must match the new schedule)."""
    now = now or timezone.now()
    session, course = _lock_session(session)
    if session.status != SessionStatus.BOOKED:
        raise ApplicationError(_("Only a booked session can be cancelled."), code="session_state")
    session.late_change = is_late_change(session, now)
    _session_set_status(session, SessionStatus.CANCELLED, by)
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
    )
    SlotHold.objects.filter(course=course).delete()
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
def session_mark_no_show(*, session: InfusionSession, by: User) -> InfusionSession:
    """A clinician records that the patient did not come; the course's place is freed."""
    session, _course = _lock_session(session)
    _session_set_status(session, SessionStatus.NO_SHOW, by)
    return session


@transaction.atomic
def session_complete(*, session: InfusionSession, by: User) -> InfusionSession:
    """A clinician records the infusion as done. Completing the last planned session
    completes the course and publishes CourseCompleted (the referral shows 'course complete')."""
    session, course = _lock_session(session)
    _session_set_status(session, SessionStatus.COMPLETED, by)
    done = course.sessions.filter(status=SessionStatus.COMPLETED).count()
    if done >= course.planned_sessions and course.can_become(CourseStatus.COMPLETED):
        _course_set_status(course=course, status=CourseStatus.COMPLETED, by=by)
        publish(CourseCompleted(course=course, by=by))
    return session


# --- signed single-use links (made and read in scheduling.links) -------------------------------


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


# --- after commit ------------------------------------------------------------------------------


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


def _after_booking_changed(
    *,
    course: Course,
    booked: list[int],
    cancelled: list[int],
    change: BookingChange,
    event: SessionBooked | SessionMoved | SessionCancelled | None = None,
) -> None:
    """Scheduling's own consequences of booking, moving and cancelling (reminders, the
    cancellation notice, the booking e-mail), then the event for the layers above. Called
    inside the booking transaction, so all of it happens with the booking or not at all.
    `course` is the locked course the sessions belong to (its patient loaded)."""
    patient = course.patient
    sessions = {s.pk: s for s in InfusionSession.objects.filter(pk__in=[*booked, *cancelled])}
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
    for pk in booked:
        session = sessions[pk]
        reminders_plan(
            recipient=patient,
            event_start=session.starts_at,
            topic=f"session:{pk}",
            rescheduled=change == BookingChange.RESCHEDULED,
        )
    if not (booked or cancelled):
        return
    if event is not None:
        publish(event)
    booking_email_queue(booked_ids=booked, cancelled_ids=cancelled, change=change)
