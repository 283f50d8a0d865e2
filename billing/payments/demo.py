"""Demo payments (seed_demo, after scheduling): each location's payment policy and, when Stripe
is configured (localstripe or a test-mode account), the demo patient's accepted policy, a test
card, and her course's deposit charged through the real services."""

import datetime as dt

from django.contrib.auth import get_user_model

from scheduling.models import Course, Location

from . import gateway
from .cards import card_setup_finish, card_setup_start
from .charges import payment_charge
from .consequences import on_sessions_booked
from .models import ChargeMoment, DepositKind, Payment, PaymentPolicy, PaymentStatus
from .policy import payment_policy_accept

POLICY = {
    "deposit_kind": DepositKind.AMOUNT,
    "deposit_cents": 25000,
    "infusion_charged_at": ChargeMoment.COMPLETION,
    "late_cancellation_fee_cents": 15000,
    "no_show_fee_cents": 20000,
}


def seed(stdout) -> None:
    for location in Location.objects.all():
        PaymentPolicy.objects.get_or_create(
            location=location, effective_date=dt.date(2026, 1, 1), defaults=POLICY
        )
    if not gateway.is_configured():
        stdout.write("Payments: policies only (set STRIPE_* to see cards and charges).")
        return
    maria = get_user_model().objects.filter(email="patient@mail.example").first()
    course = Course.objects.filter(patient=maria).order_by("-created_at").first()
    if maria is None or course is None:
        return
    policy = PaymentPolicy.objects.filter(location=course.location).first()
    payment_policy_accept(patient=maria, policy=policy, by=maria)
    if not (hasattr(maria, "payment_card") and maria.payment_card.is_saved):
        card_setup_start(patient=maria, policy=policy)
        maria.refresh_from_db()
        seti = maria.payment_card.setup_intent_id
        gateway.setup_intent_confirm_test_card(setup_intent_id=seti)
        card_setup_finish(patient=maria, setup_intent_id=seti)
    # Her course was booked before the clinic adopted the policy: its deposit is taken now.
    booked = list(course.sessions.values_list("pk", flat=True))
    on_sessions_booked(course, booked, maria)
    for pk in Payment.objects.filter(patient=maria, status=PaymentStatus.PENDING).values_list(
        "pk", flat=True
    ):
        payment_charge(payment_id=pk)
    stdout.write("Payments: policies, a saved test card and a deposit for patient@mail.example.")
