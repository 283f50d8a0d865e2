"""Outcome reads: a patient's plan, and the figures every page shows (baseline against now,
MIDAS grades, the weekly chart), computed from the recorded answers only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db import connection
from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.http import Http404

from clinic.messaging.services import recipient_zone
from clinic.models import User

from .diary_sql import WINDOW_COUNTS
from .models import (
    MIDAS_AFTER,
    QUESTIONNAIRE_OPENS_EARLY_DAYS,
    DiaryDay,
    InstrumentResponse,
    OutcomePlan,
    PlanStatus,
    TimePoint,
)
from .scoring import (
    MIN_RECORDED_DAYS,
    MONTH_DAYS,
    Comparison,
    DayAnswer,
    DiaryFigures,
    compare,
    diary_figures,
    figures_from_counts,
)

MIDAS_KEY = "midas"


def plan_for_patient(*, patient: User) -> OutcomePlan | None:
    """The patient's latest plan (their current or last course), or None."""
    return (
        OutcomePlan.objects.select_related("patient__patient_profile", "course")
        .filter(patient=patient)
        .order_by("-created_at", "-pk")
        .first()
    )


def plan_for_course(*, course_id: int) -> OutcomePlan | None:
    return (
        OutcomePlan.objects.select_related("patient__patient_profile")
        .filter(course_id=course_id)
        .first()
    )


@dataclass(frozen=True)
class Week:
    starts_on: dt.date
    recorded_days: int
    headache_days: int
    after_first_infusion: bool


@dataclass(frozen=True)
class OutcomeSummary:
    plan: OutcomePlan
    today: dt.date
    baseline: DiaryFigures
    latest: Comparison | None  # the last 28 days, once the course has started
    midas_baseline: InstrumentResponse | None
    midas_latest: InstrumentResponse | None
    weeks: tuple[Week, ...]
    recorded_days: int
    last_answered_on: dt.date | None

    min_days = MIN_RECORDED_DAYS

    @property
    def midas_grade_change(self) -> tuple[str, str] | None:
        if self.midas_baseline and self.midas_latest and self.midas_latest != self.midas_baseline:
            return self.midas_baseline.grade, self.midas_latest.grade
        return None

    @property
    def silent_days(self) -> int | None:
        """Days since the last answer (or since the diary started), when the diary is open."""
        since = self.last_answered_on or self.plan.diary_starts_on - dt.timedelta(days=1)
        return (self.today - since).days - 1


class PlanDays(Protocol):
    """A plan's days, as an OutcomePlan or a report's plain values (outcomes.report.ReportPlan)."""

    @property
    def diary_starts_on(self) -> dt.date: ...

    @property
    def first_session_on(self) -> dt.date | None: ...


def baseline_window(plan: PlanDays, today: dt.date) -> tuple[dt.date, dt.date]:
    """From the diary's start to the day before the first infusion (or today), at most 28 days."""
    end = plan.first_session_on - dt.timedelta(days=1) if plan.first_session_on else today
    end = min(end, today)
    return max(plan.diary_starts_on, end - dt.timedelta(days=MONTH_DAYS - 1)), end


def follow_up_window(ends_on: dt.date) -> tuple[dt.date, dt.date]:
    return ends_on - dt.timedelta(days=MONTH_DAYS - 1), ends_on


# One window's counts of answered days: all, then those with each answer yes (a window's first
# and last day are its parameters, repeated per count).
_ANSWERS = ("headache", "migraine", "acute_medication")
_WINDOW_COUNTS = ", ".join(
    ["count(*) FILTER (WHERE day BETWEEN %s AND %s)"]
    + [f"count(*) FILTER (WHERE day BETWEEN %s AND %s AND {answer})" for answer in _ANSWERS]
)


