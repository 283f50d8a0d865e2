"""The scheduling pages, one module per audience (patient, staff, coordinator); urls.py and the
floors above import them from here."""

from .coordinator import (
    coordinator_course,
    coordinator_course_cancel,
    coordinator_course_plan,
    coordinator_courses,
    coordinator_session_change,
)
from .patient import (
    action_link,
    patient_book,
    patient_booked,
    patient_cancel,
    patient_hold,
    patient_hold_confirm,
    patient_home,
    patient_ics,
    patient_plan,
    patient_reschedule,
)
from .staff import clinician_review, day_view_context, staff_day, staff_session_status

__all__ = [
    "action_link",
    "clinician_review",
    "coordinator_course",
    "coordinator_course_cancel",
    "coordinator_course_plan",
    "coordinator_courses",
    "coordinator_session_change",
    "day_view_context",
    "patient_book",
    "patient_booked",
    "patient_cancel",
    "patient_hold",
    "patient_hold_confirm",
    "patient_home",
    "patient_ics",
    "patient_plan",
    "patient_reschedule",
    "staff_day",
    "staff_session_status",
]
