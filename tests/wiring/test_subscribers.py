"""The subscriber table (wiring/subscribers.py) is what runs: a booking's consequences are the
handlers listed there, subscribed when Django starts."""

from billing import handlers as billing
from clinic.events import handlers_for
from intake import handlers as intake
from outcomes import handlers as outcomes
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
from wiring.subscribers import SUBSCRIBERS


def test_the_table_is_subscribed_at_start_up():
    for event_type, handlers in SUBSCRIBERS.items():
        assert handlers_for(event_type) == tuple(handlers)


def test_who_reacts_to_a_booking():
    assert handlers_for(SessionBooked) == (
        intake.referral_on_session_booked,
        billing.gfe_on_course_changed,
        billing.payments_on_session_booked,
        outcomes.plan_on_course_changed,
    )
    assert handlers_for(SessionMoved) == (
        billing.gfe_on_course_changed,
        billing.payments_on_session_moved,
        outcomes.plan_on_course_changed,
        waitlist.waitlist_on_session_moved,
    )
    assert handlers_for(SessionCancelled) == (
        billing.gfe_on_course_changed,
        billing.payments_on_session_cancelled,
        outcomes.plan_on_course_changed,
        waitlist.waitlist_on_session_cancelled,
    )
    assert handlers_for(CoursePlannedCountChanged) == (billing.gfe_on_course_changed,)
    assert handlers_for(SessionCheckedIn) == (
        intake.referral_on_session_checked_in,
        billing.payments_on_session_checked_in,
    )
    assert handlers_for(SessionCompleted) == (billing.payments_on_session_completed,)
    assert handlers_for(SessionNoShow) == (
        billing.payments_on_no_show,
        waitlist.waitlist_on_no_show,
    )
    assert handlers_for(CourseCompleted) == (
        intake.referral_on_course_completed,
        outcomes.plan_on_course_completed,
    )
    assert handlers_for(CourseCancelled) == (
        billing.gfe_on_course_cancelled,
        billing.payments_on_course_cancelled,
        outcomes.plan_on_course_cancelled,
        waitlist.waitlist_on_course_cancelled,
    )
    # More time at a location goes to the patients waiting for one.
    assert handlers_for(ClosureLifted) == (waitlist.waitlist_on_closure_lifted,)
    assert handlers_for(ShiftAdded) == (waitlist.waitlist_on_shift_added,)


def test_every_event_scheduling_publishes_has_a_row_in_the_table():
    """A new event type gets a row, even an empty one, so the table stays the one place to read."""
    import inspect

    from clinic.events import Event
    from scheduling import events

    published = {
        cls
        for _name, cls in inspect.getmembers(events, inspect.isclass)
        if issubclass(cls, Event) and cls is not Event
    }
    assert published == set(SUBSCRIBERS)
