"""The card on file: a Stripe customer per patient and a SetupIntent the browser confirms with
Stripe.js (the card number goes from the patient's browser to Stripe, never through us)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import ApplicationError
from clinic.models import User

from . import gateway
from .models import PaymentCard, PaymentPolicy, PaymentStatus
from .policy import policy_accepted


def _not_configured() -> ApplicationError:
    return ApplicationError(_("Card payments are not set up at this clinic yet."))


def card_setup_start(*, patient: User, policy: PaymentPolicy) -> str:
    """Start saving a card: the patient's Stripe customer (made once, named only by a reference)
    and a new SetupIntent. Returns its client secret for Stripe.js. Refuses until the patient has
    accepted the policy in effect. Raises gateway.Unavailable when Stripe does not answer."""
    if not gateway.is_configured():
        raise _not_configured()
    if not policy_accepted(patient=patient, policy=policy):
        raise ApplicationError(_("Please read and accept the payment policy first."))
    card = PaymentCard.objects.filter(patient=patient).first()
    if card is None:
        customer_id = gateway.customer_create(reference=f"patient-{patient.pk}")
        try:
            with transaction.atomic():
                card = PaymentCard.objects.create(patient=patient, stripe_customer_id=customer_id)
        except IntegrityError:  # two tabs at once: the first customer stays ours
            card = PaymentCard.objects.get(patient=patient)
    intent_id, secret = gateway.setup_intent_create(customer_id=card.stripe_customer_id)
    PaymentCard.objects.filter(pk=card.pk).update(setup_intent_id=intent_id)
    return secret


def card_setup_finish(
    *, patient: User, setup_intent_id: str, now: dt.datetime | None = None
) -> PaymentCard:
    """Record the card a confirmed SetupIntent saved. The SetupIntent must belong to this
    patient's Stripe customer (another patient's id is refused). Charges that failed for want of
    a card are tried again on the new one (enqueued on commit)."""
    from .charges import payments_retry_failed

    saved_status, saved = gateway.setup_intent_result(setup_intent_id=setup_intent_id)
    with transaction.atomic():
        card = PaymentCard.objects.select_for_update().filter(patient=patient).first()
        if card is None or saved is None or saved.customer_id != card.stripe_customer_id:
            raise ApplicationError(
                _("The card could not be saved (%(status)s). Please try again.")
                % {"status": saved_status if saved is None else "mismatch"}
            )
        card.setup_intent_id = setup_intent_id
        card.payment_method_id = saved.payment_method_id
        card.brand = saved.brand
        card.last4 = saved.last4
        card.saved_at = now or timezone.now()
        card.save()
        payments_retry_failed(patient=patient)
    return card


def card_for(patient: User) -> PaymentCard | None:
    return PaymentCard.objects.filter(patient=patient).first()


__all__ = ["PaymentStatus", "card_for", "card_setup_finish", "card_setup_start"]
