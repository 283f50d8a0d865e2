from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from scheduling.models import Course, InfusionSession, SessionStatus

pytestmark = pytest.mark.django_db


def test_demo_gives_the_demo_patient_a_half_booked_course_and_is_idempotent():
    call_command("seed_demo")
    call_command("seed_demo")
    course = Course.objects.get(patient__email="patient@mail.example")
    assert course.planned_sessions == 4
    assert course.sessions.filter(status=SessionStatus.BOOKED).count() == 2
    # From today on: the demo patient's two and three other patients' today (the day view).
    today = timezone.localdate(timezone.now(), ZoneInfo("America/New_York"))
    assert InfusionSession.objects.filter(local_date__gte=today).count() == 5
    # Before today: 90 days of past courses for the operations dashboard.
    past = InfusionSession.objects.filter(local_date__lt=today)
    assert past.filter(status=SessionStatus.COMPLETED).count() > 50
    assert past.filter(status=SessionStatus.NO_SHOW).exists()
    assert past.filter(status=SessionStatus.CANCELLED, late_change=True).exists()
