"""The machine, the data and the report (bench/RESULTS.md). Imported by bench/run.py once Django is
set up."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from django.db import connection

from clinic.messaging.models import Message
from intake.models import CallAttempt, IntakeCase, Referral
from scheduling.models import (
    Course,
    InfusionSession,
    StaffShift,
)

from .config import CONCURRENCY, DURATION, NOTES_MARKER, RESULTS, WARMUP, WORKERS, say

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


def _header(data: dict) -> list[str]:
    m = data["machine"]
    return [
        "# Benchmark results",
        "",
        f"- Date: {data['date']}",
        f"- Command: `{data['command']}`",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM; {m['os']}; Python "
        f"{m['python']}; PostgreSQL {m['postgresql']}",
        f"- Load average when the run began: {m['load_average_before']} "
        "(the machine is shared; ratios to the floor, measured in the same run, are what "
        "to compare)",
        "- Autovacuum on the server: "
        + (
            "on"
            if m.get("autovacuum", True)
            else "off, so the run vacuums the tables it churns before each part (bench/README.md)"
        ),
        f"- Database: {m['database_size']}; "
        + ", ".join(f"{v:,} {k}" for k, v in data["counts"].items()),
        f"- Data load (`manage.py seed_scale`): {data.get('seed', 'see bench/README.md')}",
        f"- Web: gunicorn, {WORKERS} sync workers, clinic.settings.bench; load: {CONCURRENCY} "
        f"connections in a closed loop, {DURATION:.0f} s per endpoint after {WARMUP:.0f} s of "
        "warm-up (1 s for the POSTs), a new connection per request",
        "",
    ]


def _pages(data: dict) -> list[str]:
    floor = data["pages"][0]["median_ms"]
    lines = [
        "## Pages (target: median within 2× the floor's median; booking POST 4×, a planned "
        "course of 3 6×)",
        "",
        f"Measured in the run of {data.get('pages_date') or data['date']}.",
        "",
        "Each endpoint is compared with the floor measured in turns with it (3 s of the floor, "
        "3 s of the endpoint, five times), because the shared machine's speed moves within "
        "seconds; the first and last rows are the floor alone.",
        "",
        "| Endpoint | Requests | Median ms | p95 ms | Floor median ms | Median / floor "
        "| p95 / floor median | Req/s | Other status | Target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in data["pages"]:
        base = r.get("floor_median_ms") or floor
        target = r.get("target", 2.0)
        ratio = f"{r['median_ms'] / base:.2f}×" if r["median_ms"] else "—"
        p95_ratio = f"{r['p95_ms'] / base:.2f}×" if r["p95_ms"] else "—"
        is_floor = r["name"].startswith("floor")
        met = r["median_ms"] is not None and r["median_ms"] <= target * base
        verdict = "—" if is_floor else (f"≤ {target:g}×: " + ("met" if met else "missed"))
        lines.append(
            f"| {r['name']} | {r['requests']} | {r['median_ms']} | {r['p95_ms']} | {base} | "
            f"{ratio} | {p95_ratio} | {r['per_second']} | {r['unexpected']} | {verdict} |"
        )
    return lines


def _claim_and_dispatch(data: dict) -> list[str]:
    claim = data["claim_next"]
    dispatch = data["dispatch"]
    alone = claim.get("alone")
    return [
        "",
        "## Claim-next (target: p95 under 20 ms)",
        "",
        f"Measured in the run of {claim.get('date', data['date'])}: "
        f"{claim['coordinators']} processes, each a coordinator, {claim['claims']} calls of "
        f"`case_claim_next` over {claim['open_cases']:,} open cases"
        + (
            f", {claim['due_callbacks']:,} of them callbacks due"
            if "due_callbacks" in claim
            else ""
        )
        + " (each claim then logged as a "
        f"no-answer, not timed, while the others claim): median {claim['median_ms']} ms, "
        f"**p95 {claim['p95_ms']} ms** ({'met' if claim['p95_ms'] < 20 else 'missed'}); "
        f"{claim['found_nothing']} calls found nothing to claim."
        + (
            f" Claims alone (the same twenty, in rounds: all claim, then all log their calls, so "
            f"no call log runs beside a claim): median {alone['median_ms']} ms, p95 "
            f"{alone['p95_ms']} ms."
            if alone
            else ""
        ),
        "",
        "## Reminder dispatch (target: 10,000 in 30 s at most, issue 19)",
        "",
        f"Measured in the run of {dispatch.get('date', data['date'])}: "
        f"{dispatch['messages']:,} due messages, one Celery worker (solo pool), Redis broker, "
        f"OutboxGateway: **{dispatch['wall_s']} s** wall time from enqueue to the last sent "
        f"({dispatch['per_second']}/s; {'met' if dispatch['wall_s'] <= 30 else 'missed'}); "
        f"dispatcher runs enqueued: {dispatch['task_runs_enqueued']}; final statuses "
        f"{dispatch['statuses']}.",
        "",
    ]


def _waitlist(data: dict) -> list[str]:
    w = data.get("waitlist")
    if not w:
        return []
    lines = [
        "## Waitlist: a cancellation where thousands wait (issue 24)",
        "",
        f"Measured in the run of {w.get('date', data['date'])}, in process, inside one "
        f"transaction rolled back (bench/waitlist.py): {w['patients']:,} patients waiting at "
        f"one location; the patient's cancel (the session cancelled, the freed time recorded) "
        f"**{w['cancel_ms']} ms** ({w['cancel_queries']} queries); the first round of offers "
        f"(rank the waiting, check the best against the booking rules, store {w['offers_sent']} "
        f"offers and their texts) **{w['first_round_ms']} ms** ({w['first_round_queries']} "
        "queries).",
    ]
    if "offer_page_ms" in w:
        lines[-1] += (
            f" The offer link's page (GET), median of 20 in process: **{w['offer_page_ms']} ms** "
            f"({w['offer_page_queries']} {'query' if w['offer_page_queries'] == 1 else 'queries'}) "
            "against the floor view in process "
            f"{w['offer_page_floor_ms']} ms ({w['offer_page_ms'] / w['offer_page_floor_ms']:.2f}×)."
        )
    return [*lines, ""]


def write_results(data: dict) -> None:
    lines = _header(data) + _pages(data) + _claim_and_dispatch(data) + _waitlist(data)
    notes = ""
    if RESULTS.exists() and NOTES_MARKER in RESULTS.read_text():
        notes = RESULTS.read_text().split(NOTES_MARKER, 1)[1]
    RESULTS.write_text("\n".join(lines) + "\n" + NOTES_MARKER + notes)
