from celery import shared_task
from django.utils import timezone

from .operations.kept import operations_figures_refresh_all
from .operations.outcome_figures import responder_counts_refresh


@shared_task(name="reporting.tasks.refresh_dashboard_figures")
def refresh_dashboard_figures() -> None:
    """Recompute what the operations dashboard keeps (the responder counts, and the 90-day
    figures of all locations and of each), so no page waits for them. Safe to run twice."""
    now = timezone.now()
    responder_counts_refresh(now=now)
    operations_figures_refresh_all(now=now)


@shared_task(name="reporting.tasks.refresh_responder_counts")
def refresh_responder_counts() -> None:
    """The same as refresh_dashboard_figures, under the name beat's entry had before it also
    refreshed the operations figures: a message already queued under the old name at an upgrade
    still finds its task. Migration reporting/0003 removes the old entry from beat's table."""
    refresh_dashboard_figures()
