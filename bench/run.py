"""The clinic-scale benchmark (bench/README.md). Run it with `./portal bench`, which prepares the
database, the environment and the static files, then calls this script.

1. Pages: gunicorn (clinic.settings.bench) on loopback; a closed-loop load generator keeps
   CONCURRENCY requests in flight per endpoint for DURATION seconds; the floor is measured in
   the same run, first and again last.
2. Claim-next: 20 processes, each a coordinator, call intake.services.case_claim_next over the
   open cases; each claim is then logged as a no-answer (not timed), as a coordinator would.
3. Reminder dispatch: 10,000 due messages, one Celery worker (solo pool) over the real Redis,
   the default OutboxGateway; wall time from the enqueue to the last one sent.
Writes bench/RESULTS.md (the part above the notes marker) and bench/last-run.json."""

from __future__ import annotations

import datetime as dt
import http.client
import itertools
import json
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.bench")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from bench.scale import DEMO_TOTP_KEY  # noqa: E402
from clinic.celery import app  # noqa: E402
from clinic.errors import ApplicationError  # noqa: E402
from clinic.messaging.models import Message, MessageEvent, MessageStatus  # noqa: E402
from clinic.messaging.services import messages_dispatch_due  # noqa: E402
from clinic.messaging.tasks import dispatch_due_messages  # noqa: E402
from clinic.models import PatientProfile, Role, User  # noqa: E402
from intake.models import CallAttempt, IntakeCase, Referral, ReferringProvider  # noqa: E402
from intake.services import call_log, case_claim_next, case_release  # noqa: E402
from scheduling import services as scheduling  # noqa: E402
from scheduling.availability import free_start_times  # noqa: E402
from scheduling.models import (  # noqa: E402
    Course,
    CourseStatus,
    InfusionSession,
    Location,
    StaffShift,
)

CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
DURATION = float(os.environ.get("BENCH_DURATION", "15"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "3"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "3"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
CLAIMERS, CLAIMS_EACH = 20, int(os.environ.get("BENCH_CLAIMS_EACH", "25"))
DISPATCH_COUNT = int(os.environ.get("BENCH_DISPATCH", "10000"))
BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "600"))
NEXT_CALLERS = int(os.environ.get("BENCH_NEXT_CALLERS", "2500"))
RESULTS = ROOT / "bench" / "RESULTS.md"
NOTES_MARKER = "<!-- notes: everything below this line is kept by ./portal bench -->"
BENCH_EMAIL = "bench-runner@scale.example"


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# --- signed-in sessions, made the way a sign-in leaves them -------------------------------------


