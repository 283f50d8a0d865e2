"""What the waitlist does when scheduling frees a chair (listed in wiring/subscribers.py): the
freed time is recorded and, after commit, offered to the first round of waiting patients."""

from scheduling.events import CourseCancelled, SessionCancelled, SessionMoved
from scheduling.models import InfusionSession

from .services import slot_free


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
