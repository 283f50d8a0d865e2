import pytest
from django.core.management import call_command

from billing.models import Estimate, FacilityBillingIdentity, FeeItem, FeeSchedule, PackagePrice
from clinic.models import PatientProfile

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


def test_billing_demo_seeds_both_locations_and_one_gfe_idempotently():
    call_command("seed_demo")
    first = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == first
    schedules, items, packages, identities, estimates, profiles = first
    assert (schedules, identities) == (2, 2)
    assert len(estimates) == 1
    estimate = Estimate.objects.get()
    assert estimate.patient.email == "patient@mail.example"
    assert estimate.infusion_count == 6 and len(estimate.scheduled_starts) == 6
