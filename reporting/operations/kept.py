"""The dashboard's figures as kept in the database, so no page waits for them to be computed.

Two kinds are kept: the 90-day operations figures of each scope (every location together, and
each location: OperationsFigures, one row per scope) and the responder counts
(ResponderCounts, outcome_figures.py). Beat recomputes both every RECOUNT_EVERY
(reporting.tasks.refresh_dashboard_figures); a page recomputes a scope itself only when its
row is older than that or missing, under a lock per scope (`recount_under_lock`): of several
requests that find the same row stale, one recomputes and the others show the older row; with
no row yet, they wait for the one computing and then read its row."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import fields
from decimal import Decimal
from typing import TypeVar

from django.db import connection, transaction
from django.utils import timezone

from scheduling.models import Location

from ..models import OperationsFigures
from .figures import FUNNEL_STAGES, Operations, Week, operations_summary

RECOUNT_EVERY = dt.timedelta(minutes=10)  # beat's schedule (settings) and the page's limit

# Advisory lock keys: a namespace of their own (0x0E for 'reporting'), then the kind and the
# scope (a location's id; 0 for all locations).
_LOCK_NAMESPACE = 0x0E << 48
OPERATIONS_LOCK = 1 << 40
RESPONDERS_LOCK = 2 << 40

T = TypeVar("T")


def lock_key(kind: int, location_id: int | None = None) -> int:
    return _LOCK_NAMESPACE | kind | (location_id or 0)


def hold_lock(key: int) -> None:
    """Wait for the key's transaction-level advisory lock (the caller is in a transaction; the
    lock goes with it at commit). The same session taking it again passes at once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def recount_under_lock(
    *, key: int, kept: T | None, reread: Callable[[], T | None], recount: Callable[[], T]
) -> T:
    """Recompute figures whose row is stale (`kept`) or missing (None), one request at a time
    per key. A transaction-level advisory lock, released at commit: a request that cannot take
    it at once shows the older row while another recomputes; with no row to show it waits, and
    then finds the row the other wrote (`reread`: the row if fresh, else None)."""
    with transaction.atomic():
        if kept is None:
            hold_lock(key)
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
                if not cursor.fetchone()[0]:
                    return kept
        return reread() or recount()


# --- the operations figures as JSON (dates ISO, amounts as strings, never float) --------------

_DECIMALS = {f.name for f in fields(Week) if isinstance(f.default, Decimal)}


def _week_json(week: Week) -> dict:
    row = {f.name: getattr(week, f.name) for f in fields(Week)}
    row["start"] = week.start.isoformat()
    for name in _DECIMALS:
        row[name] = str(row[name])
    return row


def _week(row: dict) -> Week:
    values = dict(row, start=dt.date.fromisoformat(row["start"]))
    for name in _DECIMALS:
        values[name] = Decimal(values[name])
    return Week(**values)


def operations_json(ops: Operations) -> dict:
    return {
        "zones": [list(zone) for zone in ops.zones],
        "first_day": ops.first_day.isoformat(),
        "last_day": ops.last_day.isoformat(),
        "funnel": [n for _key, _label, n in ops.funnel],
        "median_hours": ops.median_hours,
        "contacted": ops.contacted,
        "weeks": [_week_json(w) for w in ops.weeks],
    }


def operations_from_json(data: dict, counted_at: dt.datetime | None = None) -> Operations:
    return Operations(
        zones=[tuple(zone) for zone in data["zones"]],
        first_day=dt.date.fromisoformat(data["first_day"]),
        last_day=dt.date.fromisoformat(data["last_day"]),
        funnel=[
            (key, label, n) for (key, label), n in zip(FUNNEL_STAGES, data["funnel"], strict=True)
        ],
        median_hours=data["median_hours"],
        contacted=data["contacted"],
        weeks=[_week(row) for row in data["weeks"]],
        counted_at=counted_at,
    )


def _read(row: OperationsFigures) -> Operations:
    return operations_from_json(row.figures, row.computed_at)


# --- keeping and reading them -----------------------------------------------------------------


def operations_figures_refresh(
    *, location: Location | None, now: dt.datetime | None = None
) -> OperationsFigures:
    """Compute one scope's figures now and keep them (its row, replaced), under the scope's
    lock: a page or beat computing the same scope at the same time waits, never collides on
    the row."""
    now = now or timezone.now()
    with transaction.atomic():
        hold_lock(lock_key(OPERATIONS_LOCK, location.pk if location else None))
        figures = operations_json(operations_summary(location=location, now=now))
        row, _ = OperationsFigures.objects.update_or_create(
            location=location, defaults={"computed_at": now, "figures": figures}
        )
    return row


def _fresh(row: OperationsFigures | None, now: dt.datetime) -> OperationsFigures | None:
    """The row if it is recent enough and its window still ends today (so the page's "today
    included" stays true just after midnight), else None."""
    if row is None or row.computed_at < now - RECOUNT_EVERY:
        return None
    if not _ends_today(row.figures["zones"], row.figures["last_day"], now):
        return None
    return row


def _ends_today(zones: list, last_day: str, now: dt.datetime) -> bool:
    today = max(
        (timezone.localdate(now, zoneinfo.ZoneInfo(tz)) for _name, tz in zones), default=None
    )
    return today is None or today.isoformat() == last_day


def operations_fresh(ops: Operations, now: dt.datetime) -> bool:
    """Figures already read (operations_figures_recent) that the page may still show as they
    are: what `_fresh` asks of their row."""
    return (
        ops.counted_at is not None
        and ops.counted_at >= now - RECOUNT_EVERY
        and _ends_today(ops.zones, ops.last_day.isoformat(), now)
    )


def operations_figures_recent(
    *, location: Location | None = None, now: dt.datetime | None = None
) -> Operations:
    """The scope's kept figures (one query), recomputed first when older than RECOUNT_EVERY,
    of another day, or never computed (under the scope's lock: see recount_under_lock)."""
    now = now or timezone.now()
    kept = OperationsFigures.objects.filter(location=location).first()
    if _fresh(kept, now):
        return _read(kept)
    row = recount_under_lock(
        key=lock_key(OPERATIONS_LOCK, location.pk if location else None),
        kept=kept,
        reread=lambda: _fresh(OperationsFigures.objects.filter(location=location).first(), now),
        recount=lambda: operations_figures_refresh(location=location, now=now),
    )
    return _read(row)


def operations_figures_refresh_all(*, now: dt.datetime | None = None) -> int:
    """Beat's recount of every scope (all locations, then each location), one transaction
    each. The rows of locations no longer there went with them (on_delete=CASCADE). Returns
    how many scopes were computed."""
    now = now or timezone.now()
    scopes: list[Location | None] = [None, *Location.objects.order_by("pk")]
    for location in scopes:
        operations_figures_refresh(location=location, now=now)
    return len(scopes)
