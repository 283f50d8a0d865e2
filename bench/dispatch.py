"""Reminder dispatch: due messages sent by one Celery worker over the real Redis. Imported by
bench/run.py once Django is set up."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from django.utils import timezone

from clinic.celery import app
from clinic.messaging.models import Message, MessageEvent, MessageStatus
from clinic.messaging.services import messages_dispatch_due
from clinic.messaging.tasks import dispatch_due_messages
from clinic.models import PatientProfile

from .config import DISPATCH_COUNT, ROOT, say

# --- reminder dispatch --------------------------------------------------------------------------


def _add_due_reminders(run: str) -> list[Message]:
    """DISPATCH_COUNT due reminders (already written), one per patient by their channel."""
    now = timezone.now()
    profiles = list(PatientProfile.objects.select_related("user").order_by("pk")[:DISPATCH_COUNT])
    rows = []
    for n, profile in enumerate(profiles):
        user = profile.user
        channel = profile.preferred_channel
        rows.append(
            Message(
                recipient=user,
                channel=channel,
                to_address=user.email if channel == "email" else user.phone.as_e164,
                kind="reminder_24h",
                language=user.preferred_language,
                subject="Your appointment" if channel == "email" else "",
                body="Harbor Clinic: a reminder of your appointment tomorrow.",
                send_after=now - dt.timedelta(minutes=1),
                not_after=now + dt.timedelta(days=1),
                dedupe_key=f"bench:{run}:{n}",
                topic=f"bench:{run}",
            )
        )
    created = Message.objects.bulk_create(rows, batch_size=2000)
    MessageEvent.objects.bulk_create(
        [MessageEvent(message=m, to_status=MessageStatus.SCHEDULED) for m in created],
        batch_size=2000,
    )
    return created


def _start_worker(run: str) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "clinic",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "-n",
            f"bench-{run}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )


def _until_sent(run: str) -> tuple[float, int]:
    """Enqueue the dispatcher and wait until no bench message is scheduled or sending: the wall
    time and how many dispatcher runs were enqueued."""
    for _ in range(120):
        if app.control.ping(timeout=0.5):
            break
    pending = Message.objects.filter(
        topic=f"bench:{run}", status__in=[MessageStatus.SCHEDULED, MessageStatus.SENDING]
    )
    started = time.monotonic()
    dispatch_due_messages.delay()
    enqueued = 1
    last_enqueue = started
    while pending.exists():
        time.sleep(0.2)
        if time.monotonic() - started > 900:
            say("dispatch: gave up after 15 minutes; see the statuses")
            break
        # Beat enqueues the dispatcher every minute; a run stops itself after 50 s.
        if time.monotonic() - last_enqueue >= 60:
            dispatch_due_messages.delay()
            enqueued += 1
            last_enqueue = time.monotonic()
    return time.monotonic() - started, enqueued


def measure_dispatch() -> dict:
    drained = 0
    while Message.objects.due(timezone.now()).exists():
        drained += messages_dispatch_due()
    say(f"sent {drained} messages that were already due (not timed)")
    run = timezone.now().strftime("%Y%m%d%H%M%S")
    created = _add_due_reminders(run)
    app.control.purge()  # tasks the page scenarios enqueued (booking e-mails) are not ours
    worker = _start_worker(run)
    try:
        wall, enqueued = _until_sent(run)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    by_status = Counter(
        Message.objects.filter(topic=f"bench:{run}").values_list("status", flat=True)
    )
    result = {
        "messages": len(created),
        "wall_s": round(wall, 1),
        "per_second": round(len(created) / wall, 1),
        "task_runs_enqueued": enqueued,
        "statuses": dict(by_status),
    }
    say(f"dispatch: {result}")
    return result
