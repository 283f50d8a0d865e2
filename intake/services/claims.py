"""Claiming the call queue: the next call (one SQL statement), a chosen case, letting it go,
and the checklist a coordinator ticks while holding a case."""

import datetime as dt
import functools

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from clinic.db import GENERIC_PLAN, execute_prepared
from clinic.errors import ApplicationError
from clinic.models import User

from ..models import ChecklistItem, IntakeCase
from ..queue import ORDER, callable_sql, free_sql, held_by_other


def _claim_minutes() -> int:
    return settings.INTAKE_CLAIM_MINUTES


# The claimed row comes back as these columns, and is built from them without a queryset.
_COLUMNS = IntakeCase._meta.concrete_fields
_ATTNAMES = [field.attname for field in _COLUMNS]
_CLAIM_SETTINGS = f"SET LOCAL synchronous_commit TO OFF; {GENERIC_PLAN}"


# Claim-next is the queue's one contention point and its hottest path: one statement, written
# out and prepared on each connection (clinic.db.execute_prepared) with its generic plan
# (case_claim_next), so that twenty coordinators pressing 'Next call' at once each wait for one
# round trip and nothing is compiled or planned per call. Three probes, tried in order, each
# walking an index in the queue's order and stopping at the first free row (FOR UPDATE SKIP
# LOCKED: a row another claimer has just locked is skipped, never waited for): this
# coordinator's live claim, then due callbacks (intake_open_due_idx), then the rest, urgent
# first, then the oldest (intake_open_ready_idx). The status is written as a literal: the
# indexes are partial (open cases only), and a generic plan cannot use them for a status given
# as a parameter. A CTE is read only as far as its reader asks, and an Append over CTE scans is
# never parallel, so a held case comes back as it is and nothing else is locked.
@functools.cache
def _claim_next_sql() -> str:
    """The statement's text (the same for every call: the values are its parameters)."""
    now = timezone.now()  # the fragments' text does not depend on it
    callable_now, _ = callable_sql(now)
    free, _ = free_sql(now)
    open_ = IntakeCase.Status.OPEN.value
    columns = ", ".join(f"c.{field.column}" for field in _COLUMNS)
    return f"""
    WITH held(id) AS (
        SELECT id FROM intake_intakecase
        WHERE status = '{open_}' AND claimed_by_id = %s AND claim_expires_at > %s
        LIMIT 1 FOR UPDATE
    ), due(id) AS (
        SELECT id FROM intake_intakecase
        WHERE status = '{open_}' AND callback_at IS NOT NULL AND callback_at <= %s
            AND {callable_now} AND {free}
        ORDER BY {ORDER} LIMIT 1 FOR UPDATE SKIP LOCKED
    ), rest(id) AS (
        SELECT id FROM intake_intakecase
        WHERE status = '{open_}' AND (callback_at IS NULL OR callback_at > %s) AND {callable_now}
            AND {free}
        ORDER BY {ORDER} LIMIT 1 FOR UPDATE SKIP LOCKED
    ), pick(id, held) AS (
        SELECT id, true FROM held
        UNION ALL SELECT id, false FROM due
        UNION ALL SELECT id, false FROM rest
        LIMIT 1
    )
    UPDATE intake_intakecase AS c
    SET claimed_by_id = %s,
        claim_expires_at = CASE WHEN pick.held THEN c.claim_expires_at ELSE %s END,
        updated_at = CASE WHEN pick.held THEN c.updated_at ELSE %s END
    FROM pick WHERE c.id = pick.id
    RETURNING {columns}"""  # noqa: S608 - the fragments are intake.queue's, every value a parameter


def _claim_next_params(*, me: int, now: dt.datetime, expires: dt.datetime) -> list:
    _, callable_params = callable_sql(now)
    _, free_params = free_sql(now)
    return [
        *(me, now),
        *(now, *callable_params, *free_params),
        *(now, *callable_params, *free_params),
        *(me, expires, now),
    ]


