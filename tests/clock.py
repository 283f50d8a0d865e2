"""The tests' clock: the one place tests get the time from.

Every test runs on a clock the test sets, never the wall clock: the autouse `clock` fixture
(tests/conftest.py) travels to `DEFAULT` with time-machine before any other fixture runs, and the
clock ticks from there (so code that waits or times out still works). A test that needs another
moment calls `clock.travel(...)` or passes `now=clock.now()` to the service it tests.

Tests marked `clock_sweep` (the time-sensitive ones: scheduling, availability, reminders, calling
hours, intake cadence, GFE deadlines, query pins, operations windows) run once at each instant in
`SWEEP`: late night, early morning, afternoon and evening in New York, a Saturday, the day before
Thanksgiving, New Year's Eve, the end of February in a common and a leap year, both US DST changes
of 2027 on either side of 2:00, and an evening in Honolulu, when New York is already asleep.

A Celery worker started by a test as a separate process gets the same clock through
`worker_env()`; tests/support/clocked_celery.py applies it before Celery starts.
"""

import datetime as dt
import os
from zoneinfo import ZoneInfo

NY = ZoneInfo("America/New_York")
HONOLULU = ZoneInfo("Pacific/Honolulu")


def _ny(*args: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY, fold=fold)


# A Tuesday morning in New York, inside calling hours in every US zone's daytime, no holiday near.
DEFAULT = _ny(2026, 12, 1, 10, 0)

SWEEP: dict[str, dt.datetime] = {
    "ny-00:30": _ny(2026, 12, 1, 0, 30),
    "ny-07:59": _ny(2026, 12, 1, 7, 59),
    "ny-15:00": _ny(2026, 12, 1, 15, 0),
    "ny-20:59": _ny(2026, 12, 1, 20, 59),
    "ny-23:30": _ny(2026, 12, 1, 23, 30),
    "saturday": _ny(2026, 12, 5, 11, 0),
    "thanksgiving-eve": _ny(2027, 11, 24, 16, 0),
    "new-years-eve": _ny(2026, 12, 31, 23, 30),
    "feb-28-2027": _ny(2027, 2, 28, 22, 0),
    "feb-29-2028": _ny(2028, 2, 29, 22, 0),
    "dst-spring-before": _ny(2027, 3, 14, 1, 30),
    "dst-spring-after": _ny(2027, 3, 14, 3, 30),
    "dst-fall-before": _ny(2027, 11, 7, 1, 30, fold=0),  # the first 1:30, still EDT
    "dst-fall-after": _ny(2027, 11, 7, 2, 30),  # EST
    "honolulu-evening": dt.datetime(2026, 12, 1, 20, 0, tzinfo=HONOLULU),
}

ORIGIN_ENV = "TEST_CLOCK_ORIGIN"  # the instant the test's clock started at (ISO 8601)
WALL_ENV = "TEST_CLOCK_WALL"  # the real Unix time at which it started


def worker_env() -> dict[str, str]:
    """Environment for a subprocess that must share the test's clock, as it reads now."""
    from time_machine import escape_hatch

    now = dt.datetime.now(dt.UTC)
    return {ORIGIN_ENV: now.isoformat(), WALL_ENV: repr(escape_hatch.time.time())}


def apply_from_env() -> None:
    """In a subprocess: travel to where the parent test's clock is now, ticking from there."""
    import time

    import time_machine

    origin = os.environ.get(ORIGIN_ENV)
    if not origin:
        return
    elapsed = time.time() - float(os.environ[WALL_ENV])  # not travelling yet: the real time
    start = dt.datetime.fromisoformat(origin) + dt.timedelta(seconds=elapsed)
    time_machine.travel(start, tick=True).start()
