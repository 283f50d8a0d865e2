"""Demo referrals: a verified provider with referrals waiting in the coordinators' queue, and a
few months of earlier referrals at every stage so the operations dashboard has something to show.
"""

import datetime as dt
from datetime import date

from django.utils import timezone

from clinic.models import PatientProfile, Role, User
from scheduling.demo import DEMO_PASSWORD, OTHER_PATIENTS
from scheduling.models import Course, Location
from scheduling.services import course_create

from . import services
from .models import IntakeCase, Referral, ReferralStatus, ReferralStatusChange, ReferringProvider

DEMO_REFERRALS = [
    {
        "key": "demo-referral-1",
        "patient_first_name": "Jordan",
        "patient_last_name": "Reyes",
        "date_of_birth": date(1986, 4, 12),
        "sex": "female",
        "mobile_phone": "+16175550187",
        "email": "jordan.reyes@mail.example",
        "preferred_language": "en",
        "zip_code": "02139",
        "location": "boston",
        "diagnosis_code": "G43.709",
        "headache_days_per_month": 18,
        "years_with_migraine": 14,
        "preventives_tried": ["topiramate", "propranolol", "erenumab"],
        "contraindications": [],
        "no_contraindications": True,
        "recommended_infusions": 3,
        "urgency": "routine",
    },
    {
        "key": "demo-referral-2",
        "patient_first_name": "Luis",
        "patient_last_name": "Hernández",
        "date_of_birth": date(1979, 9, 30),
        "sex": "male",
        "mobile_phone": "+16265550133",
        "email": "",
        "preferred_language": "es",
        "zip_code": "91106",
        "location": "pasadena",
        "diagnosis_code": "G43.719",
        "headache_days_per_month": 24,
        "years_with_migraine": 20,
        "preventives_tried": ["amitriptyline", "onabotulinumtoxinA", "galcanezumab"],
        "contraindications": ["uncontrolled_hypertension"],
        "recommended_infusions": 5,
        "urgency": "urgent",
        "notes": "BP 150/95 at last visit; started amlodipine two weeks ago.",
    },
]


def seed(stdout) -> None:
    user = User.objects.get(email="provider@neuro.example")
    provider, _ = ReferringProvider.objects.update_or_create(
        user=user,
        defaults={
            "practice_name": "Back Bay Neurology",
            "npi": "1234567893",
            "phone": "+16175550111",
            "fax": "+16175550112",
        },
    )
    if provider.verified_at is None:
        ReferringProvider.objects.filter(pk=provider.pk).update(verified_at=timezone.now())
    locations = {loc.slug: loc for loc in Location.objects.all()}
    for spec in DEMO_REFERRALS:
        spec = dict(spec)
        key = spec.pop("key")
        spec["preferred_location"] = locations[spec.pop("location")]
        spec.setdefault("notes", "")
        spec.update(contact_consent=True, preventives_other="", current_medications="")
        services.referral_submit(provider=provider, data=spec, idempotency_key=key)
    _seed_history(provider, locations)
    _seed_demo_patient(provider, locations["boston"])
    stdout.write(
        f"  intake: 2 referrals waiting in the call queue, {len(HISTORY)} earlier ones closed"
    )


def _seed_demo_patient(provider: ReferringProvider, boston: Location) -> None:
    """patient@mail.example and the three patients on today's day view came through a referral
    and intake like anyone: each referral (with its diagnosis, which a Good Faith Estimate needs)
    is linked to the patient's course, which scheduling's demo then books. Demo-only: intake is
    marked complete here rather than by a call."""
    maria = User.objects.filter(email="patient@mail.example").first()
    if maria is not None:
        _referred_patient(
            provider, boston, maria, date(1988, 3, 14), "+16175550142", 4, "demo-patient-maria"
        )
    for n, (email, first, last) in enumerate(OTHER_PATIENTS):
        patient, created = User.objects.get_or_create(
            email=email,
            defaults={"role": Role.PATIENT, "first_name": first, "last_name": last},
        )
        if created:
            patient.set_password(DEMO_PASSWORD)
            patient.save(update_fields=["password"])
        key = f"demo-patient-{first.lower()}"
        _referred_patient(provider, boston, patient, date(1985, 6, 1), f"+1617555020{n}", 3, key)


