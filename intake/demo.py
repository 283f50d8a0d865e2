"""Demo referrals: a verified provider with referrals waiting in the coordinators' queue."""

from datetime import date

from django.utils import timezone

from clinic.models import User
from scheduling.models import Location

from . import services
from .models import ReferringProvider

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
    stdout.write("  intake: 2 referrals waiting in the call queue")
