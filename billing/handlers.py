"""What billing does when scheduling publishes an event (subscribed in wiring/subscribers.py): a
Good Faith Estimate must match the course as scheduled (its dates and its number of infusions),
so every change owes a new one (and starts its clock), issued at once when the fees and codes
allow it; a cancelled course no longer needs the one it owed."""

from clinic.models import PatientProfile
from scheduling.events import (
    CourseCancelled,
    CoursePlannedCountChanged,
    SessionBooked,
    SessionCancelled,
    SessionMoved,
)

from .services import gfe_close_for_cancelled_course, gfe_record_course_change

# Why the new version is issued, as its GFE says (listed in services.ESTIMATE_REASONS).
REASONS = {
    SessionBooked: "Sessions booked",
    SessionMoved: "Sessions rescheduled",
    SessionCancelled: "Sessions cancelled",
    CoursePlannedCountChanged: "Planned infusions changed",
}

CourseChange = SessionBooked | SessionMoved | SessionCancelled | CoursePlannedCountChanged


def gfe_on_course_changed(event: CourseChange) -> None:
    course = event.course
    # Patients made at intake always have a profile; the GFE needs their date of birth, and a
    # course made by hand for a patient without one is left to the coordinators.
    if not PatientProfile.objects.filter(user_id=course.patient_id).exists():
        return
    gfe_record_course_change(
        course=course, issued_by=event.by or course.patient, reason=REASONS[type(event)]
    )


def gfe_on_course_cancelled(event: CourseCancelled) -> None:
    """The GFE still owed for the course is closed as no longer required, with the reason."""
    gfe_close_for_cancelled_course(course=event.course, closed_by=event.by, reason=event.reason)
