"""Where one page spends its time: in-process, one request at a time, against the benchmark
database. For finding what to fix, not for figures (those come from `./portal bench`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench_scale \
        .venv/bin/python bench/profile_page.py day [--requests 30] [--top 25]

Pages: floor, course, availability, queue, provider, day, chart, search, report (the provider's
outcome report), operations; and the POSTs booking (confirm a held time) and plan (a course of 3
in one step), each request on a hold or plan prepared as the benchmark prepares them (the
courses are cancelled at the next benchmark run's clean-up). Prints the median wall time, the
queries of one request with their time, and the functions that cost the most (cProfile).

`--count` prints instead, for one warm request, the Python function calls it made and its
statements: figures that do not move with the machine's load, so a change can be judged on a
busy machine (a generator's resumption counts as a call, as the profiler sees it)."""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the project's root, not this folder: bench/ is a package
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.bench")
os.environ.setdefault("SECRET_KEY", "bench-profile-not-a-production-key")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.accounts import (  # noqa: E402 - the benchmark's way of signing in and booking
    bench_runner,
    prepare_bookings,
    prepare_plans,
    session_cookie,
)
from clinic.models import User  # noqa: E402
from intake.models import Referral, ReferringProvider  # noqa: E402
from scheduling.models import Course, CourseStatus, Location  # noqa: E402


def _session_cookie(user: User) -> str:
    return session_cookie(user)


def page(name: str) -> tuple[str, User]:
    location = Location.objects.filter(slug__endswith="-scale").order_by("pk").first()
    if name in ("floor", "course", "availability"):
        course = (
            Course.objects.filter(status=CourseStatus.ACTIVE, sessions__isnull=False)
            .select_related("patient")
            .order_by("pk")
            .first()
        )
        path = {
            "floor": f"/bench/floor/{location.pk}/",
            "course": "/my/",
            "availability": f"/bench/availability/{course.location_id}/",
        }[name]
        return path, course.patient
    coordinator = User.objects.get(email="coordinator01@scale.example")
    if name == "queue":
        return "/intake/queue/", coordinator
    if name == "day":
        today = timezone.now().astimezone(location.time_zone).date()
        return f"/staff/day/?location={location.pk}&date={today.isoformat()}", coordinator
    if name in ("chart", "search"):
        patient = (
            Course.objects.filter(status=CourseStatus.ACTIVE, sessions__isnull=False)
            .select_related("patient")
            .order_by("pk")
            .first()
            .patient
        )
        if name == "chart":
            return f"/patients/{patient.pk}/", coordinator
        return f"/patients/?{urlencode({'q': patient.last_name})}", coordinator
    if name == "operations":
        return "/operations/", coordinator
    if name in ("provider", "report"):
        busiest = ReferringProvider.objects.annotate(n=Count("referrals")).order_by("-n").first()
        if name == "provider":
            return "/provider/", busiest.user
        reference = (
            Referral.objects.filter(
                provider=busiest, course__outcome_plan__course_completed_on__isnull=False
            )
            .order_by("pk")
            .values_list("reference", flat=True)
            .first()
        )
        return f"/referrals/{reference}/", busiest.user
    raise SystemExit(f"unknown page {name}")


def posts(name: str, count: int) -> list[tuple[str, str, dict]]:
    """`count` booking or plan POSTs, prepared as the benchmark prepares them: (session key,
    path, form data)."""
    location = Location.objects.filter(slug__endswith="-scale").order_by("pk").first()
    runner = bench_runner()
    if name == "booking":
        return [
            (key, f"/my/hold/{hold}/", {})
            for key, hold in prepare_bookings(runner, location, count)
        ]
    return [
        (key, "/my/plan/", {"location": loc, "starts": starts})
        for key, loc, starts in prepare_plans(runner, location, count, {})
    ]


class _CallCounter:
    """Python function calls made while it is on (sys.setprofile's 'call' events: what cProfile
    counts, without the timing that slows it down)."""

    def __init__(self):
        self.calls = 0

    def _profile(self, frame, event, arg):
        if event == "call":
            self.calls += 1

    def __enter__(self):
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.setprofile(None)


def _print_count(name: str, request) -> None:
    with CaptureQueriesContext(connection) as queries, _CallCounter() as counter:
        request()
    print(f"{name}: {counter.calls} Python calls, {len(queries)} statements")


def main_post(args) -> None:
    prepared = posts(args.page, args.requests + 2)
    client = Client(HTTP_HOST="127.0.0.1")

    def post(key, path, data):
        client.cookies[settings.SESSION_COOKIE_NAME] = key
        response = client.post(path, data)
        assert response.status_code == 302, (path, response.status_code)

    post(*prepared.pop())  # warm
    if args.count:
        return _print_count(args.page, lambda: post(*prepared.pop()))
    with CaptureQueriesContext(connection) as queries:
        post(*prepared.pop())
    print(f"{args.page}: {len(queries)} queries")
    for q in queries.captured_queries:
        print(f"  {q['time']}s  {q['sql'][:150]}")
    times = []
    profile = cProfile.Profile()
    for key, path, data in prepared:
        started = time.perf_counter()
        profile.enable()
        post(key, path, data)
        profile.disable()
        times.append((time.perf_counter() - started) * 1000)
    print(f"median {statistics.median(times):.1f} ms over {len(times)}")
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("page")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--count", action="store_true", help="calls and statements of one request")
    args = parser.parse_args()
    if args.page in ("booking", "plan"):
        return main_post(args)
    path, user = page(args.page)
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = _session_cookie(user)
    for _ in range(3):  # warm: templates compiled, connection open
        assert client.get(path).status_code == 200, path
    if args.count:
        return _print_count(args.page, lambda: client.get(path))
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    print(f"{path}: {len(queries)} queries")
    for q in queries.captured_queries:
        print(f"  {q['time']}s  {q['sql'][:150]}")
    times = []
    profile = cProfile.Profile()
    for _ in range(args.requests):
        started = time.perf_counter()
        profile.enable()
        response = client.get(path)
        profile.disable()
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"median {statistics.median(times):.1f} ms over {args.requests};",
        f"{len(response.content)} bytes",
    )
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
