"""Demo outcomes: every page with figures has some. Past courses (scheduling's history) get a
plan and a diary that show a range of answers (responders and not, some days unanswered) and
MIDAS answers; patient@mail.example is keeping her baseline diary before her first infusion;
Jordan stopped answering (the coordinators' Diaries list). Deterministic for a given day."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from clinic.models import User
from scheduling.models import Course, CourseStatus, SessionStatus

from .instruments import MIDAS
from .models import DiaryDay, InstrumentResponse, OutcomePlan, PlanStatus, TimePoint
from .services import plan_retime, plan_start

# How much each past patient's headache days fall after the course (by their place in the
# history list): under 0.5 is a responder.
AFTER_FACTORS = [0.3, 0.45, 0.8, 0.35, 0.6, 0.25, 0.5, 1.1, 0.4, 0.7, 0.3]


def _midas_answers(total: int, rng: random.Random) -> dict[str, int]:
    parts = [0] * len(MIDAS.questions)
    for _ in range(total):
        parts[rng.randrange(len(parts))] += 1
    return {q.key: min(v, q.maximum) for q, v in zip(MIDAS.questions, parts, strict=True)}


def _respond(plan: OutcomePlan, time_point: str, total: int, at: dt.datetime, rng) -> None:
    answers = _midas_answers(total, rng)
    score = MIDAS.score(answers)
    InstrumentResponse.objects.update_or_create(
        plan=plan,
        instrument=MIDAS.key,
        time_point=time_point,
        defaults={
            "answers": answers,
            "score": score.total,
            "grade": score.grade,
            "answered_at": at,
        },
    )


def _diary(plan: OutcomePlan, days: list[tuple[dt.date, bool]], rng: random.Random) -> None:
    """Rewrite the plan's diary only when it differs from what today's run would write."""
    have = set(DiaryDay.objects.filter(plan=plan).values_list("day", "headache"))
    if have == set(days):
        return
    DiaryDay.objects.filter(plan=plan).delete()
    now = timezone.now()
    rows = []
    for day, headache in days:
        migraine = headache and rng.random() < 0.6
        rows.append(
            DiaryDay(
                plan=plan,
                day=day,
                headache=headache,
                migraine=migraine,
                worst_pain=rng.randint(6, 9)
                if migraine
                else (rng.randint(3, 6) if headache else 0),
                acute_medication=headache and rng.random() < 0.7,
                recorded_at=min(now, dt.datetime.combine(day, dt.time(23), tzinfo=dt.UTC)),
            )
        )
    DiaryDay.objects.bulk_create(rows)


def _history(index: int, course: Course) -> None:
    dates = sorted(
        course.sessions.filter(status=SessionStatus.COMPLETED).values_list("local_date", flat=True)
    )
    if not dates:
        return
    zone = course.location.time_zone
    today = timezone.localdate(timezone.now(), zone)
    first, last = dates[0], dates[-1]
    plan, _ = OutcomePlan.objects.update_or_create(
        course=course,
        defaults={
            "patient": course.patient,
            "status": PlanStatus.ACTIVE,
            "diary_starts_on": first - dt.timedelta(days=28),
            "first_session_on": first,
            "last_session_on": last,
            "course_completed_on": last,
            "diary_ends_on": last + dt.timedelta(days=90),
        },
    )
    rng = random.Random(course.patient.email)  # noqa: S311 (demo figures, not secrets)
    before = 0.35 + 0.2 * rng.random()
    after = before * AFTER_FACTORS[index % len(AFTER_FACTORS)]
    days, day = [], plan.diary_starts_on
    while day < min(today, plan.diary_ends_on + dt.timedelta(days=1)):
        if rng.random() > 0.1:  # about one day in ten unanswered
            days.append((day, rng.random() < (before if day < first else after)))
        day += dt.timedelta(days=1)
    _diary(plan, days, rng)
    start = dt.datetime.combine(plan.diary_starts_on, dt.time(19), tzinfo=zone)
    _respond(plan, TimePoint.BASELINE, rng.randint(14, 40), start, rng)
    month_1 = last + dt.timedelta(days=30)
    if today >= month_1:
        total = round(rng.randint(14, 40) * AFTER_FACTORS[index % len(AFTER_FACTORS)])
        at = dt.datetime.combine(month_1, dt.time(11), tzinfo=zone)
        _respond(plan, TimePoint.MONTH_1, total, at, rng)


def _keeping_baseline(email: str, started_days_ago: int, answered: int) -> None:
    """A patient whose intake was completed `started_days_ago` (the plan made by the real
    service then), who answered the first `answered` days."""
    course = (
        Course.objects.filter(patient__email=email, status=CourseStatus.ACTIVE)
        .select_related("location", "patient__patient_profile")
        .first()
    )
    if course is None:
        return
    zone = course.location.time_zone
    today = timezone.localdate(timezone.now(), zone)
    began = today - dt.timedelta(days=started_days_ago)
    if not OutcomePlan.objects.filter(course=course).exists():
        plan_start(course=course, now=dt.datetime.combine(began, dt.time(11), tzinfo=zone))
    plan = plan_retime(course=course)
    rng = random.Random(email)  # noqa: S311 (demo figures, not secrets)
    days = [(began + dt.timedelta(days=n), rng.random() < 0.5) for n in range(answered)]
    _diary(plan, days, rng)
    at = dt.datetime.combine(began, dt.time(19), tzinfo=zone)
    _respond(plan, TimePoint.BASELINE, 24, at, rng)


def seed(stdout) -> None:
    history = (
        Course.objects.filter(patient__email__startswith="history.", status=CourseStatus.COMPLETED)
        .select_related("location", "patient")
        .order_by("patient__email")
    )
    for index, course in enumerate(history):
        _history(index, course)
    _keeping_baseline("patient@mail.example", started_days_ago=18, answered=18)
    _keeping_baseline("jordan.demo@mail.example", started_days_ago=10, answered=5)
    plans = OutcomePlan.objects.count()
    days = DiaryDay.objects.count()
    patients = User.objects.filter(outcome_plans__isnull=False).distinct().count()
    stdout.write(f"  outcomes: {plans} plans for {patients} patients, {days} diary days")
