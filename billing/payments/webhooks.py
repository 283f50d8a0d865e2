"""Stripe's webhook events, acted on once each (the event id is unique in the database) and in
any order: a row only moves forward (PAYMENT_TRANSITIONS), so a late 'failed' never undoes a
payment, and an event about a charge we are still confirming just settles it early."""

from __future__ import annotations

import re

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


def _text(obj: object, key: str) -> str:
    """A string field of a Stripe object, or "" for anything else (a signed body may still
    carry the wrong types: it is read, never trusted)."""
    value = obj.get(key) if isinstance(obj, dict) else None
    return value[:255] if isinstance(value, str) else ""


def _dict(obj: object, key: str) -> dict:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, dict) else {}


def _charge_row(obj: dict) -> Payment | None:
    key, intent_id = _text(_dict(obj, "metadata"), "ledger_key"), _text(obj, "id")
    if not intent_id:
        return None
    rows = Payment.objects.select_for_update().exclude(
        kind__in=[PaymentKind.REFUND, PaymentKind.WRITE_OFF]
    )
    ours = re.fullmatch(r"payment-([0-9]{1,18})", key)  # Payment.stripe_ref
    return rows.filter(stripe_id=intent_id).first() or (
        rows.filter(pk=int(ours[1]), stripe_id__in=["", intent_id]).first() if ours else None
    )


def _on_intent(obj: dict) -> None:
    payment = _charge_row(obj)
    if payment is None:
        return  # not one of our charges (or an intent a dead worker never confirmed)
    status = STRIPE_TO_LEDGER.get(_text(obj, "status"))
    if status is None:
        return
    failure = _text(_dict(obj, "last_payment_error"), "message")
    _settle(payment, status, failure=failure, stripe_id=_text(obj, "id"))


def _on_refund(obj: dict) -> None:
    if _text(obj, "object") == "charge":
        listed = _dict(obj, "refunds").get("data")
        refunds = [r for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []
    else:
        refunds = [obj]
    done = {_text(r, "id") for r in refunds if _text(r, "status") == "succeeded"} - {""}
    for refund in Payment.objects.select_for_update().filter(
        kind=PaymentKind.REFUND, stripe_id__in=sorted(done)
    ):
        _settle(refund, PaymentStatus.SUCCEEDED)


def _on_setup(obj: dict) -> None:
    """The card is recorded even if the patient closed the page before it told us."""
    setup_id = _text(obj, "id")
    if not setup_id:
        return
    card = PaymentCard.objects.select_for_update().filter(setup_intent_id=setup_id).first()
    method = _text(obj, "payment_method")
    if card is not None and method and not card.payment_method_id:
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
