"""What the ledger records when scheduling changes a course (called from billing/handlers.py,
in the booking's transaction; the charges themselves run after commit).

Nothing is recorded when payments are not configured or the location has no payment policy.
Prices come from the Good Faith Estimate in effect: each infusion is an equal share of its total
(the last takes the rounding), less what is left of the deposit. Keys follow our records: an
infusion by its place in the course (a moved session keeps its place, so it is never charged
twice), a fee by its session, the deposit by its course.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from clinic.models import Role, User
from scheduling.availability import rules_for
from scheduling.models import Course, InfusionSession

from ..models import Estimate
from ..selectors import estimate_current, location_today
from . import gateway
from .charges import deposit_credit_left, payment_record, visit_description
from .models import (
    ChargeMoment,
    DepositOnCancel,
    Payment,
    PaymentKind,
    PaymentPolicy,
    PaymentStatus,
)
from .policy import policy_in_effect
from .refunds import deposit_refund


def _policy(course: Course) -> PaymentPolicy | None:
    if not gateway.is_configured():
        return None
    return policy_in_effect(location=course.location, on_date=location_today(course.location))


def _cents(amount) -> int:
    return int((amount * 100).to_integral_value())


def infusion_share_cents(estimate: Estimate, slot: int) -> int:
    total = _cents(estimate.total_low)
    count = estimate.infusion_count
    share = total // count
    return total - share * (count - 1) if slot >= count else share


def charge_deposit(course: Course, policy: PaymentPolicy, first_day: dt.date, by) -> None:
    estimate = estimate_current(patient=course.patient)
    total = _cents(estimate.total_low) if estimate else policy.deposit_cents
    amount = policy.deposit_for(total)
    if amount <= 0:
        return
    payment_record(
        course=course,
        kind=PaymentKind.DEPOSIT,
        amount_cents=amount,
        key=f"deposit:course:{course.pk}",
        description=f"Clinic deposit {first_day:%Y-%m-%d}",
        policy=policy,
        by=by,
    )


def charge_infusion(session: InfusionSession, policy: PaymentPolicy, by) -> None:
    course = session.course
    estimate = estimate_current(patient=course.patient)
    if estimate is None:
        return  # nothing to price it by: the coordinators issue the GFE first
    share = infusion_share_cents(estimate, session.slot)
    credit = min(share, deposit_credit_left(course))
    payment_record(
        course=course,
        session=session,
        kind=PaymentKind.INFUSION,
        amount_cents=share - credit,
        credit_cents=credit,
        key=f"infusion:course:{course.pk}:slot:{session.slot}",
        description=visit_description(session.local_date),
        policy=policy,
        by=by,
    )


def charge_fee(session: InfusionSession, kind: str, policy: PaymentPolicy, by) -> None:
    amount = (
        policy.late_cancellation_fee_cents
        if kind == PaymentKind.LATE_CANCELLATION
        else policy.no_show_fee_cents
    )
    if amount <= 0:
        return
    payment_record(
        course=session.course,
        session=session,
        kind=kind,
        amount_cents=amount,
        key=f"{kind}:session:{session.pk}",
        description=visit_description(session.local_date),
        policy=policy,
        by=by,
    )


def on_sessions_booked(course: Course, session_ids, by: User | None) -> None:
    policy = _policy(course)
    if policy is None:
        return
    sessions = list(InfusionSession.objects.filter(pk__in=session_ids).select_related("course"))
    if not sessions:
        return
    charge_deposit(course, policy, min(s.local_date for s in sessions), by)
    if policy.infusion_charged_at == ChargeMoment.BOOKING:
        for session in sessions:
            charge_infusion(session, policy, by)


def on_session_reached(course: Course, session_id: int, moment: str, by: User) -> None:
    """A session was checked in or completed: its infusion is charged if the policy says so
    now. A check-in also undoes an unpaid no-show fee (the no-show was a mistake)."""
    policy = _policy(course)
    if moment == ChargeMoment.CHECK_IN:
        Payment.objects.filter(
            Q(status=PaymentStatus.PENDING) | Q(status=PaymentStatus.FAILED),
            session_id=session_id,
            kind=PaymentKind.NO_SHOW,
        ).update(status=PaymentStatus.CANCELLED, reason="No-show corrected: the patient came.")
    if policy is None or policy.infusion_charged_at != moment:
        return
    charge_infusion(InfusionSession.objects.select_related("course").get(pk=session_id), policy, by)


def on_late_change(course: Course, session_id: int, by: User | None) -> None:
    """A session cancelled or moved inside the notice window, by the patient (a change the
    clinic makes is never the patient's fee)."""
    session = InfusionSession.objects.select_related("course").get(pk=session_id)
    if not session.late_change or (by is not None and by.role != Role.PATIENT):
        return
    policy = _policy(course)
    if policy is not None:
        charge_fee(session, PaymentKind.LATE_CANCELLATION, policy, by)


def on_no_show(course: Course, session_id: int, by: User) -> None:
    policy = _policy(course)
    if policy is not None:
        session = InfusionSession.objects.select_related("course").get(pk=session_id)
        charge_fee(session, PaymentKind.NO_SHOW, policy, by)


def on_course_cancelled(course: Course, session_ids, by: User | None) -> None:
    """A course cancelled in time (its next session at least the notice window away, or by the
    clinic): the deposit not yet used for infusions is refunded, when the policy the deposit was
    taken under says so; one never charged is not charged. Cancelled later by the patient, the
    deposit is kept."""
    deposit = (
        Payment.objects.select_for_update(of=("self",))
        .filter(course=course, kind=PaymentKind.DEPOSIT)
        .select_related("policy")
        .first()
    )
    if deposit is None or deposit.policy is None:
        return
    if deposit.policy.deposit_on_cancel != DepositOnCancel.REFUND:
        return
    by_patient = by is None or by.role == Role.PATIENT
    if by_patient:
        notice = rules_for(course.location).change_notice
        first = InfusionSession.objects.filter(pk__in=session_ids).order_by("starts_at").first()
        if first is not None and first.starts_at - timezone.now() < notice:
            return
    if deposit.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
        deposit.status = PaymentStatus.CANCELLED
        deposit.reason = "Course cancelled in time: the deposit is not charged."
        deposit.save(update_fields=["status", "reason", "updated_at"])
        return
    if deposit.status == PaymentStatus.SUCCEEDED:
        deposit_refund(deposit=deposit, amount_cents=deposit_credit_left(course))
