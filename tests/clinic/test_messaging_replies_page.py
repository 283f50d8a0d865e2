"""Coordinators read the replies that need a person, mark them handled, and write down a
revocation a patient made by phone or in person (FCC 24-24, 47 CFR 64.1200(a)(10): consent may be
revoked in any reasonable manner)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.audit.models import AuditEvent
from clinic.messaging.models import ContactConsent, InboundReply, MessageStatus
from clinic.messaging.services import (
    consent_allows,
    inbound_text_receive,
    message_schedule,
    messages_dispatch_due,
)
from clinic.models import Role, User
from tests.factories.messaging import make_patient

pytestmark = pytest.mark.django_db
PHONE = "+16175550142"


@pytest.fixture
def coordinator(client, make_user):
    user = make_user(role=Role.COORDINATOR)
    client.force_login(user)
    return user


def test_the_coordinators_navigation_leads_to_replies_needing_attention(
    client, coordinator, message_defaults
):
    make_patient(language="es")
    inbound_text_receive(from_number=PHONE, body="no me manden más mensajes", provider_id="SM1")
    inbound_text_receive(from_number=PHONE, body="C", provider_id="SM2")  # understood: not listed
    home = client.get("/messaging/outbox/").content.decode()
    assert 'href="/messaging/replies/"' in home
    page = client.get("/messaging/replies/").content.decode()
    assert "no me manden más mensajes" in page
    assert "Opted out" in page
    assert page.count('name="reply"') == 1


def test_marking_a_reply_handled_takes_it_off_the_list_and_keeps_who_did_it(
    client, coordinator, message_defaults
):
    patient = make_patient()
    inbound_text_receive(from_number=PHONE, body="stop calling so early", provider_id="SM1")
    reply = InboundReply.objects.get()
    response = client.post("/messaging/replies/", {"reply": reply.pk})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert (reply.needs_attention, reply.handled_by) == (False, coordinator)
    assert reply.handled_at is not None
    assert "stop calling so early" not in client.get("/messaging/replies/").content.decode()
    assert AuditEvent.objects.filter(
        actor=coordinator, patient=patient, action="change", object_id=str(reply.pk)
    ).exists()


def test_viewing_the_replies_is_audited_per_patient(client, coordinator, message_defaults):
    patient = make_patient()
    inbound_text_receive(from_number=PHONE, body="what time?", provider_id="SM1")
    client.get("/messaging/replies/")
    assert AuditEvent.objects.filter(actor=coordinator, patient=patient, action="view").exists()


@pytest.mark.parametrize("data", [{}, {"reply": "x"}, {"reply": "99999999"}])
def test_a_bad_mark_handled_request_changes_nothing(client, coordinator, message_defaults, data):
    make_patient()
    inbound_text_receive(from_number=PHONE, body="what time?", provider_id="SM1")
    response = client.post("/messaging/replies/", data, follow=True)
    assert response.status_code == 200
    assert InboundReply.objects.get().needs_attention


def test_a_revocation_told_by_phone_is_recorded_with_who_wrote_it_and_stops_texts(
    client, coordinator, message_defaults, settings
):
    settings.CALLING_HOURS_START, settings.CALLING_HOURS_END = 0, 24
    patient = make_patient()
    due = message_schedule(
        recipient=patient,
        kind="reminder_24h",
        send_after=timezone.now(),
        context={"event_start": timezone.now() + timedelta(days=1)},
        dedupe_key="after-phone-revocation",
    )
    url = f"/messaging/patients/{patient.pk}/consent/"
    page = client.get(url).content.decode()
    assert "Record that the patient asked us to stop" in page
    response = client.post(
        url, {"channels": ["sms", "voice"], "how": "by phone", "note": "said no more reminders"}
    )
    assert response.status_code == 302
    assert not consent_allows(address=PHONE, channel="sms")
    assert not consent_allows(address=PHONE, channel="voice")
    row = ContactConsent.objects.filter(channel="sms").first()
    assert (row.source, row.recorded_by, row.user) == ("staff", coordinator, patient)
    assert row.note == "by phone: said no more reminders"
    messages_dispatch_due()
    due.refresh_from_db()
    assert due.status == MessageStatus.SUPPRESSED
    history = client.get(url).content.decode()
    assert coordinator.get_full_name() in history


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"how": "by phone"}, "Tick what the patient asked us to stop."),
        ({"channels": ["email"], "how": "in person"}, "no address on file"),
        ({"channels": ["fax"], "how": "in person"}, "Select a valid choice"),
    ],
)
def test_a_bad_revocation_form_says_what_is_wrong_and_records_nothing(
    client, coordinator, message_defaults, data, error
):
    patient = make_patient()
    User.objects.filter(pk=patient.pk).update(email=None)
    before = ContactConsent.objects.count()
    response = client.post(f"/messaging/patients/{patient.pk}/consent/", data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert ContactConsent.objects.count() == before


def test_the_revocation_page_is_only_for_patients(client, coordinator):
    assert client.get(f"/messaging/patients/{coordinator.pk}/consent/").status_code == 404
