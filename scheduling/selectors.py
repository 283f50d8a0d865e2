"""Reads, already limited to what the asking user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from clinic.models import Role, User

from .availability import local_day_bounds
from .calendar import when_both
from .models import (
    ACTIVE_SESSION_STATUSES,
    OPEN_COURSE_STATUSES,
    Chair,
    Course,
    CourseStatus,
    CourseStatusChange,
    InfusionSession,
    Location,
    SessionStatus,
    SlotHold,
    StaffShift,
)


def course_for_patient(*, patient: User) -> Course | None:
    """The patient's current course: the open one, else the latest."""
    courses = Course.objects.filter(patient=patient).select_related("location", "session_type")
    return (
        courses.filter(status__in=[CourseStatus.ACTIVE, CourseStatus.AWAITING_REVIEW]).first()
        or courses.first()
    )


def hold_for_patient(*, patient: User, pk: int) -> SlotHold | None:
    """The hold `pk` if it is on the patient's current course (course_for_patient's: the open
    one, else the latest), with that course (its location and session type), the hold's
    location and the session it would replace: one statement, for the confirm page and its
    POST, the booking."""
    # The current course as a scalar subquery in SQL: compiling it as a queryset (Subquery,
    # Case) costs a thousand Python calls more, on the booking's request.
    current = RawSQL(
        "SELECT id FROM scheduling_course WHERE patient_id = %s"
        " ORDER BY status = ANY(%s) DESC, created_at DESC LIMIT 1",
        [patient.pk, list(OPEN_COURSE_STATUSES)],
    )
    return (
        SlotHold.objects.select_related(
            "course__location", "course__session_type", "location", "replaces"
        )
        .filter(pk=pk, course_id=current)
        .first()
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


@dataclass
class DayCell:
    """A session in the row where it starts, with what the grid shows already worked out: the
    template meets ~300 cells per day, and each lookup or translation there is paid per cell."""

    session: InfusionSession
    patient_name: str
    when: str  # the start in the location's zone, as the {% when %} tag writes it
    status_label: str


@dataclass
class DayRow:
    starts_at: dt.datetime
    cells: list[DayCell | None | str]  # a session starting here, "cont" while it runs
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


def _rows_between(first: dt.datetime, step: dt.timedelta, start: dt.datetime, end: dt.datetime):
    """The indexes of the rows (first + k * step) whose start lies in [start, end)."""
    return range(-((first - start) // step), -((first - end) // step))


def _patient_name(session: InfusionSession) -> str:
    """str(patient) from the names read beside the session: full name, else e-mail, else the
    phone (the patient's row is read for that one)."""
    name = f"{session.patient_first_name} {session.patient_last_name}".strip()
    return name or session.patient_email or str(session.patient)


def day_view(*, location: Location, day: dt.date, step_minutes: int = 30) -> DayView:
    """Chairs by time for one local day, with staff on duty and capacity left: four queries.
    Each session and shift is placed on the rows it covers (not every row tested against every
    session), and its labels are made once."""
    tz = location.time_zone
    start, end = local_day_bounds(day, tz)
    chairs = list(Chair.objects.filter(location=location).order_by("name", "pk"))
    sessions = list(
        InfusionSession.objects.filter(location=location)
        .exclude(status__in=[SessionStatus.CANCELLED, SessionStatus.RESCHEDULED])
        .overlapping(start, end)
        # Only what the grid shows and places by (and the audit row's ids), and the patient's
        # name beside it rather than a patient instance: a session row and its patient's are
        # ~40 columns, each made into a model field on load. Only a patient with neither name
        # nor e-mail is shown by phone (read then, for that patient alone).
        .only(
            *("patient_id", "chair_id", "status", "confirmed_at"),
            *("starts_at", "infusion_ends_at", "ends_at"),
        )
        .annotate(
            patient_first_name=F("patient__first_name"),
            patient_last_name=F("patient__last_name"),
            patient_email=F("patient__email"),
        )
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
        step = dt.timedelta(minutes=step_minutes)
        times = []
        t = first
        while t < last:
            times.append(t)
            t += step
        n = len(times)
        index = {c.pk: i for i, c in enumerate(chairs)}
        grid: list[list] = [[None] * len(chairs) for _ in times]
        running = [0] * n
        on_duty = [0] * n
        whens: dict[dt.datetime, str] = {}
        labels: dict[str, str] = {}  # each status translated once a page, not once a session
        for s in sessions:  # in starting order: where two overlap in a chair, the later shows
            if s.status in ACTIVE_SESSION_STATUSES:
                for k in _rows_between(first, step, s.starts_at, s.infusion_ends_at):
                    if 0 <= k < n:
                        running[k] += 1
            column = index.get(s.chair_id)
            if column is None:
                continue
            starts_row = (s.starts_at - first) // step  # the row whose step holds starts_at
            for k in range(max(starts_row, 0), min(-((first - s.ends_at) // step), n)):
                if k != starts_row:
                    grid[k][column] = "cont"
                    continue
                if s.starts_at not in whens:
                    whens[s.starts_at] = when_both(s.starts_at, tz, None)
                if s.status not in labels:
                    labels[s.status] = s.status_label
                grid[k][column] = DayCell(
                    session=s,
                    patient_name=_patient_name(s),
                    when=whens[s.starts_at],
                    status_label=labels[s.status],
                )
        for sh in shifts:
            for k in _rows_between(first, step, sh.starts_at, sh.ends_at):
                if 0 <= k < n:
                    on_duty[k] += sh.monitoring_capacity
        rows = [
            DayRow(starts_at=t, cells=grid[k], on_duty=on_duty[k], running=running[k])
            for k, t in enumerate(times)
        ]
    return DayView(
        location=location, day=day, chairs=chairs, rows=rows, shifts=shifts, sessions=sessions
    )


def home_location_id(*, user: User, now: dt.datetime | None = None) -> int | None:
    """Where a clinician works: the location of their shift running now or starting next, else
    of their latest past one. None for anyone without shifts (the day view then starts on the
    first location). Two indexed queries at most."""
    if user.role != Role.CLINICIAN:
        return None
    now = now or timezone.now()
    shifts = StaffShift.objects.filter(clinician=user)
    upcoming = (
        shifts.filter(ends_at__gt=now).order_by("starts_at").values_list("location_id", flat=True)
    )
    latest = shifts.order_by("-starts_at").values_list("location_id", flat=True)
    return upcoming.first() or latest.first()
