"""What intake does when scheduling publishes an event (subscribed in wiring/subscribers.py): the
referral follows its course, so the referring provider sees how the treatment is going."""

from scheduling.events import CourseCompleted, SessionBooked, SessionCheckedIn

from .models import ReferralStatus
from .services import referral_follow_course


def referral_on_session_booked(event: SessionBooked) -> None:
    """The first booking makes the referral 'scheduled' (and tells the provider)."""
    referral_follow_course(course=event.course, status=ReferralStatus.SCHEDULED)


def referral_on_session_checked_in(event: SessionCheckedIn) -> None:
    """The first check-in makes it 'in treatment'."""
    referral_follow_course(
        course=event.course, status=ReferralStatus.IN_TREATMENT, changed_by=event.by
    )


def referral_on_course_completed(event: CourseCompleted) -> None:
    """The last session completed makes it 'course complete' (and tells the provider)."""
    referral_follow_course(course=event.course, status=ReferralStatus.COURSE_COMPLETE)
