import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.availability import free_start_times, propose_series
from scheduling.models import Closure, CourseRules, OpeningHours, SlotHold, StaffShift
from scheduling.services import session_book, slot_hold
from tests.factories.scheduling import ChairFactory, LocationFactory, StaffShiftFactory

from .conftest import NOW, NY, at

pytestmark = pytest.mark.django_db


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
