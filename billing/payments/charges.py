"""The ledger's writes: a charge is recorded (a row with our own idempotency key, in the caller's
transaction), then charged by a Celery task enqueued on commit (payment_charge), which claims the
row, makes an unconfirmed PaymentIntent, records its id and only then confirms it. So:

- a second record for the same session and kind is refused by the key's unique index;
- a worker that dies before recording the PaymentIntent's id leaves an intent nobody confirms
  (no money moves); one that dies after leaves the id, and the next worker only reads or
  confirms that same intent, which Stripe confirms once;
- Stripe down: the row goes back to waiting and the task retries (beat sweeps too).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import ApplicationError
from clinic.models import Role, User
from scheduling.models import Course, InfusionSession

from . import gateway
from .models import (
    Payment,
    PaymentCard,
    PaymentKind,
    PaymentPolicy,
    PaymentStatus,
)

logger = logging.getLogger("billing.payments")

NO_CARD = "No card on file."
LIVE = [PaymentStatus.PENDING, PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED]


def _enqueue(payment_id: int) -> None:
    from .tasks import charge_payment

    charge_payment.delay_on_commit(payment_id)


def visit_description(day: dt.date) -> str:
    """All Stripe is told about a visit: no drug, diagnosis, treatment or specialty."""
    return f"Clinic visit {day:%Y-%m-%d}"


def payment_record(
    *,
    course: Course,
    kind: str,
    amount_cents: int,
    key: str,
    description: str,
    policy: PaymentPolicy | None,
    session: InfusionSession | None = None,
    credit_cents: int = 0,
    by: User | None = None,
) -> Payment | None:
    """Add a charge to the ledger (in the caller's transaction) and enqueue it on commit. The
    same key again returns the existing row, unchanged. A charge the deposit covers in full is
    paid at once; without a saved card the row is recorded as failed, for the coordinators."""
    existing = Payment.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    card = PaymentCard.objects.filter(patient_id=course.patient_id).first()
    has_card = card is not None and card.is_saved
    status = PaymentStatus.PENDING
    if amount_cents == 0:
        status = PaymentStatus.SUCCEEDED
    elif not has_card:
        status = PaymentStatus.FAILED
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                patient_id=course.patient_id,
                course=course,
                session=session,
                policy=policy,
                kind=kind,
                amount_cents=amount_cents,
                credit_cents=credit_cents,
                currency=policy.currency if policy else "usd",
                status=status,
                idempotency_key=key,
                description=description,
                failure_message="" if has_card or amount_cents == 0 else NO_CARD,
                completed_at=timezone.now() if status == PaymentStatus.SUCCEEDED else None,
                created_by=by,
            )
    except IntegrityError:  # the same key recorded concurrently: that row stands
        return Payment.objects.get(idempotency_key=key)
    if status == PaymentStatus.PENDING:
        _enqueue(payment.pk)
    return payment


def deposit_credit_left(course: Course) -> int:
    """Cents of the course's deposit not yet counted towards an infusion."""
    totals = Payment.objects.filter(course=course, status__in=LIVE).aggregate(
        deposit=Sum("amount_cents", filter=Q(kind=PaymentKind.DEPOSIT)),
        used=Sum("credit_cents", filter=Q(kind=PaymentKind.INFUSION)),
    )
    return max(0, (totals["deposit"] or 0) - (totals["used"] or 0))


def _claim(payment_id: int, now: dt.datetime) -> tuple[Payment, PaymentCard] | None:
    timeout = dt.timedelta(seconds=settings.PAYMENTS_CLAIM_TIMEOUT_SECONDS)
    with transaction.atomic():
        # Row lock: one worker at a time decides whether to talk to Stripe for this row.
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status == PaymentStatus.PROCESSING and payment.claimed_at:
            if payment.claimed_at > now - timeout:
                return None  # another worker holds it
        elif payment.status != PaymentStatus.PENDING:
            return None
        card = PaymentCard.objects.filter(patient_id=payment.patient_id).first()
        if card is None or not card.is_saved:
            _settle(payment, PaymentStatus.FAILED, failure=NO_CARD)
            return None
        payment.status = PaymentStatus.PROCESSING
        payment.claimed_at = now
        payment.attempts += 1
        payment.save(update_fields=["status", "claimed_at", "attempts", "updated_at"])
        return payment, card


def _settle(payment: Payment, status: str, *, failure: str = "", stripe_id: str = "") -> bool:
    """Move a row to `status` if its transitions allow (a late 'failed' never undoes 'paid')."""
    if payment.status == status or not payment.can_become(status):
        return False
    payment.status = status
    payment.failure_message = failure[:500] if status == PaymentStatus.FAILED else ""
    if stripe_id and not payment.stripe_id:
        payment.stripe_id = stripe_id
    if status in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED):
        payment.completed_at = timezone.now()
    payment.claimed_at = None
    payment.save()
    return True


STRIPE_TO_LEDGER = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "requires_payment_method": PaymentStatus.FAILED,
    "canceled": PaymentStatus.FAILED,
    "requires_action": PaymentStatus.FAILED,
}


# A PaymentIntent in these states charged nothing and will not: a retry starts a new one.
RETRYABLE = ("requires_payment_method", "canceled")


