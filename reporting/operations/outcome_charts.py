"""The dashboard's responder charts (outcome_figures.py): rate by infusions received and by
location, each with the counts behind it and a CSV of the same rows."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clinic.formatting import format_date

from ..charts import Series, column_chart
from .chart_tables import ChartTable, Percent, _opt, _percent
from .outcome_figures import ResponderFigures, ResponderRow

_DEFINITION = gettext_noop(
    "Courses completed in the last 365 days; responder status at the latest follow-up reached "
    "(3 months after the last infusion, else 1 month, else the end of the course): at least "
    "50% fewer headache days per 28 days than at baseline, from the patient's diary. Rate over "
    "the patients with 7 or more diary days in both periods."
)
_HEADERS = [
    gettext_noop("Courses completed"),
    gettext_noop("With diary figures"),
    gettext_noop("Responders"),
    gettext_noop("Responder rate"),
]
_CSV = ["courses_completed", "with_diary_figures", "responders", "responder_percent"]


def _cells(row: ResponderRow) -> tuple:
    return (row.patients, row.with_figures, row.responders, _opt(Percent, row.rate))


def _chart(slug, title, first, first_csv, rows, total, counted_at) -> ChartTable:
    definition = _(_DEFINITION)
    if counted_at:  # kept counts: say how fresh they are
        when = format_date(counted_at, "D j M Y, g:i A T")
        definition += " " + _("Counted %(when)s.") % {"when": when}
    return ChartTable(
        slug=slug,
        title=_(title),
        definition=definition,
        svg=column_chart(
            [r.label for r in rows], [Series(_("Responder rate"), [r.rate for r in rows])], _percent
        ),
        headers=[_(first), *(_(h) for h in _HEADERS)],
        csv_headers=[first_csv, *_CSV],
        rows=[(r.label, *_cells(r)) for r in rows],
        total=(_("All"), *_cells(total)),
    )


def outcome_charts(figures: ResponderFigures) -> list[ChartTable]:
    return [
        _chart(
            "responders_by_infusions",
            gettext_noop("Responders by infusions received"),
            gettext_noop("Infusions received"),
            "infusions_received",
            figures.by_infusions,
            figures.total,
            figures.counted_at,
        ),
        _chart(
            "responders_by_location",
            gettext_noop("Responders by location"),
            gettext_noop("Location"),
            "location",
            figures.by_location,
            figures.total,
            figures.counted_at,
        ),
    ]
