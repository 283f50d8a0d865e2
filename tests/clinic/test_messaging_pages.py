from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from clinic.messaging.models import ContactConsent, Message
from clinic.messaging.services import message_schedule
from clinic.models import Role
from tests.factories.messaging import make_patient

pytestmark = pytest.mark.django_db


def _messages(patient, count, channel="email"):
    for n in range(count):
        message_schedule(
            recipient=patient,
            kind="reminder_24h",
            channel=channel,
            send_after=timezone.now() + timedelta(hours=n + 1),
            context={"event_start": timezone.now() + timedelta(days=2)},
            dedupe_key=f"page:{channel}:{n}",
        )


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.COORDINATOR, 200), (Role.ADMIN, 200), (Role.CLINICIAN, 403), (Role.PATIENT, 403)],
)
def test_only_coordinators_and_admins_see_the_outbox(client, make_user, role, status):
    client.force_login(make_user(role=role))
    assert client.get("/messaging/outbox/").status_code == status


def test_the_outbox_filters_by_channel_and_pages(client, make_user, message_defaults):
    patient = make_patient(email="pages@example.test", zone="America/Los_Angeles")
    _messages(patient, 27, "email")
    _messages(patient, 2, "voice")
    client.force_login(make_user(role=Role.COORDINATOR))
    page = client.get("/messaging/outbox/?channel=email").content.decode()
    assert "Page 1 of 2" in page
    assert "Phone call" not in page.split("<tbody>")[1]
    assert "PST" in page or "PDT" in page  # times shown in the patient's zone, with the zone
    fragment = client.get("/messaging/outbox/?channel=voice", HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body
    assert body.count("<tr>") == 3  # header and two calls


def test_a_patient_changes_their_channel_and_withdraws_call_consent(client, message_defaults):
    patient = make_patient()
    client.force_login(patient)
    page = client.get("/my/reminders/").content.decode()
    assert 'name="texts"' in page
    response = client.post(
        "/my/reminders/",
        {"preferred_channel": "sms", "language": "es", "texts": "on"},
        follow=True,
    )
    assert "saved" in response.content.decode()
    patient.refresh_from_db()
    assert patient.preferred_language == "es"
    latest = ContactConsent.objects.filter(channel="voice").first()
    assert (latest.granted, latest.source) == (False, "patient_page")
    assert ContactConsent.objects.filter(channel="sms").count() == 1  # unchanged: no new row


def test_choosing_email_without_an_address_shows_the_error_at_the_field(client):
    patient = make_patient(email=None)
    patient.email = None
    patient.save()
    client.force_login(patient)
    page = client.post(
        "/my/reminders/", {"preferred_channel": "email", "language": "en"}
    ).content.decode()
    assert "We have no e-mail for you." in page
    assert 'id="id_preferred_channel-error"' in page


def test_seed_demo_fills_the_outbox_for_the_demo_patient_and_is_idempotent():
    call_command("seed_demo")
    first = Message.objects.count()
    call_command("seed_demo")
    assert Message.objects.count() == first
    statuses = set(Message.objects.values_list("status", flat=True))
    assert {"sent", "scheduled"} <= statuses
