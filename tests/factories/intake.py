import itertools
from datetime import date

import factory

from clinic.models import Role
from intake import services
from intake.models import ReferringProvider
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory

# Valid NPIs (Luhn over 80840 + first nine digits), generated so factories never collide.
_npi_bases = itertools.count(123456700)


def valid_npi() -> str:
    from intake.validators import npi_check_digit_ok

    while True:
        base = str(next(_npi_bases))
        for check in "0123456789":
            if npi_check_digit_ok(base + check):
                return base + check


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferringProvider

    user = factory.SubFactory(UserFactory, role=Role.PROVIDER)
    practice_name = factory.Sequence(lambda n: f"Neurology Group {n}")
    npi = factory.LazyFunction(valid_npi)
    phone = "+16175550100"


def referral_data(location=None, **overrides) -> dict:
    """Valid cleaned data for referral_submit, as ReferralForm would produce it."""
    data = {
        "patient_first_name": "Ana",
        "patient_last_name": "Diaz",
        "date_of_birth": date(1984, 3, 2),
        "sex": "female",
        "mobile_phone": "+16175550123",
        "email": "",
        "preferred_language": "en",
        "zip_code": "02116",
        "preferred_location": location or LocationFactory(slug="boston", name="Boston"),
        "contact_consent": True,
        "diagnosis_code": "G43.709",
        "headache_days_per_month": 18,
        "years_with_migraine": 12,
        "preventives_tried": ["topiramate"],
        "preventives_other": "",
        "current_medications": "",
        "contraindications": [],
        "no_contraindications": True,
        "recommended_infusions": 3,
        "urgency": "routine",
        "notes": "",
    }
    data.update(overrides)
    if data["contraindications"] and "no_contraindications" not in overrides:
        data["no_contraindications"] = False
    return data


def submit_referral(provider=None, **overrides):
    provider = provider or ProviderFactory()
    referral, _ = services.referral_submit(provider=provider, data=referral_data(**overrides))
    return referral
