"""Free start times: one statement of indexed reads for any date range, then plain Python.

The same checks serve the availability pages and the booking services (which run them again
under the location-day lock), so what is offered and what is accepted cannot drift apart.

Every instant is handled as an aware UTC datetime (the snapshot's busy rows, a thousand over
14 days, as integer microseconds since the epoch); wall-clock times exist only at the edges
(opening hours in, labels out). Adding a timedelta to a local datetime would be wrong on the
two daylight-saving change days, so durations are always added in UTC.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate
from operator import ge, itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from clinic.db import execute_prepared

from .models import (
    ACTIVE_SESSION_STATUSES,
    Closure,
    Course,
    CourseRules,
    Location,
    OpeningHours,
    SessionType,
)

UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _us(instant: dt.datetime) -> int:
    """An instant as microseconds since the epoch (exact: the database keeps microseconds)."""
    return (instant - _EPOCH) // _MICROSECOND


def _instant(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=us)


def rules_for(location: Location) -> CourseRules:
    """The location's rules, or the defaults when the clinic has not set any."""
    rules = CourseRules.objects.filter(location=location).first()
    return rules or CourseRules(location=location)


def local_to_utc(day: dt.date, wall: dt.time, tz: ZoneInfo) -> dt.datetime | None:
    """The instant a wall-clock time happens on a local day, or None when the clocks skip it
    (spring forward). An ambiguous time (fall back) means its first occurrence."""
    naive = dt.datetime.combine(day, wall)
    instant = naive.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return instant


