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
    SessionCompleted,
    SessionMoved,
    SessionNoShow,
)

SUBSCRIBERS = {
    # The first booking: the referral becomes 'scheduled'; the GFE is reissued, its clock starts.
    # Then the deposit (priced from that GFE) and, by the payment policy, the infusions.
    SessionBooked: [
        intake.referral_on_session_booked,
        billing.gfe_on_course_changed,
        billing.payments_on_session_booked,
    ],
    # A move, a cancellation or a new count changes what the GFE must list: it is owed again
    # (with no session left, the one owed for the old dates is closed). A late move or
    # cancellation by the patient costs the policy's fee.
    SessionMoved: [billing.gfe_on_course_changed, billing.payments_on_session_moved],
    SessionCancelled: [billing.gfe_on_course_changed, billing.payments_on_session_cancelled],
    CoursePlannedCountChanged: [billing.gfe_on_course_changed],
    # The referral follows the treatment: 'in treatment', then 'course complete'. The infusion
    # is charged at check-in or at completion, as the policy says; a no-show costs its fee.
    SessionCheckedIn: [
        intake.referral_on_session_checked_in,
        billing.payments_on_session_checked_in,
    ],
    SessionCompleted: [billing.payments_on_session_completed],
    SessionNoShow: [billing.payments_on_no_show],
    CourseCompleted: [intake.referral_on_course_completed],
    # The GFE still owed is no longer required (the sessions' notices are scheduling's work).
    CourseCancelled: [billing.gfe_on_course_cancelled],
}


def subscribe_all() -> None:
    for event_type, handlers in SUBSCRIBERS.items():
        for handler in handlers:
            subscribe(event_type, handler)
