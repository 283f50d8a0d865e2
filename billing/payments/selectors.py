"""Reads of the ledger: a patient's or a course's payments and the sums pages show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet

from clinic.models import User

from .models import Payment, PaymentKind, PaymentStatus

CHARGE_KINDS = [
    k for k in PaymentKind.values if k not in (PaymentKind.REFUND, PaymentKind.WRITE_OFF)
]


def _d(cents: int) -> Decimal:
    return Decimal(cents) / 100


@dataclass
class Ledger:
    """A list of ledger rows and what they add up to (in dollars, for the pages)."""

    rows: list[Payment]
    billed: Decimal = Decimal("0.00")  # infusions (card and deposit credit) and fees
    paid: Decimal = Decimal("0.00")  # what reached the clinic, less refunds
    refunded: Decimal = Decimal("0.00")
    failed: list[Payment] = field(default_factory=list)
    first_billed_at: datetime | None = None  # the first infusion or fee: the initial bill

    @property
    def balance(self) -> Decimal:
        """Owed by the patient (negative: in credit, e.g. a deposit not yet used)."""
        return self.billed - self.paid


def ledger_of(rows: list[Payment]) -> Ledger:
    ledger = Ledger(rows=rows)
    billed = paid = refunded = 0
    refunds_of: dict[int, int] = {}
    for p in rows:
        if p.refund_of_id:
            refunds_of[p.refund_of_id] = refunds_of.get(p.refund_of_id, 0) + 1
    for p in rows:
        # The number a refund of this row would take (the refund form's hidden field).
        p.next_refund_number = refunds_of.get(p.pk, 0) + 1
        if p.status == PaymentStatus.CANCELLED:
            continue
        if p.kind in (PaymentKind.INFUSION, PaymentKind.LATE_CANCELLATION, PaymentKind.NO_SHOW):
            billed += p.amount_cents + p.credit_cents
            if ledger.first_billed_at is None or p.created_at < ledger.first_billed_at:
                ledger.first_billed_at = p.created_at
        if p.status == PaymentStatus.SUCCEEDED:
            if p.kind == PaymentKind.REFUND:
                refunded += p.amount_cents
            elif p.kind != PaymentKind.WRITE_OFF:  # given up, not received
                paid += p.amount_cents
        if p.status == PaymentStatus.FAILED:
            ledger.failed.append(p)
    ledger.billed, ledger.paid, ledger.refunded = _d(billed), _d(paid - refunded), _d(refunded)
    return ledger


def payments_for_patient(*, patient: User) -> QuerySet[Payment]:
    # The pages show each row's session day and location zone; a refund's charge is known by
    # refund_of_id alone (ledger_of), so it is not read: a whole second payment row per row.
    return (
        Payment.objects.filter(patient=patient)
        .select_related("session", "course__location")
        .order_by("created_at", "pk")
    )


def ledger_for_patient(*, patient: User) -> Ledger:
    return ledger_of(list(payments_for_patient(patient=patient)))


def ledger_for_course(*, course_id: int) -> Ledger:
    return ledger_of(
        list(
            Payment.objects.filter(course_id=course_id)
            .select_related("session", "refund_of")
            .order_by("created_at", "pk")
        )
    )


def payments_failed() -> QuerySet[Payment]:
    """Failed charges, oldest first (the admin's to-do list and its page)."""
    return (
        Payment.objects.filter(status=PaymentStatus.FAILED, kind__in=CHARGE_KINDS)
        .select_related("patient", "session", "course__location")
        .order_by("created_at", "pk")
    )
