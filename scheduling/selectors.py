"""Reads, already limited to what the asking user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from clinic.models import Role, User

from .availability import local_day_bounds
from .models import (
    ACTIVE_SESSION_STATUSES,
    Chair,
    Course,
    CourseStatus,
    InfusionSession,
    Location,
    SessionStatus,
    StaffShift,
)


def course_for_patient(*, patient: User) -> Course | None:
    """The patient's current course: the open one, else the latest."""
    courses = Course.objects.filter(patient=patient).select_related("location", "session_type")
    return (
        courses.filter(status__in=[CourseStatus.ACTIVE, CourseStatus.AWAITING_REVIEW]).first()
        or courses.first()
    )


@dataclass
class CourseSummary:
    course: Course
    sessions: list[InfusionSession]
    booked: int
    completed: int
    remaining: int
    next_session: InfusionSession | None
    can_book: bool


def course_summary(*, course: Course, now: dt.datetime) -> CourseSummary:
    sessions = list(course.sessions.select_related("location", "chair").order_by("starts_at"))
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
    digits = "".join(ch for ch in query if ch.isdigit())
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
    course = Course.objects.select_related("patient", "location", "session_type").filter(pk=pk)
    found = course.first()
    if found is None:
        raise Http404
    return found


@dataclass
class DayRow:
    starts_at: dt.datetime
    cells: list[InfusionSession | None | str]  # a session starting here, "cont" while it runs
    on_duty: int
    running: int

    @property
    def capacity_left(self) -> int:
        return self.on_duty - self.running


@dataclass
class DayView:
    location: Location
    day: dt.date
    chairs: list[Chair]
    rows: list[DayRow]
    shifts: list[StaffShift]
    sessions: list[InfusionSession]


def day_view(*, location: Location, day: dt.date, step_minutes: int = 30) -> DayView:
    """Chairs by time for one local day, with staff on duty and capacity left: four queries."""
    tz = location.time_zone
    start, end = local_day_bounds(day, tz)
    chairs = list(Chair.objects.filter(location=location).order_by("name", "pk"))
    sessions = list(
        InfusionSession.objects.filter(location=location)
        .exclude(status__in=[SessionStatus.CANCELLED, SessionStatus.RESCHEDULED])
        .overlapping(start, end)
        .select_related("patient", "chair")
        .order_by("starts_at")
    )
    shifts = list(
        StaffShift.objects.filter(location=location)
        .overlapping(start, end)
        .select_related("clinician")
        .order_by("starts_at")
    )
    hours = location.opening_hours.filter(weekday=day.weekday()).first()
    rows: list[DayRow] = []
    if hours is not None:
        first = dt.datetime.combine(day, hours.opens_at, tzinfo=tz).astimezone(dt.UTC)
        last = dt.datetime.combine(day, hours.closes_at, tzinfo=tz).astimezone(dt.UTC)
        t = first
        step = dt.timedelta(minutes=step_minutes)
        index = {c.pk: i for i, c in enumerate(chairs)}
        while t < last:
            cells: list = [None] * len(chairs)
            for s in sessions:
                if s.starts_at < t + step and s.ends_at > t and s.chair_id in index:
                    cells[index[s.chair_id]] = s if t <= s.starts_at < t + step else "cont"
            running = sum(
                1
                for s in sessions
                if s.status in ACTIVE_SESSION_STATUSES and s.starts_at <= t < s.infusion_ends_at
            )
            on_duty = sum(sh.monitoring_capacity for sh in shifts if sh.starts_at <= t < sh.ends_at)
            rows.append(DayRow(starts_at=t, cells=cells, on_duty=on_duty, running=running))
            t += step
    return DayView(
        location=location, day=day, chairs=chairs, rows=rows, shifts=shifts, sessions=sessions
    )
