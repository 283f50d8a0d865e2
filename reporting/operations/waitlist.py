"""The waitlist on the operations dashboard: freed times (cancelled, moved, offered by hand) in
the last 90 days, how many the waitlist refilled, and the median time from freed to refilled.
Counts and minutes only; the page reads them in its own statement (page.py), with REFILLS_SQL
as a subquery."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from waitlist.models import SlotStatus

from .figures import WINDOW_DAYS, percent

REFILLS_SQL = f"""
SELECT count(*),
       count(*) FILTER (WHERE status = '{SlotStatus.FILLED}'),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM filled_at - freed_at))
         FILTER (WHERE status = '{SlotStatus.FILLED}') / 60.0
FROM waitlist_freedslot
WHERE freed_at >= %(since)s AND (%(loc)s::bigint IS NULL OR location_id = %(loc)s::bigint)
"""  # noqa: S608 (the interpolations are constants of this module)


@dataclass(frozen=True)
class Refills:
    freed: int
    refilled: int
    median_minutes: float | None

    @property
    def refilled_rate(self) -> Decimal | None:
        return percent(self.refilled, self.freed)


def refills_params(*, location_id: int | None, now: dt.datetime) -> dict:
    return {"since": now - dt.timedelta(days=WINDOW_DAYS), "loc": location_id}


def refills_from_row(freed: int, refilled: int, median: float | None) -> Refills:
    return Refills(
        freed=freed,
        refilled=refilled,
        median_minutes=round(median, 1) if median is not None else None,
    )
