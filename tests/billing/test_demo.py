import pytest
from django.core.management import call_command

from billing.models import Estimate, FacilityBillingIdentity, FeeItem, FeeSchedule, PackagePrice
from clinic.models import PatientProfile
from scheduling.models import Course, SessionStatus

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        FeeSchedule.objects.count(),
        FeeItem.objects.count(),
        PackagePrice.objects.count(),
        FacilityBillingIdentity.objects.count(),
        list(Estimate.objects.values_list("number", "version", "total_high")),
        PatientProfile.objects.count(),
    )


def test_billing_demo_seeds_both_locations_idempotently():
    call_command("seed_demo")
    first = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == first
    schedules, items, packages, identities, estimates, profiles = first
    assert (schedules, identities) == (2, 2)


def test_the_demo_patients_gfe_matches_her_course_as_booked():
    call_command("seed_demo")
    course = Course.objects.get(patient__email="patient@mail.example")
    booked = sorted(
        course.sessions.filter(status=SessionStatus.BOOKED).values_list("starts_at", flat=True)
    )
    estimate = Estimate.objects.filter(patient=course.patient).order_by("-version").first()
    assert estimate is not None, "booking the demo course issued no GFE"
    assert estimate.infusion_count == course.planned_sessions == 4
    assert estimate.scheduled_starts == booked and len(booked) == 2
    assert estimate.location_id == course.location_id
    assert estimate.diagnosis_codes == ["G43.709"]
    # Issued through the real services: the document as issued is stored with it.
    assert estimate.document.sha256
