"""The benchmark's settings (environment variables) and two helpers every part uses."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
DURATION = float(os.environ.get("BENCH_DURATION", "15"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "3"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "3"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
CLAIMERS, CLAIMS_EACH = 20, int(os.environ.get("BENCH_CLAIMS_EACH", "25"))
DISPATCH_COUNT = int(os.environ.get("BENCH_DISPATCH", "10000"))
BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "600"))
PLANS = int(os.environ.get("BENCH_PLANS", "300"))
WAITLIST_PATIENTS = int(os.environ.get("BENCH_WAITLIST_PATIENTS", "5000"))
NEXT_CALLERS = int(os.environ.get("BENCH_NEXT_CALLERS", "2500"))
RESULTS = ROOT / "bench" / "RESULTS.md"
NOTES_MARKER = "<!-- notes: everything below this line is kept by ./portal bench -->"
BENCH_EMAIL = "bench-runner@scale.example"


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]
