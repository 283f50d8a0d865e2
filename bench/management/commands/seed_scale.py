"""Load about five clinic-years of generated data for benchmarks (see bench/scale/ and
bench/README.md). Meant for a database of its own: `./portal bench` creates clinic_bench_scale."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.scale import seed_scale


class Command(BaseCommand):
    help = "Generate clinic-scale data (reproducible from --seed) and load it with COPY."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="1.0 = 100,000 referrals, 60,000 courses, ~400,000 sessions, ~1.5M messages",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the data is already loaded",
        )

    def handle(self, *args, **options):
        if options["scale"] <= 0 or options["scale"] > 4:
            raise CommandError("--scale must be above 0 and at most 4.")
        started = time.monotonic()
        try:
            counts = seed_scale(scale=options["scale"], seed=options["seed"], log=self.stdout.write)
        except RuntimeError as exc:
            if options["if_empty"]:
                self.stdout.write(f"{exc} Nothing to do.")
                return
            raise CommandError(str(exc)) from exc
        # Outside the loading transaction: sets the visibility maps, so that counts and
        # index-only scans do not visit every freshly loaded heap page.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        elapsed = dt.timedelta(seconds=round(time.monotonic() - started))
        total = sum(counts.values())
        self.stdout.write(self.style.SUCCESS(f"loaded {total:,} rows in {elapsed}"))
