"""Billing's Celery tasks (found by autodiscovery): the payments ledger's, and the Good Faith
Estimate's document stored after the booking that issued it commits."""

from celery import shared_task

from .payments.tasks import charge_payment, charge_waiting_payments, refund_payment
from .services import estimate_document_store, estimates_without_document

__all__ = [
    "charge_payment",
    "charge_waiting_payments",
    "refund_payment",
    "store_estimate_document",
    "store_missing_estimate_documents",
]


@shared_task(name="billing.tasks.store_estimate_document")
def store_estimate_document(estimate_id: int) -> int:
    """Render and keep one estimate's document; safe to run twice (the second finds it)."""
    return estimate_document_store(estimate_id=estimate_id).pk


@shared_task(name="billing.tasks.store_missing_estimate_documents")
def store_missing_estimate_documents() -> int:
    """Beat, every minute: store every recent estimate's document still missing (Redis lost the
    task, or no worker ran it)."""
    ids = estimates_without_document()
    for pk in ids:
        estimate_document_store(estimate_id=pk)
    return len(ids)
