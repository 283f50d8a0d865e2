import datetime as dt
from decimal import Decimal

import factory

from billing.models import FacilityBillingIdentity, FeeItem, FeeItemKind, FeeSchedule, PackagePrice
from clinic.models import PatientProfile, Role, Sex
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory


class PatientProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientProfile

    user = factory.SubFactory(UserFactory, role=Role.PATIENT)
    date_of_birth = dt.date(1984, 5, 17)
    sex = Sex.FEMALE
    zip_code = "02116"
    time_zone = "America/New_York"


def patient(**kwargs):
    """A patient user with a profile (what an estimate needs)."""
    return PatientProfileFactory(**kwargs).user


class FacilityBillingIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FacilityBillingIdentity

    location = factory.SubFactory(LocationFactory)
    legal_name = "Harbor Headache & Infusion Clinic, P.C."
    npi = "1234567893"
    tin = "04-3456789"
    provider_name = "Dev Patel, MD"
    provider_npi = "1245319599"


# Prices used throughout the billing tests (their arithmetic is spelled out in test_pricing).
STANDARD_ITEMS = [
    (FeeItemKind.CONSULTATION, "99205", "Initial consultation", "450.00", False),
    (FeeItemKind.INFUSION, "96365", "IV infusion with monitoring", "650.00", False),
    (FeeItemKind.OPTIONAL, "J2405", "Anti-nausea medication", "34.95", True),
    (FeeItemKind.LATE_CANCELLATION, "", "Late-cancellation fee", "150.00", False),
    (FeeItemKind.DEPOSIT, "", "Deposit", "250.00", False),
]
STANDARD_PACKAGES = {4: "2300.00", 6: "3300.00"}


def fee_schedule(location, effective_date=dt.date(2026, 1, 1), items=None, packages=None):
    schedule = FeeSchedule.objects.create(location=location, effective_date=effective_date)
    for i, (kind, code, description, price, per_infusion) in enumerate(items or STANDARD_ITEMS):
        FeeItem.objects.create(
            schedule=schedule,
            kind=kind,
            service_code=code,
            description=description,
            unit_price=Decimal(price),
            per_infusion=per_infusion,
            position=i,
        )
    for count, price in (STANDARD_PACKAGES if packages is None else packages).items():
        PackagePrice.objects.create(schedule=schedule, infusion_count=count, price=Decimal(price))
    return schedule


def billable_location(**kwargs):
    """A location with a billing identity and the standard fee schedule from 2026-01-01."""
    location = LocationFactory(**{"address_line": "200 Clarendon Street", **kwargs})
    FacilityBillingIdentityFactory(location=location)
    fee_schedule(location)
    return location
