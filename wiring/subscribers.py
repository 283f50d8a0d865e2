"""Who reacts to what: every subscription to a domain event, in one table.

A lower layer publishes an event inside its transaction (clinic.events.publish); the handlers
listed here run at once, in this order, in the same transaction. To see every consequence of a
booking, read SessionBooked's row; to add one, write a handler in the app that reacts (its
handlers.py) and list it here.
"""

from billing import handlers as billing
from clinic.events import subscribe
from intake import handlers as intake
from scheduling.events import (
    CourseCancelled,
    CourseCompleted,
    SessionBooked,
    SessionCancelled,
    SessionCheckedIn,
    SessionMoved,
)

SUBSCRIBERS = {
    # The first booking: the referral becomes 'scheduled'; the GFE is reissued, its clock starts.
    SessionBooked: [intake.referral_on_session_booked, billing.gfe_on_schedule_changed],
    # A move or a cancellation changes the dates the GFE must list: it is owed again.
    SessionMoved: [billing.gfe_on_schedule_changed],
    SessionCancelled: [billing.gfe_on_schedule_changed],
    # The referral follows the treatment: 'in treatment', then 'course complete'.
    SessionCheckedIn: [intake.referral_on_session_checked_in],
    CourseCompleted: [intake.referral_on_course_completed],
    # Its sessions' reminders and notices are scheduling's own work; nobody above reacts yet.
    CourseCancelled: [],
}


def subscribe_all() -> None:
    for event_type, handlers in SUBSCRIBERS.items():
        for handler in handlers:
            subscribe(event_type, handler)
