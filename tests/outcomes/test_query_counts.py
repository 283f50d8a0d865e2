"""The coordinators' Diaries page costs the same with 1 and with 50 patients on each of its
lists (worsening diaries, unanswered diaries): an N+1 to fix in the selector otherwise."""

import datetime as dt

import pytest
from django.urls import reverse

from clinic.models import Role
from outcomes.services import diary_day_record, plan_start
from scheduling.services import course_book_sessions, course_create
from tests.factories.messaging import make_patient
from tests.outcomes.conftest import START, at

pytestmark = pytest.mark.django_db

# The session, its user with their TOTP device; the worsening plans' ids (one SQL query), those
# plans with their patients, their diary days; the unanswered plans; the audit INSERT for
# everyone listed.
DIARIES_PAGE = 7


def _patient_course(clinic, i):
    patient = make_patient(email=f"p{i}@example.com", phone=None, channel="email")
    course = course_create(
        patient=patient,
        location=clinic,
        planned_sessions=1,
        needs_clinician_review=False,
        created_by=None,
    )
    return course, plan_start(course=course, now=START)


def _answer(plan, day, headache):
    diary_day_record(
        plan=plan,
        day=day,
        headache=headache,
        migraine=False,
        worst_pain=5 if headache else 0,
        acute_medication=False,
        now=at(day.month, day.day, 20),
    )


@pytest.mark.parametrize("n", [1, 50])
def test_the_diaries_page_costs_the_same_with_50_patients_on_each_list(
    n, clinic, clock, client, make_user, django_assert_num_queries
):
    clock.travel(START)
    for i in range(n):
        # Worsening: no headache in the 7 days before the first infusion, then 5 of the last
        # 7 days with one.
        course, plan = _patient_course(clinic, i)
        first = at(3, 8, 9) + dt.timedelta(days=i)
        course_book_sessions(course=course, starts=[first], by=None, now=START)
        for k in range(7):
            _answer(plan, first.date() - dt.timedelta(days=7 - k), headache=False)
            _answer(plan, dt.date(2027, 4, 27) + dt.timedelta(days=k), headache=k < 5)
        _patient_course(clinic, 1000 + i)  # never answered
    clock.travel(at(5, 4, 10))
    client.force_login(make_user(role=Role.COORDINATOR))
    url = reverse("outcomes:silent")
    client.get(url)
    with django_assert_num_queries(DIARIES_PAGE):
        page = client.get(url).text
    assert page.count('class="badge warn">worsening') == n
    assert page.count("<td>never</td>") == n
