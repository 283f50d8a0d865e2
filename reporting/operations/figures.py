"""Reads for the operations dashboard (/operations/): aggregates over the last 90 days, per
location or for all of them. No patient appears in any result: only counts, hours and money.

Every figure is aggregated in PostgreSQL, in a fixed number of queries whatever the amount of
data (one for the funnel, one for the medians, one for the sessions, one for the chair hours
open, one for the payments collected): about a second on a large clinic, so the page reads them
as kept by kept.py (recomputed every 10 minutes), never computed per request. A location's
window is its own last 90 local days, today included; weeks run Monday to Sunday in the
location's zone (with all locations, each location's week in its own zone).

Definitions (also shown on the page):
- Funnel: referrals received in the window, by the furthest stage each has reached, from its
  dated status history (a referral declined after booking still counts as scheduled).
  "Contacted" means a coordinator spoke with the patient. A referral's location is its course's
  once it has one, else the preferred location on the referral.
- Time to first contact: from the referral's arrival to the first call that reached the
  patient, median over the referrals received in the window (and per week of arrival).
- Chair utilisation: chair hours held by booked, checked-in and completed sessions, over the
  chair hours open (opening hours of each open day, less closures, times the chairs in service
  today).
- No-show and late-cancellation rates: over the sessions whose time has come in the window,
  leaving out those cancelled or moved with enough notice. A late cancellation is a session
  cancelled or moved with less notice than the location's rules ask.
- Estimated revenue: each booked, checked-in or completed session at the infusion price of the
  location's fee schedule in effect on its day (list price: no package discount, consultation
  or optional items).
- Collected: card payments that succeeded (deposits, infusions, fees), less refunds, by the
  week they were paid in the location's zone.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_noop

from intake.models import ReferralStatus
from scheduling.models import ACTIVE_SESSION_STATUSES, Location, SessionStatus

WINDOW_DAYS = 90
CENT = Decimal("0.01")
TENTH = Decimal("0.1")

# Funnel stages, in order; a referral at rank n has passed every stage up to n.
# Labels marked for translation, translated where shown (chart_tables.py).
FUNNEL_STAGES = [
    ("received", gettext_noop("Received")),
    ("contacted", gettext_noop("Contacted")),
    ("intake_complete", gettext_noop("Intake complete")),
    ("scheduled", gettext_noop("Scheduled")),
    ("course_complete", gettext_noop("Course complete")),
]
_STAGE_RANK = {
    ReferralStatus.INTAKE_COMPLETE: 3,
    ReferralStatus.SCHEDULED: 4,
    ReferralStatus.IN_TREATMENT: 4,
    ReferralStatus.COURSE_COMPLETE: 5,
}


def _rank_sql(column: str) -> str:
    whens = " ".join(f"WHEN '{status}' THEN {rank}" for status, rank in _STAGE_RANK.items())
    return f"CASE {column} {whens} ELSE 1 END"


def _in_list(values) -> str:
    # Fixed choices from our own code, never user input.
    return ", ".join(f"'{v}'" for v in values)


# Each location in scope, with its window as local dates [d0, d1) and instants [t0, t1).
_WINDOW_CTE = """
win AS (
  SELECT l.id AS loc, l.time_zone AS tz, w.d0, w.d1,
         (w.d0::timestamp AT TIME ZONE l.time_zone) AS t0,
         (w.d1::timestamp AT TIME ZONE l.time_zone) AS t1
  FROM scheduling_location l
  CROSS JOIN LATERAL (
    SELECT ((%(now)s::timestamptz AT TIME ZONE l.time_zone)::date - %(days)s + 1) AS d0,
           ((%(now)s::timestamptz AT TIME ZONE l.time_zone)::date + 1) AS d1
  ) w
  WHERE %(loc)s::bigint IS NULL OR l.id = %(loc)s::bigint
)"""

# Referrals received in the window, at their location, with the furthest stage reached.
_COHORT_CTE = f"""
cohort AS (
  SELECT r.created_at, win.tz, c.first_contact_at,
         GREATEST(
           {_rank_sql("r.status")},
           COALESCE((SELECT max({_rank_sql("h.to_status")}) FROM intake_referralstatuschange h
                     WHERE h.referral_id = r.id), 1)
         ) AS rank
  FROM intake_referral r
  LEFT JOIN scheduling_course co ON co.id = r.course_id
  JOIN win ON win.loc = COALESCE(co.location_id, r.preferred_location_id)
  LEFT JOIN intake_intakecase c ON c.referral_id = r.id
  WHERE r.created_at >= win.t0 AND r.created_at < win.t1
)"""  # noqa: S608 (every interpolation is a constant of this module, never input)

_FUNNEL_SQL = f"""
WITH {_WINDOW_CTE}, {_COHORT_CTE}
SELECT count(*),
       count(*) FILTER (WHERE first_contact_at IS NOT NULL OR rank >= 3),
       count(*) FILTER (WHERE rank >= 3),
       count(*) FILTER (WHERE rank >= 4),
       count(*) FILTER (WHERE rank >= 5)
