"""The page load generator: gunicorn on loopback, closed-loop scenarios, their figures. Imported by
bench/run.py once Django is set up."""

from __future__ import annotations

import http.client
import itertools
import os
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
from urllib.parse import urlencode

from django.db.models import Count
from django.utils import timezone

from clinic.models import User
from intake.models import IntakeCase, Referral, ReferringProvider
from scheduling.models import (
    Course,
    CourseStatus,
    Location,
)

from .accounts import (
    bench_coordinators,
    cleanup_bookings,
    cookie_header,
    prepare_bookings,
    prepare_plans,
    session_cookie,
)
from .config import (
    BOOKINGS,
    CONCURRENCY,
    DURATION,
    NEXT_CALLERS,
    PLANS,
    PORT,
    ROOT,
    WARMUP,
    WORKERS,
    pct,
    say,
)

# --- the load generator -------------------------------------------------------------------------


class Scenario:
    def __init__(self, name, requests, expect=(200,), duration=DURATION, warmup=WARMUP, target=2.0):
        self.name = name
        self.target = target  # the median's allowed multiple of the floor (issue 19)
        self.requests = requests  # an iterator of (method, path, body, headers)
        self.expect = expect
        self.duration = duration
        self.warmup = warmup
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            return next(self.requests, None)


def run_scenario(scenario: Scenario) -> dict:
    latencies, statuses, wall = _run(scenario, scenario.warmup, scenario.duration)
    return _summary(scenario, latencies, statuses, wall)


