"""Thin Celery tasks over the ledger: each loads by id and calls a service; safe to run twice."""

from celery import shared_task

from . import gateway
from .charges import payment_charge, payments_waiting
from .refunds import refund_execute

RETRY = {"autoretry_for": (gateway.Unavailable,), "retry_backoff": 30, "max_retries": 10}


@shared_task(name="billing.payments.tasks.charge_payment", **RETRY)
def charge_payment(payment_id: int) -> str:
    """Charge one ledger row. Stripe unreachable: the row waits and the task retries (beat's
    sweep picks it up after the retries run out)."""
    return payment_charge(payment_id=payment_id).status


@shared_task(name="billing.payments.tasks.refund_payment", **RETRY)
def refund_payment(refund_id: int) -> str:
    return refund_execute(refund_id=refund_id).status


@shared_task(name="billing.payments.tasks.charge_waiting_payments")
def charge_waiting_payments() -> int:
    """Beat, every five minutes: enqueue every charge still waiting (nothing is lost when Redis
    lost a task) and those whose worker died holding them."""
    ids = payments_waiting()
    for pk in ids:
        charge_payment.enqueue_or_log((pk,))
    return len(ids)
