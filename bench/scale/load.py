"""The recipe: one linear pass that lays out five clinic-years and loads them in one transaction.
Its phases live by topic (references.py, patients.py, courses.py, queue.py); _Loader runs them in
order and holds the state they share."""

from __future__ import annotations

import datetime as dt
import io
import random

from django.db import connection, transaction
from django.utils import timezone

from clinic.models import User

from .courses import _Courses
from .diaries import _Diaries
from .patients import _Patients
from .plan import SCALE_ADMIN_EMAIL, _counts
from .queue import _Queue
from .references import _ReferenceRows


def seed_scale(*, scale: float = 1.0, seed: int = 2026, now: dt.datetime | None = None, log=print):
    """Load the clinic-scale data set into the current database, in one transaction. Returns a
    dict of row counts. Raises RuntimeError when it is already there."""
    if User.objects.filter(email=SCALE_ADMIN_EMAIL).exists():
        raise RuntimeError("The clinic-scale data is already loaded in this database.")
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # The providers' referral counts are taken once at the end (_finish), not by the trigger
        # row by row (100,000 updates of 500 rows), until this transaction ends (intake 0018).
        cursor.execute("SET LOCAL portal.counting_referrals = 'off'")
        counts = _seed(scale=scale, seed=seed, now=now, log=log)
        # Back on for whatever the caller's transaction writes next (a test's, say).
        cursor.execute("SET LOCAL portal.counting_referrals = 'on'")
        return counts


def _seed(*, scale, seed, now, log):
    return _Loader(scale=scale, seed=seed, now=now, log=log).run()


class _Loader(_ReferenceRows, _Patients, _Courses, _Queue, _Diaries):
    """One run of the recipe. Its phases share the random source, the COPY streams and a few
    counters, and run in the order of run(): each draws from the same random source, so the
    order is part of the data a seed reproduces."""

    def __init__(self, *, scale, seed, now, log):
        self.now, self.log = now, log
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.counts = _counts(scale)
        self.today = now.date()
        self.first_day = -self.counts["days"]
        self.utc = dt.UTC

    def run(self) -> dict:
        self._reference_rows()
        self._staff_shifts()
        self._patients_and_courses()
        self._queue_referrals()
        return {**self._finish(), **self._outcome_diaries()}

    def _finish(self) -> dict:
        """Every stream in, the links patched, the constraints checked; the row counts."""
        for copier in (
            self.users, self.profiles, self.consents, self.courses, self.course_changes,
            self.sessions, self.messages, self.referrals,
            self.referral_changes, self.cases, self.attempts,
        ):  # fmt: skip
            copier.finish()
            self.log(f"  {copier.table}: {copier.count} rows")

        self.cursor.execute(
            "CREATE TEMP TABLE scale_links (referral_id bigint, patient_id bigint, "
            "course_id bigint, "
            "status varchar(20)) ON COMMIT DROP"
        )
        links = io.StringIO("".join(f"{r}\t{p}\t{c}\t{s}\n" for r, p, c, s in self.patient_links))
        self.cursor.copy_expert("COPY scale_links FROM STDIN", links)
        self.cursor.execute(
            "UPDATE intake_referral r SET patient_id = l.patient_id, course_id = l.course_id, "
            "status = l.status FROM scale_links l WHERE r.id = l.referral_id"
        )
        # Each provider's count of referrals, as the trigger keeps it one by one (off in this
        # load's transaction: seed_scale).
        self.cursor.execute(
            "UPDATE intake_referringprovider p SET referral_count = c.n FROM (SELECT provider_id, "
            "count(*) AS n FROM intake_referral GROUP BY provider_id) c WHERE c.provider_id = p.id"
        )
        # Each first course keeps its referral's diagnosis, as intake copies it (course_create).
        self.cursor.execute(
            "UPDATE scheduling_course c SET diagnosis_codes = ARRAY[r.diagnosis_code] "
            "FROM intake_referral r WHERE r.course_id = c.id AND c.diagnosis_codes = '{}'"
        )
        self.cursor.execute(
            "SELECT setval('intake_referral_reference_seq', GREATEST(%s, "
            "(SELECT last_value FROM intake_referral_reference_seq)))",
            [self.reference_number],
        )
        # Deferred constraints (the sessions' composite key to their course) are checked now.
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.cursor.execute("ANALYZE")
        return {copier.table: copier.count for copier in (
            self.users, self.profiles, self.shifts, self.courses, self.sessions, self.messages,
            self.referrals, self.cases, self.attempts,
        )}  # fmt: skip
