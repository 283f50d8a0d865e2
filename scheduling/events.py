"""What scheduling tells the layers above it (clinic.events). Published inside the booking
transaction by scheduling.services; who reacts is listed in wiring/subscribers.py."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from clinic.events import Event
from clinic.models import User

from .models import Course, Location


class BookingChange(enum.StrEnum):
    """How a course's booked dates changed: the wording of the booking e-mail and the note on
    the reminders it cancels (stored as these values)."""

    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    COURSE_CANCELLED = "course_cancelled"


@dataclass(frozen=True)
class CourseDates:
    """The course's active sessions (booked, checked in, completed) once the change is made, as
    the publisher read them under the course's row lock: their starts and their local days, each
    in order. Handlers use these instead of reading the sessions again."""

    starts: tuple[dt.datetime, ...]
    days: tuple[dt.date, ...]


@dataclass(frozen=True)
class SessionBooked(Event):
    """One or more sessions of the course were booked in one go ('Plan my course' books
    several at once). `dates` are the course's dates with them (None: read them)."""

    course: Course
    session_ids: tuple[int, ...]
    by: User | None
    dates: CourseDates | None = None


@dataclass(frozen=True)
class SessionMoved(Event):
    """A booked session was moved: `from_session_id` is now 'moved', `to_session_id` booked."""

    course: Course
    from_session_id: int
    to_session_id: int
    by: User | None


@dataclass(frozen=True)
class SessionCancelled(Event):
    """One booked session was cancelled; the course goes on."""

    course: Course
    session_id: int
    by: User | None


@dataclass(frozen=True)
class SessionCheckedIn(Event):
    """The patient arrived for a session: their treatment has started."""

    course: Course
    session_id: int
    by: User


@dataclass(frozen=True)
class SessionCompleted(Event):
    """A clinician recorded a session's infusion as done (published for every session, before
    CourseCompleted when it was the last)."""

    course: Course
    session_id: int
    by: User


@dataclass(frozen=True)
class SessionNoShow(Event):
    """The patient did not come to a booked session (a mistake is undone by a check-in the same
    day, which publishes SessionCheckedIn)."""

    course: Course
    session_id: int
    by: User


@dataclass(frozen=True)
class CourseCompleted(Event):
    """The last planned session was completed."""

    course: Course
    by: User


@dataclass(frozen=True)
class CoursePlannedCountChanged(Event):
    """A coordinator planned a different number of infusions for an open course."""

    course: Course
    planned_from: int
    planned_to: int
    by: User


@dataclass(frozen=True)
class CourseCancelled(Event):
    """The whole course was cancelled (`reason`, the canceller's note), with `session_ids`, the
    sessions still to come."""

    course: Course
    session_ids: tuple[int, ...]
    by: User
    reason: str


@dataclass(frozen=True)
class ClosureLifted(Event):
    """A closed day at the location is open again (its closure was deleted): the local `date`'s
    opening hours can take bookings."""

    location: Location
    date: dt.date
    by: User | None


@dataclass(frozen=True)
class ShiftAdded(Event):
    """A clinician's new shift adds monitoring capacity at the location from `starts_at` to
    `ends_at`."""

    location: Location
    shift_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    by: User | None
