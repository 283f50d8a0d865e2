"""The Twilio gateway against a local HTTP server that answers like Twilio's REST API, and the
webhooks Twilio calls, signed as Twilio signs them."""

import base64
import json
import logging
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.utils import timezone
from twilio.request_validator import RequestValidator

from clinic.messaging.gateways import GatewayError, TwilioGateway
from clinic.messaging.models import InboundReply, Message, MessageStatus
from clinic.messaging.services import message_schedule, messages_dispatch_due
from tests.factories.messaging import make_patient

pytestmark = pytest.mark.django_db
SID = "AC" + "0" * 32
TOKEN = "test-auth-token"


class FakeTwilio(BaseHTTPRequestHandler):
    requests: list[dict] = []
    answer: tuple[int, dict] | None = None

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers["Content-Length"])
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        FakeTwilio.requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "form": form}
        )
        status, body = FakeTwilio.answer or (
            201,
            {"sid": ("SM" if "Messages" in self.path else "CA") + "1" * 32, "status": "queued"},
        )
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def twilio(settings, message_defaults):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeTwilio.requests = []
    FakeTwilio.answer = None
    settings.MESSAGING_GATEWAY = "clinic.messaging.gateways.TwilioGateway"
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM_NUMBER = "+16175550100"
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{server.server_port}"
    settings.SITE_URL = "https://portal.clinic.example"
    yield FakeTwilio
    server.shutdown()
    server.server_close()


def _message(channel: str, **kw) -> Message:
    patient = make_patient(**kw)
    return message_schedule(
        recipient=patient,
        kind="reminder_24h",
        channel=channel,
        send_after=timezone.now(),
        context={"event_start": timezone.now() + timedelta(days=1)},
        dedupe_key=f"tw:{channel}",
    )


def test_a_text_goes_to_twilios_messages_endpoint_with_basic_auth(twilio):
    message = _message("sms")
    sid = TwilioGateway().send(message)
    assert sid.startswith("SM")
    [request] = twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["auth"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request["form"]["To"] == "+16175550142"
    assert request["form"]["From"] == "+16175550100"
    assert request["form"]["Body"] == message.body
    # Our id is in the callback address, so a report names the message even if its sender died.
    assert request["form"]["StatusCallback"] == (
        f"https://portal.clinic.example/messaging/twilio/status/?message={message.pk}"
    )


def test_the_twilio_library_writes_nothing_below_warning_into_the_log(twilio, caplog):
    message = _message("sms")
    with caplog.at_level(logging.DEBUG):
        TwilioGateway().send(message)
    assert [r for r in caplog.records if r.name.startswith("twilio")] == []


def test_a_call_speaks_the_message_and_gathers_one_keypress(twilio):
    message = _message("voice", language="es")
    assert TwilioGateway().send(message).startswith("CA")
    [request] = twilio.requests
    assert request["path"].endswith("/Calls.json")
    twiml = request["form"]["Twiml"]
    assert '<Gather action="https://portal.clinic.example/messaging/twilio/voice/' in twiml
    assert 'numDigits="1"' in twiml
    assert '<Say language="es-US">' in twiml
    assert "Oprima 1 para confirmar" in twiml


def test_an_invalid_number_is_a_permanent_failure_and_a_server_error_is_retried(twilio):
    message = _message("sms")
    twilio.answer = (400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400})
    with pytest.raises(GatewayError) as refused:
        TwilioGateway().send(message)
    assert refused.value.permanent
    twilio.answer = (503, {"code": 20503, "message": "Service unavailable", "status": 503})
    with pytest.raises(GatewayError) as down:
        TwilioGateway().send(message)
    assert not down.value.permanent


def test_dispatch_through_twilio_records_the_sid_and_a_status_callback_updates_it(
    twilio, client, settings
):
    # This test is about the gateway, not the clock.
    settings.CALLING_HOURS_START, settings.CALLING_HOURS_END = 0, 24
    message = _message("sms")
    messages_dispatch_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.gateway_id == "SM" + "1" * 32

    url = "http://testserver/messaging/twilio/status/"
    params = {
        "MessageSid": message.gateway_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
    }
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    response = client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.provider_status == "undelivered"
    assert "30003" in message.status_reason


