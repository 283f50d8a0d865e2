"""Booking: placing sessions (one, or a whole course's), and holding a time while the patient
confirms."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.db import compiled_insert
from clinic.errors import ApplicationError
from clinic.models import User

from ..availability import check_start, load_snapshot, local_day_bounds, room_at
from ..events import (
    BookingChange,
    CourseDates,
    SessionBooked,
)
from ..models import (
    Course,
    CourseStatus,
    InfusionSession,
    Location,
    SessionStatus,
    SlotHold,
)
from .consequences import _after_booking_changed
from .locks import _lock_course, _lock_location_days, _span

logger = logging.getLogger("scheduling.services")


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


def _course_active(course: Course) -> list[tuple[int, dt.datetime, dt.date]]:
    """The course's active sessions as (slot, starts_at, local_date): read once per booking,
    under the course's lock, for the free slots and the dates its event carries."""
    return list(course.sessions.active().values_list("slot", "starts_at", "local_date"))


def _course_dates(active: list[tuple[int, dt.datetime, dt.date]]) -> CourseDates:
    return CourseDates(
        starts=tuple(sorted(a[1] for a in active)), days=tuple(sorted(a[2] for a in active))
    )


def _place(
    *,
    course: Course,
    location: Location,
    starts_at: dt.datetime,
    by: User | None,
    now: dt.datetime,
    slot: int | None = None,
    rescheduled_from: InfusionSession | None = None,
    active: list[tuple[int, dt.datetime, dt.date]] | None = None,
    free_holds: bool = False,
) -> InfusionSession:
    """Check one start time (the lock is already held) and insert the session with its history
    row (and, with `free_holds`, delete the course's holds: its last placement). Without `slot`
    the first free one is taken, from `active` (_course_active, read here when not given), to
    which the new session is added."""
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
        if active is None:
            active = _course_active(course)
        used = {a[0] for a in active}
        free = [n for n in range(1, course.planned_sessions + 1) if n not in used]
        if not free:
            raise ApplicationError(
                _("Every planned session of this course is already booked."), code="course_full"
            )
        slot = free[0]
    starts_utc = starts_at.astimezone(dt.UTC)
    session = InfusionSession(
        course=course,
        patient=course.patient,
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
    # No savepoint: the IntegrityError is not recovered from here but turned into SlotTaken,
    # which leaves the booking's own atomic block (every caller's), and that rolls back.
    try:
        _insert_placed(session, by=by, free_holds=free_holds)
    except IntegrityError as exc:
        # A race the lock cannot see (e.g. the same patient booking at another location).
        logger.info("booking refused by a database constraint: %s", type(exc).__name__)
        raise SlotTaken(starts_at) from exc
    if active is not None:
        active.append((slot, session.starts_at, session.local_date))
    return session


def _insert_placed(session: InfusionSession, *, by: User | None, free_holds: bool) -> None:
    """One statement: the session's INSERT, its 'booked' history row and, with `free_holds`,
    the DELETE of the course's holds (data-modifying CTEs: all of it or, on a constraint's
    IntegrityError, none). Gives `session` its id, as Model.save() would."""
    insert_sql, params = compiled_insert([session])
    # insert_sql is Django's compiled INSERT (its values are parameters), never input.
    sql = (
        f"WITH placed AS ({insert_sql}), history AS ("  # noqa: S608
        "INSERT INTO scheduling_sessionstatuschange "
        "(session_id, from_status, to_status, changed_by_id, reason, changed_at) "
        "SELECT id, '', %s, %s, '', %s FROM placed)"
    )
    params = [*params, SessionStatus.BOOKED, by.pk if by else None, timezone.now()]
    if free_holds:
        sql += ", freed AS (DELETE FROM scheduling_slothold WHERE course_id = %s)"
        params.append(session.course_id)
    with connection.cursor() as cursor:
        cursor.execute(sql + " SELECT id FROM placed", params)  # noqa: S608 (as above)
        (session.pk,) = cursor.fetchone()
    session._state.adding, session._state.db = False, connection.alias


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
    active = _course_active(course)
    session = _place(
        course=course,
        location=location,
        starts_at=starts_at,
        by=by,
        now=now,
        active=active,
        free_holds=True,
    )
    _after_booking_changed(
        course=course,
        booked=[session.pk],
        cancelled=[],
        change=BookingChange.BOOKED,
        event=SessionBooked(
            course=course, session_ids=(session.pk,), by=by, dates=_course_dates(active)
        ),
        sessions=[session],
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
    active = _course_active(course)  # each placed session is added to it
    ordered = sorted(starts)
    sessions = [
        _place(
            course=course,
            location=location,
            starts_at=s,
            by=by,
            now=now,
            active=active,
            free_holds=s == ordered[-1],  # the course's holds go with its last placement
        )
        for s in ordered
    ]
    booked = [s.pk for s in sessions]
    _after_booking_changed(
        course=course,
        booked=booked,
        cancelled=[],
        change=BookingChange.BOOKED,
        event=SessionBooked(
            course=course, session_ids=tuple(booked), by=by, dates=_course_dates(active)
        ),
        sessions=sessions,
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


@transaction.atomic
def slot_hold_for_group(
    *,
    location: Location,
    starts_at: dt.datetime,
    courses: list[Course],
    expires_at: dt.datetime,
    now: dt.datetime | None = None,
) -> SlotHold:
    """Keep a time at the location for a group of courses until expires_at (a round of
    waitlist offers): every other course's free times and bookings see its chair as taken,
    while any course of the group may still book it (then call slot_hold_release). The chair
    and capacity are checked for the longest session of the group, under the location-day
    lock bookings take, so the hold and a booking of the same time cannot both succeed.
    Raises SlotTaken when no chair or monitoring capacity is left at that time."""
    now = now or timezone.now()
    if not courses:
        raise ApplicationError(_("A hold needs at least one course."))
    _check_location_accepts(location)
    longest = max(courses, key=lambda c: (c.session_type.total, c.pk))
    _lock_location_days(location, _span(longest, starts_at))
    snapshot = load_snapshot(
        course=longest,
        location=location,
        start=starts_at - dt.timedelta(days=1),
        end=starts_at + dt.timedelta(days=1),
        now=now,
    )
    chair_id, _reason = room_at(snapshot, starts_at)
    if chair_id is None:
        raise SlotTaken(starts_at)
    return SlotHold.objects.create(
        course=None,
        for_courses=sorted(c.pk for c in courses),
        location=location,
        chair_id=chair_id,
        starts_at=starts_at,
        infusion_ends_at=starts_at + longest.session_type.infusion,
        ends_at=starts_at + longest.session_type.total,
        expires_at=expires_at,
    )


def slot_hold_release(*, hold_id: int | None) -> None:
    """Give a group hold's chair back at once (the time was booked by one of the group, or the
    round is over). Releasing a hold already gone does nothing."""
    if hold_id is not None:
        SlotHold.objects.filter(pk=hold_id, course__isnull=True).delete()
