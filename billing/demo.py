"""Demo billing rows: fee schedules and billing identities for both demo locations, and one issued
Good Faith Estimate for patient@mail.example. Idempotent: rows are found by natural keys; the
estimate is issued only when the patient has none."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from clinic.models import PatientProfile, Role, User
from scheduling.models import Location

from .business_days import is_business_day
from .models import Estimate, FacilityBillingIdentity, FeeItem, FeeItemKind, FeeSchedule
from .services import estimate_issue

EFFECTIVE = dt.date(2026, 1, 1)

# Realistic self-pay prices (USD) for IV ketamine infusions in each market.
PRICES = {
    "boston": {
        "identity": {
            "legal_name": "Harbor Headache & Infusion Clinic of Massachusetts, P.C.",
            "npi": "1234567893",
            "tin": "04-3456789",
            "provider_name": "Dev Patel, MD",
            "provider_npi": "1245319599",
        },
        "items": [
            (
                FeeItemKind.CONSULTATION,
                "99205",
                "Initial consultation with a physician",
                "450.00",
                False,
            ),
            (
                FeeItemKind.INFUSION,
                "96365",
                "IV infusion session, medication and monitoring (about 2 hours)",
                "650.00",
                False,
            ),
            (FeeItemKind.OPTIONAL, "J2405", "Anti-nausea medication, if needed", "35.00", True),
            (
                FeeItemKind.LATE_CANCELLATION,
                "",
                "Late-cancellation fee (less than 24 hours' notice)",
                "150.00",
                False,
            ),
            (FeeItemKind.DEPOSIT, "", "Deposit to hold the course's chair times", "250.00", False),
        ],
        "packages": {3: "1800.00", 4: "2340.00", 6: "3300.00"},
    },
    "pasadena": {
        "identity": {
            "legal_name": "Harbor Headache & Infusion Clinic of California, P.C.",
            "npi": "1497758544",
            "tin": "95-4567890",
            "provider_name": "Dev Patel, MD",
            "provider_npi": "1245319599",
        },
        "items": [
            (
                FeeItemKind.CONSULTATION,
                "99205",
                "Initial consultation with a physician",
                "475.00",
                False,
            ),
            (
                FeeItemKind.INFUSION,
                "96365",
                "IV infusion session, medication and monitoring (about 2 hours)",
                "700.00",
                False,
            ),
            (FeeItemKind.OPTIONAL, "J2405", "Anti-nausea medication, if needed", "40.00", True),
            (
                FeeItemKind.LATE_CANCELLATION,
                "",
                "Late-cancellation fee (less than 24 hours' notice)",
                "175.00",
                False,
            ),
            (FeeItemKind.DEPOSIT, "", "Deposit to hold the course's chair times", "300.00", False),
        ],
        "packages": {3: "1950.00", 4: "2520.00", 6: "3600.00"},
    },
}


def _seed_location(location: Location, spec: dict) -> None:
    FacilityBillingIdentity.objects.update_or_create(location=location, defaults=spec["identity"])
    schedule, _ = FeeSchedule.objects.update_or_create(
        location=location, effective_date=EFFECTIVE, defaults={"note": "2026 self-pay prices"}
    )
    for position, (kind, code, description, price, per_infusion) in enumerate(spec["items"]):
        values = {
            "service_code": code,
            "unit_price": Decimal(price),
            "per_infusion": per_infusion,
            "position": position,
        }
        if kind == FeeItemKind.OPTIONAL:
            FeeItem.objects.update_or_create(
                schedule=schedule, kind=kind, description=description, defaults=values
            )
        else:
            FeeItem.objects.update_or_create(
                schedule=schedule, kind=kind, defaults={"description": description, **values}
            )
    for count, price in spec["packages"].items():
        schedule.packages.update_or_create(infusion_count=count, defaults={"price": Decimal(price)})


def seed(stdout) -> None:
    for slug, spec in PRICES.items():
        location = Location.objects.filter(slug=slug).first()
        if location is not None:
            _seed_location(location, spec)

    patient = User.objects.filter(email="patient@mail.example", role=Role.PATIENT).first()
    boston = Location.objects.filter(slug="boston").first()
    coordinator = User.objects.filter(email="coordinator@clinic.example").first()
    if patient is None or boston is None or coordinator is None:
        return
    PatientProfile.objects.get_or_create(
        user=patient,
        defaults={
            "date_of_birth": dt.date(1988, 4, 12),
            "sex": "female",
            "zip_code": "02118",
            "time_zone": "America/New_York",
        },
    )
    if not Estimate.objects.filter(patient=patient).exists():
        # Six Monday, Wednesday and Friday mornings (holidays skipped), from about two weeks out.
        today = timezone.localdate(timezone.now(), boston.time_zone)
        day, days = today + dt.timedelta(days=14), []
        while len(days) < 6:
            if day.weekday() in (0, 2, 4) and is_business_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        estimate = estimate_issue(
            patient=patient,
            location=boston,
            infusion_count=6,
            scheduled_starts=[
                dt.datetime.combine(d, dt.time(9, 0), tzinfo=boston.time_zone) for d in days
            ],
            diagnosis_codes=["G43.709", "G43.E09"],
            issued_by=coordinator,
            reason="Course of six infusions booked",
        )
        stdout.write(f"Billing: issued Good Faith Estimate {estimate.label} for the demo patient.")
