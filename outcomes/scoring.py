"""The diary's figures and the before/after comparison, from the recorded days only.

Monthly figures are normalised to 28 days (the month of migraine prevention trials: IHS
guidelines for controlled trials of preventive treatment of episodic migraine, Cephalalgia
2012;32(1):6-38, which also define a responder as a 50% or greater reduction in monthly
migraine or headache days from baseline). The portal's responder uses monthly HEADACHE days
(every page says so). A figure needs MIN_RECORDED_DAYS recorded days in its window; with fewer,
it is shown as not enough data, never guessed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

MONTH_DAYS = 28
MIN_RECORDED_DAYS = 7
RESPONDER_REDUCTION = 0.5


class DayAnswer(Protocol):
    day: dt.date
    headache: bool
    migraine: bool
    acute_medication: bool


@dataclass(frozen=True)
class DiaryFigures:
    """Per-28-day figures of one window, with how many days were recorded in it."""

    starts_on: dt.date
    ends_on: dt.date
    recorded_days: int
    headache_count: int  # days with headache among those recorded (the exact rate's numerator)
    headache_days: float | None
    migraine_days: float | None
    acute_medication_days: float | None

    @property
    def enough(self) -> bool:
        return self.headache_days is not None


def _per_month(count: int, recorded: int) -> float:
    return round(count * MONTH_DAYS / recorded, 1)


def diary_figures(
    days: Iterable[DayAnswer], *, starts_on: dt.date, ends_on: dt.date
) -> DiaryFigures:
    """The window's figures from the answered days in [starts_on, ends_on] (both included);
    days outside it are ignored."""
    inside = [d for d in days if starts_on <= d.day <= ends_on]
    return figures_from_counts(
        starts_on=starts_on,
        ends_on=ends_on,
        recorded=len(inside),
        headache=sum(d.headache for d in inside),
        migraine=sum(d.migraine for d in inside),
        acute_medication=sum(d.acute_medication for d in inside),
    )


def figures_from_counts(
    *,
    starts_on: dt.date,
    ends_on: dt.date,
    recorded: int,
    headache: int,
    migraine: int,
    acute_medication: int,
) -> DiaryFigures:
    """The window's figures from its counts of answered days: all of them, and those with a
    headache, a migraine, acute medication (counted by the database where a page needs only
    the figures: outcomes.selectors.diary_window_figures)."""
    if recorded < MIN_RECORDED_DAYS:
        return DiaryFigures(starts_on, ends_on, recorded, headache, None, None, None)
    return DiaryFigures(
        starts_on,
        ends_on,
        recorded,
        headache,
        _per_month(headache, recorded),
        _per_month(migraine, recorded),
        _per_month(acute_medication, recorded),
    )


@dataclass(frozen=True)
class Comparison:
    baseline: DiaryFigures
    follow_up: DiaryFigures
    # Change in monthly headache days, in per cent of baseline (negative: fewer days).
    percent_change: float | None
    responder: bool | None
    worsening: bool

    @property
    def known(self) -> bool:
        return self.responder is not None


def compare(baseline: DiaryFigures, follow_up: DiaryFigures) -> Comparison:
    """Responder: monthly headache days fell by at least half from baseline. Worsening: more
    headache days than at baseline (by at least 2 a month, a difference a patient notices).
    Unknown (None) when either window lacks recorded days or the baseline had none."""
    if not (baseline.enough and follow_up.enough):
        return Comparison(baseline, follow_up, None, None, False)
    # Exact rates (count / recorded days), not the rounded figures: the dashboard computes the
    # same comparison in SQL (reporting.operations.outcome_figures) and must agree.
    before_n, before_d = baseline.headache_count, baseline.recorded_days
    after_n, after_d = follow_up.headache_count, follow_up.recorded_days
    difference = after_n * before_d - before_n * after_d  # over before_d * after_d
    worsening = difference * MONTH_DAYS >= 2 * before_d * after_d
    if before_n == 0:
        return Comparison(baseline, follow_up, None, None, worsening)
    change = round(difference * 100 / (before_n * after_d), 1)
    responder = after_n * before_d <= (1 - RESPONDER_REDUCTION) * before_n * after_d
    return Comparison(baseline, follow_up, change, responder, worsening)
