"""Reads for the operations dashboard (/operations/). figures.py aggregates the last 90 days in
PostgreSQL (its docstring defines every figure); chart_tables.py turns them into the page's
charts, tables and CSV downloads; kept.py keeps them in the database for the page, recomputed
every 10 minutes. Import from here."""

from .chart_tables import CHART_BUILDERS, ChartTable, dashboard_charts
from .figures import FUNNEL_STAGES, WINDOW_DAYS, Operations, Week, operations_summary, percent
from .kept import RECOUNT_EVERY, operations_figures_recent, operations_figures_refresh_all
from .page import Kept, PageReads, kept_figures, page_reads
from .waitlist import Refills

__all__ = [
    "CHART_BUILDERS",
    "FUNNEL_STAGES",
    "RECOUNT_EVERY",
    "WINDOW_DAYS",
    "ChartTable",
    "Kept",
    "Operations",
    "PageReads",
    "Refills",
    "Week",
    "dashboard_charts",
    "kept_figures",
    "operations_figures_recent",
    "operations_figures_refresh_all",
    "operations_summary",
    "page_reads",
    "percent",
]
