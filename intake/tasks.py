"""Intake's Celery tasks (found by Celery's autodiscovery through this module)."""

from celery import shared_task

from .inbox.tasks import read_document
from .outcome_reports import outcome_report_notices_send

__all__ = ["read_document", "send_outcome_report_notices"]


@shared_task(name="intake.tasks.send_outcome_report_notices")
def send_outcome_report_notices() -> int:
    """E-mail referring providers whose patient's outcome report reached a new time point
    (once each: the e-mail's dedupe key)."""
    return outcome_report_notices_send()