def session_cookie(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["last_seen"] = int(time.time())
    if user.is_clinic_staff:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id  # the second factor was passed
    store.create()
    return store.session_key


def cookie_header(session_key: str, csrf: str | None = None) -> str:
    parts = [f"{settings.SESSION_COOKIE_NAME}={session_key}"]
    if csrf:
        parts.append(f"{settings.CSRF_COOKIE_NAME}={csrf}")
    return "; ".join(parts)


def bench_runner() -> User:
    user = User.objects.filter(email=BENCH_EMAIL).first()
    if user is None:
        user = User.objects.create_user(
            email=BENCH_EMAIL, password=None, role=Role.ADMIN, first_name="Bench"
        )
    return user


def bench_coordinators(count: int) -> list[User]:
    """Coordinators used once each by the 'Next call' scenario, so every POST is a real claim
    (a coordinator who holds a live claim just gets it back)."""
    existing = list(
        User.objects.filter(email__startswith="bench-coordinator-", role=Role.COORDINATOR)
    )
    have = {u.email for u in existing}
    template = User.objects.filter(role=Role.COORDINATOR).exclude(password="").first()
    new = [
        User(
            email=f"bench-coordinator-{n:04d}@scale.example",
            role=Role.COORDINATOR,
            first_name="Bench",
            last_name=f"C{n:04d}",
            password=template.password,
        )
        for n in range(count)
        if f"bench-coordinator-{n:04d}@scale.example" not in have
    ]
    User.objects.bulk_create(new, batch_size=1000)
    users = list(
        User.objects.filter(email__startswith="bench-coordinator-").order_by("email")[:count]
    )
    with_device = set(TOTPDevice.objects.filter(user__in=users).values_list("user_id", flat=True))
    TOTPDevice.objects.bulk_create(
        [
            TOTPDevice(user=u, name="bench", key=DEMO_TOTP_KEY, confirmed=True)
            for u in users
            if u.pk not in with_device
        ]
    )
    # Claims from an earlier run are handed back, so each POST claims afresh.
    for case in IntakeCase.objects.open().filter(claimed_by__in=users):
        case_release(case=case, coordinator=case.claimed_by)
    return users


def cleanup_bookings(runner: User) -> int:
    """Cancel the courses (and so the sessions) an earlier run booked, through the services."""
    courses = Course.objects.filter(created_by=runner, status__in=[CourseStatus.ACTIVE])
    n = 0
    for course in courses:
        scheduling.course_cancel(course=course, by=runner, reason="benchmark clean-up")
        n += 1
    return n


def prepare_bookings(runner: User, location: Location, count: int) -> list[tuple[str, int]]:
    """`count` patients without an open course each get a course of 6 (course_create) and a
    held time in the next 14 days (slot_hold), as if they had just picked it. The booking POST
    then confirms the hold: the real session_book with its reminders, GFE clock and estimate."""
    open_patients = Course.objects.filter(
        status__in=[CourseStatus.ACTIVE, CourseStatus.AWAITING_REVIEW]
    ).values("patient_id")
    patients = list(
        User.objects.filter(role=Role.PATIENT, courses__location=location)
        .exclude(pk__in=open_patients)
        .distinct()
        .order_by("pk")[: count * 2]
    )
    today = timezone.now().astimezone(location.time_zone).date()
    prepared = []
    day_cycle = itertools.cycle(range(2, 15))
    for patient in patients:
        if len(prepared) >= count:
            break
        course = scheduling.course_create(
            patient=patient,
            location=location,
            planned_sessions=6,
            needs_clinician_review=False,
            created_by=runner,
        )
        held = False
        for _attempt in range(6):
            day = today + dt.timedelta(days=next(day_cycle))
            starts = free_start_times(course=course, location=location, first_day=day, last_day=day)
            if not starts[day]:
                continue
            starts_at = starts[day][secrets.randbelow(len(starts[day]))]
            try:
                hold = scheduling.slot_hold(course=course, starts_at=starts_at, location=location)
            except ApplicationError:
                continue
            prepared.append((session_cookie(patient), hold.pk))
            held = True
            break
        if not held:  # no free time found for this one: leave nothing open behind
            scheduling.course_cancel(course=course, by=runner, reason="benchmark: no free time")
    return prepared


# --- the load generator -------------------------------------------------------------------------


class Scenario:
    def __init__(self, name, requests, expect=(200,), duration=DURATION, warmup=WARMUP):
        self.name = name
        self.requests = requests  # an iterator of (method, path, body, headers)
        self.expect = expect
        self.duration = duration
        self.warmup = warmup
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            return next(self.requests, None)


def run_scenario(scenario: Scenario) -> dict:
    latencies: list[float] = []
    statuses: Counter = Counter()
    begin = time.monotonic()
    measure_from = begin + scenario.warmup
    stop_at = measure_from + scenario.duration
    lock = threading.Lock()

    def worker():
        while time.monotonic() < stop_at:
            request = scenario.next()
            if request is None:
                return
            method, path, body, headers = request
            started = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=300)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
            finally:
                conn.close()
            finished = time.monotonic()
            elapsed = finished - started
            # Counted when it ends inside the window: an endpoint slower than the warm-up
            # still gets its figures.
            if finished >= measure_from:
                with lock:
                    latencies.append(elapsed * 1000)
                    statuses[status] += 1

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = max(time.monotonic() - measure_from, 0.001)
    errors = sum(n for s, n in statuses.items() if s not in scenario.expect)
    result = {
        "name": scenario.name,
        "requests": len(latencies),
        "median_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(pct(latencies, 0.95), 1) if latencies else None,
        "per_second": round(len(latencies) / wall, 1),
        "unexpected": errors,
        "statuses": {str(k): v for k, v in statuses.items()},
    }
    say(
        f"{scenario.name}: n={result['requests']} median={result['median_ms']} ms "
        f"p95={result['p95_ms']} ms {result['per_second']}/s statuses={result['statuses']}"
    )
    return result


def get(path: str, session_key: str):
    return ("GET", path, None, {"Cookie": cookie_header(session_key), "Host": "127.0.0.1"})


def cycle_get(paths_and_sessions):
    return (get(p, s) for p, s in itertools.cycle(paths_and_sessions))


def booking_requests(prepared):
    for session_key, hold_pk in prepared:
        csrf = secrets.token_hex(16)
        yield (
            "POST",
            f"/my/hold/{hold_pk}/",
            f"csrfmiddlewaretoken={csrf}",
            {
                "Cookie": cookie_header(session_key, csrf),
                "Content-Type": "application/x-www-form-urlencoded",
                "Host": "127.0.0.1",
            },
        )


