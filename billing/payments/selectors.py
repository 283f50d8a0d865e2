"""Reads of the ledger: a patient's or a course's payments and the sums pages show."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from clinic.models import User

from .models import Payment, PaymentKind, PaymentStatus

CHARGE_KINDS = [k for k in PaymentKind.values if k != PaymentKind.REFUND]


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

    @property
    def balance(self) -> Decimal:
        """Owed by the patient (negative: in credit, e.g. a deposit not yet used)."""
        return self.billed - self.paid


def ledger_of(rows: list[Payment]) -> Ledger:
    ledger = Ledger(rows=rows)
    billed = paid = refunded = 0
    for p in rows:
        if p.status == PaymentStatus.CANCELLED:
            continue
        if p.kind in (PaymentKind.INFUSION, PaymentKind.LATE_CANCELLATION, PaymentKind.NO_SHOW):
            billed += p.amount_cents + p.credit_cents
        if p.status == PaymentStatus.SUCCEEDED:
            if p.kind == PaymentKind.REFUND:
                refunded += p.amount_cents
            else:
                paid += p.amount_cents
        if p.status == PaymentStatus.FAILED:
            ledger.failed.append(p)
    ledger.billed, ledger.paid, ledger.refunded = _d(billed), _d(paid - refunded), _d(refunded)
    return ledger


def payments_for_patient(*, patient: User) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(patient=patient)
        .select_related("session", "refund_of", "course__location")
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
    """Failed charges, oldest first (the admin's to-do list)."""
    return (
        Payment.objects.filter(status=PaymentStatus.FAILED, kind__in=CHARGE_KINDS)
        .select_related("patient")
        .order_by("created_at")
    )
