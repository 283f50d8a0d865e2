import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.db import _prepared_form
from scheduling.availability import (
    _SNAPSHOT_SQL,
    _instant,
    _us,
    busy_columns,
    candidate_starts,
    check_start,
    free_start_times,
    load_snapshot,
    local_day_bounds,
    local_to_utc,
    propose_series,
)
from scheduling.models import (
    Chair,
    Closure,
    Course,
    CourseRules,
    CourseStatus,
    InfusionSession,
    OpeningHours,
    SessionStatus,
    SessionType,
    SlotHold,
    StaffShift,
)
from scheduling.services import course_create, session_book, slot_hold
from tests.factories.scheduling import (
    ChairFactory,
    ClinicianFactory,
    LocationFactory,
    PatientFactory,
    StaffShiftFactory,
)

from .conftest import NOW, NY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def _walls(starts, tz=NY):
    return [s.astimezone(tz).strftime("%H:%M") for s in starts]


def _day(course, day, location=None, now=NOW):
    location = location or course.location
    return free_start_times(course=course, location=location, first_day=day, last_day=day, now=now)[
        day
    ]


def test_free_times_fill_opening_hours_and_end_by_closing(clinic, make_course):
    starts = _day(make_course(), dt.date(2027, 3, 10))
    walls = _walls(starts)
    assert walls[0] == "08:00"
    assert walls[-1] == "16:30"  # 16:30 + 60 min infusion + 30 min recovery = 18:00
    assert len(walls) == 18


def test_a_closure_and_a_day_without_hours_offer_nothing(clinic, make_course):
    location = clinic["location"]
    Closure.objects.create(location=location, date=dt.date(2027, 3, 10), reason="Holiday")
    OpeningHours.objects.filter(location=location, weekday=3).delete()  # Thursdays
    course = make_course()
    assert _day(course, dt.date(2027, 3, 10)) == []
    assert _day(course, dt.date(2027, 3, 11)) == []
    assert _day(course, dt.date(2027, 3, 12)) != []


def test_minimum_notice_hides_times_too_soon(clinic, make_course):
    now = at(2027, 3, 9, 10, 15)
    starts = _day(make_course(), dt.date(2027, 3, 10), now=now)
    assert _walls(starts)[0] == "10:30"  # 24 h after 10:15, on the half hour


def test_spacing_and_course_end_rules(clinic, make_course):
    course = make_course(planned=3)
    session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    # 48 h after 9:00 on the 10th: nothing on the 11th, on the 12th from 9:00 on.
    assert _day(course, dt.date(2027, 3, 11)) == []
    assert _walls(_day(course, dt.date(2027, 3, 12)))[0] == "09:00"
    # Before the first one too: on the 8th only until 9:00.
    assert _walls(_day(course, dt.date(2027, 3, 8)))[-1] == "09:00"
    # 28 days after the first infusion is the latest.
    assert _walls(_day(course, dt.date(2027, 4, 7)))[-1] == "09:00"
    assert _day(course, dt.date(2027, 4, 8)) == []


def test_rules_are_configurable_per_location(clinic, make_course):
    CourseRules.objects.create(location=clinic["location"], min_hours_between=24)
    course = make_course(planned=3)
    session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    assert _walls(_day(course, dt.date(2027, 3, 11)))[0] == "09:00"


