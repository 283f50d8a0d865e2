"""Writes for courses and infusion sessions.

Lock order, everywhere: the course row first (SELECT ... FOR UPDATE), then the location-day
advisory locks in ascending key order. Two bookings that compete for a chair or for monitoring
capacity at one location on one local day therefore run one after the other, and each re-checks
availability after it holds the lock. The database constraints (exclusion over chair and patient
time ranges, one infusion per patient per day, slot within plan) still refuse whatever a lock
could miss; their IntegrityError becomes the same friendly refusal.

One module per topic (courses, booking, sessions; statuses, locks and consequences beneath
them); everyone imports from here.
"""

from ..links import action_link_resolve, session_action_url
from .booking import (
    REFUSALS,
    SlotTaken,
    course_book_sessions,
    session_book,
    slot_hold,
    slot_hold_for_group,
    slot_hold_release,
)
from .courses import (
    course_cancel,
    course_change_planned_count,
    course_create,
    course_review,
    default_session_type,
)
from .opening import closure_lift, shift_add
from .sessions import (
    action_link_cancel,
    action_link_reschedule,
    session_cancel,
    session_check_in,
    session_complete,
    session_confirm_next,
    session_correct_no_show,
    session_mark_no_show,
    session_reschedule,
)
from .statuses import is_late_change

__all__ = [
    "REFUSALS",
    "SlotTaken",
    "action_link_cancel",
    "action_link_reschedule",
    "action_link_resolve",
    "closure_lift",
    "course_book_sessions",
    "course_cancel",
    "course_change_planned_count",
    "course_create",
    "course_review",
    "default_session_type",
    "is_late_change",
    "session_action_url",
    "session_book",
    "session_cancel",
    "session_check_in",
    "session_complete",
    "session_confirm_next",
    "session_correct_no_show",
    "session_mark_no_show",
    "session_reschedule",
    "shift_add",
    "slot_hold",
    "slot_hold_for_group",
    "slot_hold_release",
]
