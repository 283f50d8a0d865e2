from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from clinic.errors import ApplicationError
from clinic.messaging.models import Message
from clinic.messaging.services import messages_dispatch_due
from intake import services
from intake.models import PossibleDuplicate, Referral, ReferringProvider
from intake.notifications import referral_status_email_queue
from tests.factories.intake import ProviderFactory, referral_data, submit_referral
from tests.factories.scheduling import LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def location():
    return LocationFactory(slug="boston", name="Boston")


def test_same_dob_and_phone_is_flagged_both_ways_never_merged(location):
    first = submit_referral(location=location, patient_first_name="Ana", patient_last_name="Diaz")
    second = submit_referral(
        location=location, patient_first_name="Anna", patient_last_name="Dias-Lopez"
    )
    assert Referral.objects.count() == 2
    link = PossibleDuplicate.objects.get(referral=second)
    assert link.other == first and link.reason == "dob_phone"
    assert PossibleDuplicate.objects.filter(referral=first, other=second).exists()


def test_same_dob_and_normalised_name_is_flagged(location):
    first = submit_referral(
        location=location,
        patient_first_name="José",
        patient_last_name="O'Brien",
        mobile_phone="+16175550001",
    )
    second = submit_referral(
        location=location,
        patient_first_name="jose",
        patient_last_name="OBrien",
        mobile_phone="+16175550002",
    )
    assert PossibleDuplicate.objects.get(referral=second).reason == "dob_name"
    assert PossibleDuplicate.objects.get(referral=second).other == first


def test_different_dob_or_older_than_a_year_is_not_flagged(location):
    old = submit_referral(location=location)
    Referral.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    submit_referral(location=location)  # same person, but the earlier referral is > 1 year old
    submit_referral(
        location=location,
        date_of_birth=old.date_of_birth.replace(year=1990),
        mobile_phone="+16175550999",
        patient_last_name="Other",
    )
    assert PossibleDuplicate.objects.count() == 0


def test_status_moves_only_along_the_pipeline_and_keeps_history(location):
    referral = submit_referral(location=location)
    with pytest.raises(ApplicationError, match="cannot become"):
        services.referral_set_status(referral=referral, status="course_complete")
    with pytest.raises(ApplicationError, match="reason"):
        services.referral_set_status(referral=referral, status="not_eligible")
    services.referral_set_status(referral=referral, status="not_eligible", reason="Pregnancy")
    assert list(referral.history.values_list("to_status", "reason")) == [
        ("received", ""),
        ("not_eligible", "Pregnancy"),
    ]


def test_references_are_unique_and_human(location):
    refs = {
        submit_referral(location=location, mobile_phone=f"+1617555{i:04d}").reference
        for i in range(5)
    }
    assert len(refs) == 5
    assert all(r.startswith(f"R-{timezone.localdate().year}-") and len(r) == 12 for r in refs)


