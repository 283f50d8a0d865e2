"""Responder rates for the operations dashboard: which course length works for whom.

Over the courses completed in the last 365 days (a location's own days), each patient's
responder status at the latest follow-up reached (3 months after the last infusion, else 1
month, else the end of the course), by the number of infusions received (1 to 6) and by
location. A responder has at least 50% fewer headache days per 28 days than at baseline
(outcomes.scoring.compare, the same rule in SQL: exact counts, 7 recorded days at least in each
window, a baseline with headache days). Patients without enough diary days are counted apart,
never guessed. One query whatever the amount of data; no patient appears in the result.

The query reads every diary day of those courses: seconds on a large clinic (bench/RESULTS.md).
The dashboard reads the counts kept in ResponderCounts (`responder_figures_recent`), which beat
recounts every RECOUNT_EVERY and the page itself when they are older than that, one request at
a time (kept.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from outcomes.diary_sql import WINDOW_COUNTS
from outcomes.scoring import MIN_RECORDED_DAYS, MONTH_DAYS, RESPONDER_REDUCTION
from scheduling.models import Location

from ..models import ResponderCounts
from .figures import percent
from .kept import RECOUNT_EVERY, RESPONDERS_LOCK, hold_lock, lock_key, recount_under_lock

YEAR_DAYS = 365

# `plan` is MATERIALIZED: each plan's infusions are counted once. Inlined, PostgreSQL counted them
# again for every diary day joined to the plan (1.2 million subqueries on the benchmark's data:
# 32 s, then 5.4 s). Without JIT: its estimated cost made PostgreSQL compile the query, which
# took 1.9 s of those 5.4 to save less. SET LOCAL and the query go as one string, which
# PostgreSQL runs as one transaction: the setting ends with it, and it is still one statement.
# Each window's days are counted by their own index range scan (outcomes.diary_sql, shared with
# the Diaries page's worsening list), not joined from baseline to follow-up and grouped.
_SQL = f"""
SET LOCAL jit = off;
WITH plan AS MATERIALIZED (
    SELECT p.id, c.location_id, p.first_session_on, p.course_completed_on AS done,
           GREATEST(p.diary_starts_on, p.first_session_on - %(month)s) AS b_from,
           p.first_session_on - 1 AS b_to,
           (%(now)s AT TIME ZONE l.time_zone)::date AS today,
           (SELECT count(*) FROM scheduling_infusionsession s
             WHERE s.course_id = p.course_id AND s.status = 'completed') AS infusions
      FROM outcomes_outcomeplan p
      JOIN scheduling_course c ON c.id = p.course_id
      JOIN scheduling_location l ON l.id = c.location_id
     WHERE p.course_completed_on IS NOT NULL AND p.first_session_on IS NOT NULL
       AND p.course_completed_on >= (%(now)s AT TIME ZONE l.time_zone)::date - %(year)s
       AND (%(location)s::bigint IS NULL OR c.location_id = %(location)s::bigint)
), windowed AS (
    SELECT plan.*,
           CASE WHEN today >= done + 90 THEN done + 90
                WHEN today >= done + 30 THEN done + 30 ELSE done END AS f_to
      FROM plan
), w AS (
    SELECT windowed.*, GREATEST(f_to - %(month)s + 1, first_session_on) AS f_from
      FROM windowed
), judged AS (
    SELECT location_id, LEAST(GREATEST(infusions, 1), 6) AS infusions,
           (b_rec >= %(min_days)s AND f_rec >= %(min_days)s AND b_head > 0)
               AS known,
           f_head * b_rec <= %(keep)s * b_head * f_rec AS responder
      FROM w {WINDOW_COUNTS}
)
SELECT location_id, infusions, count(*) AS patients,
       count(*) FILTER (WHERE known) AS with_figures,
       count(*) FILTER (WHERE known AND responder) AS responders
  FROM judged
 GROUP BY location_id, infusions
"""  # noqa: S608 (WINDOW_COUNTS is a constant, never input)


@dataclass(frozen=True)
class ResponderRow:
    label: str
    patients: int  # courses completed
    with_figures: int  # of them, with enough diary days to judge
    responders: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.responders, self.with_figures)


@dataclass(frozen=True)
class ResponderFigures:
    by_infusions: list[ResponderRow]
    by_location: list[ResponderRow]
    total: ResponderRow
    counted_at: dt.datetime | None = None  # when read from the kept counts


def _row(label: str, rows: list[tuple]) -> ResponderRow:
    return ResponderRow(
        label, sum(r[2] for r in rows), sum(r[3] for r in rows), sum(r[4] for r in rows)
    )


def _counts(*, location: Location | None, now: dt.datetime | None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            _SQL,
            {
                "location": location.pk if location else None,
                "now": now or timezone.now(),
                "month": MONTH_DAYS,
                "year": YEAR_DAYS,
                "min_days": MIN_RECORDED_DAYS,
                "keep": 1 - RESPONDER_REDUCTION,
            },
        )
        return cursor.fetchall()


def _figures(
    rows: list, location: Location | None, counted_at: dt.datetime | None = None
) -> ResponderFigures:
    if location:
        rows = [r for r in rows if r[0] == location.pk]
        names = {location.pk: location.name}
    else:
        names = dict(Location.objects.order_by("name").values_list("pk", "name"))
    by_infusions = [_row(str(n), [r for r in rows if r[1] == n]) for n in range(1, 7)]
    by_location = [
        _row(name, [r for r in rows if r[0] == pk])
        for pk, name in sorted(names.items(), key=lambda item: item[1])
    ]
    return ResponderFigures(by_infusions, by_location, _row("All", rows), counted_at)


def responder_figures(
    *, location: Location | None = None, now: dt.datetime | None = None
) -> ResponderFigures:
    """Counted now: one query for the counts, one for the location names (with all locations)."""
    return _figures(_counts(location=location, now=now), location)


def responder_counts_refresh(*, now: dt.datetime | None = None) -> ResponderCounts:
    """Count every location's rates and keep them (the one row, replaced), under the counts'
    lock: a page or beat counting at the same time waits."""
    now = now or timezone.now()
    with transaction.atomic():
        hold_lock(lock_key(RESPONDERS_LOCK))
        rows = [list(r) for r in _counts(location=None, now=now)]
        counts, _ = ResponderCounts.objects.update_or_create(
            pk=1, defaults={"computed_at": now, "rows": rows}
        )
    return counts


def responder_figures_recent(
    *, location: Location | None = None, now: dt.datetime | None = None
) -> ResponderFigures:
    """The kept counts, recounted first when older than RECOUNT_EVERY (or never counted), by
    one request at a time (kept.recount_under_lock)."""
    now = now or timezone.now()
    since = now - RECOUNT_EVERY
    counts = ResponderCounts.objects.filter(pk=1).first()
    if counts is None or counts.computed_at < since:
        counts = recount_under_lock(
            key=lock_key(RESPONDERS_LOCK),
            kept=counts,
            reread=lambda: ResponderCounts.objects.filter(pk=1, computed_at__gte=since).first(),
            recount=lambda: responder_counts_refresh(now=now),
        )
    return _figures(counts.rows, location, counts.computed_at)
