"""Outcome reads: the provider's report counts each window's diary days in the database
(outcomes.selectors.diary_window_figures); its figures are those outcomes.scoring computes from
the same days, window edges included."""

import datetime as dt
import random

from django.utils import timezone

from outcomes.models import DiaryDay
from outcomes.scoring import diary_figures
from outcomes.selectors import diary_window_figures


def test_window_figures_counted_by_the_database_are_those_of_the_days(started):
    plan = started["plan"]
    first = dt.date(2027, 3, 1)
    chance = random.Random(2027)  # a fixed, varied diary: some days unanswered
    for n in range(60):
        if chance.random() < 0.15:
            continue
        headache = chance.random() < 0.4
        migraine = headache and chance.random() < 0.5
        DiaryDay.objects.create(
            plan=plan,
            day=first + dt.timedelta(days=n),
            headache=headache,
            migraine=migraine,
            worst_pain=chance.randint(1, 10) if headache else 0,
            acute_medication=headache and chance.random() < 0.6,
            recorded_at=timezone.now(),
        )
    days = list(DiaryDay.objects.filter(plan=plan))
    windows = {
        "whole": (first, first + dt.timedelta(days=59)),
        "edges": (first + dt.timedelta(days=10), first + dt.timedelta(days=37)),
        "few": (first + dt.timedelta(days=3), first + dt.timedelta(days=6)),  # under 7 days
        "before": (first - dt.timedelta(days=28), first - dt.timedelta(days=1)),  # none
        "one_day": (first + dt.timedelta(days=20), first + dt.timedelta(days=20)),
    }
    counted = diary_window_figures(plan_id=plan.pk, windows=windows)
    assert list(counted) == list(windows)
    for key, (start, end) in windows.items():
        assert counted[key] == diary_figures(days, starts_on=start, ends_on=end), key
    assert counted["whole"].headache_days is not None and counted["few"].headache_days is None
    assert counted["before"].recorded_days == 0
