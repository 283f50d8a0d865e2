"""Exactly once at the gateway's edge: real Celery workers are SIGKILLed while a message is in
the gateway's hands, and the evidence of every gateway involved is counted."""

import time
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from clinic.celery import app
from clinic.messaging import defaults
from clinic.messaging.models import Message, MessageStatus, MessageTemplate, ReminderPlanEntry
from clinic.messaging.services import message_schedule
from clinic.models import Role
from tests.clinic.conftest import TWILIO_SID, TWILIO_TOKEN
from tests.factories.messaging import make_patient
from tests.factories.users import UserFactory
from tests.support.gateways import TwilioStub
from tests.support.workers import kill, start_worker, wait_for


def _evidence(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_email_whose_worker_died_in_the_e_mail_servers_hands_is_never_sent_again(tmp_path):
    app.control.purge()
    # Other transactional tests empty the tables the data migration filled.
    defaults.install(MessageTemplate, ReminderPlanEntry)
    patient = UserFactory(role=Role.PATIENT, email="pat@example.test")
    first_evidence, second_evidence = tmp_path / "claimed", tmp_path / "sent"
    hanging = start_worker(
        MESSAGING_GATEWAY="tests.support.gateways.HangingGateway",
        GATEWAY_EVIDENCE=str(first_evidence),
    )
    second = None
    try:
        # Scheduling a due message enqueues the dispatcher once this transaction commits.
        message = message_schedule(
            recipient=patient,
            kind="appointment_cancelled",
            send_after=timezone.now(),
            context={"event_start": timezone.now() + timezone.timedelta(days=2)},
            topic="test:death",
            dedupe_key="test:death:email",
            channel="email",
        )
        assert wait_for(first_evidence.exists), "the first worker never reached the gateway"
        assert Message.objects.get(pk=message.pk).status == "sending"
        kill(hanging)

        second = start_worker(
            MESSAGING_GATEWAY="tests.support.gateways.RecordingGateway",
            GATEWAY_EVIDENCE=str(second_evidence),
            MESSAGING_CLAIM_TIMEOUT_SECONDS="1",
        )
        time.sleep(1.5)  # the dead worker's claim is now older than the timeout
        for _ in range(3):  # a redelivered or repeated dispatch changes nothing either
            app.send_task("clinic.messaging.tasks.dispatch_due_messages")
        assert wait_for(lambda: Message.objects.get(pk=message.pk).status != "sending")
        time.sleep(2)
        # Both gateways' evidence: the e-mail was handed over once, by the worker that died.
        assert _evidence(first_evidence) + _evidence(second_evidence) == [str(message.pk)]
        # Nobody can ask the e-mail server whether it took it: a coordinator must look.
        assert Message.objects.get(pk=message.pk).status == MessageStatus.UNKNOWN
    finally:
        kill(hanging)
        kill(second)


KILLS = 5
BATCH = 30


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_workers_killed_five_times_while_twilio_holds_a_request_send_every_message_once(
    message_defaults,
):
    app.control.purge()
    stub = TwilioStub(account_sid=TWILIO_SID, delay=0.05)
    twilio_env = {
        "MESSAGING_GATEWAY": "clinic.messaging.gateways.TwilioGateway",
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM_NUMBER": "+16175550100",
        "TWILIO_API_BASE_URL": stub.url,
        "SITE_URL": "https://portal.clinic.example",
        "MESSAGING_CLAIM_TIMEOUT_SECONDS": "1",
    }
    messages = [
        message_schedule(
            recipient=make_patient(phone=f"+1617555{200 + n:04d}"),
            kind="reminder_24h",
            channel="sms" if n % 3 else "voice",
            send_after=timezone.now(),
            context={"event_start": timezone.now() + timezone.timedelta(days=1)},
            dedupe_key=f"death:{n}",
        )
        for n in range(BATCH)
    ]
    worker = None
    killed_in_flight = []
    try:
        # Each worker is killed while Twilio holds one of its requests open: Twilio has the
        # message, the worker never learns it. The next worker settles what the dead one left.
        for after in (0, 3, 1, 4, 2)[:KILLS]:
            stub.hold_next(after=after)
            worker = start_worker(**twilio_env)
            time.sleep(1.2)  # the last dead worker's claims are now older than the timeout
            app.send_task("clinic.messaging.tasks.dispatch_due_messages")
            assert stub.held.wait(60), "no request reached the stub"
            killed_in_flight.append(stub.records[-1]["to"])
            kill(worker)
            stub.release()
        worker = start_worker(**twilio_env)
        time.sleep(1.2)
        app.send_task("clinic.messaging.tasks.dispatch_due_messages")

        def settled():
            return not Message.objects.exclude(status=MessageStatus.SENT).exists()

        assert wait_for(settled, 90), Counter(Message.objects.values_list("status", flat=True))
        for _ in range(2):  # repeated dispatches find nothing left to send
            app.send_task("clinic.messaging.tasks.dispatch_due_messages")
        time.sleep(2)
    finally:
        kill(worker)
        stub.close()

    assert len(set(killed_in_flight)) == KILLS
    # Each message has a number of its own: what reached Twilio, counted by number.
    received = Counter(record["to"] for record in stub.records)
    duplicates = {to: n for to, n in received.items() if n > 1}
    lost = {m.to_address for m in messages} - set(received)
    assert (duplicates, lost) == ({}, set())
    sids = {record["to"]: record["sid"] for record in stub.records}
    for message in Message.objects.filter(pk__in=[m.pk for m in messages]):
        assert message.status == MessageStatus.SENT
        assert message.gateway_id == sids[message.to_address]