def _post_signed(client, path, params, token=TOKEN):
    url = f"http://testserver{path}"
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_webhooks_refuse_a_missing_or_wrong_signature(twilio, client):
    params = {"From": "+16175550142", "Body": "STOP", "MessageSid": "SMx"}
    assert client.post("/messaging/twilio/sms/", params).status_code == 403
    assert _post_signed(client, "/messaging/twilio/sms/", params, "wrong").status_code == 403
    assert not InboundReply.objects.exists()


def test_stop_then_a_due_reminder_is_suppressed_and_start_re_enables(twilio, client, settings):
    settings.CALLING_HOURS_START, settings.CALLING_HOURS_END = 0, 24
    message = _message("sms")
    stop = {"From": "(617) 555-0142", "Body": "Stop", "MessageSid": "SM-in-1"}
    answer = _post_signed(client, "/messaging/twilio/sms/", stop).content.decode()
    assert "no more texts" in answer
    again = _post_signed(client, "/messaging/twilio/sms/", {**stop, "MessageSid": "SM-in-2"})
    assert "<Message>" not in again.content.decode()  # one confirmation, nothing after

    messages_dispatch_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SUPPRESSED
    assert twilio.requests == []

    start = {"From": "+16175550142", "Body": "START", "MessageSid": "SM-in-3"}
    assert "again" in _post_signed(client, "/messaging/twilio/sms/", start).content.decode()
    later = message_schedule(
        recipient=message.recipient,
        kind="reminder_2h",
        send_after=timezone.now(),
        context={"event_start": timezone.now() + timedelta(hours=2)},
        dedupe_key="after-start",
    )
    messages_dispatch_due()
    later.refresh_from_db()
    assert later.status == MessageStatus.SENT
    assert len(twilio.requests) == 1
    history = message.recipient.contactconsent_set.filter(channel="sms").order_by("at", "pk")
    assert [(c.granted, c.source) for c in history] == [
        (True, "intake"),
        (False, "inbound_text"),
        (False, "inbound_text"),
        (True, "inbound_text"),
    ]


@pytest.mark.parametrize(
    ("body", "action", "flagged"),
    [
        ("UNSUBSCRIBE", "opt_out", False),
        ("opt out", "opt_out", False),
        ("please stop texting me", "opt_out", True),
        ("Don't text me anymore", "opt_out", True),
        ("help", "help", False),
        ("C", "confirm", False),
        ("what time is parking?", "other", True),
    ],
)
def test_inbound_words_are_understood_and_free_text_is_flagged(
    twilio, client, body, action, flagged
):
    make_patient()
    params = {"From": "+16175550142", "Body": body, "MessageSid": "SM-words"}
    answer = _post_signed(client, "/messaging/twilio/sms/", params).content.decode()
    reply = InboundReply.objects.get()
    assert (reply.action, reply.needs_attention) == (action, flagged)
    if action == "help":
        assert "+1 555 010 0100" in answer


def test_a_keypress_on_a_call_confirms_or_asks_for_a_callback(twilio, client, settings):
    message = _message("voice")
    calls = []
    settings.MESSAGING_CONFIRM_HOOK = f"{__name__}.record_confirmation"
    record_confirmation.calls = calls
    path = f"/messaging/twilio/voice/{message.pk}/keypress/"
    assert "confirmed" in _post_signed(client, path, {"Digits": "1"}).content.decode()
    assert "call you back" in _post_signed(client, path, {"Digits": "2"}).content.decode()
    assert calls == [message.recipient.pk]
    actions = list(InboundReply.objects.order_by("at").values_list("action", "needs_attention"))
    assert actions == [("confirm", False), ("callback", True)]


def record_confirmation(*, user, reply):
    record_confirmation.calls.append(user.pk)
    return True
