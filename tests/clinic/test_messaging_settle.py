"""A claim whose worker died mid-send is settled by asking the gateway what happened, never by
sending again blindly: what the gateway has is recorded sent, what it never received goes once,
and what nobody can tell becomes 'unknown' for a coordinator."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from twilio.request_validator import RequestValidator

from clinic.messaging.gateways import TwilioGateway
from clinic.messaging.models import Message, MessageStatus
from clinic.messaging.services import (
    _email_handover_mark,
    message_schedule,
    messages_claim_due,
    messages_dispatch_due,
)
from tests.clinic.conftest import TWILIO_TOKEN
from tests.factories.messaging import make_patient

pytestmark = pytest.mark.django_db


def _due(channel: str, n: int = 0, **patient) -> Message:
    patient.setdefault("phone", f"+1617555{100 + n:04d}")
    recipient = make_patient(channel=channel, **patient)
    return message_schedule(
        recipient=recipient,
        kind="reminder_24h",
        send_after=timezone.now(),
        context={"event_start": timezone.now() + timedelta(days=1)},
        dedupe_key=f"settle:{channel}:{n}",
    )


def _after_the_claim_expired(settings):
    return timezone.now() + settings.MESSAGING_CLAIM_TIMEOUT + timedelta(seconds=5)


@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_a_dead_workers_text_or_call_that_twilio_took_is_recorded_sent_not_sent_again(
    twilio_stub, settings, channel
):
    message = _due(channel)
    [claimed] = messages_claim_due()
    # The worker handed it to Twilio and died before recording the answer.
    sid = TwilioGateway().send(Message.objects.get(pk=claimed))
    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING

    messages_dispatch_due(now=_after_the_claim_expired(settings))
    message.refresh_from_db()
    assert twilio_stub.message_ids() == [message.pk]
    assert message.status == MessageStatus.SENT
    assert message.gateway_id == sid
    assert "had received it" in message.events.last().note


def test_a_dead_workers_text_that_never_reached_twilio_is_sent_once(twilio_stub, settings):
    message = _due("sms")
    other = _due("sms", 1)  # another patient's text, already at Twilio, is not taken for it
    messages_claim_due()
    TwilioGateway().send(Message.objects.get(pk=other.pk))
    later = _after_the_claim_expired(settings)
    messages_dispatch_due(now=later)
    messages_dispatch_due(now=later + timedelta(minutes=5))
    message.refresh_from_db()
    assert sorted(twilio_stub.message_ids()) == sorted([message.pk, other.pk])
    assert message.status == MessageStatus.SENT
    assert message.gateway_id != Message.objects.get(pk=other.pk).gateway_id


def test_the_same_words_to_the_same_number_before_the_claim_are_not_taken_for_it(
    twilio_stub, settings, clock
):
    earlier = _due("sms")
    messages_dispatch_due()
    clock.shift(timedelta(hours=1))
    message = message_schedule(
        recipient=earlier.recipient,
        kind="reminder_24h",
        send_after=timezone.now(),
        context={"event_start": earlier.not_after or timezone.now() + timedelta(hours=23)},
        dedupe_key="settle:again",
    )
    assert message.body == earlier.body
    messages_claim_due()  # claimed, then the worker died before calling Twilio
    messages_dispatch_due(now=_after_the_claim_expired(settings))
    message.refresh_from_db()
    assert twilio_stub.message_ids() == [earlier.pk, message.pk]
    assert message.status == MessageStatus.SENT


def test_an_abandoned_claim_waits_while_twilio_cannot_be_asked(twilio_stub, settings):
    message = _due("sms")
    messages_claim_due()
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    later = _after_the_claim_expired(settings)
    messages_dispatch_due(now=later)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING
    settings.TWILIO_API_BASE_URL = twilio_stub.url
    messages_dispatch_due(now=later + timedelta(minutes=1))
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert twilio_stub.message_ids() == [message.pk]


def test_a_delivery_report_naming_our_id_settles_a_dead_senders_message(twilio_stub, client):
    message = _due("sms")
    messages_claim_due()
    sid = TwilioGateway().send(Message.objects.get(pk=message.pk))
    path = f"/messaging/twilio/status/?message={message.pk}"
    params = {"MessageSid": sid, "MessageStatus": "delivered"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(f"http://testserver{path}", params)
    assert client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 204
    message.refresh_from_db()
    assert (message.status, message.gateway_id, message.provider_status) == (
        MessageStatus.SENT,
        sid,
        "delivered",
    )


def test_an_email_whose_hand_over_began_is_unknown_never_resent_and_shown_to_coordinators(
    settings, message_defaults, client, make_user
):
    message = _due("email", email="pat@example.test")
    [claimed] = messages_claim_due()
    # The worker began handing it to the e-mail server and died: nobody can say if it went.
    _email_handover_mark(Message.objects.get(pk=claimed))
    later = _after_the_claim_expired(settings)
    messages_dispatch_due(now=later)
    messages_dispatch_due(now=later + timedelta(hours=1))
    message.refresh_from_db()
    assert message.status == MessageStatus.UNKNOWN
    assert f"<clinic-message-{message.pk}@" in message.status_reason
    assert mail.outbox == []

    client.force_login(make_user("coordinator"))
    page = client.get("/messaging/outbox/").content.decode()
    assert "1 message may or may not have reached its patient." in page
    listed = client.get("/messaging/outbox/?status=unknown").content.decode()
    assert "Outcome unknown" in listed
    assert f"clinic-message-{message.pk}@" in listed  # what to look for in the server's log


def test_an_email_claimed_but_never_handed_over_is_sent_once_with_its_own_message_id(
    settings, message_defaults
):
    message = _due("email", email="pat@example.test")
    messages_claim_due()  # the worker died before it reached this e-mail of its batch
    messages_dispatch_due(now=_after_the_claim_expired(settings))
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    [sent] = mail.outbox
    assert sent.extra_headers["Message-ID"].startswith(f"<clinic-message-{message.pk}@")
