"""The features working together: a referral's intake leads to a course whose bookings move the
referral, plan the reminders and start the Good Faith Estimate clock."""

import pytest

from billing.models import GfeObligation
from clinic.messaging.models import Message
from clinic.models import Role
from intake import services as intake
from intake.models import ChecklistItem, Referral
from scheduling import services
from tests.factories.intake import submit_referral
from tests.factories.users import UserFactory

from .conftest import NOW, at


@pytest.fixture
def course_from_referral(clinic):
    coordinator = UserFactory(role=Role.COORDINATOR)
    referral = submit_referral(
        preferred_location=clinic["location"], location=clinic["location"], recommended_infusions=2
    )
    case = referral.intake_case
    intake.case_claim(case=case, coordinator=coordinator)
    for item in ChecklistItem.values:
        intake.case_set_checklist_item(case=case, coordinator=coordinator, item=item, ticked=True)
    intake.call_log(case=case, coordinator=coordinator, outcome="intake_complete")
    referral.refresh_from_db()
    return referral, referral.course, coordinator


def test_first_booking_schedules_the_referral_plans_reminders_and_starts_the_gfe_clock(
    course_from_referral,
):
    referral, course, coordinator = course_from_referral
    first = services.session_book(
        course=course, starts_at=at(2027, 3, 8, 9), by=coordinator, now=NOW
    )
    referral.refresh_from_db()
    assert referral.status == "scheduled"
    kinds = set(Message.objects.filter(topic=f"session:{first.pk}").values_list("kind", flat=True))
    assert len(kinds) >= 3  # confirmation and the reminders before the session
    for message in Message.objects.filter(topic=f"session:{first.pk}"):
        assert "ketamine" not in message.body.lower() and "migraine" not in message.body.lower()
    assert GfeObligation.objects.filter(patient=course.patient).exists()


def test_moving_a_session_retimes_its_reminders_and_cancelling_sends_a_notice(
    course_from_referral,
):
    referral, course, coordinator = course_from_referral
    session = services.session_book(
        course=course, starts_at=at(2027, 3, 8, 9), by=coordinator, now=NOW
    )
    moved = services.session_reschedule(
        session=session, new_starts_at=at(2027, 3, 9, 10), by=coordinator, now=NOW
    )
    old = Message.objects.filter(topic=f"session:{session.pk}")
    assert not old.filter(status="scheduled").exists()
    assert Message.objects.filter(topic=f"session:{moved.pk}", status="scheduled").exists()
    services.session_cancel(session=moved, by=coordinator, now=NOW)
    new_topic = Message.objects.filter(topic=f"session:{moved.pk}")
    assert list(new_topic.filter(status="scheduled").values_list("kind", flat=True)) == [
        "appointment_cancelled"
    ]


def test_checking_in_and_completing_every_session_completes_the_referral(course_from_referral):
    referral, course, coordinator = course_from_referral
    nurse = UserFactory(role=Role.CLINICIAN)
    sessions = services.course_book_sessions(
        course=course, starts=[at(2027, 3, 8, 9), at(2027, 3, 11, 9)], by=coordinator, now=NOW
    )
    services.session_check_in(session=sessions[0], by=nurse)
    assert Referral.objects.get(pk=referral.pk).status == "in_treatment"
    for session in sessions:
        session.refresh_from_db()
        if session.status == "booked":
            services.session_check_in(session=session, by=nurse)
        services.session_complete(session=session, by=nurse)
    referral.refresh_from_db()
    assert referral.status == "course_complete"
    assert [h.to_status for h in referral.history.all()] == [
        "received",
        "contacting",
        "intake_complete",
        "scheduled",
        "in_treatment",
        "course_complete",
    ]
