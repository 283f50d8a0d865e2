"""The fax-back page a practice gets when its faxed referral arrives and the provider has no
e-mail address: in the provider's language, naming the provider, the reference and the day the
fax came, and nothing about the patient."""

import datetime as dt

import pytest

from intake.notifications import referral_received_fax_queue
from tests.factories.intake import ProviderFactory, submit_referral
from tests.factories.scheduling import LocationFactory

pytestmark = pytest.mark.django_db

# 11:30 PM in Boston on 30 November is already 1 December in UTC: the day is the location's.
FAXED_AT = dt.datetime(2026, 12, 1, 4, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["To: Alan Whitfield, Harbor Neurology", "faxed on Monday 30 November 2026"]),
        ("es", ["Para: Alan Whitfield, Harbor Neurology", "el lunes 30 de noviembre de 2026"]),
    ],
)
def test_the_fax_back_names_the_reference_in_the_providers_language_and_no_patient(language, words):
    provider = ProviderFactory(
        user__first_name="Alan",
        user__last_name="Whitfield",
        user__preferred_language=language,
        practice_name="Harbor Neurology",
    )
    location = LocationFactory(time_zone="America/New_York")
    referral = submit_referral(
        provider=provider,
        location=location,
        patient_first_name="Maria",
        patient_last_name="Gonzalez",
    )
    fax = referral_received_fax_queue(
        referral=referral, to_number="+16175550199", received_at=FAXED_AT
    )
    assert (fax.channel, fax.to_address, fax.language) == ("fax", "+16175550199", language)
    assert referral.reference in fax.subject and referral.reference in fax.body
    for word in words:
        assert word in fax.body
    text = (fax.subject + fax.body).lower()
    for private in ("maria", "gonzalez", referral.date_of_birth.isoformat(), "g43", "migra"):
        assert private not in text
    assert "ketamin" not in text and "infusi" not in text
    # Queued again (a retried request): the same row, one fax.
    again = referral_received_fax_queue(
        referral=referral, to_number="+16175550199", received_at=FAXED_AT
    )
    assert again.pk == fax.pk
