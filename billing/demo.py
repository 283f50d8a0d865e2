"""Demo billing rows: fee schedules and billing identities for both demo locations. Idempotent:
rows are found by natural keys."""

import datetime as dt
from decimal import Decimal

from scheduling.models import Course, CourseStatus, Location

from .models import FacilityBillingIdentity, FeeItem, FeeItemKind, FeeSchedule
from .services import (
    estimate_document_store,
    estimate_issue_after_course_change,
    estimates_without_document,
)

EFFECTIVE = dt.date(2026, 1, 1)

# Realistic self-pay prices (USD) for IV ketamine infusions in each market. Each item is
# (kind, code, description, price, per infusion, description in Spanish). Packages price the
# infusion sessions only; the drug is its own line (HCPCS J3490, unclassified drugs).
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
                "Consulta inicial con un médico",
            ),
            (
                FeeItemKind.INFUSION,
                "96365",
                "IV infusion session with monitoring (about 2 hours)",
                "575.00",
                False,
                "Sesión de infusión intravenosa con vigilancia (unas 2 horas)",
            ),
            (
                FeeItemKind.DRUG,
                "J3490",
                "Ketamine, for one infusion (unclassified drug)",
                "75.00",
                True,
                "Ketamina, para una infusión (medicamento no clasificado)",
            ),
            (
                FeeItemKind.OPTIONAL,
                "J2405",
                "Anti-nausea medication",
                "35.00",
                True,
                "Medicamento contra las náuseas",
            ),
            (
                FeeItemKind.LATE_CANCELLATION,
                "",
                "Late-cancellation fee (less than 24 hours' notice)",
                "150.00",
                False,
                "Cargo por cancelación tardía (menos de 24 horas de aviso)",
            ),
            (
                FeeItemKind.DEPOSIT,
                "",
                "Deposit to hold the course's chair times",
                "250.00",
                False,
                "Depósito para reservar los horarios",
            ),
            (
                FeeItemKind.SEPARATE,
                "99214",
                "Follow-up visit with the physician after the course",
                "250.00",
                False,
                "Visita de seguimiento con el médico después del tratamiento",
            ),
        ],
        "packages": {3: "1575.00", 4: "2040.00", 6: "2850.00"},
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
                "Consulta inicial con un médico",
            ),
            (
                FeeItemKind.INFUSION,
                "96365",
                "IV infusion session with monitoring (about 2 hours)",
                "620.00",
                False,
                "Sesión de infusión intravenosa con vigilancia (unas 2 horas)",
            ),
            (
                FeeItemKind.DRUG,
                "J3490",
                "Ketamine, for one infusion (unclassified drug)",
                "80.00",
                True,
                "Ketamina, para una infusión (medicamento no clasificado)",
            ),
            (
                FeeItemKind.OPTIONAL,
                "J2405",
                "Anti-nausea medication",
                "40.00",
                True,
                "Medicamento contra las náuseas",
            ),
            (
                FeeItemKind.LATE_CANCELLATION,
                "",
                "Late-cancellation fee (less than 24 hours' notice)",
                "175.00",
                False,
                "Cargo por cancelación tardía (menos de 24 horas de aviso)",
            ),
            (
                FeeItemKind.DEPOSIT,
                "",
                "Deposit to hold the course's chair times",
                "300.00",
                False,
                "Depósito para reservar los horarios",
            ),
            (
                FeeItemKind.SEPARATE,
                "99214",
                "Follow-up visit with the physician after the course",
                "275.00",
                False,
                "Visita de seguimiento con el médico después del tratamiento",
            ),
        ],
        "packages": {3: "1710.00", 4: "2200.00", 6: "3120.00"},
    },
}


def seed_location(location: Location, spec: dict) -> None:
    FacilityBillingIdentity.objects.update_or_create(location=location, defaults=spec["identity"])
    schedule, _ = FeeSchedule.objects.update_or_create(
        location=location, effective_date=EFFECTIVE, defaults={"note": "2026 self-pay prices"}
    )
    for position, (kind, code, description, price, per_infusion, spanish) in enumerate(
        spec["items"]
    ):
        values = {
            "description_es": spanish,
            "service_code": code,
            "unit_price": Decimal(price),
            "per_infusion": per_infusion,
            "position": position,
        }
        if kind in (FeeItemKind.OPTIONAL, FeeItemKind.SEPARATE):
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
    """Prices and identities only. The demo patient's Good Faith Estimate is owed when
    scheduling books her course and issued by seed_estimates, through the real services, so it
    matches the course (seed_demo runs billing before intake and scheduling)."""
    for slug, spec in PRICES.items():
        location = Location.objects.filter(slug=slug).first()
        if location is not None:
            seed_location(location, spec)
    stdout.write("Billing: fee schedules and billing identities for both locations.")


def seed_estimates(stdout) -> None:
    """The Good Faith Estimates the demo's bookings owe: a course change issues its estimate
    after its commit, by a task (billing.tasks.issue_course_estimate) that a worker may not be
    running to take, and seed_demo commits once at its end; here each active course gets it
    from the same service, as the worker would just after that commit (nothing when its
    estimate is issued already). Runs after scheduling's seeder, the only one that books."""
    issued = 0
    booked = Course.objects.filter(status=CourseStatus.ACTIVE, sessions__isnull=False)
    for course_id in booked.distinct().order_by("pk").values_list("pk", flat=True):
        if estimate_issue_after_course_change(course_id=course_id) is not None:
            issued += 1
    stdout.write(f"Billing: {issued} Good Faith Estimate(s) issued for the courses as booked.")


def seed_documents(stdout) -> None:
    """The documents of the estimates the demo's bookings issued: a booking stores its estimate's
    document after its commit, by a task (billing.tasks.store_estimate_document) that a worker
    may not be running to take; this is the same service beat's sweep calls. Runs last."""
    ids = estimates_without_document()
    for pk in ids:
        estimate_document_store(estimate_id=pk)
    stdout.write(f"Billing: {len(ids)} estimate document(s) stored as issued.")
