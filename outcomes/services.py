"""Outcome writes: the measurement plan (started at intake complete, retimed and stopped with
the course), the prompts it owes (through clinic.messaging, so calling hours, consent and
opt-outs apply as for reminders), and the patient's answers, scored here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from clinic.calling_hours import calling_hours
from clinic.db import one_or_none
from clinic.errors import ApplicationError
from clinic.messaging.models import Channel
from clinic.messaging.services import message_schedule, messages_cancel, recipient_zone
from clinic.models import User
from scheduling.models import ACTIVE, Course

from .instruments import instrument
from .links import questionnaire_url
from .models import (
    MIDAS_AFTER,
    QUESTIONNAIRE_OPENS_EARLY_DAYS,
    DiaryDay,
    InstrumentResponse,
    OutcomePlan,
    PlanStatus,
    TimePoint,
)

BASELINE_DAYS = 28
FOLLOW_UP_DAYS = 90  # the diary goes on 3 months after the last infusion
MISSED_DAYS_FOR_NUDGE = 3


def _within_calling_hours(hour: int) -> int:
    start, end = calling_hours()
    return min(max(hour, start), end - 1)


def diary_prompt_hour() -> int:
    """The patient's local hour the diary text goes out (OUTCOMES_DIARY_PROMPT_HOUR, evening),
    moved inside calling hours: a prompt planned outside them would be held to the next
    morning and expire unsent at midnight."""
    return _within_calling_hours(settings.OUTCOMES_DIARY_PROMPT_HOUR)


def questionnaire_hour() -> int:
    """The patient's local hour a follow-up questionnaire's text goes out, inside calling hours."""
    return _within_calling_hours(settings.OUTCOMES_QUESTIONNAIRE_HOUR)


def _local_today(user: User, now: dt.datetime) -> dt.date:
    return now.astimezone(recipient_zone(user)).date()


def _at(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)


def _prompt_channel(user: User) -> str:
    """A link cannot be spoken: a patient who prefers calls gets a text; no phone, an e-mail."""
    try:
        preferred = user.patient_profile.preferred_channel
    except User.patient_profile.RelatedObjectDoesNotExist:
        preferred = ""
    if preferred == Channel.EMAIL or not user.phone:
        return Channel.EMAIL
    return Channel.SMS


def _midas_topic(plan: OutcomePlan) -> str:
    return f"outcomes-questionnaire:{plan.pk}"


def _diary_topic(plan: OutcomePlan) -> str:
    return f"outcomes-diary:{plan.pk}"


def _questionnaire_schedule(plan: OutcomePlan, time_point: str, send_after: dt.datetime) -> None:
    message_schedule(
        recipient=plan.patient,
        kind="questionnaire_prompt",
        send_after=send_after,
        context={"link": questionnaire_url(plan=plan, time_point=time_point, sent_at=send_after)},
        topic=_midas_topic(plan),
        dedupe_key=f"outcomes:midas:{plan.pk}:{time_point}:{send_after.date().isoformat()}",
        channel=_prompt_channel(plan.patient),
    )


def plan_start(*, course: Course, now: dt.datetime) -> OutcomePlan:
    """Start the baseline at intake complete: the diary from today, and the baseline MIDAS
    asked at once. Idempotent per course (returns the existing plan)."""
    with transaction.atomic():
        plan, created = OutcomePlan.objects.get_or_create(
            course=course,
            defaults={
                "patient": course.patient,
                "diary_starts_on": _local_today(course.patient, now),
            },
        )
        if created:
            _questionnaire_schedule(plan, TimePoint.BASELINE, now)
    return plan


def plan_retime(*, course: Course, days: Sequence[dt.date] | None = None) -> OutcomePlan | None:
    """The course's bookings changed: the baseline runs to the day before the first active
    session, and the diary to 3 months after the last one. Nothing for a course without a plan
    (made before outcomes existed) or a stopped one. `days`: the active sessions' local days,
    when the caller has them (a booking's event carries them)."""
    # No savepoint of its own: it runs inside the booking's transaction (a handler), where two
    # more statements on every booking would buy nothing.
    with transaction.atomic(savepoint=False):
        # FOR UPDATE: a booking and the nightly prompt run must not write the plan at once.
        plan = one_or_none(OutcomePlan.objects.select_for_update().filter(course=course))
        if plan is None or plan.status != PlanStatus.ACTIVE:
            return plan
        if days is None:
            bounds = course.sessions.filter(ACTIVE).aggregate(
                first=Min("local_date"), last=Max("local_date")
            )
        else:
            bounds = {"first": min(days, default=None), "last": max(days, default=None)}
        plan.first_session_on = bounds["first"]
        if plan.course_completed_on is None:
            plan.last_session_on = bounds["last"]
        ends = plan.last_session_on
        plan.diary_ends_on = (
            max(ends + dt.timedelta(days=FOLLOW_UP_DAYS), plan.diary_starts_on) if ends else None
        )
        plan.save(
            update_fields=["first_session_on", "last_session_on", "diary_ends_on", "updated_at"]
        )
    return plan


def plan_complete(*, course: Course, now: dt.datetime) -> OutcomePlan | None:
    """The last infusion is done: the diary runs 3 more months and MIDAS is asked at 1 and 3
    months (mid-morning, the patient's time)."""
    with transaction.atomic(savepoint=False):
        plan = OutcomePlan.objects.select_for_update().filter(course=course).first()
        if plan is None or plan.status != PlanStatus.ACTIVE:
            return plan
        zone = recipient_zone(plan.patient)
        today = now.astimezone(zone).date()
        plan.course_completed_on = today
        plan.last_session_on = today
        plan.diary_ends_on = today + dt.timedelta(days=FOLLOW_UP_DAYS)
        plan.save(
            update_fields=["course_completed_on", "last_session_on", "diary_ends_on", "updated_at"]
        )
        for time_point, days in MIDAS_AFTER.items():
            send = _at(today + dt.timedelta(days=days), questionnaire_hour(), zone)
            _questionnaire_schedule(plan, time_point, send)
    return plan


def plan_cancel(*, course: Course) -> OutcomePlan | None:
    """The course was cancelled: no more prompts; what was answered stays."""
    with transaction.atomic(savepoint=False):
        plan = OutcomePlan.objects.select_for_update().filter(course=course).first()
        if plan is None or plan.status != PlanStatus.ACTIVE:
            return plan
        plan.status = PlanStatus.CANCELLED
        plan.save(update_fields=["status", "updated_at"])
        messages_cancel(topic=_midas_topic(plan), reason="course cancelled")
        messages_cancel(topic=_diary_topic(plan), reason="course cancelled")
    return plan


def _check_day(plan: OutcomePlan, day: dt.date, now: dt.datetime) -> None:
    today = _local_today(plan.patient, now)
    if day > today:
        raise ApplicationError(_("You can only answer for today or a day that has passed."))
    if day < plan.diary_starts_on or (plan.diary_ends_on and day > plan.diary_ends_on):
        raise ApplicationError(_("Your diary does not cover this day."))
    if day < today - dt.timedelta(days=1):
        raise ApplicationError(_("This day can no longer be answered."))


def diary_day_record(
    *,
    plan: OutcomePlan,
    day: dt.date,
    headache: bool,
    migraine: bool,
    worst_pain: int,
    acute_medication: bool,
    now: dt.datetime,
) -> DiaryDay:
    """Record one diary day (today or yesterday, inside the plan's window), once. A day
    without headache has no migraine and no pain. Raises ApplicationError (field named) when the
    answers do not fit or the day is already recorded."""
    if plan.status != PlanStatus.ACTIVE:
        raise ApplicationError(_("Your diary has ended. Thank you."))
    _check_day(plan, day, now)
    if not headache and (migraine or worst_pain):
        raise ApplicationError(_("Without a headache there is no migraine or pain to record."))
    if not 0 <= worst_pain <= 10:
        raise ApplicationError(_("Choose a number from 0 to 10."), field="worst_pain")
    if headache and worst_pain == 0:
        raise ApplicationError(
            _("Rate the worst pain of your headache from 1 to 10."), field="worst_pain"
        )
    try:
        with transaction.atomic():
            return DiaryDay.objects.create(
                plan=plan,
                day=day,
                headache=headache,
                migraine=migraine,
                worst_pain=worst_pain,
                acute_medication=acute_medication,
                recorded_at=now,
            )
    except IntegrityError as exc:
        # The unique (plan, day) decided: a second tap or a second tab.
        raise ApplicationError(
            _("This day is already recorded. Thank you."), code="already"
        ) from exc


def questionnaire_refusal(*, plan: OutcomePlan, time_point: str, now: dt.datetime) -> str:
    """Why the questionnaire of `time_point` cannot be answered now, or "" when it can. The
    baseline describes the months before the course: from the day of the first infusion it is
    closed (an answer then would count days already under treatment as the "before"), so the
    report shows no baseline score rather than a wrong one. A follow-up opens a week before it
    is due."""
    if plan.status != PlanStatus.ACTIVE:
        return _("These questions are closed. Thank you.")
    if time_point not in TimePoint.values:
        return _("There is no such questionnaire.")
    today = _local_today(plan.patient, now)
    if time_point == TimePoint.BASELINE:
        if plan.first_session_on and today >= plan.first_session_on:
            return _(
                "These questions were about the time before your first appointment, so they "
                "are closed now. You do not need to answer them. Thank you."
            )
        return ""
    due_after = MIDAS_AFTER[time_point] - QUESTIONNAIRE_OPENS_EARLY_DAYS
    done = plan.course_completed_on
    if done is None or today < done + dt.timedelta(days=due_after):
        return _("These questions are not open yet.")
    return ""


def instrument_response_record(
    *, plan: OutcomePlan, instrument_key: str, time_point: str, answers: object, now: dt.datetime
) -> InstrumentResponse:
    """Score and store a questionnaire answered at `time_point`, once. Raises ApplicationError
    naming the bad answer (field), code "already" when this time point is answered, code
    "closed" when it is not open (questionnaire_refusal): nothing is stored then."""
    refusal = questionnaire_refusal(plan=plan, time_point=time_point, now=now)
    if refusal:
        raise ApplicationError(refusal, code="closed")
    chosen = instrument(instrument_key)
    clean = chosen.clean(answers)
    score = chosen.score(clean)
    try:
        with transaction.atomic():
            return InstrumentResponse.objects.create(
                plan=plan,
                instrument=chosen.key,
                time_point=time_point,
                answers=clean,
                score=score.total,
                grade=score.grade,
                answered_at=now,
            )
    except IntegrityError as exc:
        raise ApplicationError(
            _("You have already answered these questions. Thank you."), code="already"
        ) from exc
