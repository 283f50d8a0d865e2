"""The operations dashboard's charts: each one's drawing, table and CSV come from the same rows,
those of the Operations summary (figures.py)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from clinic.formatting import format_date

from ..charts import Series, Svg, column_chart, funnel_chart
from .figures import Operations, percent


@dataclass(frozen=True)
class ChartTable:
    slug: str
    title: str
    definition: str
    svg: Svg
    headers: list[str]  # the table's column headings
    csv_headers: list[str]
    rows: list[tuple]  # raw values: dates, ints, Decimals, None
    total: tuple | None = None

    @property
    def display_rows(self) -> list[list[str]]:
        return [[_show(v) for v in row] for row in self.rows]

    @property
    def display_total(self) -> list[str] | None:
        return [_show(v) for v in self.total] if self.total else None

    def csv_rows(self) -> list[list[str]]:
        rows = [*self.rows, *([self.total] if self.total else [])]
        return [[_csv(v) for v in row] for row in rows]


class Hours(float):
    pass


class Percent(Decimal):
    pass


class Money(Decimal):
    pass


def _show(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        # Translators: a week's label under a chart (Django's date letters): "Sep 7"; "7 sep".
        return format_date(value, pgettext("chart week label", "M j"))
    if isinstance(value, Money):
        return f"${value:,.2f}"
    if isinstance(value, Percent):
        return f"{value}%"
    if isinstance(value, Hours):
        return f"{value:.1f} h"
    return str(value)


def _csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _opt(cls, value):
    return None if value is None else cls(value)


# --- the five charts, each with its table and CSV --------------------------------------------


def _money(value) -> str:
    return f"${Decimal(value):,.0f}"


def _thousands(value) -> str:  # a short axis label
    return f"${float(value) / 1000:g}k" if value else "$0"


def _percent(value) -> str:
    return f"{float(value):.1f}%".replace(".0%", "%")


def _hours(value) -> str:
    return f"{float(value):.1f} h"


def _week_labels(ops: Operations) -> list[str]:
    return [_show(w.start) for w in ops.weeks]


def _funnel_chart(ops: Operations) -> ChartTable:
    received = ops.funnel[0][2]
    return ChartTable(
        slug="funnel",
        title=_("Referral funnel"),
        definition=_("Referrals received in the window, by the furthest stage each reached."),
        svg=funnel_chart([(_(label), n) for _key, label, n in ops.funnel], str),
        headers=[_("Stage"), _("Referrals"), _("Share of received")],
        csv_headers=["stage", "referrals", "percent_of_received"],
        rows=[(_(label), n, _opt(Percent, percent(n, received))) for _k, label, n in ops.funnel],
    )


def _first_contact_chart(ops: Operations) -> ChartTable:
    labels = _week_labels(ops)
    return ChartTable(
        slug="first_contact",
        title=_("Time to first contact"),
        definition=_(
            "Median hours from a referral's arrival to the first call that reached "
            "the patient, by week of arrival."
        ),
        svg=column_chart(
            labels, [Series(_("Median"), [w.median_hours for w in ops.weeks])], _hours
        ),
        headers=[_("Week of"), _("Patients reached"), _("Median hours")],
        csv_headers=["week_starting", "patients_reached", "median_hours"],
        rows=[(w.start, w.contacted, _opt(Hours, w.median_hours)) for w in ops.weeks],
        total=(_("All weeks"), ops.contacted, _opt(Hours, ops.median_hours)),
    )


def _utilisation_chart(ops: Operations) -> ChartTable:
    labels = _week_labels(ops)
    total = ops.totals
    return ChartTable(
        slug="utilisation",
        title=_("Chair utilisation by week"),
        definition=_(
            "Chair hours held by booked, checked-in and completed sessions, over the "
            "chair hours open (opening hours less closures, times the chairs in service)."
        ),
        svg=column_chart(
            labels, [Series(_("Utilisation"), [w.utilisation for w in ops.weeks])], _percent
        ),
        headers=[_("Week of"), _("Chair hours open"), _("Chair hours held"), _("Utilisation")],
        csv_headers=["week_starting", "chair_hours_open", "chair_hours_held", "percent"],
        rows=[
            (w.start, w.open_hours, w.held_hours, _opt(Percent, w.utilisation)) for w in ops.weeks
        ],
        total=(
            _("All weeks"),
            total.open_hours,
            total.held_hours,
            _opt(Percent, total.utilisation),
        ),
    )


def _attendance_chart(ops: Operations) -> ChartTable:
    labels = _week_labels(ops)
    total = ops.totals
    return ChartTable(
        slug="attendance",
        title=_("No-shows and late cancellations"),
        definition=_(
            "Share of the sessions whose time came (less those cancelled or moved "
            "with enough notice) that were no-shows, or cancelled or moved late."
        ),
        svg=column_chart(
            labels,
            [
                Series(_("No-show"), [w.no_show_rate for w in ops.weeks]),
                Series(_("Late cancellation"), [w.late_cancel_rate for w in ops.weeks]),
            ],
            _percent,
        ),
        headers=[
            _("Week of"),
            _("Sessions due"),
            _("No-shows"),
            _("No-show rate"),
            _("Late cancellations"),
            _("Late-cancellation rate"),
        ],
        csv_headers=[
            "week_starting",
            "sessions_due",
            "no_shows",
            "no_show_percent",
            "late_cancellations",
            "late_cancellation_percent",
        ],
        rows=[
            (
                w.start,
                w.due,
                w.no_shows,
                _opt(Percent, w.no_show_rate),
                w.late_cancels,
                _opt(Percent, w.late_cancel_rate),
            )
            for w in ops.weeks
        ],
        total=(
            _("All weeks"),
            total.due,
            total.no_shows,
            _opt(Percent, total.no_show_rate),
            total.late_cancels,
            _opt(Percent, total.late_cancel_rate),
        ),
    )


def _revenue_chart(ops: Operations) -> ChartTable:
    labels = _week_labels(ops)
    total = ops.totals
    return ChartTable(
        slug="revenue",
        title=_("Estimated self-pay revenue and collected payments"),
        definition=_(
            "Booked, checked-in and completed sessions at the infusion list price in "
            "effect on their day (no package discounts, consultations or optional items); "
            "beside it, card payments received in the week, less refunds."
        ),
        svg=column_chart(
            labels,
            [
                Series(_("Revenue"), [w.revenue for w in ops.weeks]),
                Series(_("Collected"), [w.collected for w in ops.weeks]),
            ],
            _money,
            axis_fmt=_thousands,
        ),
        headers=[
            _("Week of"),
            _("Sessions"),
            _("Without a price"),
            _("Estimated revenue"),
            _("Collected"),
        ],
        csv_headers=[
            "week_starting",
            "sessions",
            "sessions_without_price",
            "revenue_usd",
            "collected_usd",
        ],
        rows=[
            (w.start, w.booked, w.unpriced, Money(w.revenue), Money(w.collected)) for w in ops.weeks
        ],
        total=(
            _("All weeks"),
            total.booked,
            total.unpriced,
            Money(total.revenue),
            Money(total.collected),
        ),
    )


# In page order.
CHART_BUILDERS = [
    _funnel_chart,
    _first_contact_chart,
    _utilisation_chart,
    _attendance_chart,
    _revenue_chart,
]


def dashboard_charts(ops: Operations) -> list[ChartTable]:
    """The five charts of the dashboard, in page order."""
    return [chart(ops) for chart in CHART_BUILDERS]
