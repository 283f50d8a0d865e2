"""Stripe's webhook endpoint: no session, no CSRF token (Stripe signs instead); anything not
signed with our secret is refused with 400 and changes nothing."""

import logging

import stripe
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import gateway
from .webhooks import stripe_event_handle

logger = logging.getLogger("billing.payments")

MAX_BODY = 512 * 1024  # Stripe's events are a few kilobytes


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    if not settings.STRIPE_WEBHOOK_SECRET:
        return HttpResponse("payments not configured", status=404, content_type="text/plain")
    signature = request.headers.get("Stripe-Signature", "")
    if not signature or len(request.body) > MAX_BODY:
        return HttpResponse("bad request", status=400, content_type="text/plain")
    try:
        event = gateway.event_from_webhook(payload=request.body, signature=signature)
    except (ValueError, TypeError, RecursionError, stripe.SignatureVerificationError):
        # RecursionError: JSON nested deeper than the parser goes, even when signed.
        return HttpResponse("bad signature", status=400, content_type="text/plain")
    data = event.get("data") or {}
    obj = data.get("object") if isinstance(data, dict) else None
    event_id, event_type = event.get("id"), event.get("type")
    if not all(
        isinstance(v, str) and v and v.isascii() and v.isprintable() for v in (event_id, event_type)
    ):
        # Stripe's ids and types are short printable ASCII; a NUL would not even store.
        return HttpResponse("bad event", status=400, content_type="text/plain")
    first = stripe_event_handle(event_id=event_id, event_type=event_type, obj=obj or {})
    logger.info("stripe event %s %s", event_type, "handled" if first else "repeated")
    return HttpResponse("ok", content_type="text/plain")
