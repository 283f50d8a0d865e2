"""The tests' clock (tests/clock.py): every test starts at an instant the test suite sets, and
the time-sensitive ones run at each instant of the sweep."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from tests import clock as test_clock

ROOT = Path(__file__).resolve().parents[1]


def test_a_test_starts_at_the_default_instant_not_the_wall_clock(clock):
    if os.environ.get("TEST_CLOCK"):
        pytest.skip("TEST_CLOCK moves every test's start on purpose")
    assert abs(timezone.now() - test_clock.DEFAULT) < dt.timedelta(seconds=30)
    assert abs(dt.datetime.now(dt.UTC) - test_clock.DEFAULT) < dt.timedelta(seconds=30)
    assert dt.date.today() == test_clock.DEFAULT.date()  # the server's zone is New York's


def test_the_clock_moves_only_when_the_test_moves_it(clock):
    start = clock.now()
    clock.shift(dt.timedelta(days=3))
    assert dt.timedelta(days=3) <= clock.now() - start < dt.timedelta(days=3, seconds=30)
    clock.travel(test_clock.SWEEP["new-years-eve"])
    assert clock.today() == dt.date(2026, 12, 31)


def test_the_sweep_covers_the_hours_and_days_that_break_time_arithmetic():
    sweep = test_clock.SWEEP
    ny_hours = {
        (i.astimezone(test_clock.NY).hour, i.astimezone(test_clock.NY).minute)
        for i in sweep.values()
    }
    assert {(0, 30), (7, 59), (15, 0), (20, 59), (23, 30)} <= ny_hours
    assert sweep["saturday"].weekday() == 5
    # Thanksgiving 2027 is Thursday 25 November.
    assert sweep["thanksgiving-eve"].date() == dt.date(2027, 11, 24)
    assert sweep["new-years-eve"].astimezone(test_clock.NY).date() == dt.date(2026, 12, 31)
    assert {dt.date(2027, 2, 28), dt.date(2028, 2, 29)} <= {i.date() for i in sweep.values()}
    # Either side of 2:00 on both change days of 2027: the offset differs across each pair.
    offset = lambda name: sweep[name].utcoffset()  # noqa: E731
    assert offset("dst-spring-before") == dt.timedelta(hours=-5)
    assert offset("dst-spring-after") == dt.timedelta(hours=-4)
    assert offset("dst-fall-before") == dt.timedelta(hours=-4)
    assert offset("dst-fall-after") == dt.timedelta(hours=-5)
    honolulu = sweep["honolulu-evening"].astimezone(test_clock.HONOLULU)
    # Evening in Honolulu is already tomorrow in New York.
    assert honolulu.hour >= 18
    assert honolulu.astimezone(test_clock.NY).date() > honolulu.date()


SEEN = []


@pytest.mark.clock_sweep
def test_a_clock_sweep_test_runs_once_at_each_instant(clock, clock_start):
    assert abs(clock.now() - clock_start) < dt.timedelta(seconds=30)
    SEEN.append(clock_start)


def test_the_sweep_ran_every_instant_once():
    # Runs after the sweep above in file order, when the whole file runs. In one process it has
    # seen every instant; `./portal test`'s two workers share the sweep's cases out between them
    # (pytest-xdist), so each has seen some of the instants, each once.
    if SEEN:
        assert len(SEEN) == len(set(SEEN))
        assert set(SEEN) <= set(test_clock.SWEEP.values())
        if "PYTEST_XDIST_WORKER" not in os.environ:
            assert sorted(SEEN) == sorted(test_clock.SWEEP.values())


def test_a_worker_started_by_a_test_shares_its_clock(clock):
    clock.travel(test_clock.SWEEP["dst-fall-after"])
    code = (
        "from tests.clock import apply_from_env; apply_from_env(); "
        "import datetime as dt; print(dt.datetime.now(dt.UTC).isoformat())"
    )
    env = {**os.environ, **test_clock.worker_env()}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    seen = dt.datetime.fromisoformat(out.stdout.strip())
    assert abs(seen - clock.now()) < dt.timedelta(seconds=30)


def test_tests_move_time_only_through_the_clock_fixture():
    """One way to set the time, so a reader finds it by grepping for `clock`."""
    allowed = {ROOT / "tests" / name for name in ("conftest.py", "clock.py", "test_clock.py")}
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if path not in allowed
        and any(
            word in path.read_text()
            for word in ("import time_machine", "freezegun", "escape_hatch")
        )
    ]
    assert offenders == []
