"""The one place that talks to Stripe, through its official library.

Services call these functions with our own ids; they return plain values. Stripe's errors are
sorted into two kinds the services act on: `Declined` (the card said no: record a failure, do not
retry) and `Unavailable` (Stripe could not be reached or failed: the charge waits and retries).
Settings: STRIPE_SECRET_KEY, STRIPE_API_BASE (localstripe in tests and the demo).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import stripe
from django.conf import settings


class Unavailable(Exception):
    """Stripe did not answer, or answered with a server error: try again later."""


class Declined(Exception):
    """Stripe refused the charge for a reason a retry will not change (a declined card)."""


@dataclass(frozen=True)
class IntentState:
    id: str
    status: str  # Stripe's PaymentIntent status
    failure: str = ""


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def _client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE or stripe.DEFAULT_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base},
        max_network_retries=0,  # our task retries, after its own ledger check
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.CardError as exc:
        raise Declined(exc.user_message or "The card was declined.") from exc
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise Unavailable(str(exc)) from exc
    except stripe.StripeError as exc:
        if exc.http_status and exc.http_status >= 500:
            raise Unavailable(str(exc)) from exc
        raise


def customer_create(*, reference: str) -> str:
    """A customer named only by our reference: Stripe gets no name, e-mail or phone."""
    customer = _call(_client().v1.customers.create, params={"metadata": {"patient_ref": reference}})
    return customer.id


def setup_intent_create(*, customer_id: str) -> tuple[str, str]:
    """Returns (id, client_secret) of a SetupIntent saving a card for later, off-session use."""
    intent = _call(
        _client().v1.setup_intents.create,
        params={"customer": customer_id, "usage": "off_session", "payment_method_types": ["card"]},
    )
    return intent.id, intent.client_secret


@dataclass(frozen=True)
class SavedCard:
    customer_id: str
    payment_method_id: str
    brand: str
    last4: str


def setup_intent_result(*, setup_intent_id: str) -> tuple[str, SavedCard | None]:
    """The SetupIntent's status and, once it succeeded, the card it saved."""
    client = _client()
    intent = _call(client.v1.setup_intents.retrieve, setup_intent_id)
    if intent.status != "succeeded" or not intent.payment_method:
        return intent.status, None
    method = _call(client.v1.payment_methods.retrieve, intent.payment_method)
    card = method.to_dict().get("card") or {}
    return intent.status, SavedCard(
        customer_id=intent.customer,
        payment_method_id=method.id,
        brand=str(card.get("brand", ""))[:20],
        last4=str(card.get("last4", ""))[-4:],
    )


def payment_intent_create(
    *,
    amount_cents: int,
    currency: str,
    customer_id: str,
    payment_method_id: str,
    description: str,
    ledger_key: str,
    attempt: int = 1,
) -> str:
    """An unconfirmed PaymentIntent: no money moves until it is confirmed, so one made by a
    worker that died before recording its id is never charged."""
    intent = _call(
        _client().v1.payment_intents.create,
        params={
            "amount": amount_cents,
            "currency": currency,
            "customer": customer_id,
            "payment_method": payment_method_id,
            "description": description,
            "metadata": {"ledger_key": ledger_key},
        },
        # One intent per attempt: a retry after a decline needs a new one.
        options={"idempotency_key": f"{ledger_key}:create:{attempt}"},
    )
    return intent.id


def payment_intent_state(*, intent_id: str) -> IntentState:
    intent = _call(_client().v1.payment_intents.retrieve, intent_id)
    return IntentState(id=intent.id, status=intent.status, failure=_failure(intent))


def payment_intent_confirm(*, intent_id: str) -> IntentState:
    """Confirm off-session, once: a PaymentIntent that was already confirmed is only read."""
    client = _client()
    intent = _call(client.v1.payment_intents.retrieve, intent_id)
    if intent.status == "requires_confirmation":
        try:
            intent = _call(
                client.v1.payment_intents.confirm, intent_id, params={"off_session": True}
            )
        except Declined as exc:
            return IntentState(id=intent_id, status="requires_payment_method", failure=str(exc))
    return IntentState(id=intent.id, status=intent.status, failure=_failure(intent))


def _failure(intent) -> str:
    error = intent.to_dict().get("last_payment_error") or {}
    return str(error.get("message") or "")[:500]


def refund_create(*, intent_id: str, amount_cents: int, ledger_key: str) -> tuple[str, str]:
    """Returns (refund id, status)."""
    refund = _call(
        _client().v1.refunds.create,
        params={
            "payment_intent": intent_id,
            "amount": amount_cents,
            "metadata": {"ledger_key": ledger_key},
        },
        options={"idempotency_key": ledger_key},
    )
    return refund.id, refund.status


def refund_find(*, intent_id: str, ledger_key: str) -> tuple[str, str] | None:
    """The refund of this intent that carries our ledger key, if Stripe already made it (a
    worker that died before recording its id): (refund id, status), or None."""
    page = _call(_client().v1.refunds.list, params={"payment_intent": intent_id, "limit": 100})
    for refund in page.data:
        if (refund.to_dict().get("metadata") or {}).get("ledger_key") == ledger_key:
            return refund.id, refund.status
    return None


def event_from_webhook(*, payload: bytes, signature: str) -> dict:
    """The event as plain data, once its signature is checked. Raises ValueError or
    stripe.SignatureVerificationError for anything not signed with our webhook secret."""
    text = payload.decode("utf-8")  # UnicodeDecodeError is a ValueError
    stripe.WebhookSignature.verify_header(
        text, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=stripe.Webhook.DEFAULT_TOLERANCE
    )
    event = json.loads(text)
    if not isinstance(event, dict):
        raise ValueError("not an event")
    return event


def setup_intent_confirm_test_card(*, setup_intent_id: str) -> None:
    """Demo only, in test mode (or localstripe): save Stripe's test Visa, as the patient's
    browser would with the card field."""
    if not settings.STRIPE_SECRET_KEY.startswith("sk_test_"):
        raise ValueError("test cards are for test mode only")
    _call(
        _client().v1.setup_intents.confirm,
        setup_intent_id,
        params={"payment_method": "pm_card_visa"},
    )
