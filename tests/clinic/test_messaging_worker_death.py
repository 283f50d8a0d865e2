import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from clinic.celery import app
from clinic.messaging import defaults
from clinic.messaging.models import Message, MessageTemplate, ReminderPlanEntry
from clinic.messaging.services import message_schedule
from clinic.models import Role
from tests.clock import worker_env
from tests.factories.users import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def _start_worker(gateway: str, evidence: Path, **extra_env) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TEST_REDIS_URL": settings.REDIS_URL,
        "MESSAGING_GATEWAY": gateway,
        "GATEWAY_EVIDENCE": str(evidence),
        **worker_env(),  # the worker shares the test's clock
        **extra_env,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.clocked_celery",
            "-A",
            "clinic",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_claim_and_send_still_sends_exactly_once(tmp_path):
    app.control.purge()
    # Other transactional tests empty the tables the data migration filled.
    defaults.install(MessageTemplate, ReminderPlanEntry)
    patient = UserFactory(role=Role.PATIENT, email="pat@example.test")
    first_evidence, second_evidence = tmp_path / "claimed", tmp_path / "sent"
    hanging = _start_worker("tests.support.gateways.HangingGateway", first_evidence)
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
        assert _wait(first_evidence.exists), "the first worker never reached the gateway"
        assert Message.objects.get(pk=message.pk).status == "sending"
        os.killpg(hanging.pid, signal.SIGKILL)
        hanging.wait(timeout=10)

        second = _start_worker(
            "tests.support.gateways.RecordingGateway",
            second_evidence,
            MESSAGING_CLAIM_TIMEOUT_SECONDS="1",
        )
        time.sleep(1.5)  # the dead worker's claim is now older than the timeout
        app.send_task("clinic.messaging.tasks.dispatch_due_messages")
        assert _wait(lambda: Message.objects.get(pk=message.pk).status == "sent")
        # A redelivered or repeated dispatch finds nothing left to send.
        app.send_task("clinic.messaging.tasks.dispatch_due_messages")
        app.send_task("clinic.messaging.tasks.dispatch_due_messages")
        time.sleep(2)
        assert second_evidence.read_text().split() == [str(message.pk)]
        assert Message.objects.get(pk=message.pk).status == "sent"
    finally:
        for worker in (hanging, second):
            if worker and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
