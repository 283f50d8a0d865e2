"""The rules the database itself keeps, tried with direct writes that go around the services."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from scheduling.models import (
    Course,
    InfusionSession,
    SessionStatus,
    SessionType,
    SlotHold,
    StaffShift,
)
from scheduling.services import session_book
from tests.factories.scheduling import ChairFactory, PatientFactory, StaffShiftFactory

from .conftest import NOW, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def _raw_session(course, chair, start, slot=1, patient=None, **extra):
    return InfusionSession.objects.create(
        course=course,
        patient=patient or course.patient,
        location=chair.location,
        course_planned_sessions=course.planned_sessions,
        slot=slot,
        chair=chair,
        starts_at=start,
        infusion_ends_at=start + dt.timedelta(minutes=60),
        ends_at=start + dt.timedelta(minutes=90),
        local_date=start.date(),
        **extra,
    )


def test_the_exclusion_constraint_alone_rejects_a_direct_overlapping_insert(clinic, make_course):
    chair = clinic["chairs"][0]
    booked = session_book(course=make_course(), starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    assert booked.chair == chair
    with pytest.raises(IntegrityError, match="session_no_chair_overlap"), transaction.atomic():
        _raw_session(make_course(), chair, at(2027, 3, 10, 10))  # 10:00 < 10:30, same chair


def test_back_to_back_sessions_share_a_chair_because_ranges_are_half_open(clinic, make_course):
    chair = clinic["chairs"][0]
    _raw_session(make_course(), chair, at(2027, 3, 10, 9))
    _raw_session(make_course(), chair, at(2027, 3, 10, 10, 30))
    assert InfusionSession.objects.count() == 2


def test_a_cancelled_session_no_longer_holds_its_chair(clinic, make_course):
    chair = clinic["chairs"][0]
    _raw_session(make_course(), chair, at(2027, 3, 10, 9), status=SessionStatus.CANCELLED)
    _raw_session(make_course(), chair, at(2027, 3, 10, 9))


def test_a_patient_cannot_hold_two_overlapping_sessions_in_different_chairs(clinic, make_course):
    course = make_course()
    _raw_session(course, clinic["chairs"][0], at(2027, 3, 10, 9))
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_session(course, clinic["chairs"][1], at(2027, 3, 10, 9, 30), slot=2)


def test_a_patient_gets_at_most_one_infusion_per_local_day(clinic, make_course):
    course = make_course()
    _raw_session(course, clinic["chairs"][0], at(2027, 3, 10, 9))
    with pytest.raises(IntegrityError, match="one_infusion_per_patient_day"), transaction.atomic():
        _raw_session(course, clinic["chairs"][0], at(2027, 3, 10, 15), slot=2)


def test_a_course_never_has_more_active_sessions_than_planned(clinic, make_course):
    course = make_course(planned=2)
    chair = clinic["chairs"][0]
    _raw_session(course, chair, at(2027, 3, 10, 9), slot=1)
    _raw_session(course, chair, at(2027, 3, 12, 9), slot=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_session(course, chair, at(2027, 3, 14, 9), slot=3)  # beyond the plan
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_session(course, chair, at(2027, 3, 14, 9), slot=2)  # slot already active
    first = InfusionSession.objects.get(course=course, slot=1)
    # Lying about the plan is caught by the composite foreign key to the course.
    with pytest.raises(IntegrityError, match="planned_follows_course"), transaction.atomic():
        InfusionSession.objects.filter(pk=first.pk).update(course_planned_sessions=6)


def test_the_plan_cannot_shrink_below_the_sessions_already_booked(clinic, make_course):
    course = make_course(planned=3)
    _raw_session(course, clinic["chairs"][0], at(2027, 3, 12, 9), slot=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.filter(pk=course.pk).update(planned_sessions=2)


def test_a_course_plans_one_to_six_sessions(clinic):
    patient = PatientFactory()
    for bad in (0, 7):
        with pytest.raises(IntegrityError), transaction.atomic():
            Course.objects.create(
                patient=patient,
                location=clinic["location"],
                session_type=SessionType.objects.get(),
                planned_sessions=bad,
            )


def test_a_chair_of_another_location_does_not_clash(clinic, make_course):
    other = ChairFactory()
    _raw_session(make_course(), clinic["chairs"][0], at(2027, 3, 10, 9))
    _raw_session(make_course(), other, at(2027, 3, 10, 9))


def test_a_session_type_must_fit_in_a_day_and_so_must_a_session(clinic, make_course):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="under 24 hours"):
        SessionType(name="Too long", infusion_minutes=23 * 60, recovery_minutes=60).full_clean()
    session = _raw_session(make_course(), clinic["chairs"][0], at(2027, 3, 10, 9))
    with pytest.raises(IntegrityError, match="session_shorter_than_a_day"), transaction.atomic():
        InfusionSession.objects.filter(pk=session.pk).update(ends_at=at(2027, 3, 11, 9))


def test_a_hold_must_be_ordered_and_shorter_than_a_day(clinic, make_course):
    start = at(2027, 3, 10, 9)
    hold = SlotHold.objects.create(
        course=make_course(),
        location=clinic["location"],
        chair=clinic["chairs"][0],
        starts_at=start,
        infusion_ends_at=start + dt.timedelta(hours=1),
        ends_at=start + dt.timedelta(hours=1, minutes=30),
        expires_at=start,
    )
    for ends_at in (start - dt.timedelta(minutes=1), start + dt.timedelta(days=1)):
        with (
            pytest.raises(IntegrityError, match="hold_times_ordered_within_a_day"),
            transaction.atomic(),
        ):
            SlotHold.objects.filter(pk=hold.pk).update(ends_at=ends_at)


def test_shifts_around_a_time_include_one_that_began_the_evening_before(clinic):
    location = clinic["location"]
    night = StaffShiftFactory(
        location=location, starts_at=at(2027, 3, 9, 20), ends_at=at(2027, 3, 10, 7)
    )
    early = StaffShiftFactory(
        location=location, starts_at=at(2027, 3, 9, 8), ends_at=at(2027, 3, 9, 20)
    )
    found = set(StaffShift.objects.overlapping(at(2027, 3, 10, 6), at(2027, 3, 10, 9)))
    assert night in found and clinic["shift"] in found
    assert early not in found  # ended the evening before
    assert night not in set(StaffShift.objects.overlapping(at(2027, 3, 10, 7), at(2027, 3, 10, 9)))