def _referred_patient(provider, location, patient, born, phone, infusions, key) -> None:
    PatientProfile.objects.get_or_create(
        user=patient,
        defaults={
            "date_of_birth": born,
            "sex": "female",
            "zip_code": "02116",
            "time_zone": location.time_zone,
        },
    )
    referral, _ = services.referral_submit(
        provider=provider,
        idempotency_key=key,
        data={
            "patient_first_name": patient.first_name,
            "patient_last_name": patient.last_name,
            "date_of_birth": born,
            "sex": "female",
            "mobile_phone": phone,
            "email": patient.email,
            "preferred_language": "en",
            "zip_code": "02116",
            "preferred_location": location,
            "contact_consent": True,
            "diagnosis_code": "G43.709",
            "headache_days_per_month": 16,
            "years_with_migraine": 11,
            "preventives_tried": ["topiramate", "erenumab"],
            "preventives_other": "",
            "current_medications": "",
            "contraindications": [],
            "no_contraindications": True,
            "recommended_infusions": infusions,
            "urgency": "routine",
            "notes": "",
        },
    )
    course = Course.objects.filter(patient=patient).first() or course_create(
        patient=patient,
        location=location,
        planned_sessions=infusions,
        needs_clinician_review=False,
        created_by=None,
        diagnosis_codes=[referral.diagnosis_code],
    )
    if referral.course_id is None:
        Referral.objects.filter(pk=referral.pk).update(
            patient=patient, course=course, status=ReferralStatus.INTAKE_COMPLETE
        )
        IntakeCase.objects.filter(referral=referral).update(
            status=IntakeCase.Status.CLOSED,
            closed_at=timezone.now(),
            closed_outcome="intake_complete",
            next_attempt_at=None,
        )


_S = ReferralStatus
# Earlier referrals: (location, days ago, hours to the first conversation or None, final status).
HISTORY = [
    ("boston", 84, 3, _S.COURSE_COMPLETE),
    ("boston", 71, 20, _S.COURSE_COMPLETE),
    ("boston", 55, 6, _S.COURSE_COMPLETE),
    ("boston", 40, 26, _S.IN_TREATMENT),
    ("boston", 29, 4, _S.SCHEDULED),
    ("boston", 21, 30, _S.DECLINED),
    ("boston", 12, None, _S.UNREACHABLE),
    ("boston", 6, 2, _S.INTAKE_COMPLETE),
    ("pasadena", 80, 5, _S.COURSE_COMPLETE),
    ("pasadena", 62, 47, _S.COURSE_COMPLETE),
    ("pasadena", 45, 8, _S.NOT_ELIGIBLE),
    ("pasadena", 33, 12, _S.SCHEDULED),
    ("pasadena", 18, None, _S.UNREACHABLE),
    ("pasadena", 9, 22, _S.INTAKE_COMPLETE),
]
_PATH = [_S.RECEIVED, _S.CONTACTING, _S.INTAKE_COMPLETE, _S.SCHEDULED, _S.IN_TREATMENT]
_PATH += [_S.COURSE_COMPLETE]
_REASONS = {
    _S.DECLINED: "The patient decided not to go ahead.",
    _S.UNREACHABLE: "No answer after 3 calls.",
    _S.NOT_ELIGIBLE: "Pregnancy planned this year.",
}
_FIRST = ["Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indy"]
_LAST = ["Moreno", "Nakamura", "Osei", "Patel", "Quinn", "Rossi", "Silva", "Tran", "Usman"]


def _status_path(final: str) -> list[str]:
    if final in _PATH:
        return _PATH[: _PATH.index(final) + 1]
    return [_S.RECEIVED, _S.CONTACTING, final]  # closed from intake


