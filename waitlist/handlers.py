"""What the waitlist does when scheduling frees a chair or opens time (listed in
wiring/subscribers.py): the freed times are recorded and, after commit, offered to the first
round of waiting patients."""

from scheduling.availability import local_day_bounds
from scheduling.events import (
    ClosureLifted,
    CourseCancelled,
    SessionCancelled,
    SessionMoved,
    SessionNoShow,
    ShiftAdded,
)
from scheduling.models import InfusionSession

from .services import slot_free, slots_free_opened


def _free(session_id: int) -> None:
    session = InfusionSession.objects.select_related("location").get(pk=session_id)
    slot_free(location=session.location, starts_at=session.starts_at, source_session_id=session.pk)


def waitlist_on_session_cancelled(event: SessionCancelled) -> None:
    _free(event.session_id)


def waitlist_on_session_moved(event: SessionMoved) -> None:
    """The old time of a moved session is free (a waitlist offer for an earlier time cascades
    this way)."""
    _free(event.from_session_id)


def waitlist_on_course_cancelled(event: CourseCancelled) -> None:
    """Every session still to come of a cancelled course frees its time."""
    for session_id in event.session_ids:
        _free(session_id)


def waitlist_on_no_show(event: SessionNoShow) -> None:
    """A no-show releases its chair: a time still ahead (the patient said early they would not
    come) is offered; one already under way is not (slot_free ignores past times)."""
    _free(event.session_id)


def waitlist_on_closure_lifted(event: ClosureLifted) -> None:
    """A day open again: its opening hours are offered, session after session."""
    start, end = local_day_bounds(event.date, event.location.time_zone)
    slots_free_opened(location=event.location, start=start, end=end)


def waitlist_on_shift_added(event: ShiftAdded) -> None:
    """A new shift adds monitoring capacity: its hours are offered, session after session."""
    slots_free_opened(location=event.location, start=event.starts_at, end=event.ends_at)
