"""The ledger against a real Stripe-compatible server: a deposit at booking, infusions by the
policy, fees, each charged exactly once, and what Stripe is told."""

from collections import Counter

import pytest

from billing.payments.charges import payment_charge
from billing.payments.models import Payment, PaymentKind, PaymentStatus
from billing.selectors import estimate_current
from clinic.models import Role
from scheduling.services import (
    course_book_sessions,
    session_cancel,
    session_check_in,
    session_complete,
    session_mark_no_show,
)
from tests.billing.payments_support import at, new_course, paying_location, save_card
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db

DATES = [at(12, 8, 9), at(12, 10, 9), at(12, 15, 9), at(12, 17, 9)]


@pytest.fixture
def booked(stripe_on, clock, estimates_after_commit):
    location = paying_location()
    course = new_course(location)
    save_card(stripe_on, course.patient)
    with estimates_after_commit():  # the GFE the infusions are priced by, issued after commit
        sessions = course_book_sessions(
            course=course, starts=DATES, by=course.patient, now=clock.now()
        )
    return course, sessions


def charge_all():
    for pk in Payment.objects.filter(status=PaymentStatus.PENDING).values_list("pk", flat=True):
        payment_charge(payment_id=pk)


def intents_created(server, key):
    return [
        r
        for r in server.received()
        if r["path"] == "/v1/payment_intents" and r["data"]["metadata"]["ledger_key"] == key
    ]


def test_booking_charges_the_deposit_once_and_tells_stripe_only_the_visit_date(booked, stripe_on):
    course, _ = booked
    deposit = Payment.objects.get(course=course)
    assert (deposit.kind, deposit.amount_cents, deposit.status) == (
        PaymentKind.DEPOSIT,
        25000,
        PaymentStatus.PENDING,
    )
    charge_all()
    payment_charge(payment_id=deposit.pk)  # a repeated task changes nothing
    deposit.refresh_from_db()
    assert deposit.status == PaymentStatus.SUCCEEDED and deposit.stripe_id.startswith("pi_")
    intent = stripe_on.get(f"/v1/payment_intents/{deposit.stripe_id}")
    assert (intent["status"], intent["amount"], intent["currency"]) == ("succeeded", 25000, "usd")
    [sent] = intents_created(stripe_on, deposit.stripe_ref)
    # The minimum: a date and our own key; no name, no diagnosis, no drug or treatment.
    assert sent["data"]["description"] == "Clinic deposit 2026-12-08"
    assert sent["data"]["metadata"] == {"ledger_key": f"payment-{deposit.pk}"}
    everything = " ".join(str(r["data"]) for r in stripe_on.received()).lower()
    for word in ("ketamine", "migraine", "g43", "infusion", "maria", "lopez", "headache"):
        assert word not in everything


def test_a_completed_infusion_is_charged_its_share_of_the_gfe_less_the_deposit(booked, stripe_on):
    course, sessions = booked
    charge_all()
    nurse = UserFactory(role=Role.CLINICIAN)
    estimate = estimate_current(patient=course.patient)
    assert estimate.total_low * 100 == 275000  # consultation $450 + 4-infusion package $2,300
    session_check_in(session=sessions[0], by=nurse)
    assert not Payment.objects.filter(kind=PaymentKind.INFUSION).exists()  # charged at completion
    session_complete(session=sessions[0], by=nurse)
    infusion = Payment.objects.get(kind=PaymentKind.INFUSION)
    assert (infusion.amount_cents, infusion.credit_cents) == (68750 - 25000, 25000)
    assert infusion.description == "Clinic visit 2026-12-08"
    charge_all()
    infusion.refresh_from_db()
    assert infusion.status == PaymentStatus.SUCCEEDED
    session_check_in(session=sessions[1], by=nurse)
    session_complete(session=sessions[1], by=nurse)
    second = Payment.objects.get(kind=PaymentKind.INFUSION, session=sessions[1])
    assert (second.amount_cents, second.credit_cents) == (68750, 0)