def payment_charge(*, payment_id: int, now: dt.datetime | None = None) -> Payment:
    """Charge one waiting row (the task's body; safe to run twice or after a worker died).
    Raises gateway.Unavailable when Stripe cannot be reached: the row waits again."""
    now = now or timezone.now()
    claimed = _claim(payment_id, now)
    if claimed is None:
        return Payment.objects.get(pk=payment_id)
    payment, card = claimed
    try:
        intent_id = payment.stripe_id
        # Tried again after a failure (an admin's retry, a new card): the failed intent moved
        # no money and cannot be confirmed again, so this attempt makes a new one.
        retried = intent_id and payment.attempts > 1
        if retried and gateway.payment_intent_state(intent_id=intent_id).status in RETRYABLE:
            Payment.objects.filter(pk=payment.pk).update(stripe_id="")
            intent_id = ""
        if not intent_id:
            intent_id = gateway.payment_intent_create(
                amount_cents=payment.amount_cents,
                currency=payment.currency,
                customer_id=card.stripe_customer_id,
                payment_method_id=card.payment_method_id,
                description=payment.description,
                ledger_key=payment.stripe_ref,
                attempt=payment.attempts,
            )
            # Recorded before confirming: a retry confirms this intent, never a new one.
            Payment.objects.filter(pk=payment.pk, stripe_id="").update(stripe_id=intent_id)
            intent_id = Payment.objects.values_list("stripe_id", flat=True).get(pk=payment.pk)
        state = gateway.payment_intent_confirm(intent_id=intent_id)
    except gateway.Unavailable:
        Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PROCESSING).update(
            status=PaymentStatus.PENDING, claimed_at=None
        )
        raise
    except gateway.Declined as exc:
        state = gateway.IntentState(id=payment.stripe_id, status="canceled", failure=str(exc))
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        outcome = STRIPE_TO_LEDGER.get(state.status)
        if outcome:
            _settle(payment, outcome, failure=state.failure or _("The card was declined."))
    return payment


def payments_waiting(*, now: dt.datetime | None = None) -> list[int]:
    """Rows to charge: waiting ones, and those whose worker's claim is old (it died)."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.PAYMENTS_CLAIM_TIMEOUT_SECONDS)
    return list(
        Payment.objects.exclude(kind=PaymentKind.REFUND)
        .filter(
            Q(status=PaymentStatus.PENDING)
            | Q(status=PaymentStatus.PROCESSING, claimed_at__lt=stale)
        )
        .values_list("pk", flat=True)[:200]
    )


def payments_retry_failed(*, patient: User) -> int:
    """A new card: the patient's failed charges wait again (enqueued on commit)."""
    ids = list(
        Payment.objects.select_for_update()
        .filter(patient=patient, status=PaymentStatus.FAILED)
        .exclude(kind=PaymentKind.REFUND)
        .values_list("pk", flat=True)
    )
    Payment.objects.filter(pk__in=ids).update(
        status=PaymentStatus.PENDING, failure_message="", claimed_at=None
    )
    for pk in ids:
        _enqueue(pk)
    return len(ids)


def _failed_charge(payment: Payment, by: User) -> Payment:
    if by.role != Role.ADMIN:
        raise ApplicationError(_("Only a clinic admin can resolve a failed charge."))
    # Row lock: a retry and a write-off of one charge (or two clicks) happen one after the other.
    return Payment.objects.select_for_update().get(pk=payment.pk)


@transaction.atomic
def payment_retry(*, payment: Payment, by: User) -> Payment:
    """Charge a failed charge again (the bank may say yes now, or the patient saved a new card):
    the row waits again and is charged by the task enqueued on commit, with the same key, so it
    is never charged twice. Raises ApplicationError unless it is a failed charge."""
    charge = _failed_charge(payment, by)
    if charge.kind in (PaymentKind.REFUND, PaymentKind.WRITE_OFF):
        raise ApplicationError(_("Only a failed charge can be tried again."))
    if charge.status in (PaymentStatus.PENDING, PaymentStatus.PROCESSING):
        return charge  # already waiting: a second click changes nothing
    if charge.status != PaymentStatus.FAILED:
        raise ApplicationError(_("Only a failed charge can be tried again."))
    charge.status = PaymentStatus.PENDING
    charge.failure_message = ""
    charge.claimed_at = None
    charge.save(update_fields=["status", "failure_message", "claimed_at", "updated_at"])
    _enqueue(charge.pk)
    return charge


@transaction.atomic
def payment_write_off(*, payment: Payment, reason: str, by: User) -> Payment:
    """Give up a failed charge, with the admin's reason: the charge is cancelled (no longer
    billed or owed) and a write-off row of its amount names it in the ledger. Returns the
    write-off; a second click returns the first one. Raises ApplicationError without a reason
    or for anything but a failed charge."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why the charge is written off."), field="reason")
    charge = _failed_charge(payment, by)
    existing = Payment.objects.filter(idempotency_key=f"write_off:{charge.pk}").first()
    if existing is not None:
        return existing
    if (
        charge.kind in (PaymentKind.REFUND, PaymentKind.WRITE_OFF)
        or not charge.can_become(PaymentStatus.CANCELLED)
        or charge.status != PaymentStatus.FAILED
    ):
        raise ApplicationError(_("Only a failed charge can be written off."))
    charge.status = PaymentStatus.CANCELLED
    charge.save(update_fields=["status", "updated_at"])
    return Payment.objects.create(
        patient_id=charge.patient_id,
        course_id=charge.course_id,
        session_id=charge.session_id,
        kind=PaymentKind.WRITE_OFF,
        amount_cents=charge.amount_cents,
        currency=charge.currency,
        status=PaymentStatus.SUCCEEDED,
        idempotency_key=f"write_off:{charge.pk}",
        description=charge.description,
        refund_of=charge,
        reason=reason[:500],
        completed_at=timezone.now(),
        created_by=by,
    )


def cents_of(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())
