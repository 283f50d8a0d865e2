"""Billing's Celery tasks (found by autodiscovery): the payments ledger's, the Good Faith
Estimate issued after the course change that owes it commits, and its document stored after
that."""

from celery import shared_task

from .payments.tasks import charge_payment, charge_waiting_payments, refund_payment
from .services import (
    courses_owed_an_estimate,
    estimate_document_store,
    estimate_issue_after_course_change,
    estimates_without_document,
)

__all__ = [
    "charge_payment",
    "charge_waiting_payments",
    "issue_course_estimate",
    "issue_owed_estimates",
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


@shared_task(name="billing.tasks.issue_course_estimate")
def issue_course_estimate(course_id: int, reason: str, issued_by_id: int | None) -> int | None:
    """Issue the estimate a course change owes, after it commits; safe to run twice (the second
    finds it issued). Returns the estimate's id, or None when nothing was issued."""
    estimate = estimate_issue_after_course_change(
        course_id=course_id, reason=reason, issued_by_id=issued_by_id
    )
    return estimate.pk if estimate is not None else None


@shared_task(name="billing.tasks.issue_owed_estimates")
def issue_owed_estimates() -> int:
    """Beat, every minute: issue every course's GFE still owed whose task was lost (Redis down,
    a worker died): the obligation row, not the broker, says what must be issued."""
    issued = 0
    for course_id in courses_owed_an_estimate():
        if estimate_issue_after_course_change(course_id=course_id) is not None:
            issued += 1
    return issued
