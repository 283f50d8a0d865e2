import pytest
from django.core.management import call_command

from scheduling.models import Course, InfusionSession, SessionStatus

pytestmark = pytest.mark.django_db


def test_demo_gives_the_demo_patient_a_half_booked_course_and_is_idempotent():
    call_command("seed_demo")
    call_command("seed_demo")
    course = Course.objects.get(patient__email="patient@mail.example")
    assert course.planned_sessions == 4
    assert course.sessions.filter(status=SessionStatus.BOOKED).count() == 2
    assert InfusionSession.objects.count() == 5
