"""Reads, already limited to what the asking user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404

from clinic.db import one_or_none
from clinic.models import Role, User

from .models import (
    ACTIVE_SESSION_STATUSES,
    OPEN_COURSE_STATUSES,
    Course,
    CourseStatus,
    CourseStatusChange,
    InfusionSession,
    Location,
    SessionStatus,
    SlotHold,
)


def course_for_patient(*, patient: User) -> Course | None:
    """The patient's current course: the open one, else the latest; with its location, session
    type and patient (the one asking: a booking reads their profile)."""
    courses = Course.objects.filter(patient=patient).select_related("location", "session_type")
    # One open course at most (course_one_open_per_patient): no ORDER BY needed.
    opened = courses.filter(status__in=[CourseStatus.ACTIVE, CourseStatus.AWAITING_REVIEW])
    course = one_or_none(opened) or courses.first()
    if course is not None:
        course.patient = patient
    return course


def hold_for_patient(*, patient: User, pk: int) -> SlotHold | None:
    """The hold `pk` if it is on the patient's current course (course_for_patient's: the open
    one, else the latest), with that course (its location, session type and patient) and the
    hold's location: one statement, for the confirm page and its POST, the booking."""
    # The current course as a scalar subquery in SQL: compiling it as a queryset (Subquery,
    # Case) costs a thousand Python calls more, on the booking's request.
    current = RawSQL(
        "SELECT id FROM scheduling_course WHERE patient_id = %s"
        " ORDER BY status = ANY(%s) DESC, created_at DESC LIMIT 1",
        [patient.pk, list(OPEN_COURSE_STATUSES)],
    )
    hold = one_or_none(
        SlotHold.objects.select_related("course__location", "course__session_type").filter(
            pk=pk, course_id=current
        )
    )
    if hold is None:
        return None
    # Joined no more than needed (planning each join costs PostgreSQL more than its reading):
    # the hold is almost always at the course's own location, the course is the patient's (the
    # filter says so; the booking reads their profile), and the session a hold replaces is
    # read when there is one, by the descriptor.
    if hold.location_id == hold.course.location_id:
        hold.location = hold.course.location
    hold.course.patient = patient
    return hold


@dataclass
class CourseSummary:
    course: Course
    sessions: list[InfusionSession]
    booked: int
    completed: int
    remaining: int
    next_session: InfusionSession | None
    can_book: bool
    # The course's places in order, numbered as the patient counts them (1 of 4, 2 of 4), and
    # what was moved, cancelled or missed, for the page's "History".
    numbered: list[tuple[int, InfusionSession]] = field(default_factory=list)
    history: list[InfusionSession] = field(default_factory=list)


def course_summary(*, course: Course, now: dt.datetime) -> CourseSummary:
    # The pages show each session's location but not its chair. A course's sessions are almost
    # always at the course's location, already loaded: the others are read in one more query.
    sessions = list(course.sessions.order_by("starts_at"))
    locations = {course.location_id: course.location}
    elsewhere = {s.location_id for s in sessions} - locations.keys()
    if elsewhere:
        locations |= Location.objects.defer("phone").in_bulk(elsewhere)
    for session in sessions:
        session.location = locations[session.location_id]
    active = [s for s in sessions if s.status in ACTIVE_SESSION_STATUSES]
    booked = sum(1 for s in active if s.status != SessionStatus.COMPLETED)
    completed = sum(1 for s in active if s.status == SessionStatus.COMPLETED)
    upcoming = [s for s in active if s.status == SessionStatus.BOOKED and s.ends_at > now]
    remaining = course.planned_sessions - len(active)
    return CourseSummary(
        course=course,
        sessions=sessions,
        booked=booked,
        completed=completed,
        remaining=remaining,
        next_session=upcoming[0] if upcoming else None,
        can_book=course.status == CourseStatus.ACTIVE and remaining > 0,
        numbered=list(enumerate(active, start=1)),
        history=[s for s in sessions if s.status not in ACTIVE_SESSION_STATUSES],
    )


def session_for_patient(*, patient: User, pk: int) -> InfusionSession:
    """The patient's own session, or 404 (never another patient's)."""
    session = (
        InfusionSession.objects.select_related("location", "course__session_type", "patient")
        .filter(patient=patient, pk=pk)
        .first()
    )
    if session is None:
        raise Http404
    return session


def sessions_for_patient(*, patient: User, pks: list[int]) -> list[InfusionSession]:
    return list(
        InfusionSession.objects.select_related("location")
        .filter(patient=patient, pk__in=pks)
        .order_by("starts_at")
    )


def courses_awaiting_review() -> QuerySet[Course]:
    return Course.objects.filter(status=CourseStatus.AWAITING_REVIEW).select_related(
        "patient", "location"
    )


def course_search(*, query: str) -> QuerySet[Course]:
    """Courses for coordinators: by patient name, e-mail or phone."""
    courses = Course.objects.select_related("patient", "location").order_by("-created_at")
    query = query.strip()
    if not query:
        return courses.filter(status__in=[CourseStatus.ACTIVE, CourseStatus.AWAITING_REVIEW])[:50]
    digits = "".join(ch for ch in query if ch in "0123456789")
    match = (
        Q(patient__first_name__icontains=query)
        | Q(patient__last_name__icontains=query)
        | Q(patient__email__icontains=query)
    )
    for word in query.split():
        match |= Q(patient__first_name__icontains=word) & Q(
            patient__last_name__icontains=query.split()[-1]
        )
    if len(digits) >= 4:
        match |= Q(patient__phone__contains=digits)
    return courses.filter(match)[:50]


def course_for_staff(*, user: User, pk: int) -> Course:
    if user.role not in (Role.COORDINATOR, Role.CLINICIAN, Role.ADMIN):
        raise Http404
    course = (
        Course.objects.select_related("patient", "location", "session_type")
        .prefetch_related(
            Prefetch(
                "status_changes",
                queryset=CourseStatusChange.objects.select_related("changed_by"),
            )
        )
        .filter(pk=pk)
    )
    found = course.first()
    if found is None:
        raise Http404
    return found
