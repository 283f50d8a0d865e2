"""scheduling.selectors.hold_for_patient: the confirm page's hold, read in one statement, is
found exactly when it is on the course course_for_patient calls the patient's current one."""

import datetime as dt

import pytest

from scheduling.availability import free_start_times
from scheduling.models import Course, CourseStatus, SlotHold
from scheduling.selectors import course_for_patient, hold_for_patient
from scheduling.services import session_book
from tests.factories.scheduling import LocationFactory, PatientFactory

from .conftest import NOW, NY


def _hold(course, clinic):
    starts = NOW + dt.timedelta(days=3)
    return SlotHold.objects.create(
        course=course,
        location=clinic["location"],
        chair=clinic["chairs"][0],
        starts_at=starts,
        infusion_ends_at=starts + dt.timedelta(hours=1),
        ends_at=starts + dt.timedelta(hours=2),
        expires_at=NOW + dt.timedelta(minutes=5),
    )


def _set_status(course, status, created_at):
    # Test set-up only: the states a course reaches through its services, at chosen times.
    Course.objects.filter(pk=course.pk).update(status=status, created_at=created_at)


def _agrees(patient, hold, django_assert_num_queries):
    """hold_for_patient finds the hold (one statement) exactly when it is on the current
    course; and then brings that course, its location and session type with it."""
    with django_assert_num_queries(1):
        found = hold_for_patient(patient=patient, pk=hold.pk)
    current = course_for_patient(patient=patient)
    if current is None or current.pk != hold.course_id:
        assert found is None
        return None
    assert found.pk == hold.pk and found.course == current
    with django_assert_num_queries(0):
        assert found.course.location.name and found.course.session_type.total
        assert found.location.pk == hold.location_id and found.replaces is None
    return found


@pytest.mark.django_db
def test_the_hold_on_the_open_course_is_found_and_one_on_an_older_closed_course_is_not(
    clinic, make_course, django_assert_num_queries
):
    patient = PatientFactory()
    old = make_course(patient=patient)
    _set_status(old, CourseStatus.CANCELLED, NOW - dt.timedelta(days=30))
    open_course = make_course(patient=patient)
    _set_status(open_course, CourseStatus.ACTIVE, NOW - dt.timedelta(days=40))  # older, yet open
    assert _agrees(patient, _hold(open_course, clinic), django_assert_num_queries)
    assert _agrees(patient, _hold(old, clinic), django_assert_num_queries) is None


@pytest.mark.django_db
def test_without_an_open_course_the_latest_courses_hold_is_found(
    clinic, make_course, django_assert_num_queries
):
    patient = PatientFactory()
    earlier = make_course(patient=patient)
    _set_status(earlier, CourseStatus.COMPLETED, NOW - dt.timedelta(days=60))
    latest = make_course(patient=patient, planned=2)
    _set_status(latest, CourseStatus.CANCELLED, NOW - dt.timedelta(days=10))
    assert _agrees(patient, _hold(latest, clinic), django_assert_num_queries)
    assert _agrees(patient, _hold(earlier, clinic), django_assert_num_queries) is None


@pytest.mark.django_db
def test_another_patients_hold_is_not_found(clinic, make_course, django_assert_num_queries):
    mine, theirs = PatientFactory(), PatientFactory()
    make_course(patient=mine)
    hold = _hold(make_course(patient=theirs), clinic)
    assert _agrees(mine, hold, django_assert_num_queries) is None
    assert hold_for_patient(patient=theirs, pk=hold.pk) is not None


@pytest.mark.django_db
def test_a_hold_elsewhere_or_replacing_a_session_reads_them_when_asked(
    clinic, make_course, django_assert_num_queries
):
    """The hold's own location is the course's when they are the same (no second join); a hold
    at another location, or one that moves a booked session, reads that row when it is used."""
    patient = PatientFactory()
    course = make_course(patient=patient)
    day = (NOW + dt.timedelta(days=6)).astimezone(NY).date()
    free = free_start_times(
        course=course, location=clinic["location"], first_day=day, last_day=day, now=NOW
    )
    session = session_book(course=course, starts_at=free[day][0], by=None, now=NOW)
    hold = _hold(course, clinic)
    elsewhere = LocationFactory(time_zone=NY)
    SlotHold.objects.filter(pk=hold.pk).update(location=elsewhere, replaces=session)
    with django_assert_num_queries(1):
        found = hold_for_patient(patient=patient, pk=hold.pk)
    assert found.course.patient is patient
    with django_assert_num_queries(2):
        assert found.location == elsewhere and found.location.name == elsewhere.name
        assert found.replaces == session
