"""day_offers' sweep over a day's candidates (_check_day) against check_start asked about each
candidate, on random snapshots built in memory: any zone (daylight-saving days in New York,
London and Lord Howe, whose clocks move half an hour), odd opening hours, closures, chairs out
of service, busy rows at any microsecond, shifts of differing capacity, the course's own
sessions, the patient's other sessions, any notice, spacing and span."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.availability import (
    BookingSnapshot,
    _check_day,
    _us,
    busy_columns,
    candidate_starts,
    check_start,
    local_day_bounds,
)
from scheduling.models import Course, CourseRules, Location, SessionType

UTC = dt.UTC
# A zone and days its clocks change (forward, back).
ZONES = {
    "America/New_York": [dt.date(2027, 3, 14), dt.date(2027, 11, 7)],
    "Europe/London": [dt.date(2027, 3, 28), dt.date(2027, 10, 31)],
    "Australia/Lord_Howe": [dt.date(2027, 4, 4), dt.date(2027, 10, 3)],
}
DAYS = 3


@st.composite
def snapshots(draw):
    """(the arguments of a BookingSnapshot, the local days it covers)."""
    zone = draw(st.sampled_from(sorted(ZONES)))
    tz = ZoneInfo(zone)
    change = draw(st.sampled_from(ZONES[zone]))
    first_day = change - dt.timedelta(days=draw(st.integers(0, DAYS - 1)))
    days = [first_day + dt.timedelta(days=n) for n in range(DAYS)]
    start, _ = local_day_bounds(days[0], tz)
    _, end = local_day_bounds(days[-1], tz)
    span_us = _us(end) - _us(start)

    def instant(margin_hours=12, grid=None):
        """Anywhere in the covered days (and a margin either side), on a grid of minutes or at
        any microsecond."""
        margin = margin_hours * 3_600_000_000
        step = grid * 60_000_000 if grid else draw(st.sampled_from([1, 60_000_000, 900_000_000]))
        offset = draw(st.integers(-margin // step, (span_us + margin) // step)) * step
        return start + dt.timedelta(microseconds=offset)

    hours = {}
    for weekday in range(7):
        if draw(st.booleans()) or draw(st.booleans()):
            opens = dt.time(*divmod(draw(st.integers(0, 12 * 4)) * 15, 60))
            closes = dt.time(*divmod(draw(st.integers(1, 24 * 4 - 1)) * 15, 60))
            hours[weekday] = (opens, closes)
    closed_days = set(draw(st.lists(st.sampled_from(days), max_size=2)))
    chair_ids = draw(
        st.lists(
            st.integers(1, 7), unique=True, min_size=draw(st.sampled_from([0, 1, 1])), max_size=5
        )
    )
    session_type = SessionType(
        infusion_minutes=draw(st.sampled_from([15, 45, 60, 120])),
        recovery_minutes=draw(st.sampled_from([0, 15, 30])),
    )
    busy = []
    for _ in range(draw(st.integers(0, 30))):
        s = instant(grid=draw(st.sampled_from([None, 15, 30])))
        infusion = dt.timedelta(minutes=draw(st.integers(1, 180)))
        recovery = dt.timedelta(minutes=draw(st.sampled_from([0, 0, 15, 30])))
        busy.append((draw(st.integers(1, 7)), s, s + infusion, s + infusion + recovery))
    shifts = []
    if draw(st.booleans()):  # someone on duty throughout, or a capacity the others top up
        shifts.append((start, end, draw(st.integers(1, 3))))
    for _ in range(draw(st.integers(0, 8))):
        s = instant(grid=draw(st.sampled_from([None, 30])))
        shifts.append(
            (s, s + dt.timedelta(minutes=30 * draw(st.integers(1, 24))), draw(st.integers(1, 3)))
        )

    def session(elsewhere=False):
        """One of the patient's sessions; elsewhere: at another location, maybe in another zone
        (its local date that location's) and of another length."""
        s = instant(
            margin_hours=24 * draw(st.sampled_from([1, 1, 3, 10])),
            grid=draw(st.sampled_from([None, 15, 30])),
        )
        length = session_type.total
        shift = 0
        if elsewhere:
            length = dt.timedelta(minutes=draw(st.sampled_from([30, 60, 90, 150])))
            shift = draw(st.sampled_from([-1, 0, 1]))
        return s, s + length, s.astimezone(tz).date() + dt.timedelta(days=shift)

    course_sessions = [session() for _ in range(draw(st.integers(0, 3)))]
    other_sessions = [session(elsewhere=True) for _ in range(draw(st.integers(0, 4)))]
    location = Location(name="Sweep", time_zone=tz)
    arguments = {
        "location": location,
        "course": Course(pk=1, location=location, session_type=session_type),
        "session_type": session_type,
        "rules": CourseRules(
            location=location,
            min_hours_between=draw(st.sampled_from([0, 1, 24, 48])),
            max_course_days=draw(st.sampled_from([1, 2, 5, 28, 28])),
            min_booking_notice_hours=draw(st.sampled_from([0, 24, 48])),
        ),
        # Mostly before the days (so the notice leaves some of them), sometimes inside.
        "now": start
        - dt.timedelta(hours=draw(st.integers(-24, 96)), microseconds=draw(st.integers(0, 10**6))),
        "chair_ids": chair_ids,
        "hours": hours,
        "closed_days": closed_days,
        "busy": busy,
        "shifts": shifts,
        "course_starts": [s for s, _e, _d in course_sessions],
        "patient_sessions": course_sessions + other_sessions,
    }
    return arguments, [days[0] - dt.timedelta(days=1), *days]


def _snapshot(arguments):
    """A new snapshot each time: nothing one path works out and keeps is lent to the other."""
    arguments = dict(arguments)
    busy = arguments.pop("busy")
    chairs, starts, infusion_ends, ends = zip(*busy, strict=True) if busy else ([],) * 4
    return BookingSnapshot(
        **arguments,
        busy_columns=busy_columns(
            list(chairs),
            [_us(s) for s in starts],
            [_us(s) for s in infusion_ends],
            [_us(s) for s in ends],
        ),
    )


@settings(max_examples=400, deadline=None)
@given(drawn=snapshots(), minutes=st.sampled_from([15, 20, 30, 45]))
def test_the_day_sweep_gives_what_check_start_gives_for_every_candidate(drawn, minutes):
    arguments, days = drawn
    with override_settings(SCHEDULING_SLOT_MINUTES=minutes):
        swept, asked = _snapshot(arguments), _snapshot(arguments)
        for day in days:
            candidates = candidate_starts(swept, day)
            assert _check_day(swept, day, candidates) == [
                check_start(asked, s) for s in candidates
            ], day


def _least_spare_by_hand(p, start, end):
    """Staff on duty less infusions running, at the start and at every instant inside where
    either changes: the lowest."""
    instants = {start} | {
        t for b in p.busy for t in (b.starts_at, b.infusion_ends_at) if start < t < end
    }
    instants |= {t for s, e, _c in p.shifts for t in (s, e) if start < t < end}
    return min(
        sum(cap for s, e, cap in p.shifts if s <= t < e)
        - sum(1 for b in p.busy if b.starts_at <= t < b.infusion_ends_at)
        for t in instants
    )


@settings(max_examples=150, deadline=None)
@given(drawn=snapshots(), data=st.data())
def test_least_spare_is_the_lowest_staff_on_duty_less_infusions_running(drawn, data):
    """least_spare (check_start's capacity rule) against the step function worked out by hand,
    on intervals starting at, just before and just after every edge of a busy row or shift."""
    arguments, _days = drawn
    p = _snapshot(arguments)
    edges = [t for b in p.busy for t in b[1:]] + [t for s, e, _c in p.shifts for t in (s, e)]
    for _ in range(8):
        start = data.draw(st.sampled_from(edges)) if edges else p.now
        start += dt.timedelta(microseconds=data.draw(st.sampled_from([-1, 0, 0, 1, 900_000_000])))
        end = start + dt.timedelta(minutes=data.draw(st.sampled_from([0, 1, 45, 60, 120, 600])))
        assert p.least_spare(_us(start), _us(end)) == _least_spare_by_hand(p, start, end)
