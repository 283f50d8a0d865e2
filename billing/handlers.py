"""What billing does when scheduling publishes an event (subscribed in wiring/subscribers.py): a
Good Faith Estimate must match the course as scheduled, so every change of its dates owes a new
one (and starts its clock), issued at once when the fees and codes allow it."""

from clinic.models import PatientProfile
from scheduling.events import SessionBooked, SessionCancelled, SessionMoved

from .services import gfe_record_course_change

# Why the new version is issued, as its GFE says (listed in services.ESTIMATE_REASONS).
REASONS = {
    SessionBooked: "Sessions booked",
    SessionMoved: "Sessions rescheduled",
    SessionCancelled: "Sessions cancelled",
}


def gfe_on_schedule_changed(event: SessionBooked | SessionMoved | SessionCancelled) -> None:
    course = event.course
    # Patients made at intake always have a profile; the GFE needs their date of birth, and a
    # course made by hand for a patient without one is left to the coordinators.
    if not PatientProfile.objects.filter(user_id=course.patient_id).exists():
        return
    gfe_record_course_change(
        course=course, issued_by=event.by or course.patient, reason=REASONS[type(event)]
    )
