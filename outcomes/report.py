"""The outcome report for the referring provider: baseline and follow-up figures at the end of
the course and at 1 and 3 months after it, the course given (number of infusions and their
dates, no dosing), responder status and MIDAS. The same figures feed the provider's referral
page, the one-page PDF and the API (GET /api/v1/referrals/{reference})."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

from clinic.messaging.services import recipient_zone
from scheduling.models import InfusionSession, SessionStatus

from .models import InstrumentResponse, OutcomePlan, TimePoint
from .scoring import MONTH_DAYS, Comparison, DiaryFigures, compare
from .selectors import MIDAS_KEY, baseline_window, diary_window_figures

# A follow-up time point: its label, days after the last infusion, and the MIDAS asked then.
FOLLOW_UPS = (
    ("end_of_course", 0, None),
    ("month_1", 30, TimePoint.MONTH_1),
    ("month_3", 90, TimePoint.MONTH_3),
)


@dataclass(frozen=True)
class ReportPoint:
    key: str
    ends_on: dt.date
    reached: bool
    comparison: Comparison | None
    midas_score: int | None
    midas_grade: str

    @property
    def figures(self) -> DiaryFigures | None:
        return self.comparison.follow_up if self.comparison else None


@dataclass(frozen=True)
class ReportPlan:
    """What a report is computed from, as plain values: the plan's days, its course's planned
    infusions and the patient's zone (the referral page reads them with the referral, in one
    statement: intake.referral_page)."""

    pk: int
    diary_starts_on: dt.date
    first_session_on: dt.date | None
    course_completed_on: dt.date | None
    planned_infusions: int
    zone: ZoneInfo  # the patient's: "today" is their day

    @classmethod
    def of(cls, plan: OutcomePlan) -> ReportPlan:
        """From a plan read with its patient's profile and its course."""
        return cls(
            pk=plan.pk,
            diary_starts_on=plan.diary_starts_on,
            first_session_on=plan.first_session_on,
            course_completed_on=plan.course_completed_on,
            planned_infusions=plan.course.planned_sessions,
            zone=recipient_zone(plan.patient),
        )


class MidasAnswer(NamedTuple):
    score: int
    grade: str


@dataclass(frozen=True)
class OutcomeReport:
    plan: ReportPlan
    infusion_dates: tuple[dt.date, ...]
    planned_infusions: int
    baseline: DiaryFigures
    midas_baseline_score: int | None
    midas_baseline_grade: str
    points: tuple[ReportPoint, ...]

    @property
    def infusions(self) -> int:
        return len(self.infusion_dates)

    @property
    def ready(self) -> bool:
        """A report exists once the course is complete."""
        return self.plan.course_completed_on is not None

    @property
    def latest(self) -> ReportPoint | None:
        reached = [p for p in self.points if p.reached]
        return reached[-1] if reached else None


def _point(key, ends_on, today, baseline, figures, midas, time_point) -> ReportPoint:
    if ends_on > today:
        return ReportPoint(key, ends_on, False, None, None, "")
    response = midas.get(time_point) if time_point else None
    return ReportPoint(
        key,
        ends_on,
        True,
        compare(baseline, figures[key]),
        response.score if response else None,
        response.grade if response else "",
    )


def outcome_report(*, plan: OutcomePlan, now: dt.datetime) -> OutcomeReport:
    """Three queries: the completed infusions, the diary's figures in each window (counted by
    the database: the baseline and each follow-up reached), the questionnaire answers. `plan`
    is read with its patient's profile and its course."""
    dates = tuple(
        InfusionSession.objects.filter(course_id=plan.course_id, status=SessionStatus.COMPLETED)
        .order_by("starts_at")
        .values_list("local_date", flat=True)
    )
    midas = {
        time_point: MidasAnswer(score, grade)
        for time_point, score, grade in InstrumentResponse.objects.filter(
            plan=plan, instrument=MIDAS_KEY
        ).values_list("time_point", "score", "grade")
    }
    return report_from(plan=ReportPlan.of(plan), infusion_dates=dates, midas=midas, now=now)


def report_from(
    *,
    plan: ReportPlan,
    infusion_dates: tuple[dt.date, ...],
    midas: Mapping[str, MidasAnswer],
    now: dt.datetime,
) -> OutcomeReport:
    """The report from what was read of the plan: its completed infusions' days (in order)
    and its MIDAS answers by time point. One query: the diary's figures in each window
    (counted by the database: the baseline and each follow-up reached)."""
    today = now.astimezone(plan.zone).date()
    windows = {"baseline": baseline_window(plan, today)}
    done = plan.course_completed_on
    follow_ups = [
        (key, done + dt.timedelta(days=after), time_point)
        for key, after, time_point in (FOLLOW_UPS if done is not None else ())
    ]
    for key, ends_on, _time_point in follow_ups:
        if ends_on <= today:
            # The last 28 days to the time point, never before the first infusion.
            start = max(
                ends_on - dt.timedelta(days=MONTH_DAYS - 1), plan.first_session_on or ends_on
            )
            windows[key] = (start, ends_on)
    figures = diary_window_figures(plan_id=plan.pk, windows=windows)
    baseline = figures["baseline"]
    points = tuple(
        _point(key, ends_on, today, baseline, figures, midas, time_point)
        for key, ends_on, time_point in follow_ups
    )
    base_midas = midas.get(TimePoint.BASELINE)
    return OutcomeReport(
        plan=plan,
        infusion_dates=infusion_dates,
        planned_infusions=plan.planned_infusions,
        baseline=baseline,
        midas_baseline_score=base_midas.score if base_midas else None,
        midas_baseline_grade=base_midas.grade if base_midas else "",
        points=points,
    )


def _figures_json(figures: DiaryFigures | None) -> dict | None:
    if figures is None:
        return None
    return {
        "starts_on": figures.starts_on.isoformat(),
        "ends_on": figures.ends_on.isoformat(),
        "recorded_days": figures.recorded_days,
        "monthly_headache_days": figures.headache_days,
        "monthly_migraine_days": figures.migraine_days,
        "monthly_acute_medication_days": figures.acute_medication_days,
    }


def report_json(report: OutcomeReport) -> dict:
    """The report as the API returns it (the shape is documented in intake.api)."""
    return {
        "responder_definition": "50% or greater reduction in monthly (per 28 days) headache "
        "days from baseline",
        "infusions_received": report.infusions,
        "infusions_planned": report.planned_infusions,
        "infusion_dates": [d.isoformat() for d in report.infusion_dates],
        "course_completed_on": (
            report.plan.course_completed_on.isoformat() if report.plan.course_completed_on else None
        ),
        "baseline": _figures_json(report.baseline),
        "baseline_midas": (
            {"score": report.midas_baseline_score, "grade": report.midas_baseline_grade}
            if report.midas_baseline_score is not None
            else None
        ),
        "follow_up": [
            {
                "time_point": point.key,
                "ends_on": point.ends_on.isoformat(),
                "reached": point.reached,
                "diary": _figures_json(point.figures),
                "percent_change_headache_days": (
                    point.comparison.percent_change if point.comparison else None
                ),
                "responder": point.comparison.responder if point.comparison else None,
                "midas": (
                    {"score": point.midas_score, "grade": point.midas_grade}
                    if point.midas_score is not None
                    else None
                ),
            }
            for point in report.points
        ],
    }
