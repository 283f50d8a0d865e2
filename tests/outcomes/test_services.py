"""The measurement plan follows the course (created at intake complete, retimed by bookings,
stopped by a cancellation), prompts go through messaging once, answers are checked and stored
once."""

import datetime as dt
from zoneinfo import ZoneInfo

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
    course_create,
    session_cancel,
    session_check_in,
    session_complete,
    session_reschedule,
)
from tests.factories.messaging import make_patient
from tests.outcomes.conftest import NY, START, at

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


def test_each_run_of_three_missed_days_earns_one_nudge_and_no_more(started):
    patient, plan = started["patient"], started["plan"]
    # The diary started on 1 March: prompts on the 1st, 2nd and 3rd go unanswered.
    for day in (1, 2, 3):
        diary_prompts_send(now=at(3, day, 18, 5))
    assert not outcome_messages(patient, "diary_nudge").exists()
    assert diary_prompts_send(now=at(3, 4, 18, 5)) == 1
    assert outcome_messages(patient, "diary_nudge").count() == 1
    # Still silent: the evening prompt goes on, never a second nudge for the same silence.
    for day in (5, 6, 7, 8):
        diary_prompts_send(now=at(3, day, 18, 5))
    assert outcome_messages(patient, "diary_nudge").count() == 1
    plan.refresh_from_db()
    assert plan.nudged_on == dt.date(2027, 3, 4)
    # She answers on the 8th, then falls silent again: one nudge on the 4th evening, only.
    record(plan, dt.date(2027, 3, 8), now=at(3, 8, 20))
    for day in (9, 10, 11):
        diary_prompts_send(now=at(3, day, 18, 5))
    assert outcome_messages(patient, "diary_nudge").count() == 1
    for day in (12, 13, 14):
        diary_prompts_send(now=at(3, day, 18, 5))
    nudges = outcome_messages(patient, "diary_nudge")
    assert [m.send_after.astimezone(NY).date().day for m in nudges] == [4, 12]
    assert all(forbidden_words_in(m.body) == [] and "/o/d/" in m.body for m in nudges)
    assert outcome_messages(patient, "diary_prompt").count() == 12  # one text every evening


def test_the_diary_text_goes_at_the_set_hour_of_the_patients_zone_inside_calling_hours(
    clinic, clock, settings
):
    clock.travel(START)
    patient = make_patient(email="la@example.com", zone="America/Los_Angeles")
    course = course_create(
        patient=patient,
        location=clinic,
        planned_sessions=4,
        needs_clinician_review=False,
        created_by=None,
    )
    plan_start(course=course, now=START)
    la = ZoneInfo("America/Los_Angeles")
    settings.OUTCOMES_DIARY_PROMPT_HOUR = 18
    # 8:59 PM in Boston is 5:59 PM in Los Angeles: her evening has not come.
    assert diary_prompts_send(now=dt.datetime(2027, 3, 2, 17, 59, tzinfo=la)) == 0
    assert diary_prompts_send(now=dt.datetime(2027, 3, 2, 18, 0, tzinfo=la)) == 1
    # A clinic that sets 11 PM still texts inside calling hours (8 AM to 9 PM): at 8 PM.
    settings.OUTCOMES_DIARY_PROMPT_HOUR = 23
    assert diary_prompts_send(now=dt.datetime(2027, 3, 3, 19, 59, tzinfo=la)) == 0
    assert diary_prompts_send(now=dt.datetime(2027, 3, 3, 20, 0, tzinfo=la)) == 1
    # Calling hours that end at 6 PM bring the 6 PM text forward to 5 PM.
    settings.OUTCOMES_DIARY_PROMPT_HOUR, settings.CALLING_HOURS_END = 18, 18
    assert diary_prompts_send(now=dt.datetime(2027, 3, 4, 17, 0, tzinfo=la)) == 1
    # (The third is her nudge: the 1st to the 3rd went unanswered.)
    texts = Message.objects.filter(recipient=patient, topic__startswith="outcomes-diary")
    assert [m.send_after.astimezone(la).hour for m in texts.order_by("send_after")] == [18, 20, 17]
    assert {m.status for m in texts} == {MessageStatus.SCHEDULED}  # none held past midnight


def test_the_baseline_questions_close_on_the_day_of_the_first_infusion(started):
    """The baseline MIDAS is about the 3 months before the course. Answered on the day of the
    first infusion or later it would mix treated days into the "before": it is refused with
    a kind word and nothing is stored, so the report shows no baseline score rather than a
    wrong one. Moving the first infusion later reopens it."""
    plan = started["plan"]
    sessions = course_book_sessions(course=started["course"], starts=FOUR, by=None, now=START)
    plan.refresh_from_db()
    with pytest.raises(ApplicationError, match="before your first appointment") as closed:
        instrument_response_record(
            plan=plan, instrument_key="midas", time_point="baseline", answers=RAW, now=at(3, 15, 7)
        )
    assert closed.value.code == "closed" and not InstrumentResponse.objects.exists()
    session_reschedule(session=sessions[0], new_starts_at=at(3, 16, 9), by=None, now=START)
    plan.refresh_from_db()
    response = instrument_response_record(
        plan=plan, instrument_key="midas", time_point="baseline", answers=RAW, now=at(3, 15, 7)
    )
    assert (response.time_point, response.score) == (TimePoint.BASELINE, 12)


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


RAW = {
    "missed_work": "3",
    "reduced_work": "2",
    "missed_housework": "4",
    "reduced_housework": "1",
    "missed_social": "2",
}


def test_the_baseline_questions_are_scored_on_the_server_and_answered_once(started):
    plan = started["plan"]
    raw = RAW
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