def test_provider_sign_up_is_unverified_until_an_admin_approves(client, make_user):
    response = client.post(
        "/provider/signup/",
        {
            "first_name": "Sam",
            "last_name": "Lee",
            "email": "Sam@Neuro.test",
            "practice_name": "Lee Neurology",
            "npi": "1245319599",
            "phone": "617-555-0100",
            "fax": "",
            "password": "a-good-long-password",
        },
    )
    assert response.status_code == 302
    provider = ReferringProvider.objects.get()
    assert provider.user.email == "sam@neuro.test" and not provider.is_verified
    admin = make_user(role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.post(
        "/admin/intake/referringprovider/", {"action": "approve", "_selected_action": [provider.pk]}
    )
    provider.refresh_from_db()
    assert provider.is_verified and provider.verified_by == admin


def test_sign_up_with_a_wrong_npi_says_so_and_creates_nothing(client):
    response = client.post(
        "/provider/signup/",
        {
            "first_name": "Sam",
            "last_name": "Lee",
            "email": "sam@neuro.test",
            "practice_name": "Lee Neurology",
            "npi": "1245319590",
            "phone": "617-555-0100",
            "password": "a-good-long-password",
        },
    )
    assert "check digit" in " ".join(response.context["form"].errors["npi"])
    assert ReferringProvider.objects.count() == 0


def test_coordinators_see_unverified_and_duplicate_referrals_marked(client, make_user, location):
    unverified = ProviderFactory()
    submit_referral(provider=unverified, location=location)
    submit_referral(location=location)
    client.force_login(make_user(role="coordinator"))
    page = client.get("/intake/queue/").content.decode()
    assert "unverified provider" in page
    assert "possible duplicate" in page


def test_the_providers_received_email_is_a_row_of_the_referrals_transaction(location):
    provider = ProviderFactory()
    # Rolled back with the referral: no e-mail for a referral that does not exist.
    with pytest.raises(RuntimeError), transaction.atomic():
        services.referral_submit(provider=provider, data=referral_data(location))
        assert Message.objects.filter(recipient=provider.user).count() == 1
        raise RuntimeError("the request failed after the referral was saved")
    assert not Message.objects.exists()

    referral = submit_referral(provider=provider, location=location)
    row = Message.objects.get(recipient=provider.user)
    assert (row.kind, row.channel, row.status) == ("referral_received", "email", "scheduled")
    assert referral.reference in row.subject and referral.reference in row.body
    # Sent by the dispatcher, once, however often it runs.
    assert messages_dispatch_due() == 1
    assert messages_dispatch_due() == 0
    (email,) = mail.outbox
    assert email.to == [provider.user.email] and referral.reference in email.body
    for clinical in ("g43", "topiramate", "1984"):
        assert clinical not in email.body.lower()


def test_a_spanish_speaking_provider_is_written_to_in_spanish(location):
    provider = ProviderFactory(user__preferred_language="es")
    referral = submit_referral(provider=provider, location=location)
    received = Message.objects.get(recipient=provider.user, kind="referral_received")
    assert received.subject == f"Derivación {referral.reference} recibida"
    assert f"recibió su derivación {referral.reference}" in received.body
    assert "no contiene, a propósito, datos del paciente" in received.body
    assert "Dear" not in received.body

    services.referral_set_status(referral=referral, status="not_eligible", reason="Pregnancy")
    status = referral_status_email_queue(referral=referral)
    assert status.subject.startswith(f"Derivación {referral.reference}: ")
    assert f"El estado de su derivación {referral.reference} es ahora:" in status.body
    assert "pregnancy" not in status.body.lower()


def test_the_providers_count_of_referrals_follows_each_submission(location):
    """ReferringProvider.referral_count (the provider's list reads it instead of counting): one
    more for each referral made, none for a replayed idempotency key, none for a referral whose
    transaction rolled back; another provider's count is untouched."""
    provider, other = ProviderFactory(), ProviderFactory()
    submit_referral(provider=other, location=location)

    def count() -> int:
        provider.refresh_from_db()
        return provider.referral_count

    assert count() == 0
    submit_referral(provider=provider, location=location)
    data = referral_data(location, mobile_phone="+16175550199")
    services.referral_submit(provider=provider, data=data, idempotency_key="k-1")
    services.referral_submit(provider=provider, data=data, idempotency_key="k-1")  # a replay
    assert count() == 2
    with pytest.raises(RuntimeError), transaction.atomic():
        submit_referral(provider=provider, location=location, mobile_phone="+16175550198")
        raise RuntimeError("the caller's transaction fails after the referral")
    assert count() == 2 == Referral.objects.filter(provider=provider).count()
    other.refresh_from_db()
    assert other.referral_count == 1 == Referral.objects.filter(provider=other).count()


def test_the_database_keeps_the_count_whatever_writes_the_referral(location):
    """The count is a trigger's (intake 0018), not referral_submit's: a referral written another
    way (a data fix, the admin), moved to another provider or deleted is counted too."""
    provider, other = ProviderFactory(), ProviderFactory()
    referral = submit_referral(provider=provider, location=location)

    def counts() -> tuple[int, int]:
        return tuple(
            ReferringProvider.objects.get(pk=p.pk).referral_count for p in (provider, other)
        )

    copy = Referral.objects.get(pk=referral.pk)
    copy.pk, copy.reference = None, "R-COPY-1"
    copy.save()  # not through referral_submit
    assert counts() == (2, 0)
    Referral.objects.filter(pk=copy.pk).update(provider=other)
    assert counts() == (1, 1)
    Referral.objects.filter(pk=copy.pk).update(notes="changed")  # another column: no change
    assert counts() == (1, 1)
    Referral.objects.filter(pk=copy.pk).delete()
    assert (
        counts()
        == (1, 0)
        == (
            Referral.objects.filter(provider=provider).count(),
            Referral.objects.filter(provider=other).count(),
        )
    )
