"""The dashboard's kept figures under concurrency (reporting/operations/kept.py), with real
threads and committed transactions: when the kept row is stale, one request recomputes and the
others show the older figures; with no row yet, they wait for it rather than compute it too."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from reporting.models import OperationsFigures
from reporting.operations import kept
from reporting.operations.kept import (
    OPERATIONS_LOCK,
    RECOUNT_EVERY,
    lock_key,
    operations_figures_recent,
    operations_figures_refresh,
)
from tests.factories.scheduling import LocationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def counting(monkeypatch):
    """How many times the 90 days' aggregates run (the real ones, counted)."""
    calls = []
    real = kept.operations_summary

    def summary(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(kept, "operations_summary", summary)
    return calls


def _together(n, work):
    barrier = threading.Barrier(n)
    results, crashed = [], []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # pragma: no cover - fails the test below
            crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not crashed, crashed
    return results


class _Holder:
    """Another connection holding a scope's lock, as a request recomputing it would."""

    def __init__(self, key):
        self.key, self.taken, self.release = key, threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [self.key])
                self.taken.set()
                self.release.wait(timeout=30)
                if self.then is not None:
                    self.then()
        finally:
            connection.close()

    def __enter__(self):
        self.then = None
        self.thread.start()
        assert self.taken.wait(timeout=10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(timeout=30)


def test_eight_requests_on_stale_figures_recompute_them_once(counting):
    LocationFactory(name="Boston", slug="boston")
    operations_figures_refresh(location=None, now=timezone.now() - RECOUNT_EVERY * 2)
    counting.clear()
    results = _together(8, lambda: operations_figures_recent())
    assert len(counting) == 1
    assert len(results) == 8
    # The one that recomputed shows the new figures; the others the newer or the older ones.
    assert OperationsFigures.objects.get().computed_at > timezone.now() - RECOUNT_EVERY


def test_eight_requests_with_no_figures_yet_compute_them_once(counting):
    LocationFactory(name="Boston", slug="boston")
    results = _together(8, lambda: operations_figures_recent())
    assert len(counting) == 1
    assert len({r.counted_at for r in results}) == 1  # all show the one row computed


def test_while_another_recomputes_the_page_shows_the_older_figures_at_once(counting):
    LocationFactory(name="Boston", slug="boston")
    old = timezone.now() - dt.timedelta(minutes=15)
    operations_figures_refresh(location=None, now=old)
    counting.clear()
    with _Holder(lock_key(OPERATIONS_LOCK)):
        shown = operations_figures_recent()
    assert shown.counted_at == old and counting == []
    # Once nobody holds the lock, the next request recomputes.
    assert operations_figures_recent().counted_at > old and len(counting) == 1


def test_with_no_figures_yet_the_page_waits_for_the_one_computing_them(counting):
    boston = LocationFactory(name="Boston", slug="boston")
    written = timezone.now()
    shown = []

    def page():
        try:
            shown.append(operations_figures_recent(location=boston))
        finally:
            connection.close()

    with _Holder(lock_key(OPERATIONS_LOCK, boston.pk)) as holder:
        # The holder writes the row just before it lets go, as a request computing it would.
        holder.then = lambda: operations_figures_refresh(location=boston, now=written)
        waiting = threading.Thread(target=page)
        waiting.start()
        waiting.join(timeout=1)
        assert waiting.is_alive() and shown == []  # waits on the lock, computes nothing
    waiting.join(timeout=30)
    assert [s.counted_at for s in shown] == [written]
    assert len(counting) == 1  # the holder's computation only