def test_a_full_chair_set_and_out_of_service_chairs_hide_the_time(clinic, make_course):
    session_book(course=make_course(), starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    assert "09:00" in _walls(_day(make_course(), dt.date(2027, 3, 10)))
    session_book(course=make_course(), starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    walls = _walls(_day(make_course(), dt.date(2027, 3, 10)))
    assert "08:00" not in walls  # would overlap 9:00-10:30 in both chairs
    assert "09:00" not in walls and "10:00" not in walls
    assert "07:30" not in walls and "10:30" in walls


def test_an_out_of_service_chair_is_never_offered(clinic, make_course):
    for chair in clinic["chairs"]:
        chair.is_active = False
        chair.save()
    assert _day(make_course(), dt.date(2027, 3, 10)) == []


def test_monitoring_capacity_must_cover_the_whole_infusion(clinic, make_course):
    location = clinic["location"]
    StaffShift.objects.all().delete()
    StaffShiftFactory(location=location, starts_at=at(2027, 3, 10, 8), ends_at=at(2027, 3, 10, 12))
    walls = _walls(_day(make_course(), dt.date(2027, 3, 10)))
    assert walls == ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00"]
    assert "11:30" not in walls  # the infusion would outlast the shift


def test_live_holds_hide_a_time_and_expired_ones_free_it_without_any_job(clinic, make_course):
    for _ in range(2):
        slot_hold(course=make_course(), starts_at=at(2027, 3, 10, 9), now=NOW)
    day = dt.date(2027, 3, 10)
    course = make_course()
    assert "09:00" not in _walls(_day(course, day))
    later = NOW + dt.timedelta(minutes=6)
    assert "09:00" in _walls(_day(course, day, now=later))
    assert SlotHold.objects.count() == 2  # nothing deleted them; they just stopped counting


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [(dt.date(2027, 3, 14), 12), (dt.date(2027, 11, 7), 13), (dt.date(2027, 3, 7), 13)],
    ids=["spring-forward", "fall-back", "ordinary-sunday"],
)
def test_opening_hours_keep_their_wall_clock_on_both_dst_change_days(
    clinic, make_course, day, utc_hour
):
    starts = _day(make_course(), day, now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert starts[0].astimezone(dt.UTC).hour == utc_hour  # 8:00 EDT is 12:00Z, EST 13:00Z
    assert _walls(starts)[0] == "08:00" and _walls(starts)[-1] == "16:30"
    assert len(starts) == 18


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # The clocks skip 2:00-3:00: those times do not exist and are not offered; 90 real
        # minutes after 3:30 EDT is 5:00 EDT, closing.
        (dt.date(2027, 3, 14), ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]),
        # 1:00-2:00 happens twice: each wall time is offered once (its first occurrence), and
        # the 25-hour day still closes at 5:00 EST.
        (
            dt.date(2027, 11, 7),
            ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "03:00", "03:30"],
        ),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_night_hours_across_the_change_use_real_elapsed_time(clinic, make_course, day, expected):
    location = clinic["location"]
    OpeningHours.objects.filter(location=location, weekday=6).update(
        opens_at=dt.time(0), closes_at=dt.time(5)
    )
    starts = _day(make_course(), day, now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert _walls(starts) == expected
    assert len(set(starts)) == len(starts)
    close = dt.datetime(day.year, day.month, day.day, 5, tzinfo=NY)
    assert all(s + dt.timedelta(minutes=90) <= close for s in starts)


def test_a_session_booked_across_the_change_lasts_ninety_real_minutes(clinic, make_course):
    location = clinic["location"]
    OpeningHours.objects.filter(location=location, weekday=6).update(
        opens_at=dt.time(0), closes_at=dt.time(5)
    )
    start = at(2027, 3, 14, 1, 30)  # EST
    session = session_book(
        course=make_course(), starts_at=start, by=None, now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    )
    assert session.ends_at - session.starts_at == dt.timedelta(minutes=90)
    assert session.ends_at.astimezone(NY).strftime("%H:%M %Z") == "04:00 EDT"
    assert session.local_date == dt.date(2027, 3, 14)


def test_a_pacific_location_answers_in_its_own_zone(db, make_course):
    la = ZoneInfo("America/Los_Angeles")
    location = LocationFactory(time_zone=la)
    for weekday in range(7):
        OpeningHours.objects.create(
            location=location, weekday=weekday, opens_at=dt.time(9), closes_at=dt.time(12)
        )
    ChairFactory(location=location)
    StaffShiftFactory(location=location)
    starts = _day(make_course(location=location), dt.date(2027, 3, 10), location=location)
    assert _walls(starts, la)[0] == "09:00"
    assert starts[0].astimezone(dt.UTC).hour == 17


def test_availability_uses_a_fixed_number_of_queries_whatever_the_range(clinic, make_course):
    course = make_course()
    session_book(course=make_course(), starts_at=at(2027, 3, 10, 9), by=None, now=NOW)

    def count(days):
        with CaptureQueriesContext(connection) as ctx:
            free_start_times(
                course=course,
                location=clinic["location"],
                first_day=dt.date(2027, 3, 5),
                last_day=dt.date(2027, 3, 5) + dt.timedelta(days=days),
                now=NOW,
            )
        return len(ctx.captured_queries)

    assert count(1) == count(27) <= 8


def _series(course, location, first_start):
    series = propose_series(
        course=course, location=location, first_start=first_start, count=4, now=NOW
    )
    return [s.astimezone(NY).strftime("%d %H:%M") for s in series]


def test_plan_my_course_proposes_a_spaced_series_at_the_same_time_of_day(clinic, make_course):
    assert _series(make_course(), clinic["location"], at(2027, 4, 5, 9)) == [
        "05 09:00",
        "07 09:00",
        "09 09:00",
        "11 09:00",
    ]


def test_plan_my_course_spaces_by_real_hours_across_spring_forward(clinic, make_course):
    # 9:00 EDT on the 14th is only 47 real hours after 9:00 EST on the 12th.
    assert _series(make_course(), clinic["location"], at(2027, 3, 10, 9)) == [
        "10 09:00",
        "12 09:00",
        "14 10:00",
        "16 10:00",
    ]


# --- the offered times agree with the rules, on a busy random snapshot ---------------------------


def _check_by_hand(p, start):
    """check_start written the slow, obvious way from the snapshot's plain rows: the oracle the
    precomputed per-day pieces and the capacity step function are held to."""
    tz, rules, kind = p.location.time_zone, p.rules, p.session_type
    end, infusion_end = start + kind.total, start + kind.infusion
    wall = lambda instant: instant.astimezone(tz).replace(tzinfo=None)  # noqa: E731
    if start < p.now + rules.booking_notice:
        return None, "notice"
    day = start.astimezone(tz).date()
    hours = p.hours.get(day.weekday())
    open_at = hours and local_to_utc(day, hours[0], tz)
    close_at = hours and local_to_utc(day, hours[1], tz)
    if (
        day in p.closed_days
        or not open_at
        or not close_at
        or not open_at <= start < end <= close_at
    ):
        return None, "closed"
    if any(abs(other - start) < rules.min_between for other in p.course_starts):
        return None, "spacing"
    every = [*p.course_starts, start]
    if p.course_starts and wall(max(every)) - wall(min(every)) > rules.max_span:
        return None, "course_span"
    if any(d == day or (s < end and e > start) for s, e, d in p.patient_sessions):
        return None, "patient_day"
    overlapping = [b for b in p.busy if b.starts_at < end and b.ends_at > start]
    taken = {b.chair_id for b in overlapping}
    chair = next((c for c in p.chair_ids if c not in taken), None)
    if chair is None:
        return None, "taken"
    instants = {start} | {
        x
        for b in overlapping
        for x in (b.starts_at, b.infusion_ends_at)
        if start < x < infusion_end
    }
    instants |= {x for s, e, _c in p.shifts for x in (s, e) if start < x < infusion_end}
    for t in instants:
        on_duty = sum(cap for s, e, cap in p.shifts if s <= t < e)
        running = sum(1 for b in p.busy if b.starts_at <= t < b.infusion_ends_at)
        if on_duty - running < 1:
            return None, "capacity"
    return chair, ""


def _random_clinic(rng, first_day, last_day, now):
    """A location over [first_day, last_day] with everything that can refuse a time: odd
    opening hours (some across the night the clocks change), a closure, an out-of-service
    chair, sessions of three lengths and statuses, live and expired holds, shifts of differing
    capacity, and a course with sessions already booked (and an earlier course's session)."""
    tz = NY
    location = LocationFactory(time_zone=tz)
    for weekday in range(7):
        if rng.random() < 0.15:
            continue
        if weekday == 6 or rng.random() < 0.2:
            opens, closes = dt.time(rng.choice([0, 1])), dt.time(rng.choice([4, 5, 6]))
        else:
            opens = dt.time(rng.choice([7, 8, 9]), rng.choice([0, 30]))
            closes = dt.time(rng.choice([15, 17, 18]), rng.choice([0, 15]))
        OpeningHours.objects.create(
            location=location, weekday=weekday, opens_at=opens, closes_at=closes
        )
    days = [first_day + dt.timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    Closure.objects.create(location=location, date=rng.choice(days[1:]))
    CourseRules.objects.create(
        location=location,
        min_hours_between=rng.choice([24, 48]),
        max_course_days=rng.choice([5, 28, 28]),
        min_booking_notice_hours=rng.choice([0, 24, 48]),
    )
    chairs = [ChairFactory(location=location, name=f"Chair {n}") for n in range(4)]
    chairs[rng.randrange(4)].is_active = False
    for chair in chairs:
        chair.save()
    kinds = [
        SessionType.objects.get_or_create(
            name=name, defaults={"infusion_minutes": i, "recovery_minutes": r}
        )[0]
        for name, i, r in [("Infusion", 60, 30), ("Short", 45, 15), ("Long", 120, 30)]
    ]

    def new_course(patient=None, status=CourseStatus.ACTIVE):
        return Course.objects.create(
            patient=patient or PatientFactory(),
            location=location,
            session_type=rng.choice(kinds),
            planned_sessions=6,
            status=status,
        )

    ours = course_create(
        patient=PatientFactory(),
        location=location,
        planned_sessions=6,
        needs_clinician_review=False,
        created_by=None,
        session_type=rng.choice(kinds),
    )
    earlier = new_course(patient=ours.patient, status=CourseStatus.COMPLETED)
    others = [new_course() for _ in range(30)]
    # Chair by chair, one session after another with random gaps, at any quarter hour (not
    # only on the half-hour grid), each given to a course whose patient is free that day.
    courses = [ours, earlier, *others]
    booked = {c.pk: [] for c in courses}
    own = {ours.pk: rng.randint(1, 2), earlier.pk: 1}
    for chair in chairs:
        for day in days:
            at_, day_end = local_day_bounds(day, tz)
            at_ += dt.timedelta(minutes=15 * rng.randrange(0, 40))
            while at_ < day_end:
                course = rng.choice(others)
                if rng.random() < 0.08:
                    course = rng.choice([ours, earlier])
                kind = course.session_type
                status = rng.choice(
                    [SessionStatus.BOOKED] * 5 + [SessionStatus.COMPLETED, SessionStatus.CANCELLED]
                )
                theirs = [
                    s for c in courses if c.patient_id == course.patient_id for s in booked[c.pk]
                ]
                free = status == SessionStatus.CANCELLED or (
                    len(booked[course.pk]) < own.get(course.pk, 6)
                    and all(
                        s.local_date != day
                        and (s.ends_at <= at_ or s.starts_at >= at_ + kind.total)
                        for s in theirs
                    )
                )
                if free and at_ + kind.total <= day_end:
                    session = InfusionSession.objects.create(
                        course=course,
                        patient_id=course.patient_id,
                        location=location,
                        course_planned_sessions=6,
                        slot=len(booked[course.pk]) + 1 if status != SessionStatus.CANCELLED else 6,
                        chair=chair,
                        starts_at=at_,
                        infusion_ends_at=at_ + kind.infusion,
                        ends_at=at_ + kind.total,
                        local_date=day,
                        status=status,
                    )
                    if status != SessionStatus.CANCELLED:
                        booked[course.pk].append(session)
                    at_ = session.ends_at
                at_ += dt.timedelta(minutes=15 * rng.randrange(0, 4))
    for _ in range(12):
        course, kind = rng.choice([ours, *others]), rng.choice(kinds)
        day_start, _end = local_day_bounds(rng.choice(days), tz)
        starts = day_start + dt.timedelta(minutes=30 * rng.randrange(0, 44))
        SlotHold.objects.create(
            course=course,
            location=location,
            chair=rng.choice(chairs),
            starts_at=starts,
            infusion_ends_at=starts + kind.infusion,
            ends_at=starts + kind.total,
            expires_at=now + dt.timedelta(minutes=rng.choice([-5, 5])),
        )
    clinicians = [ClinicianFactory() for _ in range(3)]
    for day in days:
        day_start, _end = local_day_bounds(day, tz)
        for clinician in clinicians:
            if rng.random() < 0.6:
                starts = day_start + dt.timedelta(minutes=30 * rng.randrange(0, 24))
                StaffShift.objects.create(
                    location=location,
                    clinician=clinician,
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(minutes=30 * rng.randrange(2, 20)),
                    monitoring_capacity=rng.randint(1, 3),
                )
    return location, ours


@pytest.mark.parametrize(
    "first_day",
    [dt.date(2027, 3, 10), dt.date(2027, 11, 3)],
    ids=["spring-forward", "fall-back"],
)
def test_offered_times_are_exactly_the_times_the_rules_accept(db, first_day):
    """free_start_times against every candidate checked one by one, check_start against the
    rules worked out by hand, and the booking services' narrower snapshot of one day against the
    availability pages' 8 days, on random busy snapshots around a daylight-saving change."""
    last_day = first_day + dt.timedelta(days=7)
    reasons = set()
    for seed in range(6):
        rng = random.Random(f"{first_day}-{seed}")
        day_start, _end = local_day_bounds(first_day, NY)
        now = day_start - dt.timedelta(minutes=15 * rng.randrange(0, 120))
        location, course = _random_clinic(rng, first_day, last_day, now)
        free = free_start_times(
            course=course, location=location, first_day=first_day, last_day=last_day, now=now
        )
        start, _ = local_day_bounds(first_day, NY)
        _, end = local_day_bounds(last_day, NY)
        p = load_snapshot(course=course, location=location, start=start, end=end, now=now)
        assert p.course_starts, "the course has sessions of its own"
        for day, offered in free.items():
            candidates = candidate_starts(p, day)
            assert offered == [s for s in candidates if check_start(p, s)[0] is not None]
            day_start, _end = local_day_bounds(day, NY)
            booking = load_snapshot(  # as session_book loads it, under the lock
                course=course,
                location=location,
                start=day_start - dt.timedelta(days=1),
                end=day_start + dt.timedelta(days=2),
                now=now,
            )
            assert [check_start(booking, s) for s in candidates] == [
                check_start(p, s) for s in candidates
            ]
            # Off the grid too, as a booking may ask for any time.
            for s in candidates + [
                c + dt.timedelta(minutes=m) for c in candidates for m in (-7, 15)
            ]:
                result = check_start(p, s)
                assert result == _check_by_hand(p, s), (seed, s)
                reasons.add(result[1])
    assert reasons == {
        "",
        "notice",
        "closed",
        "spacing",
        "course_span",
        "patient_day",
        "taken",
        "capacity",
    }


# --- the snapshot's one statement reads what the ORM's querysets read ------------------------


def _snapshot_by_orm(course, location, start, end, now, ignore_session_id=None):
    """What load_snapshot read in eight querysets before it became one statement of SQL: the
    reference its rows are held to."""
    margin = course.session_type.total
    lo, hi = start - margin, end + margin
    sessions = (
        InfusionSession.objects.active()
        .filter(location=location)
        .overlapping(lo, hi)
        .exclude(pk=ignore_session_id)
        .values_list("chair_id", "starts_at", "infusion_ends_at", "ends_at")
    )
    holds = (
        SlotHold.objects.filter(location=location, expires_at__gt=now)
        .filter(starts_at__lt=hi, ends_at__gt=lo, starts_at__gt=lo - dt.timedelta(days=1))
        .exclude(course=course)
        .exclude(for_courses__contains=[course.pk])
        .values_list("chair_id", "starts_at", "infusion_ends_at", "ends_at")
    )
    mine = list(
        InfusionSession.objects.active()
        .filter(patient_id=course.patient_id)
        .exclude(pk=ignore_session_id)
        .values_list("course_id", "starts_at", "ends_at", "local_date")
    )
    rules = CourseRules.objects.filter(location=location).first() or CourseRules()
    return {
        "busy": sorted([*sessions, *holds]),
        "shifts": sorted(
            StaffShift.objects.filter(location=location)
            .overlapping(lo, hi)
            .values_list("starts_at", "ends_at", "monitoring_capacity")
        ),
        "course_starts": sorted(s for c, s, _e, _d in mine if c == course.pk),
        "patient_sessions": sorted((s, e, d) for _c, s, e, d in mine),
        "chair_ids": list(
            Chair.objects.filter(location=location, is_active=True)
            .order_by("name", "pk")
            .values_list("pk", flat=True)
        ),
        "hours": {
            w: (o, c)
            for w, o, c in OpeningHours.objects.filter(location=location).values_list(
                "weekday", "opens_at", "closes_at"
            )
        },
        "closed_days": set(
            Closure.objects.filter(
                location=location,
                date__gte=(start - dt.timedelta(days=1)).date(),
                date__lte=(end + dt.timedelta(days=1)).date(),
            ).values_list("date", flat=True)
        ),
        "rules": (
            rules.pk,
            rules.min_hours_between,
            rules.max_course_days,
            rules.min_booking_notice_hours,
            rules.min_change_notice_hours,
        ),
    }


def _snapshot_rows(p):
    return {
        "busy": sorted(tuple(b) for b in p.busy),
        "shifts": sorted(p.shifts),
        "course_starts": sorted(p.course_starts),
        "patient_sessions": sorted(p.patient_sessions),
        "chair_ids": p.chair_ids,
        "hours": p.hours,
        "closed_days": p.closed_days,
        "rules": (
            p.rules.pk,
            p.rules.min_hours_between,
            p.rules.max_course_days,
            p.rules.min_booking_notice_hours,
            p.rules.min_change_notice_hours,
        ),
    }


def test_the_snapshot_sends_busy_instants_as_exact_microseconds(db):
    """The statement sends each busy instant as microseconds after the range's earliest start,
    and load_snapshot adds that back: exact at any microsecond, in any century, for offsets far
    longer than a snapshot's range (a double holds them exactly; the epoch's own microseconds,
    date_part(timestamptz)'s double, would not be past 2106)."""
    expression = "(date_part('epoch', {} - %(day_before)s) * 1000000)::bigint"
    for column in ("starts_at", "infusion_ends_at", "ends_at"):
        assert expression.format(column) in _SNAPSHOT_SQL
    rng = random.Random("microseconds")
    first, last = (
        _us(dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
        _us(dt.datetime(2300, 1, 1, tzinfo=dt.UTC)),
    )
    sixty_days = 60 * 86_400 * 1_000_000
    for base in [rng.randrange(first, last) for _ in range(20)] + [first, last]:
        offsets = [rng.randrange(-sixty_days, sixty_days) for _ in range(500)]
        offsets += [
            sign * (days * 86_400_000_000 + fraction)
            for sign in (1, -1)
            for days in (0, 1, 14, 59)
            for fraction in (0, 1, 499_999, 500_000, 500_001, 999_999, 86_399_999_999)
        ]
        instants = [base + offset for offset in offsets]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT array_agg("
                + expression.format("t").replace("%(day_before)s", "%s")
                + " ORDER BY n) FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS u(t, n)",
                [_instant(base), [_instant(us) for us in instants]],
            )
            sent = cursor.fetchone()[0]
        assert busy_columns(list(range(len(sent))), sent, sent, sent, base=base)[1] == sorted(
            instants
        )


def test_the_snapshot_statement_reads_what_the_querysets_read(db):
    """load_snapshot's one statement against the querysets it replaced, on a random busy clinic
    with group holds (one kept for this course among others), expired and live holds, a moved
    session ignored, and ranges of one day (as a booking reads) to eight; then a location with
    nothing set up at all (no rules: the defaults)."""
    first_day = dt.date(2027, 3, 10)
    rng = random.Random("snapshot-sql")
    day_start, _end = local_day_bounds(first_day, NY)
    now = day_start - dt.timedelta(hours=3)
    location, course = _random_clinic(rng, first_day, first_day + dt.timedelta(days=7), now)
    chair = location.chairs.filter(is_active=True).first()
    for minutes, group in [(600, [course.pk, course.pk + 1]), (700, [course.pk + 1])]:
        SlotHold.objects.create(
            course=None,
            for_courses=group,
            location=location,
            chair=chair,
            starts_at=day_start + dt.timedelta(minutes=minutes),
            infusion_ends_at=day_start + dt.timedelta(minutes=minutes + 60),
            ends_at=day_start + dt.timedelta(minutes=minutes + 90),
            expires_at=now + dt.timedelta(minutes=5),
        )
    moved = InfusionSession.objects.active().filter(course=course).first()
    seen = set()
    # The statement is prepared (clinic.db.execute_prepared): its generic plan and its custom
    # ones (the first five on a connection) must read the same rows.
    with connection.cursor() as cursor:
        for mode in ("force_custom_plan", "force_generic_plan", "auto"):
            cursor.execute(f"SET LOCAL plan_cache_mode = {mode}")
            for days in (1, 3, 8, 1, 1, 1, 1):
                for ignore in (None, moved.pk):
                    start, _ = local_day_bounds(first_day + dt.timedelta(days=days % 3), NY)
                    _, end = local_day_bounds(first_day + dt.timedelta(days=days), NY)
                    p = load_snapshot(
                        course=course,
                        location=location,
                        start=start,
                        end=end,
                        now=now,
                        ignore_session_id=ignore,
                    )
                    expected = _snapshot_by_orm(course, location, start, end, now, ignore)
                    assert _snapshot_rows(p) == expected, (days, ignore)
                    assert p.rules.location is location
                    seen.add((len(p.busy), len(p.patient_sessions)))
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s",
            [_prepared_form(_SNAPSHOT_SQL)[0]],
        )
        generic, custom = cursor.fetchone()
    assert generic > 0 and custom > 0
    assert all(busy and mine for busy, mine in seen)
    assert len(seen) > 2, "the ranges and the moved session read different rows"

    empty = LocationFactory(time_zone=NY)
    other = course_create(
        patient=PatientFactory(),
        location=empty,
        planned_sessions=3,
        needs_clinician_review=False,
        created_by=None,
        session_type=course.session_type,
    )
    start, end = local_day_bounds(first_day, NY)
    p = load_snapshot(course=other, location=empty, start=start, end=end, now=now)
    assert _snapshot_rows(p) == _snapshot_by_orm(other, empty, start, end, now)
    assert p.rules.pk is None and p.rules.min_hours_between == CourseRules().min_hours_between
    assert p.busy == [] and p.chair_ids == [] and p.hours == {}


def test_the_snapshot_reads_a_locations_active_sessions_from_their_index_alone(clinic, make_course):
    """The busy part names the active statuses in its text, so that even the prepared
    statement's generic plan can read session_active_location_start (a partial index: a status
    given as a parameter proves nothing about it) without the table or the cancelled rows."""
    course = make_course(planned=3)
    start, end = local_day_bounds(dt.date(2026, 12, 14), NY)
    with connection.cursor() as cursor:
        # The test's tables are tiny: without these PostgreSQL would read them whole.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        with CaptureQueriesContext(connection) as queries:
            load_snapshot(
                course=course, location=clinic["location"], start=start, end=end, now=start
            )
        # The EXECUTE load_snapshot sent (after its PREPARE, the first time on a connection).
        execute = queries.captured_queries[-1]["sql"].rsplit(";\n", 1)[-1]
        assert execute.startswith("EXECUTE ")
        cursor.execute("EXPLAIN " + execute.replace("%", "%%"))
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using session_active_location_start" in plan
