"""Workers SIGKILLed while Twilio holds requests: exactly once at the gateway's edge, at the
outside fault test's scale (issue 17; results in docs/FAULTS.md).

    .venv/bin/python bench/fault_worker_kill.py [--messages 2000] [--kills 5] [--pool prefork]

What it does:
1. Uses its own database, `<DATABASE_URL's name>_fault_kill` (or FAULT_DATABASE_URL), created
   and migrated when missing, with `clinic.settings.bench` (production less HTTPS, calling hours
   all day so the run does the same work at any hour). Patients +1 617 700-0000 onwards, one
   number each, consent to texts and calls on file; made once, reused by later runs.
2. Adds N due reminders (two texts for every call), each to a number of its own.
3. Starts the local Twilio stub (tests/support/gateways.py: Twilio's create and list endpoints,
   `--delay` seconds a create, every request recorded with our message id) and a real Celery
   worker (prefork, 2 processes, or --pool solo) pointed at it through the real TwilioGateway,
   and enqueues the dispatcher twice (two batches in flight at once, as beat and a booking do).
4. Each time another N/(kills+1) creates have reached the stub, SIGKILLs the worker's whole
   process group (noting how many requests the stub was holding open), starts a new worker and
   enqueues the dispatcher again. Until every message is settled it enqueues the dispatcher
   every few seconds, as beat does every minute (the claim timeout is shortened the same way).
5. Counts at the stub, by our message id: duplicates (reached it more than once), losses (never
   reached it), and rows not ending `sent` with the stub's own id. Exits 1 unless all are 0.

Nothing here is mocked but Twilio itself; the stub lives in tests/support so the test suite
(tests/clinic/test_messaging_worker_death.py) and this run talk to the same one."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _database_url() -> str:
    if os.environ.get("FAULT_DATABASE_URL"):
        return os.environ["FAULT_DATABASE_URL"]
    import environ

    env = environ.Env()
    environ.Env.read_env(ROOT / ".env", overwrite=False)
    base = urlsplit(env("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/clinic"))
    return urlunsplit(base._replace(path=base.path.rstrip("/") + "_fault_kill"))


os.environ["DATABASE_URL"] = _database_url()
os.environ["DJANGO_SETTINGS_MODULE"] = "clinic.settings.bench"
os.environ.setdefault("SECRET_KEY", "fault-run-only-not-a-production-key")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

TWILIO = {
    "MESSAGING_GATEWAY": "clinic.messaging.gateways.TwilioGateway",
    "TWILIO_ACCOUNT_SID": "AC" + "f" * 32,
    "TWILIO_AUTH_TOKEN": "fault-run-token",
    "TWILIO_FROM_NUMBER": "+16175550100",
    "MESSAGING_PUBLIC_BASE_URL": "https://portal.clinic.example",
}
PHONE_BASE = 16177000000  # +1 617 700-0000 onwards, far from the demo's and seed_scale's


def say(text: str) -> None:
    print(f"[fault] {text}", flush=True)


def ensure_database() -> None:
    import psycopg2

    url = urlsplit(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    conn = psycopg2.connect(urlunsplit(url._replace(path="/postgres")))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
                say(f"created database {name}")
    finally:
        conn.close()


def main() -> int:
    args = parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    # A script of the top floor: models can be imported only once django.setup() has run.
    from tests.support.gateways import TwilioStub

    run, ids, ours = due_messages(args.messages)
    stub = TwilioStub(account_sid=TWILIO["TWILIO_ACCOUNT_SID"], delay=args.delay)
    start_worker = worker_starter(args, run, stub)
    kills, wall = kill_and_settle(args, stub, ours, start_worker)
    return tally(args, run, ids, ours, stub, kills, wall)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--pool", choices=["prefork", "solo"], default="prefork")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds the stub takes a create")
    parser.add_argument("--claim-timeout", type=int, default=5, help="MESSAGING_CLAIM_TIMEOUT")
    args = parser.parse_args()
    return args


def due_messages(count: int):
    """N due reminders (two texts for every call), each to a patient of its own, after cancelling
    what an earlier run left unsent. Returns the run's name, the messages' ids and their query."""
    from clinic.messaging.models import Message, MessageEvent, MessageStatus
    from clinic.messaging.services import messages_cancel

    patients = ensure_patients(count)
    # An earlier run stopped half-way must not send its leftovers into this one.
    for topic in (
        Message.objects.filter(topic__startswith="fault-kill:")
        .exclude(status__in=[MessageStatus.SENT, MessageStatus.CANCELLED])
        .values_list("topic", flat=True)
        .distinct()
    ):
        messages_cancel(topic=topic, reason="an earlier fault run stopped")
    run = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    now = dt.datetime.now(dt.UTC)
    rows = [
        Message(
            recipient=user,
            channel="voice" if n % 3 == 0 else "sms",
            to_address=user.phone.as_e164,
            kind="reminder_24h",
            language="en",
            body=f"Harbor Clinic: a reminder of your appointment tomorrow ({n}).",
            send_after=now - dt.timedelta(minutes=1),
            not_after=now + dt.timedelta(days=1),
            dedupe_key=f"fault-kill:{run}:{n}",
            topic=f"fault-kill:{run}",
        )
        for n, user in enumerate(patients)
    ]
    created = Message.objects.bulk_create(rows, batch_size=1000)
    MessageEvent.objects.bulk_create(
        [MessageEvent(message=m, to_status=MessageStatus.SCHEDULED) for m in created],
        batch_size=1000,
    )
    ids = {m.pk for m in created}
    ours = Message.objects.filter(topic=f"fault-kill:{run}")
    say(f"run {run}: {len(ids)} due messages, {Counter(m.channel for m in created)}")
    return run, ids, ours


def worker_starter(args, run: str, stub):
    """Returns start_worker(n): a new Celery worker in its own process group, pointed at the
    stub, and the dispatcher enqueued twice."""
    from clinic.celery import app

    env = {
        **os.environ,
        **TWILIO,
        "TWILIO_API_BASE_URL": stub.url,
        "MESSAGING_CLAIM_TIMEOUT_SECONDS": str(args.claim_timeout),
    }
    app.control.purge()
    (ROOT / "var" / "fault").mkdir(parents=True, exist_ok=True)
    log = open(ROOT / "var" / "fault" / f"worker-{run}.log", "w")  # noqa: SIM115
    say(f"worker output: var/fault/worker-{run}.log")

    def start_worker(n: int) -> subprocess.Popen:
        pool = (
            ["--pool=solo"] if args.pool == "solo" else ["--pool=prefork", f"-c{args.concurrency}"]
        )
        worker = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "clinic",
                "worker",
                *pool,
                "--loglevel=WARNING",
                "-n",
                f"fault-{run}-{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,  # its own process group: the kill takes the pool too
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2):
            app.send_task("clinic.messaging.tasks.dispatch_due_messages")
        return worker

    return start_worker


def kill_and_settle(args, stub, ours, start_worker) -> tuple[list[dict], float]:
    """SIGKILLs the worker each time another share of the creates has reached the stub, then
    waits until every message is settled. Returns the kills and the wall time."""
    from clinic.celery import app
    from clinic.messaging.models import MessageStatus

    def beat() -> float:
        """Beat's minute, shortened: a dispatcher that finished before the dead worker's claims
        expired must come back for them."""
        app.send_task("clinic.messaging.tasks.dispatch_due_messages")
        return time.monotonic()

    def pending() -> bool:
        return ours.filter(status__in=[MessageStatus.SCHEDULED, MessageStatus.SENDING]).exists()

    kills = []
    started = time.monotonic()
    worker = start_worker(0)
    try:
        step = args.messages // (args.kills + 1)
        last_enqueue = time.monotonic()
        for k in range(1, args.kills + 1):
            while len(stub.records) < k * step:
                if worker.poll() is not None:
                    raise SystemExit("the worker stopped by itself")
                if time.monotonic() - last_enqueue >= args.claim_timeout:
                    last_enqueue = beat()
                time.sleep(0.01)
            with stub.lock:
                in_flight = sum(1 for r in stub.records if r["sent"] is None)
                received = len(stub.records)
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            kills.append({"after_creates": received, "held_open": in_flight})
            say(f"kill {k}: SIGKILL after {received} creates, {in_flight} held open")
            worker = start_worker(k)
        while pending():
            if time.monotonic() - started > 900:
                say("gave up after 15 minutes; see the statuses")
                break
            time.sleep(0.5)
            if time.monotonic() - last_enqueue >= args.claim_timeout:
                last_enqueue = beat()
        wall = time.monotonic() - started
        time.sleep(2)  # anything still arriving at the stub is counted
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        stub.close()
    return kills, wall


def tally(args, run: str, ids: set, ours, stub, kills: list[dict], wall: float) -> int:
    """Counts at the stub, by our message id, and prints the result. Returns the exit status."""
    reached = Counter(r["our_id"] for r in stub.records if r["our_id"] in ids)
    sids = {}
    for record in stub.records:
        sids.setdefault(record["our_id"], set()).add(record["sid"])
    duplicates = sorted(pk for pk, n in reached.items() if n > 1)
    lost = sorted(ids - set(reached))
    statuses = Counter(ours.values_list("status", flat=True))
    wrong_id = [
        pk
        for pk, gateway_id in ours.values_list("pk", "gateway_id")
        if gateway_id not in sids.get(pk, ())
    ]
    settled = ours.filter(events__note__contains="the gateway had received it").distinct().count()
    resent = ours.filter(events__note__contains="the gateway never received it").distinct().count()
    result = {
        "run": run,
        "messages": len(ids),
        "pool": args.pool if args.pool == "solo" else f"prefork -c{args.concurrency}",
        "stub_delay_s": args.delay,
        "kills": kills,
        "requests_held_open_at_kills": sum(k["held_open"] for k in kills),
        "creates_received": sum(reached.values()),
        "creates_for_earlier_runs_leftovers": len(stub.records) - sum(reached.values()),
        "duplicates": len(duplicates),
        "losses": len(lost),
        "rows_not_sent_with_the_stubs_id": len(wrong_id),
        "statuses": dict(statuses),
        "abandoned_found_at_twilio": settled,
        "abandoned_never_received_sent_again": resent,
        "wall_s": round(wall, 1),
    }
    say(json.dumps(result, indent=2))
    if duplicates or lost:
        say(f"duplicates {duplicates[:20]}, lost {lost[:20]}")
    return 0 if not (duplicates or lost or wrong_id) else 1


def ensure_patients(count: int) -> list:
    """`count` patients with a number each and consent to texts and calls, made once."""
    from django.db import transaction

    from clinic.messaging.models import ConsentSource
    from clinic.messaging.services import consent_record
    from clinic.models import PatientProfile, Role, User

    phones = [f"+{PHONE_BASE + n}" for n in range(count)]
    have = set(User.objects.filter(phone__in=phones).values_list("phone", flat=True))
    missing = [p for p in phones if p not in {str(h) for h in have}]
    if missing:
        say(f"making {len(missing)} patients")
        with transaction.atomic():
            for phone in missing:
                user = User.objects.create(role=Role.PATIENT, phone=phone, is_active=True)
                PatientProfile.objects.create(
                    user=user,
                    date_of_birth=dt.date(1985, 4, 2),
                    sex="female",
                    zip_code="02116",
                    time_zone="America/New_York",
                    preferred_channel="sms",
                )
                consent_record(
                    address=phone,
                    channels=["sms", "voice"],
                    granted=True,
                    source=ConsentSource.INTAKE,
                    user=user,
                )
    by_phone = {str(u.phone): u for u in User.objects.filter(phone__in=phones)}
    return [by_phone[p] for p in phones]


if __name__ == "__main__":
    sys.exit(main())