def next_call_requests(coordinators):
    for user in coordinators:
        csrf = secrets.token_hex(16)
        yield (
            "POST",
            "/intake/next-call/",
            f"csrfmiddlewaretoken={csrf}",
            {
                "Cookie": cookie_header(session_cookie(user), csrf),
                "Content-Type": "application/x-www-form-urlencoded",
                "Host": "127.0.0.1",
            },
        )


def start_gunicorn() -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "clinic.wsgi",
        "--bind",
        f"127.0.0.1:{PORT}",
        "--workers",
        str(WORKERS),
        "--timeout",
        "300",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())  # noqa: S603
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


def measure_pages(runner: User) -> list[dict]:
    location_ids = list(
        Location.objects.filter(slug__endswith="-scale").values_list("pk", flat=True)
    )
    say(f"cancelled {cleanup_bookings(runner)} courses booked by an earlier run")
    active = list(
        Course.objects.filter(status=CourseStatus.ACTIVE, sessions__isnull=False)
        .exclude(created_by=runner)
        .select_related("patient")
        .distinct()
        .order_by("pk")[:200]
    )
    patients = [(c, session_cookie(c.patient)) for c in active]
    coordinator = User.objects.get(email="coordinator01@scale.example")
    coordinator_key = session_cookie(coordinator)
    busiest = (
        ReferringProvider.objects.annotate(referral_count=Count("referrals"))
        .order_by("-referral_count")
        .select_related("user")
        .first()
    )
    provider_key = session_cookie(busiest.user)
    say(
        f"busiest provider: {busiest.referral_count} referrals; "
        f"{IntakeCase.objects.open().count()} open intake cases"
    )
    say("preparing 'Next call' coordinators and booking holds")
    callers = bench_coordinators(NEXT_CALLERS)
    day_paths = []
    for pk in location_ids:
        location = Location.objects.get(pk=pk)
        today = timezone.now().astimezone(location.time_zone).date()
        day_paths.append((f"/staff/day/?location={pk}&date={today.isoformat()}", coordinator_key))

    gunicorn = start_gunicorn()
    try:
        scenarios = [
            Scenario(
                "floor",
                cycle_get(
                    [(f"/bench/floor/{pk}/", s) for pk in location_ids for _c, s in patients]
                ),
            ),
            Scenario("patient course page", cycle_get([("/my/", s) for _c, s in patients])),
            Scenario(
                "availability, 14 days",
                cycle_get([(f"/bench/availability/{c.location_id}/", s) for c, s in patients]),
            ),
            Scenario("coordinator queue page", cycle_get([("/intake/queue/", coordinator_key)])),
            Scenario("next call (POST)", next_call_requests(callers), expect=(302,), warmup=1),
            Scenario("provider referral list", cycle_get([("/provider/", provider_key)])),
            Scenario("day view", cycle_get(day_paths)),
        ]
        floor_paths = [(f"/bench/floor/{pk}/", s) for pk in location_ids for _c, s in patients]

        def with_adjacent_floor(scenario: Scenario) -> dict:
            # The machine's load drifts during a run: each endpoint is compared with a floor
            # measured just before it.
            floor = run_scenario(
                Scenario("floor, adjacent", cycle_get(floor_paths), duration=5, warmup=1)
            )
            result = run_scenario(scenario)
            result["floor_median_ms"] = floor["median_ms"]
            return result

        results = [run_scenario(scenarios[0])]
        for scenario in scenarios[1:]:
            results.append(with_adjacent_floor(scenario))
        # Holds last five minutes: made just before the booking scenario runs, a third at
        # each location (one location's next two weeks hold a few hundred free times).
        prepared = []
        for location in Location.objects.filter(pk__in=location_ids):
            prepared += prepare_bookings(runner, location, BOOKINGS // len(location_ids))
        random.shuffle(prepared)
        say(f"{len(prepared)} holds ready")
        results.append(
            with_adjacent_floor(
                Scenario("booking (POST)", booking_requests(prepared), expect=(302,), warmup=1)
            )
        )
        floor_again = run_scenario(
            Scenario(
                "floor (again, last)",
                cycle_get(
                    [(f"/bench/floor/{pk}/", s) for pk in location_ids for _c, s in patients]
                ),
            )
        )
        results.append(floor_again)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
    return results


# --- claim-next ---------------------------------------------------------------------------------


def _claimer(user_pk: int, barrier, results) -> None:
    """One coordinator in a process of its own (as each would be in its own web worker)."""
    user = User.objects.get(pk=user_pk)
    timings, empty = [], 0
    barrier.wait()
    for _ in range(CLAIMS_EACH):
        started = time.monotonic()
        case = case_claim_next(coordinator=user)
        timings.append((time.monotonic() - started) * 1000)
        if case is None:
            empty += 1
            continue
        call_log(case=case, coordinator=user, outcome="no_answer")
    results.put((timings, empty))


def measure_claim_next() -> dict:
    import multiprocessing

    coordinators = list(User.objects.filter(email__regex=r"^coordinator\d\d@scale\.example$"))[
        :CLAIMERS
    ]
    # The 'Next call' page scenario leaves one live claim per coordinator it used (up to
    # NEXT_CALLERS, all at the head of the queue). A real coordinator logs the call or hands it
    # back, never holds a thousand at once: hand them back, as well as the claimers' own.
    bench_callers = User.objects.filter(email__startswith="bench-coordinator-")
    held = IntakeCase.objects.open().filter(
        Q(claimed_by__in=coordinators) | Q(claimed_by__in=bench_callers)
    )
    for case in held.select_related("claimed_by"):
        case_release(case=case, coordinator=case.claimed_by)
    open_cases = IntakeCase.objects.open().count()
    connections.close_all()  # each forked process opens its own
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(coordinators))
    results = context.Queue()
    processes = [
        context.Process(target=_claimer, args=(u.pk, barrier, results)) for u in coordinators
    ]
    started = time.monotonic()
    for p in processes:
        p.start()
    timings: list[float] = []
    empty = 0
    for _ in processes:
        got, none = results.get(timeout=600)
        timings += got
        empty += none
    for p in processes:
        p.join()
    result = {
        "coordinators": len(coordinators),
        "open_cases": open_cases,
        "claims": len(timings),
        "found_nothing": empty,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(pct(timings, 0.95), 1),
        "wall_s": round(time.monotonic() - started, 1),
    }
    say(f"claim-next: {result}")
    return result