def test_late_cancellation_and_no_show_cost_the_policys_fees_once(booked, stripe_on, clock):
    course, sessions = booked
    nurse = UserFactory(role=Role.CLINICIAN)
    clock.travel(at(12, 7, 15))  # 18 hours before the first visit: inside the 24-hour window
    session_cancel(session=sessions[0], by=course.patient, now=clock.now())
    session_mark_no_show(session=sessions[1], by=nurse)
    charge_all()
    fees = Counter(
        (p.kind, p.amount_cents, p.status)
        for p in Payment.objects.exclude(kind=PaymentKind.DEPOSIT)
    )
    assert fees == {
        (PaymentKind.LATE_CANCELLATION, 15000, PaymentStatus.SUCCEEDED): 1,
        (PaymentKind.NO_SHOW, 20000, PaymentStatus.SUCCEEDED): 1,
    }


def test_a_cancellation_with_notice_or_by_the_clinic_costs_nothing(booked, stripe_on, clock):
    course, sessions = booked
    session_cancel(session=sessions[3], by=course.patient, now=clock.now())
    clock.travel(at(12, 7, 15))
    session_cancel(session=sessions[0], by=UserFactory(role=Role.COORDINATOR), now=clock.now())
    assert list(Payment.objects.values_list("kind", flat=True)) == [PaymentKind.DEPOSIT]


def test_a_declined_card_is_a_failed_row_with_stripes_reason(stripe_on, clock):
    location = paying_location()
    course = new_course(location)
    save_card(stripe_on, course.patient, number="4000000000000341")  # attaches, then declines
    course_book_sessions(course=course, starts=DATES[:1], by=course.patient, now=clock.now())
    charge_all()
    deposit = Payment.objects.get(course=course)
    assert deposit.status == PaymentStatus.FAILED and deposit.failure_message


def test_without_a_card_the_charge_waits_as_failed_until_a_card_is_saved(stripe_on, clock):
    location = paying_location()
    course = new_course(location)
    course_book_sessions(course=course, starts=DATES[:1], by=course.patient, now=clock.now())
    deposit = Payment.objects.get(course=course)
    assert (deposit.status, deposit.failure_message) == (PaymentStatus.FAILED, "No card on file.")
    save_card(stripe_on, course.patient)
    deposit.refresh_from_db()
    assert deposit.status == PaymentStatus.PENDING
    charge_all()
    deposit.refresh_from_db()
    assert deposit.status == PaymentStatus.SUCCEEDED


def test_payments_not_configured_record_nothing(settings, clock):
    settings.STRIPE_SECRET_KEY = ""
    location = paying_location()
    course = new_course(location)
    course_book_sessions(course=course, starts=DATES, by=course.patient, now=clock.now())
    assert not Payment.objects.exists()


def test_stripe_down_leaves_the_charge_waiting_and_the_retry_charges_it_once(
    booked, stripe_on, settings
):
    from billing.payments import gateway
    from tests.billing.conftest import _free_port

    course, _ = booked
    deposit = Payment.objects.get(course=course)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{_free_port()}"  # nobody listens there
    settings.STRIPE_TIMEOUT_SECONDS = 2
    with pytest.raises(gateway.Unavailable):
        payment_charge(payment_id=deposit.pk)
    deposit.refresh_from_db()
    assert (deposit.status, deposit.attempts, deposit.stripe_id) == (PaymentStatus.PENDING, 1, "")
    from billing.payments.charges import payments_waiting

    assert payments_waiting() == [deposit.pk]  # beat's sweep will find it
    settings.STRIPE_API_BASE = stripe_on.url
    payment_charge(payment_id=deposit.pk)
    deposit.refresh_from_db()
    assert deposit.status == PaymentStatus.SUCCEEDED and deposit.attempts == 2
    assert len(intents_created(stripe_on, deposit.stripe_ref)) == 1
