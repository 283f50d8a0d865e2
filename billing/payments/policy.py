"""Which payment policy is in effect, what it says in words, and the patient's acceptance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import ApplicationError
from clinic.formatting import usd
from clinic.models import User
from scheduling.availability import rules_for
from scheduling.models import Location

from .models import (
    ChargeMoment,
    DepositKind,
    DepositOnCancel,
    PaymentPolicy,
    PaymentPolicyAcceptance,
)


def policy_in_effect(*, location: Location, on_date: dt.date) -> PaymentPolicy | None:
    return (
        PaymentPolicy.objects.filter(location=location, effective_date__lte=on_date)
        .order_by("-effective_date")
        .first()
    )


def _money(cents: int) -> str:
    return usd(Decimal(cents) / 100)


def policy_terms(policy: PaymentPolicy) -> list[str]:
    """The policy as the patient reads it (in the active language), one sentence a line."""
    location = policy.location
    terms = []
    if policy.deposit_kind == DepositKind.AMOUNT and policy.deposit_cents:
        terms.append(
            _("A deposit of %(amount)s is charged when you book a course.")
            % {"amount": _money(policy.deposit_cents)}
        )
    elif policy.deposit_kind == DepositKind.PERCENT and policy.deposit_percent:
        terms.append(
            _("A deposit of %(percent)s%% of your Good Faith Estimate is charged when you book.")
            % {"percent": policy.deposit_percent}
        )
    has_deposit = policy.deposit_kind != DepositKind.NONE and (
        policy.deposit_cents or policy.deposit_percent
    )
    if has_deposit:
        terms.append(_("The deposit counts towards your infusions."))
        hours = rules_for(location).min_change_notice_hours
        if policy.deposit_on_cancel == DepositOnCancel.REFUND:
            terms.append(
                _(
                    "If you cancel your course at least %(hours)s hours before your next visit, "
                    "the part of the deposit not yet used for infusions is refunded to your card "
                    "automatically. With less notice, it is kept."
                )
                % {"hours": hours}
            )
        else:
            terms.append(_("The deposit is not refunded if you cancel your course."))
    moment = {
        ChargeMoment.BOOKING: _("Each infusion is charged when it is booked."),
        ChargeMoment.CHECK_IN: _("Each infusion is charged when you check in."),
        ChargeMoment.COMPLETION: _("Each infusion is charged once it is completed."),
    }[policy.infusion_charged_at]
    terms.append(moment)
    if policy.late_cancellation_fee_cents:
        terms.append(
            _(
                "Cancelling or moving a visit with less than %(hours)s hours' notice costs "
                "%(amount)s."
            )
            % {
                "hours": rules_for(location).min_change_notice_hours,
                "amount": _money(policy.late_cancellation_fee_cents),
            }
        )
    if policy.no_show_fee_cents:
        terms.append(
            _("Missing a visit without telling us costs %(amount)s.")
            % {"amount": _money(policy.no_show_fee_cents)}
        )
    terms.append(
        _("Your card is charged by the clinic for these amounts only; you can ask for a receipt.")
    )
    return terms


def policy_accepted(*, patient: User, policy: PaymentPolicy) -> bool:
    return PaymentPolicyAcceptance.objects.filter(patient=patient, policy=policy).exists()


@transaction.atomic
def payment_policy_accept(
    *, patient: User, policy: PaymentPolicy, by: User, now: dt.datetime | None = None
) -> PaymentPolicyAcceptance:
    """Record that the patient accepted this version of the policy, with the words they read.
    Accepting twice keeps the first acceptance."""
    if by.pk != patient.pk:
        raise ApplicationError(_("Only the patient can accept the payment policy."))
    existing = PaymentPolicyAcceptance.objects.filter(patient=patient, policy=policy).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return PaymentPolicyAcceptance.objects.create(
                patient=patient,
                policy=policy,
                accepted_by=by,
                accepted_at=now or timezone.now(),
                text="\n".join(policy_terms(policy)),
            )
    except IntegrityError:
        return PaymentPolicyAcceptance.objects.get(patient=patient, policy=policy)