# --- reminder dispatch --------------------------------------------------------------------------


def measure_dispatch() -> dict:
    drained = 0
    while Message.objects.due(timezone.now()).exists():
        drained += messages_dispatch_due()
    say(f"sent {drained} messages that were already due (not timed)")
    run = timezone.now().strftime("%Y%m%d%H%M%S")
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
    app.control.purge()  # tasks the page scenarios enqueued (booking e-mails) are not ours
    worker = subprocess.Popen(  # noqa: S603
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
    try:
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
        wall = time.monotonic() - started
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


# --- the report ---------------------------------------------------------------------------------


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    load = os.getloadavg()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
        "database_size": size,
        "load_average_before": [round(x, 2) for x in load],
        "autovacuum": autovacuum_is_on(),
    }


# The tables a run churns: claims and call logs rewrite queue rows, bookings and dispatch rewrite
# messages. Between two runs on a production server autovacuum would have cleaned them.
CHURNED = ["intake_intakecase", "clinic_message", "scheduling_infusionsession", "django_session"]


def autovacuum_is_on() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        return cursor.fetchone()[0] == "on"


def vacuum_if_no_autovacuum(tables: list[str]) -> None:
    """Some servers run with autovacuum off (this machine's does). Dead rows from the previous
    run, or from the page scenarios just before claim-next, would then pile up at the head of
    the queue's indexes run after run, which no production server lets happen: vacuum the
    churned tables as autovacuum would have."""
    if autovacuum_is_on():
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")
    say(f"autovacuum is off on this server: vacuumed {', '.join(tables)}")


def table_counts() -> dict:
    return {
        "referrals": Referral.objects.count(),
        "call attempts": CallAttempt.objects.count(),
        "courses": Course.objects.count(),
        "sessions": InfusionSession.objects.count(),
        "messages": Message.objects.count(),
        "staff shifts": StaffShift.objects.count(),
        "open intake cases": IntakeCase.objects.open().count(),
    }


