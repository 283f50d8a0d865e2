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
    CoursePlannedCountChanged,
    SessionBooked,
    SessionCancelled,
    SessionCheckedIn,
    SessionMoved,
)
from waitlist import handlers as waitlist

SUBSCRIBERS = {
    # The first booking: the referral becomes 'scheduled'; the GFE is reissued, its clock starts.
    SessionBooked: [intake.referral_on_session_booked, billing.gfe_on_course_changed],
    # A move, a cancellation or a new count changes what the GFE must list: it is owed again
    # (with no session left, the one owed for the old dates is closed).
    # The waitlist offers the freed time (after commit) to the patients waiting for one.
    SessionMoved: [billing.gfe_on_course_changed, waitlist.waitlist_on_session_moved],
    SessionCancelled: [billing.gfe_on_course_changed, waitlist.waitlist_on_session_cancelled],
    CoursePlannedCountChanged: [billing.gfe_on_course_changed],
    # The referral follows the treatment: 'in treatment', then 'course complete'.
    SessionCheckedIn: [intake.referral_on_session_checked_in],
    CourseCompleted: [intake.referral_on_course_completed],
    # The GFE still owed is no longer required (the sessions' notices are scheduling's work).
    CourseCancelled: [billing.gfe_on_course_cancelled, waitlist.waitlist_on_course_cancelled],
}


def subscribe_all() -> None:
    for event_type, handlers in SUBSCRIBERS.items():
        for handler in handlers:
            subscribe(event_type, handler)