def case_claim_next(*, coordinator: User, now: dt.datetime | None = None) -> IntakeCase | None:
    """Gives the coordinator the top callable case (due callbacks, then urgent referrals, then
    the oldest; not waiting for a retry, inside the patient's calling hours), held for
    INTAKE_CLAIM_MINUTES.

    A coordinator who still holds a live claim gets that case back. Two coordinators pressing
    'Next call' at the same moment never get the same case: the candidate row is locked with
    FOR UPDATE SKIP LOCKED, so a concurrent claimer skips it and takes the next one. A lapsed
    claim needs no job to free it: the query treats it as unclaimed. Returns None when nothing
    is callable."""
    now = now or timezone.now()
    params = _claim_next_params(
        me=coordinator.pk, now=now, expires=now + dt.timedelta(minutes=_claim_minutes())
    )
    with connection.cursor() as cursor:
        # A claim is a soft hold that lapses by itself. Were the server to crash in the instant
        # after this commit, losing it would only put the case back in the queue, so the commit
        # need not wait for the disk (call logs and audit rows still do). The settings go in
        # the statement's round trip, which PostgreSQL runs as one transaction: one round trip
        # instead of four (BEGIN, SET LOCAL, the statement, COMMIT), and with twenty claimers
        # on two cores each round trip waits for the server process to be scheduled. Inside a
        # caller's transaction the statement is part of it.
        # The generic plan, forced: PostgreSQL kept planning each claim (its custom plans
        # looked cheaper to it, as they know the time), although both walk the same indexes in
        # the same order, whatever the time; the plan costs 0.15 ms of a 0.7 ms claim.
        execute_prepared(cursor, _claim_next_sql(), params, before=_CLAIM_SETTINGS)
        row = cursor.fetchone()
    if row is None:
        return None
    return IntakeCase.from_db(connection.alias, _ATTNAMES, row)


def case_claim(
    *, case: IntakeCase, coordinator: User, now: dt.datetime | None = None
) -> IntakeCase:
    """Takes one particular case (a patient calling back, say), releasing any other case this
    coordinator held. Refused while another coordinator's claim is live."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_for(case, coordinator, now)
        IntakeCase.objects.filter(claimed_by=coordinator).exclude(pk=locked.pk).update(
            claimed_by=None, claim_expires_at=None
        )
        locked.claimed_by = coordinator
        locked.claim_expires_at = now + dt.timedelta(minutes=_claim_minutes())
        locked.save(update_fields=["claimed_by", "claim_expires_at", "updated_at"])
    return locked


def _lock_for(case: IntakeCase, coordinator: User, now: dt.datetime) -> IntakeCase:
    locked = IntakeCase.objects.select_for_update().select_related("referral").get(pk=case.pk)
    if locked.status != IntakeCase.Status.OPEN:
        raise ApplicationError("This case is already closed.")
    if held_by_other(locked, coordinator_id=coordinator.pk, now=now):
        raise ApplicationError("Another coordinator is on this call right now.")
    return locked


def case_release(*, case: IntakeCase, coordinator: User) -> None:
    """Hands a claimed case back to the queue without logging a call."""
    IntakeCase.objects.filter(pk=case.pk, claimed_by=coordinator).update(
        claimed_by=None, claim_expires_at=None, updated_at=timezone.now()
    )


def case_set_checklist_item(
    *, case: IntakeCase, coordinator: User, item: str, ticked: bool
) -> IntakeCase:
    """Ticks or unticks one talking point; the call must be this coordinator's."""
    if item not in ChecklistItem.values:
        raise ApplicationError("Unknown checklist item.")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_for(case, coordinator, now)
        points = set(locked.checklist)
        points.add(item) if ticked else points.discard(item)
        locked.checklist = [value for value in ChecklistItem.values if value in points]
        locked.save(update_fields=["checklist", "updated_at"])
    return locked