def _run(scenario: Scenario, warmup: float, duration: float) -> tuple[list[float], Counter, float]:
    """CONCURRENCY requests in flight for `warmup` then `duration` seconds: the latencies (ms)
    and statuses of those that ended after the warm-up, and the measured wall time (s)."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    begin = time.monotonic()
    measure_from = begin + warmup
    stop_at = measure_from + duration
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
    return latencies, statuses, max(time.monotonic() - measure_from, 0.001)


def _summary(scenario: Scenario, latencies: list[float], statuses: Counter, wall: float) -> dict:
    errors = sum(n for s, n in statuses.items() if s not in scenario.expect)
    result = {
        "name": scenario.name,
        "requests": len(latencies),
        "median_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(pct(latencies, 0.95), 1) if latencies else None,
        "per_second": round(len(latencies) / wall, 1),
        "unexpected": errors,
        "statuses": {str(k): v for k, v in statuses.items()},
        "target": scenario.target,
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


def plan_requests(prepared):
    """'Plan my course' POSTs: each books a course of 3 in one step (course_book_sessions)."""
    for session_key, location_pk, starts in prepared:
        csrf = secrets.token_hex(16)
        body = urlencode(
            [("csrfmiddlewaretoken", csrf), ("location", location_pk)]
            + [("starts", s) for s in starts]
        )
        yield (
            "POST",
            "/my/plan/",
            body,
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


def _page_targets(runner: User) -> dict:
    """Who asks for what: the signed-in sessions and paths of every page scenario."""
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
        ReferringProvider.objects.annotate(referrals_made=Count("referrals"))
        .order_by("-referrals_made")
        .select_related("user")
        .first()
    )
    say(
        f"busiest provider: {busiest.referrals_made} referrals; "
        f"{IntakeCase.objects.open().count()} open intake cases"
    )
    say("preparing 'Next call' coordinators and booking holds")
    # The provider's outcome report (issue 22): their referrals whose course is complete, so
    # the referral page shows the report with its figures from the diary.
    reports = list(
        Referral.objects.filter(
            provider=busiest, course__outcome_plan__course_completed_on__isnull=False
        )
        .order_by("pk")
        .values_list("reference", flat=True)[:200]
    )
    say(f"{len(reports)} of the busiest provider's referrals have an outcome report")
    provider_key = session_cookie(busiest.user)
    day_paths = []
    for location in Location.objects.filter(pk__in=location_ids):
        today = timezone.now().astimezone(location.time_zone).date()
        day_paths.append(
            (f"/staff/day/?location={location.pk}&date={today.isoformat()}", coordinator_key)
        )
    return {
        "location_ids": location_ids,
        "patients": patients,
        "coordinator_key": coordinator_key,
        "provider_key": provider_key,
        "report_paths": [(f"/referrals/{r}/", provider_key) for r in reports],
        "callers": bench_coordinators(NEXT_CALLERS),
        "day_paths": day_paths,
        # The patients of the course page, found by a coordinator: their charts, and their
        # last names typed into the search (issue 20).
        "chart_paths": [(f"/patients/{c.patient_id}/", coordinator_key) for c, _s in patients],
        "search_paths": [
            (f"/patients/?{urlencode({'q': c.patient.last_name})}", coordinator_key)
            for c, _s in patients
        ],
    }


def _scenarios(t: dict) -> list[Scenario]:
    """The GET pages and the 'Next call' POST, in the order they run (the floor first)."""
    patients = t["patients"]
    return [
        Scenario("floor", cycle_get(_floor_paths(t))),
        Scenario("patient course page", cycle_get([("/my/", s) for _c, s in patients])),
        Scenario(
            "availability, 14 days",
            cycle_get([(f"/bench/availability/{c.location_id}/", s) for c, s in patients]),
        ),
        Scenario("coordinator queue page", cycle_get([("/intake/queue/", t["coordinator_key"])])),
        Scenario("next call (POST)", next_call_requests(t["callers"]), expect=(302,), warmup=1),
        Scenario("provider referral list", cycle_get([("/provider/", t["provider_key"])])),
        Scenario("day view", cycle_get(t["day_paths"])),
        Scenario("patient chart", cycle_get(t["chart_paths"])),
        Scenario("patient search", cycle_get(t["search_paths"])),
        Scenario("provider outcome report", cycle_get(t["report_paths"])),
        # The last 90 days at every location, with the responder rates of issue 22.
        Scenario("operations dashboard", cycle_get([("/operations/", t["coordinator_key"])])),
    ]


def _floor_paths(t: dict) -> list[tuple[str, str]]:
    return [(f"/bench/floor/{pk}/", s) for pk in t["location_ids"] for _c, s in t["patients"]]


# The endpoint and its floor take turns of this many seconds (bench/README.md).
TURN = 3.0


def _with_adjacent_floor(scenario: Scenario, floor_paths) -> dict:
    """The endpoint compared with the floor measured in turns with it: TURN seconds of the
    floor, TURN of the endpoint, and again, for the endpoint's whole duration. A shared
    machine's speed moves within seconds (the floor's median moved from 24 to 44 ms within one
    run), so a floor measured only before the endpoint could be measured under another load."""
    floor = Scenario("floor, adjacent", cycle_get(floor_paths))
    turns = max(1, round(scenario.duration / TURN))
    floor_ms: list[float] = []
    latencies: list[float] = []
    statuses: Counter = Counter()
    wall = 0.0
    for turn in range(turns):
        first = turn == 0
        floor_ms += _run(floor, 1.0 if first else 0.0, TURN)[0]
        ms, status, seconds = _run(scenario, scenario.warmup if first else 0.0, TURN)
        latencies += ms
        statuses += status
        wall += seconds
    say(f"floor, in turns with it: n={len(floor_ms)} median={statistics.median(floor_ms):.1f} ms")
    result = _summary(scenario, latencies, statuses, wall)
    result["floor_median_ms"] = round(statistics.median(floor_ms), 1)
    return result


def _booking(runner: User, t: dict) -> dict:
    # Holds last five minutes: made just before the booking scenario runs, a third at each
    # location (one location's next four weeks hold several hundred free times).
    prepared = []
    for location in Location.objects.filter(pk__in=t["location_ids"]):
        prepared += prepare_bookings(runner, location, BOOKINGS // len(t["location_ids"]))
    random.shuffle(prepared)
    say(f"{len(prepared)} holds ready")
    return _with_adjacent_floor(
        Scenario("booking (POST)", booking_requests(prepared), expect=(302,), warmup=1, target=4.0),
        _floor_paths(t),
    )


def _planned_course(runner: User, t: dict) -> dict:
    # Three free times on three days for each patient, none offered to two patients, found just
    # before the scenario runs (after the single bookings).
    prepared, taken = [], {}
    for location in Location.objects.filter(pk__in=t["location_ids"]):
        prepared += prepare_plans(runner, location, PLANS // len(t["location_ids"]), taken)
    random.shuffle(prepared)
    say(f"{len(prepared)} plans of 3 ready")
    return _with_adjacent_floor(
        Scenario(
            "planned course of 3 (POST)",
            plan_requests(prepared),
            expect=(302,),
            warmup=1,
            target=6.0,
        ),
        _floor_paths(t),
    )


def measure_pages(runner: User) -> list[dict]:
    targets = _page_targets(runner)
    floor_paths = _floor_paths(targets)
    gunicorn = start_gunicorn()
    try:
        first, *rest = _scenarios(targets)
        results = [run_scenario(first)]
        results += [_with_adjacent_floor(scenario, floor_paths) for scenario in rest]
        results.append(_booking(runner, targets))
        results.append(_planned_course(runner, targets))
        results.append(run_scenario(Scenario("floor (again, last)", cycle_get(floor_paths))))
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
    return results
