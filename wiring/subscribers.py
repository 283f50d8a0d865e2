"""Who reacts to what: every subscription to a domain event, in one table.

A lower layer publishes an event inside its transaction (clinic.events.publish); the handlers
listed here run at once, in this order, in the same transaction. To see every consequence of a
booking, read SessionBooked's row; to add one, write a handler in the app that reacts (its
handlers.py) and list it here.
"""

from billing import handlers as billing
from clinic.events import subscribe
from clinic.messaging.services import renderer_register
from intake import handlers as intake
from outcomes import handlers as outcomes
from scheduling import notifications as scheduling_notifications
from scheduling.events import (
    ClosureLifted,
    CourseCancelled,
    CourseCompleted,
    CoursePlannedCountChanged,
    SessionBooked,
    SessionCancelled,
    SessionCheckedIn,
    SessionCompleted,
    SessionMoved,
    SessionNoShow,
    ShiftAdded,
)
from waitlist import handlers as waitlist

SUBSCRIBERS = {
    # The first booking: the referral becomes 'scheduled'; the GFE is reissued, its clock starts.
    # Then the deposit (priced from that GFE) and, by the payment policy, the infusions; the
    # outcome plan follows every booking (baseline end, diary end).
    SessionBooked: [
        intake.referral_on_session_booked,
        billing.gfe_on_course_changed,
        billing.payments_on_session_booked,
        outcomes.plan_on_course_changed,
    ],
    # A move, a cancellation or a new count changes what the GFE must list: it is owed again
    # (with no session left, the one owed for the old dates is closed). A late move or
    # cancellation by the patient costs the policy's fee. The waitlist offers the freed time
    # (after commit) to the patients waiting for one.
    SessionMoved: [
        billing.gfe_on_course_changed,
        billing.payments_on_session_moved,
        outcomes.plan_on_course_changed,
        waitlist.waitlist_on_session_moved,
    ],
    SessionCancelled: [
        billing.gfe_on_course_changed,
        billing.payments_on_session_cancelled,
        outcomes.plan_on_course_changed,
        waitlist.waitlist_on_session_cancelled,
    ],
    CoursePlannedCountChanged: [billing.gfe_on_course_changed],
    # The referral follows the treatment: 'in treatment', then 'course complete'. The infusion
    # is charged at check-in or at completion, as the policy says; a no-show costs its fee.
    SessionCheckedIn: [
        intake.referral_on_session_checked_in,
        billing.payments_on_session_checked_in,
    ],
    SessionCompleted: [billing.payments_on_session_completed],
    # A no-show's fee; a no-show marked before its time releases the chair to the waitlist.
    SessionNoShow: [billing.payments_on_no_show, waitlist.waitlist_on_no_show],
    CourseCompleted: [intake.referral_on_course_completed, outcomes.plan_on_course_completed],
    # The GFE still owed is no longer required (the sessions' notices are scheduling's work);
    # the outcome plan stops.
    CourseCancelled: [
        billing.gfe_on_course_cancelled,
        billing.payments_on_course_cancelled,
        outcomes.plan_on_course_cancelled,
        waitlist.waitlist_on_course_cancelled,
    ],
    # More time at a location (a closed day opened again, a new shift on duty): the waitlist
    # offers the sessions it can hold.
    ClosureLifted: [waitlist.waitlist_on_closure_lifted],
    ShiftAdded: [waitlist.waitlist_on_shift_added],
}


# Messages an app stores unrendered and the dispatcher (clinic.messaging) has written by that app
# when it sends them: the booking e-mail waits for the dispatcher (issue 19).
RENDERERS = {
    scheduling_notifications.BOOKING_EMAIL: scheduling_notifications.booking_email_render,
}


def subscribe_all() -> None:
    for event_type, handlers in SUBSCRIBERS.items():
        for handler in handlers:
            subscribe(event_type, handler)
    for name, renderer in RENDERERS.items():
        renderer_register(name, renderer)
