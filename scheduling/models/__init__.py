"""Scheduling's tables, by topic: where (locations, chairs, hours, closures), who is on duty
(shifts), what is planned (session types, rules, courses), what happens (sessions), and what is
kept for a moment or sent out (holds, action links). Import from here: `from scheduling.models
import Course` keeps working whichever module a model lives in."""

from .courses import (
    COURSE_TRANSITIONS,
    MAX_SESSIONS_PER_COURSE,
    OPEN_COURSE_STATUSES,
    Course,
    CourseRules,
    CourseStatus,
    CourseStatusChange,
    SessionType,
)
from .holds import SlotHold
from .links import ActionLinkKind, SessionActionLink
from .locations import Chair, Closure, Location, OpeningHours, Weekday
from .ranges import TsTzRange
from .sessions import (
    ACTIVE,
    ACTIVE_SESSION_STATUSES,
    SESSION_TRANSITIONS,
    InfusionSession,
    InfusionSessionQuerySet,
    SessionStatus,
    SessionStatusChange,
)
from .shifts import StaffShift, StaffShiftQuerySet

__all__ = [
    "ACTIVE",
    "ACTIVE_SESSION_STATUSES",
    "COURSE_TRANSITIONS",
    "MAX_SESSIONS_PER_COURSE",
    "OPEN_COURSE_STATUSES",
    "SESSION_TRANSITIONS",
    "ActionLinkKind",
    "Chair",
    "Closure",
    "Course",
    "CourseRules",
    "CourseStatus",
    "CourseStatusChange",
    "InfusionSession",
    "InfusionSessionQuerySet",
    "Location",
    "OpeningHours",
    "SessionActionLink",
    "SessionStatus",
    "SessionStatusChange",
    "SessionType",
    "SlotHold",
    "StaffShift",
    "StaffShiftQuerySet",
    "TsTzRange",
    "Weekday",
]
