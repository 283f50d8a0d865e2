"""What outcomes does when scheduling publishes an event (subscribed in wiring/subscribers.py):
the measurement plan follows the course, as reminders follow a session."""

from django.utils import timezone

from scheduling.events import (
    CourseCancelled,
    CourseCompleted,
    SessionBooked,
    SessionCancelled,
    SessionMoved,
)

from .services import plan_cancel, plan_complete, plan_retime


def plan_on_course_changed(event: SessionBooked | SessionMoved | SessionCancelled) -> None:
    """The baseline ends the day before the first infusion; the diary 3 months after the last."""
    dates = getattr(event, "dates", None)
    plan_retime(course=event.course, days=dates.days if dates is not None else None)


def plan_on_course_completed(event: CourseCompleted) -> None:
    """MIDAS at 1 and 3 months after the last infusion; the diary 3 months more."""
    plan_complete(course=event.course, now=timezone.now())


def plan_on_course_cancelled(event: CourseCancelled) -> None:
    """No more prompts for a cancelled course; the answers given stay."""
    plan_cancel(course=event.course)