def local_day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of a local calendar day (23 or 25 hours long on change days)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz).astimezone(UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end.astimezone(UTC)


class Busy(NamedTuple):
    """A chair held from starts_at to ends_at, monitored until infusion_ends_at. A tuple, as a
    14-day snapshot makes a thousand of them from plain rows."""

    chair_id: int
    starts_at: dt.datetime
    infusion_ends_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class LocalDay:
    """What check_start needs to know about one local day, worked out once per day rather than
    for each of its thirty-odd candidate times."""

    open_at: dt.datetime | None  # None: closed (a closure, no hours, or hours the clocks skip)
    close_at: dt.datetime | None
    patient_booked: bool  # the patient already has an infusion that local day


@dataclass
class BookingSnapshot:
    """A snapshot of what decides whether a start time is free at one location over a range:
    its chairs, hours, closures, shifts and rules, the sessions and live holds there, and the
    booking course's and patient's own sessions (load_snapshot reads them). Read-only once
    built: check_start keeps what it works out from it (per local day, and the capacity over
    time) for the next candidate."""

    location: Location
    course: Course
    session_type: SessionType
    rules: CourseRules
    now: dt.datetime
    chair_ids: list[int]
    hours: dict[int, tuple[dt.time, dt.time]]
    closed_days: set[dt.date]
    # Active sessions and other courses' live holds at the location, as four lined-up columns
    # (chair, start, infusion end, end) sorted by start, the instants in microseconds since the
    # epoch: a 14-day snapshot has a thousand of them, and the database sends integers for
    # far less than it costs psycopg2 to build aware datetimes (`busy` gives them as rows).
    busy_columns: tuple[list[int], list[int], list[int], list[int]]
    shifts: list[tuple[dt.datetime, dt.datetime, int]]
    course_starts: list[dt.datetime]  # this course's other active sessions
    patient_sessions: list[tuple[dt.datetime, dt.datetime, dt.date]]

    def __post_init__(self) -> None:
        # The rules and durations as plain values: check_start runs hundreds of times per
        # snapshot, and each model property builds a new timedelta.
        self.tz: ZoneInfo = self.location.time_zone
        self.infusion = self.session_type.infusion
        self.total = self.session_type.total
        self.infusion_us = self.infusion // _MICROSECOND
        self.total_us = self.total // _MICROSECOND
        self.earliest = self.now + self.rules.booking_notice
        self.min_between = self.rules.min_between
        self.course_first = min(self.course_starts, default=None)
        self.course_last = max(self.course_starts, default=None)
        self._days: dict[dt.date, LocalDay] = {}
        self._patient_dates = {day for _s, _e, day in self.patient_sessions}
        self._chairs, self._starts, self._infusion_ends, self._ends = self.busy_columns
        self._longest = max(map(int.__sub__, self._ends, self._starts), default=0)
        self._on_duty_at: list[int] | None = None
        self._on_duty: list[int] = []
        self._running_from: list[int] = []
        self._running_until: list[int] = []

    @cached_property
    def span_within(self) -> bool:
        """The course's own sessions span no more than the rules allow."""
        return within_course_span(self.course_first, self.course_last, self.rules, self.tz)

    @cached_property
    def busy(self) -> list[Busy]:
        """The busy rows as aware UTC datetimes, sorted by start."""
        return [
            Busy(chair, _instant(s), _instant(i), _instant(e))
            for chair, s, i, e in zip(*self.busy_columns, strict=True)
        ]

    def local_day(self, day: dt.date) -> LocalDay:
        if day not in self._days:
            open_at = close_at = None
            if day not in self.closed_days and day.weekday() in self.hours:
                opens, closes = self.hours[day.weekday()]
                open_at = local_to_utc(day, opens, self.tz)
                close_at = local_to_utc(day, closes, self.tz)
                if open_at is None or close_at is None:
                    open_at = close_at = None
            self._days[day] = LocalDay(open_at, close_at, day in self._patient_dates)
        return self._days[day]

    def chairs_taken(self, start: int, end: int) -> set[int]:
        """The chairs of the busy rows that overlap [start, end) (microseconds). Found by
        bisection in the rows sorted by start, so a 14-day snapshot (a thousand sessions or
        more) is not scanned whole for each of the hundreds of candidate times."""
        starts, ends, chairs = self._starts, self._ends, self._chairs
        low = bisect_left(starts, start - self._longest)
        high = bisect_left(starts, end)  # every row from here starts at or after the end
        return {chairs[i] for i in range(low, high) if ends[i] > start}

    def least_spare(self, start: int, end: int) -> int:
        """The least spare monitoring capacity at any instant of [start, end) (microseconds).

        Staff on duty minus infusions running is a step function of time. The infusions
        running at t are those started by t less those ended by t (two bisections in the
        starts and the ends, each sorted), the staff on duty the running sum of the shifts'
        changes; the least over an interval is at its start or where the spare falls, where an
        infusion starts or a shift's capacity changes inside it. Nothing is built per infusion,
        as a 14-day snapshot has a thousand of them and the page asks about a few dozen times."""
        if self._on_duty_at is None:
            self._prepare_spare()
        running_from, running_until = self._running_from, self._running_until
        on_duty_at, on_duty = self._on_duty_at, self._on_duty

        def spare(t: int) -> int:
            i = bisect_right(on_duty_at, t) - 1
            staff = on_duty[i] if i >= 0 else 0  # before the first change: no one
            return staff - bisect_right(running_from, t) + bisect_right(running_until, t)

        least = spare(start)
        for t in running_from[bisect_right(running_from, start) : bisect_left(running_from, end)]:
            least = min(least, spare(t))
        for t in on_duty_at[bisect_right(on_duty_at, start) : bisect_left(on_duty_at, end)]:
            least = min(least, spare(t))
        return least

    def _prepare_spare(self) -> None:
        starts, infusion_ends = self._starts, self._infusion_ends
        if any(map(ge, starts, infusion_ends)):  # an empty interval runs at no instant
            running = [(s, e) for s, e in zip(starts, infusion_ends, strict=True) if s < e]
            starts, infusion_ends = [s for s, _e in running], [e for _s, e in running]
        self._running_from, self._running_until = starts, sorted(infusion_ends)
        change: defaultdict[int, int] = defaultdict(int)
        for s, e, cap in self.shifts:
            if s < e:
                change[_us(s)] += cap
                change[_us(e)] -= cap
        self._on_duty_at = sorted(change)
        self._on_duty = list(accumulate(map(change.__getitem__, self._on_duty_at)))


def load_snapshot(
    *,
    course: Course,
    location: Location,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime | None = None,
    ignore_session_id: int | None = None,
) -> BookingSnapshot:
    """One statement (_SNAPSHOT_SQL), each part bounded by the range through an index, whatever
    the history. Its rows come back as arrays of plain values (psycopg2 parses them in C), so
    no queryset is compiled and no model built but the rules: a snapshot is read for every
    availability page and again by every booking, and compiling the eight querysets this used
    to be cost more than everything else the page did. Prepared once per connection
    (clinic.db.execute_prepared): PostgreSQL settles on a generic plan, the same index walks
    as the custom ones, and stops planning it (about 1 ms each time on the bench's data)."""
    now = now or timezone.now()
    session_type = course.session_type
    margin = session_type.total
    day_before = start - margin - dt.timedelta(days=1)
    with connection.cursor() as cursor:
        # psycopg2 makes each timestamp's zone through the cursor's tzinfo_factory: Django's is
        # a Python method, called for each of the snapshot's thousands of instants; the class
        # datetime.timezone gives the same zone (UTC, the connection's; in any case the same
        # instants) without a Python call.
        if hasattr(cursor.cursor, "tzinfo_factory"):
            cursor.cursor.tzinfo_factory = dt.timezone
        execute_prepared(
            cursor,
            _SNAPSHOT_SQL,
            {
                "location": location.pk,
                "course": course.pk,
                "patient": course.patient_id,
                "ignore": ignore_session_id,
                "now": now,
                "start": start - margin,
                "end": end + margin,
                # Sessions and holds never last a day (a CHECK on each): bounding starts_at
                # from below lets the (location, starts_at) indexes do the work.
                "day_before": day_before,
                "first_closure": (start - dt.timedelta(days=1)).date(),
                "last_closure": (end + dt.timedelta(days=1)).date(),
            },
        )
        (
            busy_chairs, busy_starts, busy_infusion_ends, busy_ends,
            shift_starts, shift_ends, shift_capacities,
            mine_courses, mine_starts, mine_ends, mine_dates,
            weekdays, opens, closes,
            chair_ids, closed_days, rules,
        ) = cursor.fetchone()  # fmt: skip
    mine = list(_rows(mine_courses, mine_starts, mine_ends, mine_dates))
    return BookingSnapshot(
        location=location,
        course=course,
        session_type=session_type,
        rules=_rules(location, rules),
        now=now,
        chair_ids=chair_ids or [],
        hours={weekday: (o, c) for weekday, o, c in _rows(weekdays, opens, closes)},
        closed_days=set(closed_days or ()),
        busy_columns=busy_columns(
            busy_chairs, busy_starts, busy_infusion_ends, busy_ends, base=_us(day_before)
        ),
        shifts=list(_rows(shift_starts, shift_ends, shift_capacities)),
        course_starts=[s for course_id, s, _e, _d in mine if course_id == course.pk],
        patient_sessions=[(s, e, d) for _c, s, e, d in mine],
    )


def busy_columns(
    chairs: list[int] | None,
    starts: list[int] | None,
    infusion_ends: list[int] | None,
    ends: list[int] | None,
    *,
    base: int = 0,
) -> tuple[list[int], list[int], list[int], list[int]]:
    """The busy rows' columns (instants in microseconds since the epoch; `base` plus the
    given ones) sorted by start, still lined up: sorted here, by one ordering of the row
    numbers applied to each column in C, for less than four ORDER BYs cost the statement."""
    if not starts:
        return [], [], [], []
    if len(starts) == 1:  # itemgetter of one index gives the item, not a tuple
        pick = list
    else:
        order = itemgetter(*sorted(range(len(starts)), key=starts.__getitem__))

        def pick(column):
            return list(order(column))

    shift = base.__add__
    return (
        pick(chairs),
        list(map(shift, pick(starts))),
        list(map(shift, pick(infusion_ends))),
        list(map(shift, pick(ends))),
    )


def _rows(*columns: list | None) -> zip:
    """The rows of one part of the snapshot from its arrays, side by side (array_agg over no
    rows gives NULL, hence `or ()`)."""
    return zip(*[column or () for column in columns], strict=True)


# What load_snapshot reads, in one statement: each subquery is one aggregate row, so the cross
# join is exactly one row. Each part is the query the ORM spelt before, filter for filter:
# - busy: active sessions at the location overlapping the range but the one being moved
#   (InfusionSession.objects.active().overlapping()), and unexpired holds there kept for other
#   courses (a group hold kept for this course among others does not count for it);
# - shifts overlapping the range, as StaffShiftQuerySet.overlapping (a range test the GiST index
#   answers);
# - mine: the patient's active sessions anywhere, but the one being moved;
# - the location's opening hours, its chairs in service (in the order a free one is chosen),
#   its closures around the range, and its rules (NULL without a row: the defaults).
# The arrays of one part are aggregated over the same rows in the same pass, so they line up.
# The busy instants are sent as microseconds after %(day_before)s (the earliest start the busy
# part reads; busy_columns adds it back): psycopg2 parses integers for a third of the time it
# takes to build aware datetimes. date_part of an interval is double precision, exact here
# because the offsets are days, not centuries (a double holds whole microseconds exactly up to
# 142 years); it costs PostgreSQL a third of what EXTRACT's numeric did for the epoch itself.
# The patient is compared as an integer, as a literal id would be: the prepared statement
# would otherwise type it bigint, like the column, and its custom plans then walk the GiST
# exclusion index (patient, time range) for the patient alone: 4.8 ms instead of 0.05.
# The shifts' location is written `location_id + 0` so that the range index alone finds them:
# with the location's index as well, PostgreSQL ANDs in every shift the location ever had.
# The active statuses are written into the text: the busy part then reads the partial index
# session_active_location_start alone (its generic plan could not use it for statuses given
# as a parameter), 1.5 -> 0.17 ms on the benchmark's busiest location.
_SNAPSHOT_SQL = """
WITH busy AS (
    SELECT chair_id, starts_at, infusion_ends_at, ends_at
    FROM scheduling_infusionsession
    WHERE status IN (__ACTIVE__) AND location_id = %(location)s
        AND starts_at < %(end)s AND ends_at > %(start)s AND starts_at > %(day_before)s
        AND id IS DISTINCT FROM %(ignore)s
    UNION ALL
    SELECT chair_id, starts_at, infusion_ends_at, ends_at
    FROM scheduling_slothold
    WHERE location_id = %(location)s AND expires_at > %(now)s
        AND starts_at < %(end)s AND ends_at > %(start)s AND starts_at > %(day_before)s
        AND course_id IS DISTINCT FROM %(course)s
        AND NOT for_courses @> ARRAY[%(course)s]::bigint[]
)
SELECT busy.*, shifts.*, mine.*, hours.*,
    (
        SELECT array_agg(id ORDER BY name, id) FROM scheduling_chair
        WHERE location_id = %(location)s AND is_active
    ),
    (
        SELECT array_agg(date) FROM scheduling_closure
        WHERE location_id = %(location)s AND date >= %(first_closure)s AND date <= %(last_closure)s
    ),
    (
        SELECT ARRAY[id, min_hours_between, max_course_days, min_booking_notice_hours,
            min_change_notice_hours]
        FROM scheduling_courserules WHERE location_id = %(location)s
    )
FROM
    (
        SELECT array_agg(chair_id),
            array_agg((date_part('epoch', starts_at - %(day_before)s) * 1000000)::bigint),
            array_agg((date_part('epoch', infusion_ends_at - %(day_before)s) * 1000000)::bigint),
            array_agg((date_part('epoch', ends_at - %(day_before)s) * 1000000)::bigint)
        FROM busy
    ) AS busy,
    (
        SELECT array_agg(starts_at), array_agg(ends_at), array_agg(monitoring_capacity)
        FROM scheduling_staffshift
        WHERE location_id + 0 = %(location)s
            AND tstzrange(starts_at, ends_at, '[)') && tstzrange(%(start)s, %(end)s, '[)')
    ) AS shifts,
    (
        SELECT array_agg(course_id), array_agg(starts_at), array_agg(ends_at),
            array_agg(local_date)
        FROM scheduling_infusionsession
        WHERE status IN (__ACTIVE__) AND patient_id = %(patient)s::integer
            AND id IS DISTINCT FROM %(ignore)s
    ) AS mine,
    (
        SELECT array_agg(weekday), array_agg(opens_at), array_agg(closes_at)
        FROM scheduling_openinghours WHERE location_id = %(location)s
    ) AS hours
""".replace("__ACTIVE__", ", ".join(f"'{status}'" for status in ACTIVE_SESSION_STATUSES))


def _rules(location: Location, row: list[int] | None) -> CourseRules:
    """The rules read by load_snapshot, as rules_for would give them."""
    if row is None:
        return CourseRules(location=location)
    pk, between, days, notice, change = row
    return CourseRules(
        pk=pk,
        location=location,
        min_hours_between=between,
        max_course_days=days,
        min_booking_notice_hours=notice,
        min_change_notice_hours=change,
    )


def _closed_days(location: Location, start: dt.datetime, end: dt.datetime) -> set[dt.date]:
    return set(
        Closure.objects.filter(
            location=location,
            date__gte=(start - dt.timedelta(days=1)).date(),
            date__lte=(end + dt.timedelta(days=1)).date(),
        )
        .order_by()
        .values_list("date", flat=True)
    )


def within_course_span(
    first: dt.datetime, last: dt.datetime, rules: CourseRules, tz: ZoneInfo
) -> bool:
    """'28 days after the first infusion' is a calendar span: compared in wall-clock time, so a
    daylight-saving change between the two does not move the limit by an hour."""
    last_wall = last.astimezone(tz).replace(tzinfo=None)
    return last_wall - first.astimezone(tz).replace(tzinfo=None) <= rules.max_span


def _within_span(p: BookingSnapshot, start: dt.datetime) -> bool:
    """The course, with a session at start, still spans no more than the rules allow."""
    if not p.course_starts:
        return True
    if p.course_first <= start <= p.course_last:  # the course's own span, worked out once
        return p.span_within
    return within_course_span(min(p.course_first, start), max(p.course_last, start), p.rules, p.tz)


def check_start(p: BookingSnapshot, start: dt.datetime) -> tuple[int | None, str]:
    """(chair id, "") when a session may start then, else (None, the reason in plain words).

    The one place the booking rules live: the booking services ask it under the lock, and
    day_offers' sweep over a day's candidates (_check_day) is held to it, candidate for
    candidate, by tests/scheduling/test_availability_sweep.py."""
    end = start + p.total
    if start < p.earliest:
        return _NOTICE
    local_date = start.astimezone(p.tz).date()
    day = p._days.get(local_date) or p.local_day(local_date)  # a day's candidates share it
    if day.open_at is None or not (day.open_at <= start and end <= day.close_at):
        return _CLOSED
    for other in p.course_starts:
        if abs(other - start) < p.min_between:
            return _SPACING
    if not _within_span(p, start):
        return _COURSE_SPAN
    if day.patient_booked:
        return _PATIENT_DAY
    for s, e, _d in p.patient_sessions:
        if s < end and e > start:
            return _PATIENT_DAY
    return _room(p, _us(start))


_NOTICE = (None, "notice")
_CLOSED = (None, "closed")
_SPACING = (None, "spacing")
_COURSE_SPAN = (None, "course_span")
_PATIENT_DAY = (None, "patient_day")
_TAKEN = (None, "taken")
_CAPACITY = (None, "capacity")


def room_at(p: BookingSnapshot, start: dt.datetime) -> tuple[int | None, str]:
    """(a free chair, "") when a chair and monitoring capacity are left for a session of the
    snapshot's length starting then, whoever it is for; else (None, "taken" or "capacity")."""
    return _room(p, _us(start))


def _room(p: BookingSnapshot, start: int) -> tuple[int | None, str]:
    taken = p.chairs_taken(start, start + p.total_us)
    for chair in p.chair_ids:
        if chair not in taken:
            break
    else:
        return _TAKEN
    if p.least_spare(start, start + p.infusion_us) < 1:
        return _CAPACITY
    return chair, ""


def _check_day(
    p: BookingSnapshot, day: dt.date, starts: list[dt.datetime]
) -> list[tuple[int | None, str]]:
    """[check_start(p, s) for s in starts] for the day's candidate_starts (UTC, in time order,
    all on that local day), worked out for the day at once rather than asked 30 times.

    Each rule that rules out a stretch of time (the notice, the opening hours, the course's
    spacing around each of its sessions, the patient's other sessions) marks the candidates
    inside its stretch, found by bisection, with its reason, in check_start's order, each
    candidate keeping the first reason it gets; only the candidates left are asked about the
    course span and a chair, by the functions check_start itself calls."""
    n = len(starts)
    results: list[tuple[int | None, str] | None] = [None] * n
    notice = min(bisect_left(starts, p.earliest), n)
    results[:notice] = [_NOTICE] * notice
    local = p._days.get(day) or p.local_day(day)
    if local.open_at is None:
        first = last = n
    else:
        first = max(bisect_left(starts, local.open_at), notice)
        last = max(bisect_right(starts, local.close_at - p.total), first)
    # Before opening, or ending after closing.
    results[notice:first] = [_CLOSED] * (first - notice)
    results[last:] = [_CLOSED] * (n - last)
    # abs(other - start) < min_between: other - min_between < start < other + min_between.
    for other in p.course_starts:
        low = max(bisect_right(starts, other - p.min_between), first)
        high = min(bisect_left(starts, other + p.min_between), last)
        for i in range(low, high):
            if results[i] is None:
                results[i] = _SPACING
    for i in range(first, last):
        if results[i] is None and not _within_span(p, starts[i]):
            results[i] = _COURSE_SPAN
    if local.patient_booked:
        overlaps = [(first, last)]
    else:  # s < start + total and e > start: s - total < start < e.
        overlaps = [
            (
                max(bisect_right(starts, s - p.total), first),
                min(bisect_left(starts, e), last),
            )
            for s, e, _d in p.patient_sessions
        ]
    for low, high in overlaps:
        for i in range(low, high):
            if results[i] is None:
                results[i] = _PATIENT_DAY
    for i in range(first, last):
        if results[i] is None:
            results[i] = _room(p, _us(starts[i]))
    return results  # type: ignore[return-value]  # every one is set by now


def slot_minutes() -> int:
    return getattr(settings, "SCHEDULING_SLOT_MINUTES", 30)


def candidate_starts(p: BookingSnapshot, day: dt.date) -> list[dt.datetime]:
    """Wall-clock starts every slot_minutes from opening, as UTC instants; times the clocks
    skip are left out, and the session must end (in real elapsed time) by closing."""
    if day in p.closed_days or day.weekday() not in p.hours:
        return []
    opens, closes = p.hours[day.weekday()]
    return list(_wall_clock_starts(day, opens, closes, p.tz, slot_minutes()))


@lru_cache(maxsize=1024)
def _wall_clock_starts(
    day: dt.date, opens: dt.time, closes: dt.time, tz: ZoneInfo, minutes: int
) -> tuple[dt.datetime, ...]:
    """Kept in memory: a pure function of its arguments (zone rules do not change while the
    process runs), and every patient looking at the coming days asks for the same ones."""
    step = dt.timedelta(minutes=minutes)
    wall = dt.datetime.combine(day, opens)
    stop = dt.datetime.combine(day, closes)
    found = []
    while wall < stop:
        instant = local_to_utc(day, wall.time(), tz)
        if instant is not None:
            found.append(instant)
        wall += step
    return tuple(found)


def opening_starts(
    *, location: Location, start: dt.datetime, end: dt.datetime, length: dt.timedelta
) -> list[dt.datetime]:
    """Start times of sessions of `length`, one after another, that fit whole inside [start,
    end) and the opening hours, on days without a closure: the times a newly opened stretch
    (a day open again, a new shift) could hold. Taken from the picker's own wall-clock starts
    (every slot_minutes from opening, in the location's zone), the first one from `start`."""
    tz = location.time_zone
    hours = {
        weekday: (opens, closes)
        for weekday, opens, closes in OpeningHours.objects.filter(location=location)
        .order_by()
        .values_list("weekday", "opens_at", "closes_at")
    }
    closed = _closed_days(location, start, end)
    found: list[dt.datetime] = []
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    while day <= last:
        if day.weekday() in hours and day not in closed:
            opens, closes = hours[day.weekday()]
            close_at = local_to_utc(day, closes, tz) or end
            free_from = start
            for instant in _wall_clock_starts(day, opens, closes, tz, slot_minutes()):
                if free_from <= instant and instant + length <= min(end, close_at):
                    found.append(instant)
                    free_from = instant + length
        day += dt.timedelta(days=1)
    return found


def free_start_times(
    *,
    course: Course,
    location: Location,
    first_day: dt.date,
    last_day: dt.date,
    now: dt.datetime | None = None,
    ignore_session_id: int | None = None,
) -> dict[dt.date, list[dt.datetime]]:
    """For each local day in [first_day, last_day] at the location, the free start times (UTC).

    ignore_session_id: the session being moved, which must not block its own new time."""
    offers, _ = day_offers(
        course=course,
        location=location,
        first_day=first_day,
        last_day=last_day,
        now=now,
        ignore_session_id=ignore_session_id,
    )
    return {offer.day: offer.times for offer in offers}


@dataclass(frozen=True)
class DayOffer:
    """A local day's free start times, and when it has none, why: "closed" (a closure or no
    opening hours), "notice" (every time is inside the booking notice), "yours" (the patient
    already has a session that day or the course's spacing rules rule it out) or "full"."""

    day: dt.date
    times: list[dt.datetime]
    reason: str = ""


_YOURS = frozenset({"notice", "spacing", "course_span", "patient_day"})


def _why_none(reasons: list[str]) -> str:
    kinds = set(reasons)
    if kinds <= {"closed"}:
        return "closed"
    # A day's last candidates end after closing: that says nothing about why the others failed.
    kinds.discard("closed")
    if kinds <= {"notice"}:
        return "notice"
    if kinds <= _YOURS:
        return "yours"
    return "full"


def day_offers(
    *,
    course: Course,
    location: Location,
    first_day: dt.date,
    last_day: dt.date,
    now: dt.datetime | None = None,
    ignore_session_id: int | None = None,
) -> tuple[list[DayOffer], CourseRules]:
    """free_start_times with a reason for each empty day, from the same one snapshot (so the
    day strip, the earliest offer and the chosen day's times cost one statement),
    and the rules it used (their notice explains a day that is too soon)."""
    tz = location.time_zone
    start, _ = local_day_bounds(first_day, tz)
    _, end = local_day_bounds(last_day, tz)
    p = load_snapshot(
        course=course,
        location=location,
        start=start,
        end=end,
        now=now,
        ignore_session_id=ignore_session_id,
    )
    offers = []
    day = first_day
    while day <= last_day:
        times, reasons = [], []
        candidates = candidate_starts(p, day)
        for s, (chair, reason) in zip(candidates, _check_day(p, day, candidates), strict=True):
            if chair is None:
                reasons.append(reason)
            else:
                times.append(s)
        offers.append(DayOffer(day, times, "" if times else _why_none(reasons)))
        day += dt.timedelta(days=1)
    return offers, p.rules


def nearest_free_times(
    *,
    course: Course,
    location: Location,
    around: dt.datetime,
    count: int = 3,
    days: int = 7,
    now: dt.datetime | None = None,
    ignore_session_id: int | None = None,
) -> list[dt.datetime]:
    """The free start times closest to `around` (before or after), within `days` either side."""
    tz = location.time_zone
    local = around.astimezone(tz).date()
    by_day = free_start_times(
        course=course,
        location=location,
        first_day=local - dt.timedelta(days=days),
        last_day=local + dt.timedelta(days=days),
        now=now,
        ignore_session_id=ignore_session_id,
    )
    every = [s for starts in by_day.values() for s in starts]
    return sorted(sorted(every, key=lambda s: abs(s - around))[:count])


def propose_series(
    *,
    course: Course,
    location: Location,
    first_start: dt.datetime,
    count: int,
    now: dt.datetime | None = None,
) -> list[dt.datetime]:
    """A proposed series for 'plan my course': the first time, then for each further session
    the earliest free time at least the minimum spacing after the previous one, preferring
    the same time of day. May be shorter than count when the rules leave no room."""
    rules = rules_for(location)
    tz = location.time_zone
    first_local = first_start.astimezone(tz)
    horizon = first_local.date() + rules.max_span
    by_day = free_start_times(
        course=course, location=location, first_day=first_local.date(), last_day=horizon, now=now
    )
    proposal = [first_start]
    while len(proposal) < count:
        earliest = proposal[-1] + rules.min_between
        options = [
            s
            for starts in by_day.values()
            for s in starts
            if s >= earliest
            and within_course_span(proposal[0], s, rules, tz)
            and s.astimezone(tz).date() not in {p.astimezone(tz).date() for p in proposal}
        ]
        if not options:
            break
        options.sort()
        first_day = options[0].astimezone(tz).date()
        same_day = [s for s in options if s.astimezone(tz).date() == first_day]
        wanted = first_local.time()
        same_day.sort(
            key=lambda s: abs(
                dt.datetime.combine(first_day, s.astimezone(tz).time())
                - dt.datetime.combine(first_day, wanted)
            )
        )
        proposal.append(same_day[0])
    return proposal