FROM cohort"""  # noqa: S608

# One row per week of arrival, and a last row (week NULL) over the whole window.
_MEDIAN_SQL = f"""
WITH {_WINDOW_CTE}, {_COHORT_CTE}
SELECT wk, count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) / 3600.0
FROM (
  SELECT date_trunc('week', created_at AT TIME ZONE tz)::date AS wk,
         EXTRACT(EPOCH FROM first_contact_at - created_at) AS seconds
  FROM cohort WHERE first_contact_at IS NOT NULL
) contacted
GROUP BY ROLLUP (wk)"""  # noqa: S608

_ACTIVE = _in_list(ACTIVE_SESSION_STATUSES)
_WITHDRAWN = _in_list([SessionStatus.CANCELLED, SessionStatus.RESCHEDULED])
_SESSIONS_SQL = f"""
WITH {_WINDOW_CTE}
SELECT date_trunc('week', s.local_date)::date AS wk,
       COALESCE(sum(EXTRACT(EPOCH FROM s.ends_at - s.starts_at))
                FILTER (WHERE s.status IN ({_ACTIVE})), 0) / 3600.0 AS held_hours,
       count(*) FILTER (WHERE s.starts_at < %(now)s
                        AND NOT (s.status IN ({_WITHDRAWN}) AND NOT s.late_change)) AS due,
       count(*) FILTER (WHERE s.starts_at < %(now)s AND s.status = '{SessionStatus.NO_SHOW}'),
       count(*) FILTER (WHERE s.starts_at < %(now)s AND s.late_change
                        AND s.status IN ({_WITHDRAWN})),
       count(*) FILTER (WHERE s.status IN ({_ACTIVE})) AS booked,
       COALESCE(sum(price.unit_price) FILTER (WHERE s.status IN ({_ACTIVE})), 0),
       count(*) FILTER (WHERE s.status IN ({_ACTIVE}) AND price.unit_price IS NULL)
FROM scheduling_infusionsession s
JOIN win ON win.loc = s.location_id
LEFT JOIN LATERAL (
  SELECT i.unit_price FROM billing_feeschedule f
  JOIN billing_feeitem i ON i.schedule_id = f.id AND i.kind = 'infusion'
  WHERE f.location_id = s.location_id AND f.effective_date <= s.local_date
  ORDER BY f.effective_date DESC, i.position, i.id LIMIT 1
) price ON true
WHERE s.local_date >= win.d0 AND s.local_date < win.d1
  -- the same sessions, bounded by instant too so the (location, starts_at) index serves
  AND s.starts_at >= win.t0 - interval '1 day' AND s.starts_at < win.t1 + interval '1 day'
GROUP BY 1"""  # noqa: S608

# Card payments received (less refunds), by the local week they completed in.
_COLLECTED_SQL = f"""
WITH {_WINDOW_CTE}
SELECT date_trunc('week', p.completed_at AT TIME ZONE win.tz)::date AS wk,
       sum(CASE WHEN p.kind = 'refund' THEN -p.amount_cents ELSE p.amount_cents END) / 100.0
FROM billing_payment p
JOIN scheduling_course c ON c.id = p.course_id
JOIN win ON win.loc = c.location_id
WHERE p.status = 'succeeded' AND p.kind <> 'write_off'
  AND p.completed_at >= win.t0 AND p.completed_at < win.t1
GROUP BY 1"""  # noqa: S608

_OPEN_HOURS_SQL = f"""
WITH {_WINDOW_CTE},
chairs AS (
  SELECT location_id AS loc, count(*) AS n FROM scheduling_chair WHERE is_active
  GROUP BY location_id
),
days AS (
  SELECT win.loc, d::date AS day
  FROM win, generate_series(win.d0, win.d1 - 1, interval '1 day') d
)
SELECT date_trunc('week', days.day)::date AS wk,
       sum(EXTRACT(EPOCH FROM h.closes_at - h.opens_at) / 3600.0 * chairs.n)
FROM days
JOIN scheduling_openinghours h
  ON h.location_id = days.loc AND h.weekday = EXTRACT(ISODOW FROM days.day)::int - 1
