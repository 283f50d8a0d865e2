"""What the operations page reads on every request, in one statement, and the kept figures it
shows, read and parsed once per kept row in each process.

The figures are kept as JSON rows, rewritten by each recount (every 10 minutes: kept.py). Read
into objects on every request they cost more than the rest of the page, so each process keeps
what it read by the row's version, and the page asks the database only for the versions (with
the waitlist's refills and the filter's locations, in the same statement). A row's version is
PostgreSQL's (xmin, ctid): the transaction that wrote it and where it lies, both new with every
rewrite, even two rewrites in one transaction or at one instant."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from django.db import connection

from scheduling.models import Location

from ..models import OperationsFigures, ResponderCounts
from .figures import Operations
from .kept import RECOUNT_EVERY, operations_figures_recent, operations_fresh
from .outcome_figures import ResponderFigures, responder_figures_recent
from .waitlist import REFILLS_SQL, Refills, refills_from_row, refills_params

_PAGE_SQL = f"""
SELECT (SELECT xmin::text || ctid::text FROM {OperationsFigures._meta.db_table}
         WHERE location_id IS NOT DISTINCT FROM %(loc)s::bigint),
       (SELECT xmin::text || ctid::text FROM {ResponderCounts._meta.db_table} WHERE id = 1),
       (SELECT json_agg(json_build_array(id, name) ORDER BY name)
          FROM {Location._meta.db_table}),
       refills.*
  FROM ({REFILLS_SQL}) refills
"""  # noqa: S608 (table names and a constant of this package, never input)


@dataclass(frozen=True)
class PageReads:
    operations_version: str | None  # None: this scope's figures were never kept
    responders_version: str | None
    locations: list[tuple[int, str]]  # (id, name), by name: the filter's choices
    refills: Refills


def page_reads(*, location_id: int | None, now: dt.datetime) -> PageReads:
    """One statement: the kept rows' versions for the scope (every location when None), every
    location's id and name, and the waitlist's refills in the scope."""
    with connection.cursor() as cursor:
        cursor.execute(_PAGE_SQL, refills_params(location_id=location_id, now=now))
        ops_version, responders_version, locations, *refills = cursor.fetchone()
    return PageReads(
        operations_version=ops_version,
        responders_version=responders_version,
        locations=[(pk, name) for pk, name in locations or []],
        refills=refills_from_row(*refills),
    )


@dataclass(frozen=True)
class Kept:
    """Figures as read once, with their repr (every number in them and the time they were
    counted), worked out once too: what is drawn from them is kept by it."""

    figures: Operations | ResponderFigures
    fingerprint: str


# (scope's location id or None, row version[, locations]) -> what was read from that row. A few
# scopes, each row version replaced by the next within minutes: cleared when full, never grown.
_OPERATIONS: dict[tuple, Kept] = {}
_RESPONDERS: dict[tuple, Kept] = {}
_KEPT_MAX = 64
_LOCK = threading.Lock()


def _keep(memo: dict, key: tuple | None, figures) -> Kept:
    kept = Kept(figures, repr(figures))
    if key is not None:
        with _LOCK:
            if len(memo) >= _KEPT_MAX:
                memo.clear()
            memo[key] = kept
    return kept


def kept_figures(
    *, reads: PageReads, location: Location | None, now: dt.datetime
) -> tuple[Kept, Kept]:
    """The scope's operations figures and responder figures as operations_figures_recent and
    responder_figures_recent give them (recounted first when stale), read from the database
    only when this process has not read the row's current version yet, or when what it read
    has gone stale. The responder figures name the locations: a renamed one is read again."""
    scope = location.pk if location else None
    key = (scope, reads.operations_version) if reads.operations_version else None
    ops = _OPERATIONS.get(key)
    if ops is None or not operations_fresh(ops.figures, now):
        ops = _keep(_OPERATIONS, key, operations_figures_recent(location=location, now=now))
    key = (
        (scope, reads.responders_version, tuple(reads.locations))
        if reads.responders_version
        else None
    )
    responders = _RESPONDERS.get(key)
    if responders is None or responders.figures.counted_at < now - RECOUNT_EVERY:
        figures = responder_figures_recent(location=location, now=now)
        responders = _keep(_RESPONDERS, key, figures)
    return ops, responders