def diary_window_figures(
    *, plan_id: int, windows: dict[str, tuple[dt.date, dt.date]]
) -> dict[str, DiaryFigures]:
    """Each window's figures (first and last day, both included), from its answered days
    counted by the database: one query and one row, however long the diary (the provider's
    report needs four windows' figures, not the up to 120 days of the diary). Plain SQL: the
    ORM's sixteen filtered counts took longer to compile than the days took to read."""
    if not windows:
        return {}
    spans = list(windows.values())
    sql = (
        f"SELECT {', '.join([_WINDOW_COUNTS] * len(spans))} FROM outcomes_diaryday "  # noqa: S608
        "WHERE plan_id = %s AND day BETWEEN %s AND %s"
    )
    params = [bound for start, end in spans for _ in range(4) for bound in (start, end)]
    params += [plan_id, min(start for start, _ in spans), max(end for _, end in spans)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = cursor.fetchone()
    return {
        key: figures_from_counts(
            starts_on=start,
            ends_on=end,
            recorded=counts[4 * n],
            headache=counts[4 * n + 1],
            migraine=counts[4 * n + 2],
            acute_medication=counts[4 * n + 3],
        )
        for n, (key, (start, end)) in enumerate(windows.items())
    }


def _weeks(plan: OutcomePlan, days: Sequence[DayAnswer], today: dt.date) -> tuple[Week, ...]:
    start = plan.diary_starts_on
    end = min(today, plan.diary_ends_on or today)
    weeks = []
    cursor = start
    by_day = {d.day: d for d in days}
    while cursor <= end:
        span = [cursor + dt.timedelta(days=n) for n in range(7)]
        inside = [by_day[d] for d in span if d in by_day]
        weeks.append(
            Week(
                starts_on=cursor,
                recorded_days=len(inside),
                headache_days=sum(d.headache for d in inside),
                after_first_infusion=bool(
                    plan.first_session_on and cursor >= plan.first_session_on
                ),
            )
        )
        cursor += dt.timedelta(days=7)
    return tuple(weeks)


def outcome_summary(*, plan: OutcomePlan, now: dt.datetime) -> OutcomeSummary:
    """Two queries: the plan's diary days (plain rows of what the figures read: up to 120 of
    them, where model instances cost more than the figures) and its questionnaire answers."""
    days = list(
        DiaryDay.objects.filter(plan=plan)
        .order_by("day")
        .values_list("day", "headache", "migraine", "acute_medication", named=True)
    )
    responses = list(InstrumentResponse.objects.filter(plan=plan, instrument=MIDAS_KEY))
    return _summary(plan, days, responses, now)


def outcome_summary_of(
    *,
    plan: OutcomePlan,
    days: Sequence[DayAnswer],
    responses: list[InstrumentResponse],
    now: dt.datetime,
    zone: dt.tzinfo,
) -> OutcomeSummary:
    """outcome_summary() of a plan whose diary days and answers the caller read itself (the
    chart reads them in its one statement), its days counted in `zone` (the patient's:
    recipient_zone)."""
    return _summary(plan, days, responses, now, zone)


def _summary(
    plan: OutcomePlan,
    days: Sequence[DayAnswer],
    responses: list[InstrumentResponse],
    now: dt.datetime,
    zone: dt.tzinfo | None = None,
) -> OutcomeSummary:
    today = now.astimezone(zone or recipient_zone(plan.patient)).date()
    base_from, base_to = baseline_window(plan, today)
    baseline = diary_figures(days, starts_on=base_from, ends_on=base_to)
    latest = None
    if plan.first_session_on and today >= plan.first_session_on:
        end = min(today, plan.diary_ends_on or today)
        start, end = follow_up_window(end)
        start = max(start, plan.first_session_on)
        latest = compare(baseline, diary_figures(days, starts_on=start, ends_on=end))
    midas = {r.time_point: r for r in responses if r.instrument == MIDAS_KEY}
    midas_latest = (
        midas.get(TimePoint.MONTH_3)
        or midas.get(TimePoint.MONTH_1)
        or midas.get(TimePoint.BASELINE)
    )
    return OutcomeSummary(
        plan=plan,
        today=today,
        baseline=baseline,
        latest=latest,
        midas_baseline=midas.get(TimePoint.BASELINE),
        midas_latest=midas_latest,
        weeks=_weeks(plan, days, today),
        recorded_days=len(days),
        last_answered_on=max((d.day for d in days), default=None),
    )


REVIEW_PLANS_PER_PATIENT = 2


def outcome_summaries_for_review(
    *, patient_ids: list[int], now: dt.datetime
) -> dict[int, list[OutcomeSummary]]:
    """For the clinician's review cards: each patient's two latest plans summarised, newest
    first (the course under review, whose baseline is being kept, and the course before it,
    baseline against its last 28 days), by patient id. Three queries whatever the number of
    cards."""
    plans: dict[int, list[OutcomePlan]] = {}
    rows = (
        OutcomePlan.objects.filter(patient_id__in=patient_ids)
        .select_related("patient__patient_profile", "course__location")
        .order_by("patient_id", "-created_at", "-pk")
    )
    for plan in rows:
        kept = plans.setdefault(plan.patient_id, [])
        if len(kept) < REVIEW_PLANS_PER_PATIENT:
            kept.append(plan)
    wanted = [plan.pk for kept in plans.values() for plan in kept]
    days: dict[int, list[DiaryDay]] = {pk: [] for pk in wanted}
    for day in DiaryDay.objects.filter(plan_id__in=wanted):
        days[day.plan_id].append(day)
    responses: dict[int, list[InstrumentResponse]] = {pk: [] for pk in wanted}
    for response in InstrumentResponse.objects.filter(plan_id__in=wanted, instrument=MIDAS_KEY):
        responses[response.plan_id].append(response)
    return {
        patient_id: [_summary(p, days[p.pk], responses[p.pk], now) for p in kept]
        for patient_id, kept in plans.items()
    }


def plan_for_patient_or_404(*, patient: User) -> OutcomePlan:
    plan = plan_for_patient(patient=patient)
    if plan is None:
        raise Http404
    return plan


def questionnaire_answered(*, plan: OutcomePlan, time_point: str) -> bool:
    return InstrumentResponse.objects.filter(
        plan=plan, instrument=MIDAS_KEY, time_point=time_point
    ).exists()


def open_questionnaire(*, plan: OutcomePlan, today: dt.date) -> str | None:
    """The time point whose questionnaire the patient may answer now, if any: the baseline
    before the first infusion, then each follow-up from a week before it is due."""
    answered = set(
        InstrumentResponse.objects.filter(plan=plan, instrument=MIDAS_KEY).values_list(
            "time_point", flat=True
        )
    )
    if plan.status != PlanStatus.ACTIVE:
        return None
    if TimePoint.BASELINE not in answered and not (
        plan.first_session_on and today >= plan.first_session_on
    ):
        return TimePoint.BASELINE
    done = plan.course_completed_on
    if done is None:
        return None
    for time_point in (TimePoint.MONTH_3, TimePoint.MONTH_1):
        if time_point not in answered and today >= done + dt.timedelta(
            days=MIDAS_AFTER[time_point] - QUESTIONNAIRE_OPENS_EARLY_DAYS
        ):
            return time_point
    return None


SILENT_AFTER_DAYS = 3
SILENT_LIST_LIMIT = 200


@dataclass(frozen=True)
class SilentPlan:
    plan: OutcomePlan
    last_answered_on: dt.date | None
    silent_days: int


def silent_plans(*, now: dt.datetime) -> list[SilentPlan]:
    """Active plans whose diary covers today and whose last answer (or start) is 3 days old or
    more, with the patient's name; one query (the last answer is annotated)."""
    utc_today = now.date()
    plans = (
        OutcomePlan.objects.filter(status=PlanStatus.ACTIVE, diary_starts_on__lte=utc_today)
        .filter(Q(diary_ends_on__isnull=True) | Q(diary_ends_on__gte=utc_today))
        .annotate(last_day=Max("diary_days__day"))
        .filter(
            Q(last_day__lte=utc_today - dt.timedelta(days=SILENT_AFTER_DAYS))
            | Q(
                last_day__isnull=True,
                diary_starts_on__lte=utc_today - dt.timedelta(days=SILENT_AFTER_DAYS),
            )
        )
        .select_related("patient__patient_profile", "course__location")
        .order_by(Coalesce("last_day", "diary_starts_on"), "pk")[:SILENT_LIST_LIMIT]
    )
    rows = []
    for plan in plans:
        # The query is in UTC days; each patient's silence is counted in their own days.
        today = now.astimezone(recipient_zone(plan.patient)).date()
        since = plan.last_day or plan.diary_starts_on - dt.timedelta(days=1)
        silent = (today - since).days - 1
        if silent >= SILENT_AFTER_DAYS:
            rows.append(SilentPlan(plan, plan.last_day, silent))
    return rows


WORSENING_LIST_LIMIT = 200

# Active plans past their first infusion whose last 28 days hold more headache days a month than
# their baseline by 2 or more (outcomes.scoring.compare's rule on exact counts, 7 answered days
# at least in each window), worst first. The windows are those of outcome_summary, in the
# location's days; each row found is then summarised from its diary in Python, so the figures
# listed are exactly the chart's. `w` is MATERIALIZED and each window counted by its own index
# range scan (diary_sql.WINDOW_COUNTS): joined to every day from baseline to today and grouped,
# the benchmark's 57,400 plans sorted 6 million rows on disk (19.9 s; bench/RESULTS.md). Without
# JIT, as the responder rates: compiling cost more than it saved.
_WORSENING_SQL = f"""
SET LOCAL jit = off;
WITH w AS MATERIALIZED (
    SELECT p.id,
           GREATEST(p.diary_starts_on, p.first_session_on - %(month)s) AS b_from,
           p.first_session_on - 1 AS b_to,
           GREATEST(last.f_to - %(month)s + 1, p.first_session_on) AS f_from,
           last.f_to
      FROM outcomes_outcomeplan p
      JOIN scheduling_course c ON c.id = p.course_id
      JOIN scheduling_location l ON l.id = c.location_id
     CROSS JOIN LATERAL (
        SELECT LEAST((%(now)s AT TIME ZONE l.time_zone)::date,
                     COALESCE(p.diary_ends_on, (%(now)s AT TIME ZONE l.time_zone)::date)) AS f_to
     ) last
     WHERE p.status = 'active' AND p.first_session_on IS NOT NULL
       AND p.first_session_on <= (%(now)s AT TIME ZONE l.time_zone)::date
       -- A diary that ended more than a month ago is history, not something to act on today.
       AND (p.diary_ends_on IS NULL
            OR p.diary_ends_on >= (%(now)s AT TIME ZONE l.time_zone)::date - %(month)s)
)
SELECT w.id FROM w {WINDOW_COUNTS}
 WHERE b_rec >= %(min_days)s AND f_rec >= %(min_days)s
   AND (f_head * b_rec - b_head * f_rec) * %(month)s >= 2 * b_rec * f_rec
 ORDER BY (f_head::float / f_rec - b_head::float / b_rec) DESC, w.id
 LIMIT %(limit)s
"""  # noqa: S608 (WINDOW_COUNTS is a constant, never input)


def worsening_summaries(*, now: dt.datetime) -> list[OutcomeSummary]:
    """The patients whose diary shows worsening (more headache days a month than at baseline),
    worst first, each summarised as on the chart; a diary that ended more than 28 days ago is
    left out (the chart still flags it). Three queries whatever the number of plans."""
    with connection.cursor() as cursor:
        cursor.execute(
            _WORSENING_SQL,
            {
                "now": now,
                "month": MONTH_DAYS,
                "min_days": MIN_RECORDED_DAYS,
                "limit": WORSENING_LIST_LIMIT,
            },
        )
        order = [row[0] for row in cursor.fetchall()]
    if not order:
        return []
    plans = OutcomePlan.objects.select_related("patient__patient_profile", "course__location")
    by_id = {plan.pk: plan for plan in plans.filter(pk__in=order)}
    days: dict[int, list[DayAnswer]] = {pk: [] for pk in order}
    # The answers only, as tuples (scoring.DayAnswer): up to 200 diaries of ~120 days each.
    answers = DiaryDay.objects.filter(plan_id__in=order).values_list(
        "plan_id", "day", "headache", "migraine", "acute_medication", named=True
    )
    for day in answers:
        days[day.plan_id].append(day)
    summaries = [_summary(by_id[pk], days[pk], [], now) for pk in order]
    # The patient's own day can differ from the location's by a few hours: keep the chart's
    # verdict.
    return [s for s in summaries if s.latest and s.latest.worsening]
