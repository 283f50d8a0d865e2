"""The measurement plan follows the course (created at intake complete, retimed by bookings,
stopped by a cancellation), prompts go through messaging once, answers are checked and stored
once."""

import datetime as dt

import pytest
from django.conf import settings

from clinic.errors import ApplicationError
from clinic.messaging.models import Message, MessageStatus
from clinic.messaging.wording import forbidden_words_in
from outcomes.models import DiaryDay, InstrumentResponse, PlanStatus, TimePoint
from outcomes.prompts import diary_prompts_send
from outcomes.services import diary_day_record, instrument_response_record, plan_start
from scheduling.services import (
    course_book_sessions,
    course_cancel,
    session_cancel,
    session_check_in,
    session_complete,
    session_reschedule,
)
from tests.outcomes.conftest import START, at

FOUR = [at(3, 15, 9), at(3, 18, 9), at(3, 22, 9), at(3, 25, 9)]


def outcome_messages(patient, kind):
    return Message.objects.filter(recipient=patient, kind=kind).order_by("send_after")


def test_intake_complete_starts_the_diary_today_and_asks_the_baseline_questions_once(started):
    plan, patient = started["plan"], started["patient"]
    assert plan.diary_starts_on == dt.date(2027, 3, 1) and plan.first_session_on is None
    assert plan_start(course=started["course"], now=START) == plan  # idempotent
    (prompt,) = outcome_messages(patient, "questionnaire_prompt")
    assert prompt.channel == "sms" and "/o/q/" in prompt.body and settings.SITE_URL in prompt.body
    assert forbidden_words_in(prompt.body) == []


def test_the_plan_follows_bookings_moves_and_cancellations(started, clinician):
    plan, course = started["plan"], started["course"]
    sessions = course_book_sessions(course=course, starts=FOUR, by=None, now=START)
    plan.refresh_from_db()
    assert (plan.first_session_on, plan.last_session_on) == (
        dt.date(2027, 3, 15),
        dt.date(2027, 3, 25),
    )
    assert plan.diary_ends_on == dt.date(2027, 3, 25) + dt.timedelta(days=90)
    session_reschedule(session=sessions[0], new_starts_at=at(3, 16, 9), by=None, now=START)
    session_cancel(session=sessions[3], by=None, now=START)
    plan.refresh_from_db()
    assert (plan.first_session_on, plan.last_session_on) == (
        dt.date(2027, 3, 16),
        dt.date(2027, 3, 22),
    )
    assert plan.diary_ends_on == dt.date(2027, 6, 20)


def complete_course(course, clinician, clock):
    for session in course.sessions.filter(status="booked").order_by("starts_at"):
        clock.travel(session.starts_at)
        session_check_in(session=session, by=clinician)
        session_complete(session=session, by=clinician)


def test_the_last_infusion_asks_the_questions_again_at_1_and_3_months(started, clinician, clock):
    course, plan = started["course"], started["plan"]
    course_book_sessions(course=course, starts=FOUR, by=None, now=START)
    complete_course(course, clinician, clock)
    plan.refresh_from_db()
    assert plan.course_completed_on == dt.date(2027, 3, 25)
    assert plan.diary_ends_on == dt.date(2027, 6, 23)
    prompts = outcome_messages(started["patient"], "questionnaire_prompt")
    assert [m.send_after for m in prompts][1:] == [at(4, 24, 10), at(6, 23, 10)]


def test_a_cancelled_course_stops_the_plan_and_its_prompts(started, clinician):
    course, plan = started["course"], started["plan"]
    course_book_sessions(course=course, starts=FOUR, by=None, now=START)
    clock_now = at(3, 2, 18, 30)
    diary_prompts_send(now=clock_now)
    course_cancel(course=course, by=clinician, reason="patient moved away")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CANCELLED
    statuses = set(
        Message.objects.filter(topic__startswith="outcomes-").values_list("status", flat=True)
    )
    assert MessageStatus.SCHEDULED not in statuses
    assert diary_prompts_send(now=at(3, 3, 18, 30)) == 0


