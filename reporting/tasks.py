from celery import shared_task
from django.utils import timezone

from .operations.outcome_figures import responder_counts_refresh


@shared_task(name="reporting.tasks.refresh_responder_counts")
def refresh_responder_counts() -> None:
    """Recount the dashboard's responder rates, so no page waits for the count."""
    responder_counts_refresh(now=timezone.now())