def _seed_history(provider: ReferringProvider, locations: dict) -> None:
    """Submits each earlier referral once (through the real service, by idempotency key), then
    dates it and its intake case back relative to today. Demo-only: no service moves a referral
    into the past, so the dates are set here, on every run, to the same values for a given day."""
    for n, (slug, days_ago, contact_hours, final) in enumerate(HISTORY):
        location = locations[slug]
        zone = location.time_zone
        today = timezone.localdate(timezone.now(), zone)
        day = today - dt.timedelta(days=days_ago)
        received = dt.datetime.combine(day, dt.time(9 + n % 6, 15), tzinfo=zone)
        referral, _ = services.referral_submit(
            provider=provider,
            idempotency_key=f"demo-history-{n + 1}",
            data={
                "patient_first_name": _FIRST[n % len(_FIRST)],
                "patient_last_name": _LAST[(n * 4) % len(_LAST)],
                "date_of_birth": date(1970 + n, 1 + n % 12, 3 + n),
                "sex": "female" if n % 3 else "male",
                "mobile_phone": f"+1617555{1200 + n:04d}",
                "email": "",
                "preferred_language": "en",
                "zip_code": location.zip_code,
                "preferred_location": location,
                "contact_consent": True,
                "diagnosis_code": "G43.709",
                "headache_days_per_month": 12 + n,
                "years_with_migraine": 5 + n,
                "preventives_tried": ["topiramate", "propranolol"],
                "preventives_other": "",
                "current_medications": "",
                "contraindications": [],
                "no_contraindications": True,
                "recommended_infusions": 3 + n % 4,
                "urgency": "routine",
                "notes": "",
            },
        )
        path = _status_path(final)
        step = dt.timedelta(hours=contact_hours or 26)
        at = {status: received + step * i for i, status in enumerate(path)}
        reason = _REASONS.get(final, "")
        Referral.objects.filter(pk=referral.pk).update(
            created_at=received, status=final, status_reason=reason
        )
        for i, status in enumerate(path):
            change, _ = ReferralStatusChange.objects.get_or_create(
                referral=referral,
                to_status=status,
                defaults={"from_status": path[i - 1] if i else ""},
            )
            ReferralStatusChange.objects.filter(pk=change.pk).update(
                changed_at=at[status], reason=reason if status == final else ""
            )
        contact = received + dt.timedelta(hours=contact_hours) if contact_hours else None
        outcome = "intake_complete" if _S.INTAKE_COMPLETE in path else str(final)
        IntakeCase.objects.filter(referral=referral).update(
            created_at=received,
            status=IntakeCase.Status.CLOSED,
            closed_at=at.get(_S.INTAKE_COMPLETE, at[final]),
            closed_outcome=outcome,
            next_attempt_at=None,
            attempt_count=1 if contact else 3,
            first_attempt_at=contact or at[_S.CONTACTING],
            first_contact_at=contact,
            completed_at=at.get(_S.INTAKE_COMPLETE),
        )


# Earlier referrals (HISTORY's index) whose patient is one of scheduling's past courses
# (history.boston.<n>): the referring provider reads their outcome reports.
OUTCOME_REPORTS = [(0, 1), (1, 3), (2, 4)]


def seed_outcome_reports(stdout) -> None:
    """Runs after scheduling's and outcomes' seeders: links each of those referrals to its past
    course and its patient (named as on the referral), as intake would have."""
    linked = 0
    for n, course_index in OUTCOME_REPORTS:
        referral = Referral.objects.filter(idempotency_key=f"demo-history-{n + 1}").first()
        course = (
            Course.objects.filter(patient__email=f"history.boston.{course_index}@mail.example")
            .select_related("patient")
            .first()
        )
        if referral is None or course is None:
            continue
        User.objects.filter(pk=course.patient_id).update(
            first_name=referral.patient_first_name, last_name=referral.patient_last_name
        )
        Referral.objects.filter(pk=referral.pk).update(patient=course.patient, course=course)
        linked += 1
    stdout.write(f"  intake: {linked} earlier referrals with an outcome report for their provider")
