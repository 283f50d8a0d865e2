"""The coordinator's inbox: oldest first with the wait, the page beside the proposed form,
corrected and submitted through ReferralForm into the call queue; not a referral, split,
attached to an existing referral."""

import datetime as dt

import pytest
from django.core import mail  # noqa: F401 -- the outbox is the messaging table, not mail
from django.urls import reverse
from django.utils import timezone

from clinic.audit.models import AuditEvent
from clinic.messaging.models import Message, MessageStatus
from clinic.messaging.services import messages_dispatch_due
from intake.models import (
    InboundDocument,
    InboundStatus,
    IntakeCase,
    PossibleDuplicate,
    Referral,
    ReferringProvider,
)
from tests.factories.intake import ProviderFactory, submit_referral

from .conftest import receive

NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


def completed(document, location, **changes) -> dict:
    """The form as the coordinator sends it: the proposal's values, plus what no letter says."""
    data = {
        "patient_first_name": "Maria",
        "patient_last_name": "Gonzalez",
        "date_of_birth": "1985-03-14",
        "sex": "female",
        "mobile_phone": "+16175550123",
        "email": "",
        "preferred_language": "en",
        "zip_code": "02116",
        "preferred_location": location.slug,
        "contact_consent": "on",
        "diagnosis_code": "G43.709",
        "headache_days_per_month": "16",
        "years_with_migraine": "9",
        "no_contraindications": "on",
        "recommended_infusions": "5",
        "urgency": "routine",
        "provider-provider_npi": "1245319599",
        "provider-provider_first_name": "Alan",
        "provider-provider_last_name": "Whitfield",
        "provider-practice_name": "Harbor Neurology Associates",
        "provider-phone": "+16175550198",
        "provider-fax": "+16175550199",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_the_inbox_lists_open_documents_oldest_first_with_the_wait(
    client, coordinator, letter_tiff, clock
):
    clock.travel(NOW - dt.timedelta(hours=5))
    old, _ = receive(letter_tiff, external_id="old")
    clock.travel(NOW - dt.timedelta(minutes=20))
    new, _ = receive(letter_tiff, external_id="new", sending_number="+13055550100")
    done, _ = receive(letter_tiff, external_id="done")
    InboundDocument.objects.filter(pk=done.pk).update(status=InboundStatus.NOT_REFERRAL)
    clock.travel(NOW)
    page = client.get(reverse("intake:inbox")).content.decode()
    assert page.index(f"Fax #{old.pk}") < page.index(f"Fax #{new.pk}")
    assert f"Fax #{done.pk}" not in page
    assert "5\xa0hours" in page and "20\xa0minutes" in page
    assert "+13055550100" in page


@pytest.mark.django_db
def test_the_document_page_shows_the_page_image_beside_the_prefilled_form(
    client, coordinator, read_fax, location
):
    response = client.get(reverse("intake:inbox_document", args=[read_fax.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["patient_last_name"].value() == "Gonzalez"
    assert form["date_of_birth"].value() == "1985-03-14"
    assert form["diagnosis_code"].value() == "G43.709"
    assert response.context["provider_form"]["provider_npi"].value() == "1245319599"
    assert response.context["provider_form"]["fax"].value() == "+16175550199"
    page = response.content.decode()
    image_url = reverse("intake:inbox_page_image", args=[read_fax.pk, 1])
    assert image_url in page and "Page 1 of the document" in page
    image = client.get(image_url)
    assert image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"
    # The page and each view of its image are audited, each image on its own.
    client.get(image_url)
    events = AuditEvent.objects.filter(actor=coordinator)
    assert list(events.values_list("object_type", flat=True).order_by("pk")) == [
        "inbound_document",
        "inbound_page",
        "inbound_page",
    ]
    assert events.order_by("pk").last().path == image_url


@pytest.mark.django_db
def test_a_corrected_fax_becomes_a_referral_in_the_call_queue_with_the_document_attached(
    client, coordinator, read_fax, location
):
    # The coordinator corrects the first name the letter spelt differently.
    response = client.post(
        reverse("intake:inbox_document", args=[read_fax.pk]),
        completed(read_fax, location, patient_first_name="María"),
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:referral_detail", args=[referral.reference])
    assert referral.patient_first_name == "María"
    assert IntakeCase.objects.filter(referral=referral).exists()  # in the call queue
    attachment = referral.attachments.get()
    assert attachment.content_type == "application/pdf"
    assert attachment.file.open("rb").read(5) == b"%PDF-"
    read_fax.refresh_from_db()
    assert read_fax.status == InboundStatus.REFERRED
    assert (read_fax.closed_by, list(read_fax.referrals.all())) == (coordinator, [referral])
    # The provider named by NPI is now known, unverified until an admin approves.
    provider = ReferringProvider.objects.get(npi="1245319599")
    assert referral.provider == provider and not provider.is_verified
    assert provider.user.get_full_name() == "Alan Whitfield"
    assert not provider.user.has_usable_password()
    # No e-mail address: the e-mail is kept unsent, and the practice is faxed back at its fax
    # instead, with the reference and nothing about the patient.
    email = Message.objects.get(kind="referral_received", channel="email")
    assert email.status == MessageStatus.SUPPRESSED
    fax = Message.objects.get(kind="referral_received", channel="fax")
    assert (fax.to_address, fax.status) == ("+16175550199", MessageStatus.SCHEDULED)
    assert fax.recipient == provider.user
    assert referral.reference in fax.subject and referral.reference in fax.body
    assert "Alan Whitfield" in fax.body and "Harbor Neurology Associates" in fax.body
    for message in (email, fax):
        text = (message.subject + message.body).lower()
        for word in ("Gonzalez", "Maria", "1985", "02116", "migraine", "ketamine", "G43"):
            assert word.lower() not in text
    # Gone from the inbox.
    assert f"Fax #{read_fax.pk}" not in client.get(reverse("intake:inbox")).content.decode()


@pytest.mark.django_db
def test_a_known_provider_gets_the_referral_and_a_duplicate_is_linked(
    client, coordinator, read_fax, location
):
    provider = ProviderFactory(npi="1245319599", user__email="whitfield@example.org")
    earlier = submit_referral(
        provider=ProviderFactory(),
        location=location,
        patient_first_name="Maria",
        patient_last_name="Gonzalez",
        date_of_birth=dt.date(1985, 3, 14),
    )
    client.post(reverse("intake:inbox_document", args=[read_fax.pk]), completed(read_fax, location))
    referral = Referral.objects.exclude(pk=earlier.pk).get()
    assert referral.provider == provider
    assert ReferringProvider.objects.count() == 2
    assert PossibleDuplicate.objects.filter(referral=referral, other=earlier).exists()
    message = Message.objects.get(kind="referral_received", topic=f"referral:{referral.pk}")
    assert message.to_address == "whitfield@example.org"
    # Told by e-mail, so not faxed as well.
    assert not Message.objects.filter(channel="fax").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date_of_birth": "2090-01-01"}, "date_of_birth"),
        ({"zip_code": "٠٢١١٦"}, "zip_code"),
        ({"provider-provider_npi": "1245319598"}, "provider_npi"),
        ({"recommended_infusions": "9"}, "recommended_infusions"),
        ({"patient_last_name": "Gon\x00zalez"}, "patient_last_name"),
        ({"contact_consent": None}, "contact_consent"),
    ],
)
def test_bad_corrections_re_render_with_the_error_and_change_nothing(
    client, coordinator, read_fax, location, changes, field
):
    response = client.post(
        reverse("intake:inbox_document", args=[read_fax.pk]),
        completed(read_fax, location, **changes),
    )
    assert response.status_code == 400
    errors = {**response.context["form"].errors, **response.context["provider_form"].errors}
    assert field in errors
    assert not Referral.objects.exists()
    assert ReferringProvider.objects.count() == 0
    read_fax.refresh_from_db()
    assert read_fax.status == InboundStatus.READ


@pytest.mark.django_db
def test_a_fax_with_two_referrals_is_split_and_then_closed(client, coordinator, read_fax, location):
    url = reverse("intake:inbox_document", args=[read_fax.pk])
    first = client.post(url, completed(read_fax, location, **{"provider-more_to_come": "on"}))
    assert first.status_code == 302 and first["Location"] == url
    read_fax.refresh_from_db()
    assert read_fax.status == InboundStatus.READ and read_fax.referrals.count() == 1
    second = client.post(
        url,
        completed(
            read_fax,
            location,
            patient_first_name="Luis",
            date_of_birth="1990-06-01",
            mobile_phone="+16175550177",
        ),
    )
    assert second.status_code == 302
    read_fax.refresh_from_db()
    assert read_fax.status == InboundStatus.REFERRED and read_fax.referrals.count() == 2
    assert IntakeCase.objects.count() == 2
    # Both referrals carry the fax.
    assert all(r.attachments.count() == 1 for r in Referral.objects.all())
    # The practice is told of each referral once, by one fax each, sent once.
    faxes = Message.objects.filter(channel="fax", kind="referral_received")
    assert sorted(faxes.values_list("topic", flat=True)) == sorted(
        f"referral:{r.pk}" for r in Referral.objects.all()
    )


@pytest.mark.django_db
def test_the_fax_back_goes_to_the_practice_once_through_the_fax_service(
    client, coordinator, read_fax, location, fax_stub
):
    url = reverse("intake:inbox_document", args=[read_fax.pk])
    client.post(url, completed(read_fax, location, **{"provider-fax": ""}))
    referral = Referral.objects.get()
    messages_dispatch_due()
    messages_dispatch_due()
    # No practice fax given: the number the fax came from.
    [sent] = fax_stub.faxes
    assert sent["to"] == "+16175550199"
    fax = Message.objects.get(channel="fax")
    assert fax_stub.message_ids() == [fax.pk] and fax.status == MessageStatus.SENT
    assert referral.reference in fax.body


@pytest.mark.django_db
def test_a_document_is_attached_to_an_existing_referral(client, coordinator, read_fax, location):
    referral = submit_referral(provider=ProviderFactory(), location=location)
    url = reverse("intake:inbox_attach", args=[read_fax.pk])
    missing = client.post(url, {"reference": "R-1999-99999"})
    assert missing.status_code == 400
    assert "No referral has this reference" in missing.content.decode()
    response = client.post(url, {"reference": referral.reference.lower()})
    assert response.status_code == 302
    assert referral.attachments.count() == 1
    read_fax.refresh_from_db()
    assert read_fax.status == InboundStatus.ATTACHED
    # Dealt with: a second attempt changes nothing.
    client.post(url, {"reference": referral.reference})
    assert referral.attachments.count() == 1


@pytest.mark.django_db
def test_a_document_that_is_not_a_referral_leaves_the_inbox_with_its_reason(
    client, coordinator, letter_tiff
):
    document, _ = receive(letter_tiff)
    url = reverse("intake:inbox_dismiss", args=[document.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Advertising"}).status_code == 302
    document.refresh_from_db()
    assert (document.status, document.close_reason) == (InboundStatus.NOT_REFERRAL, "Advertising")
    assert document.closed_at is not None and document.closed_at <= timezone.now()
    # A closed document can no longer become a referral.
    response = client.post(reverse("intake:inbox_document", args=[document.pk]), {})
    assert response.status_code == 400
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_a_fax_not_read_yet_can_be_entered_by_hand_and_the_reading_then_skips_it(
    client, coordinator, letter_tiff, location
):
    from intake.inbox import services

    document, _ = receive(letter_tiff)
    page = client.get(reverse("intake:inbox_document", args=[document.pk])).content.decode()
    assert "The document is being read" in page
    response = client.post(
        reverse("intake:inbox_document", args=[document.pk]), completed(document, location)
    )
    assert response.status_code == 302
    services.inbound_document_read(document_id=document.pk)
    document.refresh_from_db()
    assert document.status == InboundStatus.REFERRED
    assert document.pages.count() == 0 and document.proposal == {}
