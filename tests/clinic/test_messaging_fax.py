"""Outbound fax (clinic.messaging.fax): a fax row is sent once by the dispatcher through the
fax adapter, here the real HTTP adapter against a local stand-in for a fax service's REST API
(tests/support/gateways.py FaxStub). A worker that died mid-send is settled by asking the
service for the fax tagged with the message, never by faxing again blindly."""

import base64
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from clinic.messaging.fax import HttpFaxGateway
from clinic.messaging.models import Message, MessageStatus
from clinic.messaging.services import fax_queue, messages_claim_due, messages_dispatch_due
from clinic.models import Role
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db

BODY = "Referral R-2026-00042 received.\n\nThis fax contains no patient details."


def _fax(n: int = 0, to: str = "+16175550199") -> Message:
    provider = UserFactory(role=Role.PROVIDER, first_name="Alan", last_name="Whitfield")
    return fax_queue(
        recipient=provider,
        to_number=to,
        kind="referral_received",
        subject="Referral R-2026-00042 received",
        body=BODY,
        dedupe_key=f"fax-test:{n}",
    )


def _after_the_claim_expired(settings):
    return timezone.now() + settings.MESSAGING_CLAIM_TIMEOUT + timedelta(seconds=5)


def test_a_fax_is_sent_once_as_a_page_with_its_text_tagged_with_the_message(fax_stub):
    message = _fax()
    assert messages_dispatch_due() == 1
    assert messages_dispatch_due() == 0  # the row says it went: a second run sends nothing
    [sent] = fax_stub.faxes
    assert sent["to"] == "+16175550199"
    assert sent["tags"] == {"clinic_message": str(message.pk)}
    assert sent["auth"] == "Basic " + base64.b64encode(b"fax-key:fax-secret").decode()
    text = PdfReader(io.BytesIO(sent["file"])).pages[0].extract_text()
    assert "R-2026-00042" in text and "no patient details" in text
    message.refresh_from_db()
    assert (message.status, message.gateway_id) == (MessageStatus.SENT, str(sent["id"]))


def test_the_same_fax_queued_twice_is_one_row_and_one_fax(fax_stub):
    first, again = _fax(), None
    again = fax_queue(
        recipient=first.recipient,
        to_number="+16175550199",
        kind="referral_received",
        subject="x",
        body="y",
        dedupe_key="fax-test:0",
    )
    assert again.pk == first.pk
    messages_dispatch_due()
    assert fax_stub.message_ids() == [first.pk]


def test_a_dead_workers_fax_the_service_took_is_recorded_sent_not_faxed_again(fax_stub, settings):
    message = _fax()
    [claimed] = messages_claim_due()
    # The worker handed it to the service and died before recording the answer.
    fax_id = HttpFaxGateway().send(Message.objects.get(pk=claimed))
    messages_dispatch_due(now=_after_the_claim_expired(settings))
    message.refresh_from_db()
    assert fax_stub.message_ids() == [message.pk]
    assert (message.status, message.gateway_id) == (MessageStatus.SENT, fax_id)
    assert "had received it" in message.events.last().note


def test_a_dead_workers_fax_that_never_reached_the_service_is_sent_once(fax_stub, settings):
    message = _fax()
    messages_claim_due()  # claimed, then the worker died before calling the service
    messages_dispatch_due(now=_after_the_claim_expired(settings))
    message.refresh_from_db()
    assert fax_stub.message_ids() == [message.pk]
    assert message.status == MessageStatus.SENT


@pytest.mark.parametrize(
    ("status", "expected"),
    [(422, MessageStatus.FAILED), (503, MessageStatus.SCHEDULED), (429, MessageStatus.SCHEDULED)],
)
def test_a_refused_fax_fails_and_a_busy_service_is_tried_again(fax_stub, status, expected):
    message = _fax()
    fax_stub.answer = status
    messages_dispatch_due()
    message.refresh_from_db()
    assert message.status == expected
    assert f"fax service {status}" in message.events.last().note


def test_a_service_that_cannot_be_reached_is_tried_again_later(fax_stub, settings):
    settings.FAX_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    message = _fax()
    messages_dispatch_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SCHEDULED and message.send_after > timezone.now()


def test_without_a_fax_service_the_fax_shows_sent_in_the_outbox_and_nothing_leaves(settings):
    settings.MESSAGING_FAX_GATEWAY = "clinic.messaging.fax.OutboxFaxGateway"
    message = _fax()
    messages_dispatch_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.gateway_id.startswith("outbox-fax-")


def test_a_fax_with_no_number_is_kept_unsent_with_the_reason(fax_stub):
    message = _fax(to="")
    assert message.status == MessageStatus.SUPPRESSED
    assert message.status_reason == "no fax number on file"
    messages_dispatch_due()
    assert fax_stub.faxes == []
