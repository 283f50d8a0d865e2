"""scheduling.services.locks._lock_course: the course read again under its row lock, with the
location, session type and patient (and profile) the booking and its handlers read: joined
when the caller does not hold them, kept when it does (one single-table statement then), and
never kept when the course has moved on since they were read."""

import pytest
from django.db import transaction

from clinic.models import User
from scheduling.models import Course
from scheduling.services.locks import _lock_course
from tests.factories.billing import PatientProfileFactory
from tests.factories.scheduling import LocationFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course_of_patient_with_profile(make_course):
    patient = PatientFactory()
    PatientProfileFactory(user=patient)
    return make_course(patient=patient)


def _read_as_the_booking_does(course_pk):
    course = Course.objects.select_related("location", "session_type").get(pk=course_pk)
    course.patient = User.objects.select_related("patient_profile").get(pk=course.patient_id)
    return course


def _related_read(course):
    return (course.location.name, course.session_type.total, course.patient.patient_profile.pk)


def test_a_bare_course_is_locked_with_its_related_rows(
    course_of_patient_with_profile, django_assert_num_queries
):
    bare = Course.objects.get(pk=course_of_patient_with_profile.pk)
    with transaction.atomic(), django_assert_num_queries(1):
        locked = _lock_course(bare)
        related = _related_read(locked)
    assert related == _related_read(Course.objects.get(pk=bare.pk))


def test_related_rows_the_caller_holds_are_kept(
    course_of_patient_with_profile, django_assert_num_queries
):
    course = _read_as_the_booking_does(course_of_patient_with_profile.pk)
    with transaction.atomic(), django_assert_num_queries(1) as queries:
        locked = _lock_course(course)
        assert _related_read(locked) == _related_read(course)
    (statement,) = queries.captured_queries
    assert "FOR UPDATE" in statement["sql"] and "JOIN" not in statement["sql"]
    assert locked.location is course.location and locked.patient is course.patient


def test_a_course_moved_since_it_was_read_brings_its_new_location(course_of_patient_with_profile):
    course = _read_as_the_booking_does(course_of_patient_with_profile.pk)
    elsewhere = LocationFactory(time_zone=course.location.time_zone)
    Course.objects.filter(pk=course.pk).update(location=elsewhere)  # another coordinator's move
    with transaction.atomic():
        locked = _lock_course(course)
        assert locked.location == elsewhere and locked.location.name == elsewhere.name
        assert locked.patient is course.patient
