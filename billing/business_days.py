"""Business days for Good Faith Estimate deadlines: Monday to Friday, less US federal holidays
(as observed when they fall on a weekend)."""

from datetime import date, timedelta
from functools import cache

import holidays


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


@cache
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", years=year, observed=True).keys())


def add_business_days(start: date, count: int) -> date:
    """The date `count` business days after `start` (start itself does not count)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def business_day_before(day: date) -> date:
    """The last business day before `day`."""
    day -= timedelta(days=1)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def business_days_between(start: date, end: date) -> int:
    """Business days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_business_day(day):
            count += 1
    return count
