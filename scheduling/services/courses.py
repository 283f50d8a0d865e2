"""Courses: opening one, the clinician's review, cancelling it, changing its planned count."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clinic.errors import ApplicationError
from clinic.events import publish
from clinic.models import Role, User

from ..events import (
    BookingChange,
    CourseCancelled,
    CoursePlannedCountChanged,
)
from ..models import (
    MAX_SESSIONS_PER_COURSE,
    Course,
    CourseStatus,
    CourseStatusChange,
    Location,
    SessionStatus,
    SessionType,
)
from .consequences import _after_booking_changed
from .locks import _lock_course
from .statuses import _course_set_status, _session_set_status


def default_session_type() -> SessionType:
    session_type, _created = SessionType.objects.get_or_create(
        name="Infusion", defaults={"infusion_minutes": 60, "recovery_minutes": 30}
    )
    return session_type


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
