"""A course held for a clinician's sign-off: the card says why, only a prescribing clinician
decides, with a note, and the decision stays in the course's history."""

import pytest
from django.urls import reverse

from clinic.audit.models import AuditEvent
from clinic.models import Role
from intake import services as intake
from intake.models import CallAttempt, ChecklistItem
from scheduling.models import CourseStatus, CourseStatusChange
from tests.factories.intake import submit_referral
from tests.factories.scheduling import ClinicianFactory
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_course(clinic):
    coordinator = UserFactory(role=Role.COORDINATOR, first_name="Casey", last_name="Coord")
    referral = submit_referral(
        location=clinic["location"],
        contraindications=["uncontrolled_hypertension", "interacting_medications"],
        current_medications="Amlodipine 5 mg daily; lamotrigine 100 mg",
        blood_pressure="150/95",
        notes="BP high at the last visit.",
    )
    case = referral.intake_case
    intake.case_claim(case=case, coordinator=coordinator)
    for item in ChecklistItem.values:
        intake.case_set_checklist_item(case=case, coordinator=coordinator, item=item, ticked=True)
    intake.call_log(
        case=case,
        coordinator=coordinator,
        outcome="intake_complete",
        notes="Says home readings are now about 130/85.",
    )
    referral.refresh_from_db()
    assert referral.course.status == CourseStatus.AWAITING_REVIEW
    return referral


def test_the_review_card_shows_why_the_course_is_held(client, held_course):
    clinician = ClinicianFactory(prescriber="physician")
    client.force_login(clinician)
    page = client.get(reverse("scheduling:clinician_home")).content.decode()
    for shown in [
        "Uncontrolled hypertension",
        "interacts with ketamine",
        "150/95",
        "Amlodipine 5 mg daily",
        "BP high at the last visit.",
        "Says home readings are now about 130/85.",
        reverse("intake:referral_detail", args=[held_course.reference]),
    ]:
        assert shown in page, shown
    assert CallAttempt.objects.filter(notes__contains="130/85").exists()
    viewed = AuditEvent.objects.filter(actor=clinician, action="view")
    assert viewed.filter(object_id=str(held_course.course_id)).exists()
    assert viewed.filter(object_id=str(held_course.pk)).exists()


def test_only_a_prescribing_clinician_signs_off_and_approving_needs_a_note(client, held_course):
    course = held_course.course
    url = reverse("scheduling:clinician_review", args=[course.pk])
    nurse = ClinicianFactory(prescriber="")
    client.force_login(nurse)
    assert (
        "Only a prescribing clinician"
        in client.get(reverse("scheduling:clinician_home")).content.decode()
    )
    client.post(url, {"decision": "approve", "reason": "Looks fine"})
    course.refresh_from_db()
    assert course.status == CourseStatus.AWAITING_REVIEW

    doctor = ClinicianFactory(prescriber="np", first_name="Nia", last_name="Practitioner")
    client.force_login(doctor)
    response = client.post(url, {"decision": "approve", "reason": ""}, follow=True)
    assert "Write a note" in response.content.decode()
    course.refresh_from_db()
    assert course.status == CourseStatus.AWAITING_REVIEW

    client.post(url, {"decision": "approve", "reason": "Home BP 130/85; lamotrigine dose ok"})
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE
    decision = CourseStatusChange.objects.get(course=course, to_status=CourseStatus.ACTIVE)
    assert decision.changed_by == doctor and "lamotrigine dose ok" in decision.reason

    client.force_login(UserFactory(role=Role.COORDINATOR))
    history = client.get(reverse("scheduling:coordinator_course", args=[course.pk]))
    text = history.content.decode()
    assert "Home BP 130/85; lamotrigine dose ok" in text and "Nia Practitioner" in text


def test_a_prescriber_flag_belongs_to_clinicians_only():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(role=Role.COORDINATOR, prescriber="physician")