def test_one_evening_prompt_a_day_and_none_before_the_evening(started):
    patient = started["patient"]
    assert diary_prompts_send(now=at(3, 2, 17, 59)) == 0
    assert diary_prompts_send(now=at(3, 2, 18, 0)) == 1
    assert diary_prompts_send(now=at(3, 2, 21, 0)) == 0  # a second run the same evening
    (prompt,) = outcome_messages(patient, "diary_prompt")
    assert "/o/d/" in prompt.body and forbidden_words_in(prompt.body) == []
    assert prompt.not_after == at(3, 3, 0, 0)
    assert diary_prompts_send(now=at(3, 3, 18, 0)) == 1


def test_three_missed_days_in_a_row_earn_one_nudge_only(started):
    patient, plan = started["patient"], started["plan"]
    # The diary started on 1 March: prompts on the 1st, 2nd and 3rd go unanswered.
    for day in (1, 2, 3):
        diary_prompts_send(now=at(3, day, 18, 5))
    assert not outcome_messages(patient, "diary_nudge").exists()
    assert diary_prompts_send(now=at(3, 4, 18, 5)) == 1
    assert outcome_messages(patient, "diary_nudge").count() == 1
    for day in (5, 6, 7, 8, 9):
        diary_prompts_send(now=at(3, day, 18, 5))
    assert outcome_messages(patient, "diary_nudge").count() == 1
    plan.refresh_from_db()
    assert plan.nudged_on == dt.date(2027, 3, 4)
    assert outcome_messages(patient, "diary_prompt").count() == 8


def test_an_answer_in_the_last_three_days_means_no_nudge(started, clock):
    plan = started["plan"]
    clock.travel(at(3, 3, 20))
    record(plan, dt.date(2027, 3, 3), now=at(3, 3, 20))
    diary_prompts_send(now=at(3, 5, 18, 5))
    assert not outcome_messages(started["patient"], "diary_nudge").exists()


def record(plan, day, *, now, headache=True, migraine=False, pain=5, medicine=False):
    return diary_day_record(
        plan=plan,
        day=day,
        headache=headache,
        migraine=migraine,
        worst_pain=pain,
        acute_medication=medicine,
        now=now,
    )


def test_a_diary_day_is_recorded_once_and_only_inside_its_window(started):
    plan = started["plan"]
    now = at(3, 4, 20)
    record(plan, dt.date(2027, 3, 4), now=now)
    with pytest.raises(ApplicationError) as again:
        record(plan, dt.date(2027, 3, 4), now=now, headache=False, pain=0)
    assert again.value.code == "already"
    for day, why in [
        (dt.date(2027, 3, 5), "today"),  # tomorrow
        (dt.date(2027, 2, 28), "does not cover"),  # before the diary started
        (dt.date(2027, 3, 2), "no longer"),  # two days ago
    ]:
        with pytest.raises(ApplicationError, match=why):
            record(plan, day, now=now)
    assert DiaryDay.objects.filter(plan=plan).count() == 1


@pytest.mark.parametrize(
    ("headache", "migraine", "pain"),
    [(False, True, 0), (False, False, 3), (True, False, 0), (True, True, 11), (True, True, -1)],
)
def test_answers_that_contradict_each_other_are_refused_and_nothing_is_stored(
    started, headache, migraine, pain
):
    with pytest.raises(ApplicationError):
        record(
            started["plan"],
            dt.date(2027, 3, 1),
            now=at(3, 1, 20),
            headache=headache,
            migraine=migraine,
            pain=pain,
        )
    assert not DiaryDay.objects.exists()


def test_the_baseline_questions_are_scored_on_the_server_and_answered_once(started):
    plan = started["plan"]
    raw = {
        "missed_work": "3",
        "reduced_work": "2",
        "missed_housework": "4",
        "reduced_housework": "1",
        "missed_social": "2",
    }
    response = instrument_response_record(
        plan=plan, instrument_key="midas", time_point="baseline", answers=raw, now=START
    )
    assert (response.score, response.grade) == (12, "III")
    with pytest.raises(ApplicationError) as again:
        instrument_response_record(
            plan=plan, instrument_key="midas", time_point="baseline", answers=raw, now=START
        )
    assert again.value.code == "already"
    with pytest.raises(ApplicationError, match="not open"):
        instrument_response_record(
            plan=plan, instrument_key="midas", time_point=TimePoint.MONTH_1, answers=raw, now=START
        )
    assert InstrumentResponse.objects.count() == 1
