"""What billing does when scheduling publishes an event (subscribed in wiring/subscribers.py): a
Good Faith Estimate must match the course as scheduled (its dates and its number of infusions),
so every change owes a new one (recorded, with its deadline, in the change's transaction) and
enqueues its issue after the commit (billing.tasks.issue_course_estimate); a cancelled course
no longer needs the one it owed."""

from clinic.db import one_or_none
from clinic.models import PatientProfile
from scheduling.events import (
    CourseCancelled,
    CoursePlannedCountChanged,
    SessionBooked,
    SessionCancelled,
    SessionCheckedIn,
    SessionCompleted,
    SessionMoved,
    SessionNoShow,
)

from .payments import consequences as payments
from .payments.models import ChargeMoment
from .services import gfe_close_for_cancelled_course, gfe_record_course_change
from .tasks import issue_course_estimate

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
    # course made by hand for a patient without one is left to the coordinators. Locked here,
    # once, for everything billing writes for the patient below (services.estimates).
    profile = one_or_none(
        PatientProfile.objects.select_for_update().filter(user_id=course.patient_id)
    )
    if profile is None:
        return
    dates = getattr(event, "dates", None)
    issued_by = event.by or course.patient
    reason = REASONS[type(event)]
    gfe_record_course_change(
        course=course,
        issued_by=issued_by,
        reason=reason,
        starts=list(dates.starts) if dates is not None else None,
        profile=profile,
    )
    # The estimate that meets it is issued after the commit (beat's issue-owed-estimates
    # issues it when this task is lost).
    issue_course_estimate.delay_on_commit(course.pk, reason, issued_by.pk)


def gfe_on_course_cancelled(event: CourseCancelled) -> None:
    """The GFE still owed for the course is closed as no longer required, with the reason."""
    gfe_close_for_cancelled_course(course=event.course, closed_by=event.by, reason=event.reason)


# --- Payments (billing/payments/consequences.py): the ledger follows the course ---


def payments_on_session_booked(event: SessionBooked) -> None:
    """The deposit, and each infusion when the policy charges at booking."""
    payments.on_sessions_booked(event.course, event.session_ids, event.by)


def payments_on_session_checked_in(event: SessionCheckedIn) -> None:
    payments.on_session_reached(event.course, event.session_id, ChargeMoment.CHECK_IN, event.by)


def payments_on_session_completed(event: SessionCompleted) -> None:
    payments.on_session_reached(event.course, event.session_id, ChargeMoment.COMPLETION, event.by)


def payments_on_session_cancelled(event: SessionCancelled) -> None:
    """A late cancellation by the patient: the policy's fee."""
    payments.on_late_change(event.course, event.session_id, event.by)


def payments_on_session_moved(event: SessionMoved) -> None:
    """A late move by the patient: the same fee as a late cancellation."""
    payments.on_late_change(event.course, event.from_session_id, event.by)


def payments_on_no_show(event: SessionNoShow) -> None:
    payments.on_no_show(event.course, event.session_id, event.by)


def payments_on_course_cancelled(event: CourseCancelled) -> None:
    """The unused deposit, refunded when the course was cancelled in time (by the policy)."""
    payments.on_course_cancelled(event.course, event.session_ids, event.by)
