"""The call queue's rules, written once for the queue page (selectors.queue_rows) and for
'Next call' (services.case_claim_next): the order, what "callable now" means, and when a case is
held by another coordinator.

A case is callable now when it is open, not waiting for a retry (its next attempt time has come
or it has none) and it is inside calling hours in the patient's zone (clinic.calling_hours). The
queue page lists callable cases first, marking those on another coordinator's call; Next call
takes the first callable case nobody else holds. The claim-next statement is hand-written SQL
(its hottest path), so the rule is kept here as SQL fragments that both queries use.
"""

import datetime as dt

from clinic.calling_hours import calling_hours, within_calling_hours

from .models.cases import NO_NEXT_ATTEMPT

__all__ = [
    "NEVER",
    "ORDER",
    "callable_sql",
    "free_sql",
    "held_by_other",
    "within_calling_hours",
]


_TABLE = "intake_intakecase"
NEVER = NO_NEXT_ATTEMPT  # "no next attempt" in intake_open_ready_idx
# Within "callback due" and within the rest: urgent first, then the oldest. The open-queue
# index intake_open_ready_idx has exactly this order.
ORDER = "urgent DESC, created_at, id"


def callable_sql(now: dt.datetime) -> tuple[str, list]:
    """SQL true when an open case may be called now (no retry pending, inside calling hours in
    its own zone), and its parameters."""
    start, end = calling_hours()
    # "No retry pending" written as one comparison on the expression intake_open_ready_idx
    # holds (NEVER for none), so a walk of that index passes the cases waiting for a retry
    # without reading their rows: after a morning of no-answers thousands of them sit at the
    # head of the queue, and reading each row made a claim take 28 ms instead of 0.2 ms.
    sql = (
        f"COALESCE({_TABLE}.next_attempt_at, '{NEVER.isoformat()}'::timestamptz) <= %s "
        f"AND EXTRACT(HOUR FROM (%s::timestamptz AT TIME ZONE {_TABLE}.time_zone)) "
        "BETWEEN %s AND %s"
    )
    return sql, [now, now, start, end - 1]


def free_sql(now: dt.datetime) -> tuple[str, list]:
    """SQL true when no coordinator holds a live claim on the case (a lapsed claim holds
    nothing), and its parameters."""
    return f"({_TABLE}.claimed_by_id IS NULL OR {_TABLE}.claim_expires_at <= %s)", [now]


def held_by_other(case, *, coordinator_id: int, now: dt.datetime) -> bool:
    """Another coordinator holds a live claim on the case: free_sql's rule, for a loaded row."""
    return bool(
        case.claimed_by_id not in (None, coordinator_id)
        and case.claim_expires_at
        and case.claim_expires_at > now
    )