def write_results(data: dict) -> None:
    floor = data["pages"][0]["median_ms"]
    lines = [
        "# Benchmark results",
        "",
        f"- Date: {data['date']}",
        f"- Command: `{data['command']}`",
        f"- Machine: {data['machine']['cpu']}, {data['machine']['cores']} cores, "
        f"{data['machine']['memory_gb']} GB RAM; {data['machine']['os']}; Python "
        f"{data['machine']['python']}; PostgreSQL {data['machine']['postgresql']}",
        f"- Load average when the run began: {data['machine']['load_average_before']} "
        "(the machine is shared; ratios to the floor, measured in the same run, are what "
        "to compare)",
        "- Autovacuum on the server: "
        + (
            "on"
            if data["machine"].get("autovacuum", True)
            else "off, so the run vacuums the tables it churns before each part (bench/README.md)"
        ),
        f"- Database: {data['machine']['database_size']}; "
        + ", ".join(f"{v:,} {k}" for k, v in data["counts"].items()),
        f"- Data load (`manage.py seed_scale`): {data.get('seed', 'see bench/README.md')}",
        f"- Web: gunicorn, {WORKERS} sync workers, clinic.settings.bench; load: {CONCURRENCY} "
        f"connections in a closed loop, {DURATION:.0f} s per endpoint after {WARMUP:.0f} s of "
        "warm-up (1 s for the POSTs), a new connection per request",
        "",
        "## Pages (target: median within 2× the floor's median)",
        "",
        f"Measured in the run of {data.get('pages_date') or data['date']}.",
        "",
        "Each endpoint is compared with the floor measured just before it (5 s), because the "
        "shared machine's load drifts during a run; the first and last rows are the floor "
        "alone.",
        "",
        "| Endpoint | Requests | Median ms | p95 ms | Floor median ms | Median / floor "
        "| p95 / floor median | Req/s | Other status | Target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in data["pages"]:
        base = r.get("floor_median_ms") or floor
        ratio = f"{r['median_ms'] / base:.2f}×" if r["median_ms"] else "—"
        p95_ratio = f"{r['p95_ms'] / base:.2f}×" if r["p95_ms"] else "—"
        is_floor = r["name"].startswith("floor")
        met = r["median_ms"] is not None and r["median_ms"] <= 2 * base
        verdict = "—" if is_floor else ("met" if met else "missed")
        lines.append(
            f"| {r['name']} | {r['requests']} | {r['median_ms']} | {r['p95_ms']} | {base} | "
            f"{ratio} | {p95_ratio} | {r['per_second']} | {r['unexpected']} | {verdict} |"
        )
    claim = data["claim_next"]
    dispatch = data["dispatch"]
    lines += [
        "",
        "## Claim-next (target: p95 under 20 ms)",
        "",
        f"Measured in the run of {claim.get('date', data['date'])}: "
        f"{claim['coordinators']} processes, each a coordinator, {claim['claims']} calls of "
        f"`case_claim_next` over {claim['open_cases']:,} open cases (each claim then logged as a "
        f"no-answer, not timed): median {claim['median_ms']} ms, **p95 {claim['p95_ms']} ms** "
        f"({'met' if claim['p95_ms'] < 20 else 'missed'}); "
        f"{claim['found_nothing']} calls found nothing to claim.",
        "",
        "## Reminder dispatch (target: 10,000 in under 60 s)",
        "",
        f"Measured in the run of {dispatch.get('date', data['date'])}: "
        f"{dispatch['messages']:,} due messages, one Celery worker (solo pool), Redis broker, "
        f"OutboxGateway: **{dispatch['wall_s']} s** wall time from enqueue to the last sent "
        f"({dispatch['per_second']}/s; {'met' if dispatch['wall_s'] < 60 else 'missed'}); "
        f"dispatcher runs enqueued: {dispatch['task_runs_enqueued']}; final statuses "
        f"{dispatch['statuses']}.",
        "",
    ]
    notes = ""
    if RESULTS.exists() and NOTES_MARKER in RESULTS.read_text():
        notes = RESULTS.read_text().split(NOTES_MARKER, 1)[1]
    RESULTS.write_text("\n".join(lines) + "\n" + NOTES_MARKER + notes)


def main() -> None:
    started = timezone.now()
    info = machine()
    counts = table_counts()
    runner = bench_runner()
    only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
    data = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": os.environ.get("BENCH_COMMAND", "./portal bench"),
        "machine": info,
        "counts": counts,
        "seed": os.environ.get("BENCH_SEED_NOTE", ""),
    }
    previous = {}
    last = ROOT / "bench" / "last-run.json"
    if last.exists():
        previous = json.loads(last.read_text())
    stamp = data["date"]
    vacuum_if_no_autovacuum(CHURNED)
    if not only or "pages" in only:
        data["pages"] = measure_pages(runner)
        data["pages_date"] = stamp
    else:
        data["pages"], data["pages_date"] = previous["pages"], previous.get("pages_date")
    if not only or "claim" in only:
        vacuum_if_no_autovacuum(["intake_intakecase"])
        data["claim_next"] = {**measure_claim_next(), "date": stamp}
    else:
        data["claim_next"] = previous["claim_next"]
    if not only or "dispatch" in only:
        data["dispatch"] = {**measure_dispatch(), "date": stamp}
    else:
        data["dispatch"] = previous["dispatch"]
    last.write_text(json.dumps(data, indent=2, default=str))
    write_results(data)
    say(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
