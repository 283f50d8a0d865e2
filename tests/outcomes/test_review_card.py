"""Clinicians and coordinators see baseline against now where they decide: on the clinician's
review card (the course waiting for sign-off, and the course before it for a patient coming
back) and, for a diary that shows worsening, flagged on the Diaries page."""

import datetime as dt

import pytest
from django.urls import reverse

from clinic.audit.models import AuditEvent
from clinic.models import Role
from outcomes.services import diary_day_record, instrument_response_record, plan_start
from scheduling.services import course_book_sessions, course_create
from tests.factories.scheduling import ClinicianFactory
from tests.outcomes.conftest import START, at
from tests.outcomes.test_services import FOUR, RAW, complete_course

pytestmark = pytest.mark.django_db


def keep_diary(plan, first: dt.date, last: dt.date, headache_days: set[dt.date]) -> None:
    """Answer every day from `first` to `last`, each on its own evening; a headache day is a
    migraine with medicine taken."""
    day = first
    while day <= last:
        ache = day in headache_days
        diary_day_record(
            plan=plan,
            day=day,
            headache=ache,
            migraine=ache,
            worst_pain=6 if ache else 0,
            acute_medication=ache,
            now=at(day.month, day.day, 20),
        )
        day += dt.timedelta(days=1)


def d(month, day):
    return dt.date(2027, month, day)


@pytest.fixture
def returning_patient(started, clinician, clock):
    """A patient whose first course halved her headache days (baseline 14.0 a month, MIDAS 12
    grade III; after it 4.0 a month, MIDAS 6 grade II), now referred again: a second course
    waits for a clinician's sign-off on 25 April, its baseline diary just started."""
    plan, course = started["plan"], started["course"]
    instrument_response_record(
        plan=plan, instrument_key="midas", time_point="baseline", answers=RAW, now=START
    )
    # Baseline 1-14 March: a headache every other day, 7 of 14 -> 14.0 a month.
    keep_diary(plan, d(3, 1), d(3, 14), {d(3, n) for n in range(1, 15, 2)})
    course_book_sessions(course=course, starts=FOUR, by=None, now=START)
    complete_course(course, clinician, clock)
    # After: one headache a week in the last 28 days (29 March to 25 April) -> 4.0 a month.
    keep_diary(plan, d(3, 15), d(4, 25), {d(3, 20), d(3, 31), d(4, 7), d(4, 14), d(4, 21)})
    plan.refresh_from_db()
    instrument_response_record(
        plan=plan,
        instrument_key="midas",
        time_point="month_1",
        answers={**RAW, "missed_housework": "0", "missed_social": "0"},
        now=at(4, 24, 12),
    )
    clock.travel(at(4, 25, 21))
    again = course_create(
        patient=started["patient"],
        location=course.location,
        planned_sessions=6,
        needs_clinician_review=True,
        created_by=None,
    )
    plan_start(course=again, now=at(4, 25, 21))
    return started["patient"], again


def test_the_review_card_shows_baseline_against_now_for_a_returning_patient(
    client, returning_patient, make_user
):
    patient, course = returning_patient
    doctor = ClinicianFactory(prescriber="physician")
    client.force_login(doctor)
    page = client.get(reverse("scheduling:clinician_home")).content.decode()
    card = page[page.index(f'id="review-{course.pk}"') : page.index("</article>")]
    assert "Migraine outcomes" in card and "This course" in card
    earlier = card[card.index("Earlier course at") :]
    for figure in (
        "<td>14.0</td>",  # headache days a month before, and medicine days
        "<td>4.0</td>",  # after, in the last 28 days
        "Change in headache days a month: -71.4%",
        "Responder: headache days at least halved",
        "12 (grade III)",  # MIDAS before
        "6 (grade II)",  # MIDAS at 1 month
        "28 days",  # days answered in the window after
    ):
        assert figure in earlier, figure
    assert "Days with headache medicine a month" in earlier
    assert "worsening" not in card
    assert AuditEvent.objects.filter(actor=doctor, patient=patient, action="view").exists()
    # Her diary improved: the coordinators' Diaries page does not flag her.
    client.force_login(make_user(role=Role.COORDINATOR))
    assert "No diary shows worsening" in client.get(reverse("outcomes:silent")).text


def test_a_worsening_diary_is_flagged_on_the_diaries_page_and_the_chart(
    client, started, clock, make_user
):
    plan, course = started["plan"], started["course"]
    # Baseline 1-14 March: 2 headache days -> 4.0 a month.
    keep_diary(plan, d(3, 1), d(3, 14), {d(3, 3), d(3, 10)})
    course_book_sessions(course=course, starts=FOUR, by=None, now=START)
    # Since the first infusion on 15 March: 10 of 14 days -> 20.0 a month.
    keep_diary(plan, d(3, 15), d(3, 28), {d(3, n) for n in range(15, 25)})
    clock.travel(at(3, 29, 10))
    coordinator = make_user(role=Role.COORDINATOR)
    client.force_login(coordinator)
    page = client.get(reverse("outcomes:silent")).content.decode()
    worse = page[page.index('id="worse-h"') : page.index('id="silent-h"')]
    assert started["patient"].get_full_name() in worse
    assert "<td>4.0</td>" in worse and "<td>20.0</td>" in worse and "+400.0%" in worse
    chart = client.get(reverse("intake:patient_chart", args=[started["patient"].pk])).text
    assert "More headache days than before the course" in chart
    assert AuditEvent.objects.filter(actor=coordinator, patient=started["patient"]).exists()
    client.force_login(started["patient"])
    assert client.get(reverse("outcomes:silent")).status_code == 403


def test_a_diary_that_ended_over_a_month_ago_leaves_the_diaries_page_but_keeps_its_flag(
    client, started, clock, make_user
):
    plan, course = started["plan"], started["course"]
    keep_diary(plan, d(3, 1), d(3, 14), {d(3, 3), d(3, 10)})
    course_book_sessions(course=course, starts=FOUR, by=None, now=START)
    keep_diary(plan, d(3, 15), d(3, 28), {d(3, n) for n in range(15, 25)})
    # Its last day: 3 months after a last infusion, as a completed course sets it.
    type(plan).objects.filter(pk=plan.pk).update(diary_ends_on=d(3, 28))
    coordinator = make_user(role=Role.COORDINATOR)
    name = started["patient"].get_full_name()

    clock.travel(at(4, 25, 10))  # 28 days after the diary's last day: still listed
    client.force_login(coordinator)  # a staff sign-in lasts a working day, not a month
    page = client.get(reverse("outcomes:silent")).text
    assert name in page[page.index('id="worse-h"') : page.index('id="silent-h"')]

    clock.travel(at(4, 26, 10))  # 29 days after: history
    client.logout()  # the day before's sign-in has idled out
    client.force_login(coordinator)
    page = client.get(reverse("outcomes:silent")).text
    assert name not in page[page.index('id="worse-h"') : page.index('id="silent-h"')]
    chart = client.get(reverse("intake:patient_chart", args=[started["patient"].pk])).text
    assert "More headache days than before the course" in chart