JOIN chairs ON chairs.loc = days.loc
WHERE NOT EXISTS (
  SELECT 1 FROM scheduling_closure x WHERE x.location_id = days.loc AND x.date = days.day
)
GROUP BY 1"""  # noqa: S608


@dataclass(frozen=True)
class Week:
    start: dt.date  # the Monday
    median_hours: float | None = None
    contacted: int = 0
    open_hours: Decimal = Decimal("0.0")
    held_hours: Decimal = Decimal("0.0")
    due: int = 0
    no_shows: int = 0
    late_cancels: int = 0
    booked: int = 0
    revenue: Decimal = Decimal("0.00")
    unpriced: int = 0
    collected: Decimal = Decimal("0.00")

    @property
    def utilisation(self) -> Decimal | None:
        return percent(self.held_hours, self.open_hours)

    @property
    def no_show_rate(self) -> Decimal | None:
        return percent(self.no_shows, self.due)

    @property
    def late_cancel_rate(self) -> Decimal | None:
        return percent(self.late_cancels, self.due)


@dataclass(frozen=True)
class Operations:
    zones: list[tuple[str, str]]  # (name, time zone) of each location in scope: one, or all
    first_day: dt.date
    last_day: dt.date
    funnel: list[tuple[str, str, int]]  # (key, label, count)
    median_hours: float | None
    contacted: int
    weeks: list[Week]
    counted_at: dt.datetime | None = None  # when read from the kept figures (kept.py)

    @property
    def totals(self) -> Week:
        """The whole window, summed over the weeks (the rates are recomputed, not averaged)."""
        sums = {
            name: sum((getattr(w, name) for w in self.weeks), start)
            for name, start in (
                ("open_hours", Decimal("0.0")),
                ("held_hours", Decimal("0.0")),
                ("due", 0),
                ("no_shows", 0),
                ("late_cancels", 0),
                ("booked", 0),
                ("revenue", Decimal("0.00")),
                ("unpriced", 0),
                ("collected", Decimal("0.00")),
            )
        }
        return Week(
            self.first_day, median_hours=self.median_hours, contacted=self.contacted, **sums
        )


def percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _tenth(value) -> Decimal:
    return Decimal(value or 0).quantize(TENTH, rounding=ROUND_HALF_UP)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def operations_summary(
    *, location: Location | None = None, now: dt.datetime | None = None
) -> Operations:
    """The dashboard's figures for one location (or all, with None) over the last 90 days.
    Five queries whatever the amount of data (six for all locations: their list)."""
    now = now or timezone.now()
    locations = [location] if location is not None else list(Location.objects.order_by("name"))
    params = {"now": now, "days": WINDOW_DAYS, "loc": location.pk if location else None}
    with connection.cursor() as cursor:
        cursor.execute(_FUNNEL_SQL, params)
        counts = cursor.fetchone()
        cursor.execute(_MEDIAN_SQL, params)
        medians = cursor.fetchall()
        cursor.execute(_SESSIONS_SQL, params)
        sessions = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(_OPEN_HOURS_SQL, params)
        open_hours = dict(cursor.fetchall())
        cursor.execute(_COLLECTED_SQL, params)
        collected = dict(cursor.fetchall())

    todays = [timezone.localdate(now, zoneinfo.ZoneInfo(str(loc.time_zone))) for loc in locations]
    last_day = max(todays, default=timezone.localdate(now))
    first_day = min(todays, default=last_day) - dt.timedelta(days=WINDOW_DAYS - 1)
    by_week = {wk: (n, hours) for wk, n, hours in medians if wk is not None}
    overall = next(((n, h) for wk, n, h in medians if wk is None), (0, None))
    weeks = []
    start = _monday(first_day)
    while start <= last_day:
        contacted, median = by_week.get(start, (0, None))
        held, due, no_shows, late, booked, revenue, unpriced = sessions.get(
            start, (0, 0, 0, 0, 0, 0, 0)
        )
        weeks.append(
            Week(
                start=start,
                median_hours=round(median, 1) if median is not None else None,
                contacted=contacted,
                open_hours=_tenth(open_hours.get(start)),
                held_hours=_tenth(held),
                due=due,
                no_shows=no_shows,
                late_cancels=late,
                booked=booked,
                revenue=Decimal(revenue).quantize(CENT, rounding=ROUND_HALF_UP),
                unpriced=unpriced,
                collected=Decimal(collected.get(start) or 0).quantize(CENT, rounding=ROUND_HALF_UP),
            )
        )
        start += dt.timedelta(days=7)
    return Operations(
        zones=[(loc.name, str(loc.time_zone)) for loc in locations],
        first_day=first_day,
        last_day=last_day,
        funnel=[(key, label, n) for (key, label), n in zip(FUNNEL_STAGES, counts, strict=True)],
        median_hours=round(overall[1], 1) if overall[1] is not None else None,
        contacted=overall[0],
        weeks=weeks,
    )
