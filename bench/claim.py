"""Claim-next: twenty coordinators, each in a process of its own, pressing 'Next call'. Imported by
bench/run.py once Django is set up."""

from __future__ import annotations

import statistics
import time

from django.db import connections
from django.db.models import Q
from django.utils import timezone

from clinic.models import User
from intake.models import IntakeCase
from intake.services import call_log, case_claim_next, case_release

from .config import CLAIMERS, CLAIMS_EACH, pct, say

# --- claim-next ---------------------------------------------------------------------------------


def _claimer(user_pk: int, barrier, results, alone: bool) -> None:
    """One coordinator in a process of its own (as each would be in its own web worker). With
    `alone`, the twenty claim in rounds: all claim (timed), and only when every claim of the
    round is done do they log their calls, so a claim competes with claims and never with the
    call logs (which otherwise take most of the cores)."""
    user = User.objects.get(pk=user_pk)
    timings, empty = [], 0
    barrier.wait()
    for _ in range(CLAIMS_EACH):
        started = time.monotonic()
        case = case_claim_next(coordinator=user)
        timings.append((time.monotonic() - started) * 1000)
        if alone:
            barrier.wait()
        if case is None:
            empty += 1
        else:
            call_log(case=case, coordinator=user, outcome="no_answer")
        if alone:
            barrier.wait()
    results.put((timings, empty))


def _hand_back(coordinators: list[User]) -> None:
    """The 'Next call' page scenario leaves one live claim per coordinator it used (up to
    NEXT_CALLERS, all at the head of the queue). A real coordinator logs the call or hands it
    back, never holds a thousand at once: hand them back, as well as the claimers' own."""
    bench_callers = User.objects.filter(email__startswith="bench-coordinator-")
    held = IntakeCase.objects.open().filter(
        Q(claimed_by__in=coordinators) | Q(claimed_by__in=bench_callers)
    )
    for case in held.select_related("claimed_by"):
        case_release(case=case, coordinator=case.claimed_by)


def _claims(coordinators: list[User], *, alone: bool) -> dict:
    import multiprocessing

    _hand_back(coordinators)
    open_cases = IntakeCase.objects.open().count()
    # Due callbacks are claimed first, through their own index walk: the seed leaves a morning's
    # worth, and each run's no-answers clear the ones it claims, so say how many there were.
    due_callbacks = IntakeCase.objects.open().filter(callback_at__lte=timezone.now()).count()
    connections.close_all()  # each forked process opens its own
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(coordinators))
    results = context.Queue()
    processes = [
        context.Process(target=_claimer, args=(u.pk, barrier, results, alone)) for u in coordinators
    ]
    started = time.monotonic()
    for p in processes:
        p.start()
    timings: list[float] = []
    empty = 0
    for _ in processes:
        got, none = results.get(timeout=600)
        timings += got
        empty += none
    for p in processes:
        p.join()
    return {
        "coordinators": len(coordinators),
        "open_cases": open_cases,
        "due_callbacks": due_callbacks,
        "claims": len(timings),
        "found_nothing": empty,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(pct(timings, 0.95), 1),
        "wall_s": round(time.monotonic() - started, 1),
    }


def measure_claim_next() -> dict:
    """The figure of record (each claim followed by its call log, as coordinators work, all
    twenty at once) and, under "alone", the same claims without call logs running beside them."""
    coordinators = list(User.objects.filter(email__regex=r"^coordinator\d\d@scale\.example$"))[
        :CLAIMERS
    ]
    result = _claims(coordinators, alone=False)
    result["alone"] = _claims(coordinators, alone=True)
    say(f"claim-next: {result}")
    return result
