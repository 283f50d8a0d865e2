"""Stripe's webhook events, acted on once each (the event id is unique in the database) and in
any order: a row only moves forward (PAYMENT_TRANSITIONS), so a late 'failed' never undoes a
payment, and an event about a charge we are still confirming just settles it early."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from .charges import STRIPE_TO_LEDGER, _settle
from .models import Payment, PaymentCard, PaymentKind, PaymentStatus, StripeEvent

HANDLED = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
    "refund.updated",
    "setup_intent.succeeded",
}


def _charge_row(obj: dict) -> Payment | None:
    key = (obj.get("metadata") or {}).get("ledger_key", "")
    rows = Payment.objects.select_for_update().exclude(kind=PaymentKind.REFUND)
    return rows.filter(stripe_id=obj.get("id", "")).first() or (
        rows.filter(idempotency_key=key, stripe_id__in=["", obj.get("id", "")]).first()
        if key
        else None
    )


def _on_intent(obj: dict) -> None:
    payment = _charge_row(obj)
    if payment is None:
        return  # not one of our charges (or an intent a dead worker never confirmed)
    status = STRIPE_TO_LEDGER.get(obj.get("status", ""))
    if status is None:
        return
    error = obj.get("last_payment_error") or {}
    _settle(payment, status, failure=str(error.get("message") or ""), stripe_id=obj["id"])


def _on_refund(obj: dict) -> None:
    refund_ids = [obj.get("id", "")]
    if obj.get("object") == "charge":
        refund_ids = [r.get("id", "") for r in (obj.get("refunds") or {}).get("data", [])]
        done = {
            r.get("id")
            for r in (obj.get("refunds") or {}).get("data", [])
            if r.get("status") == "succeeded"
        }
    else:
        done = {obj.get("id")} if obj.get("status") == "succeeded" else set()
    for refund in Payment.objects.select_for_update().filter(
        kind=PaymentKind.REFUND, stripe_id__in=[i for i in refund_ids if i]
    ):
        if refund.stripe_id in done:
            _settle(refund, PaymentStatus.SUCCEEDED)


def _on_setup(obj: dict) -> None:
    """The card is recorded even if the patient closed the page before it told us."""
    card = PaymentCard.objects.select_for_update().filter(setup_intent_id=obj.get("id", "")).first()
    method = obj.get("payment_method")
    if card is not None and isinstance(method, str) and not card.payment_method_id:
        card.payment_method_id = method
        card.saved_at = timezone.now()
        card.save()


ACTIONS = {
    "payment_intent.succeeded": _on_intent,
    "payment_intent.payment_failed": _on_intent,
    "payment_intent.canceled": _on_intent,
    "charge.refunded": _on_refund,
    "refund.updated": _on_refund,
    "setup_intent.succeeded": _on_setup,
}


def stripe_event_handle(*, event_id: str, event_type: str, obj: dict) -> bool:
    """Act on one verified event, once. Returns False for a repeat delivery. All in one
    transaction: if acting fails, the event is not recorded and Stripe delivers it again."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(
                    event_id=event_id[:255], type=event_type[:100], received_at=timezone.now()
                )
        except IntegrityError:
            return False
        action = ACTIONS.get(event_type)
        if action is not None and isinstance(obj, dict):
            action(obj)
        return True
