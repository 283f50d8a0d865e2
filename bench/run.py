"""The clinic-scale benchmark (bench/README.md). Run it with `./portal bench`, which prepares the
database, the environment and the static files, then calls this script.

1. Pages: gunicorn (clinic.settings.bench) on loopback; a closed-loop load generator keeps
   CONCURRENCY requests in flight per endpoint for DURATION seconds; the floor is measured in
   the same run, first and again last.
2. Claim-next: 20 processes, each a coordinator, call intake.services.case_claim_next over the
   open cases; each claim is then logged as a no-answer (not timed), as a coordinator would.
   Then the claims alone: in rounds, all twenty claim and only then log, so no call log
   competes with a claim (bench/claim.py).
3. Reminder dispatch: 10,000 due messages, one Celery worker (solo pool) over the real Redis,
   the default OutboxGateway; wall time from the enqueue to the last one sent.
4. The waitlist: a cancellation where 5,000 patients wait, the first round of offers it sets off,
   and the offer link's page, in process, inside a transaction rolled back (bench/waitlist.py).
Writes bench/RESULTS.md (the part above the notes marker) and bench/last-run.json."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project's root, in place of this script's folder: bench/ is a package (bench.load, ...).
sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.bench")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from bench.accounts import bench_runner  # noqa: E402
from bench.claim import measure_claim_next  # noqa: E402
from bench.config import RESULTS, WAITLIST_PATIENTS, say  # noqa: E402
from bench.dispatch import measure_dispatch  # noqa: E402
from bench.load import measure_pages  # noqa: E402
from bench.report import CHURNED, machine, table_counts, vacuum_if_no_autovacuum, write_results  # noqa: E402
from bench.waitlist import measure as measure_waitlist  # noqa: E402


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
    if not only or "waitlist" in only:
        say(f"waitlist: a cancel with {WAITLIST_PATIENTS:,} waiting (rolled back)")
        data["waitlist"] = {
            **measure_waitlist(patients=WAITLIST_PATIENTS, offer_page=True),
            "date": stamp,
        }
        say(f"waitlist: {data['waitlist']}")
    else:
        data["waitlist"] = previous.get("waitlist")
    last.write_text(json.dumps(data, indent=2, default=str))
    write_results(data)
    say(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
