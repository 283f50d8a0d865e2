"""Refunds by a clinic admin, with a reason: a ledger row first, then Stripe, from a task
enqueued on commit.

Exactly once, from our own rows: the refund's key is the charge and the refund's number
(``refund:42:1``), and the number comes from the page the admin refunded from, so a second click
on the same form finds the row the first made. The task, retried after a worker died with
Stripe's answer in flight, first asks Stripe for a refund carrying that key (Stripe honours an
Idempotency-Key for 24 hours only, and a test server not at all)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import ApplicationError
from clinic.models import Role, User

from . import gateway
from .models import Payment, PaymentKind, PaymentStatus

REFUND_LIVE = [PaymentStatus.PENDING, PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED]


def refundable_cents(payment: Payment) -> int:
    refunded = (
        payment.refunds.filter(status__in=REFUND_LIVE).aggregate(s=Sum("amount_cents"))["s"] or 0
    )
    return payment.amount_cents - refunded


@transaction.atomic
def payment_refund(
    *, payment: Payment, amount_cents: int, reason: str, by: User, number: int
) -> tuple[Payment, bool]:
    """Refund part or all of a paid charge: the charge's refund number `number` (what the
    admin's page showed as next). Only a clinic admin; a reason is required; never more than
    what is left of the charge. Returns (refund, created): a repeated click returns the refund
    its first click made. Enqueues refund_payment on commit."""
    if by.role != Role.ADMIN:
        raise ApplicationError(_("Only a clinic admin can refund a payment."))
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why the payment is refunded."), field="reason")
    # Row lock on the charge: two refunds at once cannot both take its last dollars.
    charge = Payment.objects.select_for_update().get(pk=payment.pk)
    existing = Payment.objects.filter(idempotency_key=f"refund:{charge.pk}:{number}").first()
    if existing is not None:
        return existing, False
    if number != charge.refunds.count() + 1:
        raise ApplicationError(
            _("This charge changed since the page was opened. Check its refunds and try again.")
        )
    if charge.is_refund or charge.status != PaymentStatus.SUCCEEDED or not charge.stripe_id:
        raise ApplicationError(_("Only a paid card charge can be refunded."))
    left = refundable_cents(charge)
    if amount_cents < 1 or amount_cents > left:
        raise ApplicationError(
            _("A refund must be between $0.01 and what is left of the charge."), field="amount"
        )
    return _refund_record(charge, amount_cents, reason, by, number), True


def _refund_record(charge: Payment, amount_cents: int, reason: str, by, number: int) -> Payment:
    from .tasks import refund_payment

    refund = Payment.objects.create(
        patient_id=charge.patient_id,
        course_id=charge.course_id,
        session_id=charge.session_id,
        kind=PaymentKind.REFUND,
        amount_cents=amount_cents,
        currency=charge.currency,
        idempotency_key=f"refund:{charge.pk}:{number}",
        description=charge.description,
        refund_of=charge,
        reason=reason[:500],
        created_by=by,
    )
    refund_payment.delay_on_commit(refund.pk)
    return refund


def refund_execute(*, refund_id: int) -> Payment:
    """The task's body: send the refund to Stripe once. Raises gateway.Unavailable to retry."""
    with transaction.atomic():
        refund = Payment.objects.select_for_update().get(pk=refund_id)
        if refund.status != PaymentStatus.PENDING or refund.stripe_id:
            return refund
        # The row stays locked while Stripe is asked, so a second worker waits and then sees
        # the refund's id: a refund is rare and quick, unlike a batch of charges. A worker that
        # died after Stripe refunded left no id here: the refund is found by our key.
        intent_id, key = refund.refund_of.stripe_id, refund.stripe_ref
        stripe_id, status = gateway.refund_find(
            intent_id=intent_id, ledger_key=key
        ) or gateway.refund_create(
            intent_id=intent_id, amount_cents=refund.amount_cents, ledger_key=key
        )
        refund.stripe_id = stripe_id
        refund.status = (
            PaymentStatus.SUCCEEDED if status == "succeeded" else PaymentStatus.PROCESSING
        )
        refund.completed_at = timezone.now() if status == "succeeded" else None
        refund.save()
        return refund


def deposit_refund(*, deposit: Payment, amount_cents: int) -> Payment | None:
    """The unused part of a deposit, refunded because its course was cancelled in time (in the
    caller's transaction; the deposit's row is locked by the caller). Nothing when none is left."""
    amount = min(amount_cents, refundable_cents(deposit))
    if amount <= 0 or not deposit.stripe_id:
        return None
    return _refund_record(
        deposit,
        amount,
        "Course cancelled in time: the unused deposit is refunded.",
        None,
        deposit.refunds.count() + 1,
    )
