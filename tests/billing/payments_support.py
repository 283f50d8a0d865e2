"""Building a paying patient with the real services: a billable location with a payment policy,
a course, the policy accepted and a card saved through the local Stripe server."""

import datetime as dt
import hashlib
import hmac
import json
import time
from zoneinfo import ZoneInfo

from billing.payments.cards import card_setup_finish, card_setup_start
from billing.payments.models import ChargeMoment, DepositKind, PaymentCard, PaymentPolicy
from billing.payments.policy import payment_policy_accept
from scheduling.services import course_create
from tests.billing.conftest import WEBHOOK_SECRET
from tests.factories.billing import billable_location, patient
from tests.factories.scheduling import (
    ChairFactory,
    SessionTypeFactory,
    StaffShiftFactory,
    open_every_day,
)

NY = ZoneInfo("America/New_York")


def at(month, day, hour, year=2026):
    return dt.datetime(year, month, day, hour, tzinfo=NY)


def paying_location(**policy):
    location = billable_location(time_zone=NY)
    open_every_day(location)
    for n in (1, 2):
        ChairFactory(location=location, name=f"Chair {n}")
    StaffShiftFactory(location=location, starts_at=at(11, 1, 0), ends_at=at(12, 31, 0, 2027))
    SessionTypeFactory()
    PaymentPolicy.objects.create(
        location=location,
        effective_date=dt.date(2026, 1, 1),
        **{
            "deposit_kind": DepositKind.AMOUNT,
            "deposit_cents": 25000,
            "infusion_charged_at": ChargeMoment.COMPLETION,
            "late_cancellation_fee_cents": 15000,
            "no_show_fee_cents": 20000,
            **policy,
        },
    )
    return location


def new_course(location, planned=4, who=None, codes=("G43.709",)):
    who = who or patient(user__first_name="Maria", user__last_name="Lopez")
    return course_create(
        patient=who,
        location=location,
        planned_sessions=planned,
        needs_clinician_review=False,
        created_by=None,
        diagnosis_codes=list(codes),
    )


def save_card(server, who, number="4242424242424242") -> PaymentCard:
    """The patient accepts the policy in effect and saves a card, as the card page does."""
    policy = PaymentPolicy.objects.order_by("-effective_date").first()
    payment_policy_accept(patient=who, policy=policy, by=who)
    secret = card_setup_start(patient=who, policy=policy)
    server.confirm_setup(secret, number)
    return card_setup_finish(patient=who, setup_intent_id=secret.split("_secret_")[0])


def signed(event: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """A webhook body and its Stripe-Signature header, made as Stripe makes them
    (HMAC-SHA256 of "timestamp.body" with the endpoint's secret, scheme v1)."""
    body = json.dumps(event)
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return body, f"t={timestamp},v1={mac}"


def event(event_id: str, event_type: str, obj: dict) -> dict:
    return {"id": event_id, "object": "event", "type": event_type, "data": {"object": obj}}
