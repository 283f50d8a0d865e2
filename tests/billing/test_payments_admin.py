"""What a clinic admin does with the ledger, against the local Stripe server: a refund sent once
however often it is clicked or its task retried, a failed charge tried again or written off
(with a reason, audited, a ledger row), and the deposit of a course cancelled in time."""

import pytest

from billing.payments import gateway
from billing.payments.charges import payment_charge
from billing.payments.models import DepositOnCancel, Payment, PaymentKind, PaymentStatus
from billing.payments.refunds import payment_refund, refund_execute
from billing.payments.selectors import ledger_for_patient
from billing.tasks import issue_course_estimate
from clinic.audit.models import AuditEvent
from clinic.models import Role
from reporting.overview import admin_todo
from scheduling.services import (
    course_book_sessions,
    course_cancel,
    session_check_in,
    session_complete,
)
from tests.billing.payments_support import at, new_course, paying_location, save_card
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db
DATES = [at(12, 8, 9), at(12, 10, 9), at(12, 15, 9), at(12, 17, 9)]


def charge_all():
    """What the worker does with each charge and refund enqueued on commit."""
    for pk in Payment.objects.filter(status=PaymentStatus.PENDING).values_list("pk", flat=True):
        if Payment.objects.get(pk=pk).is_refund:
            refund_execute(refund_id=pk)
        else:
            payment_charge(payment_id=pk)


def refunds_sent(server, intent_id):
    return [
        r
        for r in server.received()
        if r["path"] == "/v1/refunds" and r["data"]["payment_intent"] == intent_id
    ]


def refunds_at_stripe(server, intent_id):
    return server.get(f"/v1/refunds?payment_intent={intent_id}")["data"]


@pytest.fixture
def paid(stripe_on, clock):
    """A course booked with a saved card: the $250 deposit is paid."""
    course = new_course(paying_location())
    save_card(stripe_on, course.patient)
    sessions = course_book_sessions(course=course, starts=DATES, by=course.patient, now=clock.now())
    issue_course_estimate(course.pk, "Sessions booked", course.patient.pk)  # after the commit
    charge_all()
    deposit = Payment.objects.get(course=course, kind=PaymentKind.DEPOSIT)
    assert deposit.status == PaymentStatus.SUCCEEDED
    return course, sessions, deposit


def test_two_clicks_on_one_refund_form_refund_once(client, paid, stripe_on):
    course, _sessions, deposit = paid
    admin = UserFactory(role=Role.ADMIN)
    client.force_login(admin)
    chart = client.get(f"/patients/{course.patient_id}/").content.decode()
    assert 'name="number" value="1"' in chart  # the form names the refund it would make
    form = {"amount": "40.00", "reason": "Goodwill", "number": "1"}
    first = client.post(f"/payments/{deposit.pk}/refund/", form, follow=True)
    second = client.post(f"/payments/{deposit.pk}/refund/", form, follow=True)
    assert "The refund is on its way to the card." in first.content.decode()
    assert "This refund was already made; nothing more was refunded." in second.content.decode()
    refund = Payment.objects.get(kind=PaymentKind.REFUND)
    assert refund.idempotency_key == f"refund:{deposit.pk}:1"
    charge_all()
    assert len(refunds_sent(stripe_on, deposit.stripe_id)) == 1
    # The next refund is a new one: the page now offers number 2, and it is made.
    chart = client.get(f"/patients/{course.patient_id}/").content.decode()
    assert 'name="number" value="2"' in chart
    client.post(f"/payments/{deposit.pk}/refund/", {**form, "number": "2"})
    charge_all()
    assert Payment.objects.filter(kind=PaymentKind.REFUND).count() == 2
    assert len(refunds_at_stripe(stripe_on, deposit.stripe_id)) == 2
    assert ledger_for_patient(patient=course.patient).refunded == 80


def test_a_refund_task_retried_after_its_worker_died_refunds_once(paid, stripe_on):
    _course, _sessions, deposit = paid
    admin = UserFactory(role=Role.ADMIN)
    refund, created = payment_refund(
        payment=deposit, amount_cents=2500, reason="Goodwill", by=admin, number=1
    )
    assert created
    # The first worker asked Stripe for the refund and died before its answer was recorded
    # (its transaction rolled back): Stripe has refunded, our row knows nothing of it.
    refund_id, _status = gateway.refund_create(
        intent_id=deposit.stripe_id, amount_cents=2500, ledger_key=refund.stripe_ref
    )
    Payment.objects.filter(pk=refund.pk).update(status=PaymentStatus.PENDING, stripe_id="")
    # The task is retried, twice: the refund is found by our key, never sent again.
    refund_execute(refund_id=refund.pk)
    refund_execute(refund_id=refund.pk)
    refund.refresh_from_db()
    assert (refund.stripe_id, refund.status) == (refund_id, PaymentStatus.SUCCEEDED)
    at_stripe = refunds_at_stripe(stripe_on, deposit.stripe_id)
    assert [r["metadata"]["ledger_key"] for r in at_stripe] == [refund.stripe_ref]
    assert len(refunds_sent(stripe_on, deposit.stripe_id)) == 1


def _failed_deposit(stripe_on, clock):
    course = new_course(paying_location())
    save_card(stripe_on, course.patient, number="4000000000000341")  # attaches, then declines
    course_book_sessions(course=course, starts=DATES[:1], by=course.patient, now=clock.now())
    charge_all()
    deposit = Payment.objects.get(course=course, kind=PaymentKind.DEPOSIT)
    assert deposit.status == PaymentStatus.FAILED
    return course, deposit


def test_an_admin_tries_a_failed_charge_again_from_the_to_do_list(client, stripe_on, clock):
    course, deposit = _failed_deposit(stripe_on, clock)
    todo = {item.slug: item for item in admin_todo()}
    assert todo["failed-charges"].count == 1 and todo["failed-charges"].href == "/payments/failed/"
    client.force_login(UserFactory(role=Role.COORDINATOR))
    assert client.get("/payments/failed/").status_code == 403
    assert client.post(f"/payments/{deposit.pk}/retry/").status_code == 403
    admin = UserFactory(role=Role.ADMIN)
    client.force_login(admin)
    page = client.get("/payments/failed/").content.decode()
    assert "Maria Lopez" in page and "Try the charge again" in page and "$250.00" in page
    assert AuditEvent.objects.filter(actor=admin, patient=course.patient).exists()
    response = client.post(f"/payments/{deposit.pk}/retry/", {"back": "list"}, follow=True)
    assert "The charge will be tried again in a moment." in response.content.decode()
    deposit.refresh_from_db()
    assert deposit.status == PaymentStatus.PENDING
    charge_all()  # the same card declines again: a new attempt, a new intent, failed
    deposit.refresh_from_db()
    assert (deposit.status, deposit.attempts) == (PaymentStatus.FAILED, 2)
    # The patient saves a card that works: the charge is made, once, on a fresh intent.
    save_card(stripe_on, course.patient)
    charge_all()
    deposit.refresh_from_db()
    assert deposit.status == PaymentStatus.SUCCEEDED
    assert stripe_on.get(f"/v1/payment_intents/{deposit.stripe_id}")["status"] == "succeeded"
    succeeded = [
        pi
        for pi in stripe_on.get("/v1/payment_intents?limit=100")["data"]
        if pi["metadata"].get("ledger_key") == deposit.stripe_ref and pi["status"] == "succeeded"
    ]
    assert len(succeeded) == 1
    # A paid charge cannot be tried again.
    response = client.post(f"/payments/{deposit.pk}/retry/", follow=True)
    assert "Only a failed charge can be tried again." in response.content.decode()
    assert {item.slug: item.count for item in admin_todo()}["failed-charges"] == 0


def test_an_admin_writes_off_a_failed_charge_with_a_reason(client, stripe_on, clock):
    course, deposit = _failed_deposit(stripe_on, clock)
    admin = UserFactory(role=Role.ADMIN)
    client.force_login(admin)
    chart = client.get(f"/patients/{course.patient_id}/").content.decode()
    assert "Write off" in chart and "Try the charge again" in chart
    url = f"/payments/{deposit.pk}/write-off/"
    for bad in [
        {},
        {"reason": "   "},
        {"reason": "bad\x00char"},
        {"reason": "x" * 501},
        {"reason": "\u200b"},
    ]:
        assert client.post(url, bad).status_code == 302
    assert not Payment.objects.filter(kind=PaymentKind.WRITE_OFF).exists()
    deposit.refresh_from_db()
    assert deposit.status == PaymentStatus.FAILED
    response = client.post(url, {"reason": "Hardship, agreed by the director"}, follow=True)
    assert "The charge is written off." in response.content.decode()
    client.post(url, {"reason": "Clicked twice"})
    write_off = Payment.objects.get(kind=PaymentKind.WRITE_OFF)
    assert (write_off.refund_of, write_off.amount_cents, write_off.created_by) == (
        deposit,
        25000,
        admin,
    )
    assert write_off.reason == "Hardship, agreed by the director"
    deposit.refresh_from_db()
    assert deposit.status == PaymentStatus.CANCELLED
    assert AuditEvent.objects.filter(actor=admin, patient=course.patient, action="change").exists()
    ledger = ledger_for_patient(patient=course.patient)
    assert (ledger.paid, ledger.balance, ledger.failed) == (0, 0, [])
    assert {item.slug: item.count for item in admin_todo()}["failed-charges"] == 0
    # Nothing was paid: no receipt; and a written-off charge is not tried again.
    assert client.get(f"/payments/{write_off.pk}/receipt/").status_code == 404
    response = client.post(f"/payments/{deposit.pk}/retry/", follow=True)
    assert "Only a failed charge can be tried again." in response.content.decode()
    chart = client.get(f"/patients/{course.patient_id}/").content.decode()
    assert "Written off" in chart and "Hardship, agreed by the director" in chart


def test_a_deposit_used_up_by_infusions_leaves_nothing_to_refund(paid, stripe_on, clock):
    course, sessions, deposit = paid
    nurse = UserFactory(role=Role.CLINICIAN)
    session_check_in(session=sessions[0], by=nurse)
    session_complete(session=sessions[0], by=nurse)  # $687.50, all $250 of the deposit used
    charge_all()
    assert Payment.objects.get(kind=PaymentKind.INFUSION).credit_cents == 25000
    # Nothing of the deposit is left: cancelling refunds nothing.
    course_cancel(course=course, by=course.patient, reason="Moving away")
    assert not Payment.objects.filter(kind=PaymentKind.REFUND).exists()


def test_cancelling_with_notice_refunds_the_deposit_and_late_keeps_it(stripe_on, clock):
    def booked():
        course = new_course(paying_location())
        save_card(stripe_on, course.patient)
        course_book_sessions(course=course, starts=DATES, by=course.patient, now=clock.now())
        charge_all()
        return course, Payment.objects.get(course=course, kind=PaymentKind.DEPOSIT)

    # A week before the first visit: the whole deposit goes back to the card.
    course, deposit = booked()
    course_cancel(course=course, by=course.patient, reason="Changed my mind")
    refund = Payment.objects.get(refund_of=deposit)
    assert (refund.amount_cents, refund.kind) == (25000, PaymentKind.REFUND)
    assert "cancelled in time" in refund.reason
    charge_all()
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.SUCCEEDED
    assert [r["amount"] for r in refunds_at_stripe(stripe_on, deposit.stripe_id)] == [25000]

    # Twelve hours before the first visit, by the patient: the deposit is kept.
    late, late_deposit = booked()
    clock.travel(at(12, 7, 21))
    course_cancel(course=late, by=late.patient, reason="Too late")
    assert not Payment.objects.filter(refund_of=late_deposit).exists()
    # The same, by the clinic: the clinic's decision never costs the patient the deposit.
    clock.travel(at(12, 1, 10))
    by_clinic, clinic_deposit = booked()
    clock.travel(at(12, 7, 21))
    course_cancel(course=by_clinic, by=UserFactory(role=Role.COORDINATOR), reason="Closed")
    assert Payment.objects.get(refund_of=clinic_deposit).amount_cents == 25000


def test_a_policy_that_keeps_the_deposit_says_so_and_keeps_it(client, stripe_on, clock):
    location = paying_location(deposit_on_cancel=DepositOnCancel.KEEP)
    course = new_course(location)
    save_card(stripe_on, course.patient)
    course_book_sessions(course=course, starts=DATES, by=course.patient, now=clock.now())
    charge_all()
    course_cancel(course=course, by=course.patient, reason="Changed my mind")
    assert not Payment.objects.filter(kind=PaymentKind.REFUND).exists()


def test_the_policy_the_patient_accepts_says_what_happens_to_the_deposit(client, stripe_on, clock):
    course = new_course(paying_location())
    client.force_login(course.patient)
    page = client.get("/my/payments/").content.decode()
    assert (
        "If you cancel your course at least 24 hours before your next visit, the part of the "
        "deposit not yet used for infusions is refunded to your card automatically. With less "
        "notice, it is kept."
    ) in page
    course.patient.preferred_language = "es"
    course.patient.save()
    page = client.get("/my/payments/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "se le reembolsa" in page


def test_a_stripe_refund_lookup_that_fails_leaves_the_refund_waiting(paid, stripe_on, settings):
    _course, _sessions, deposit = paid
    refund, _ = payment_refund(
        payment=deposit,
        amount_cents=1000,
        reason="Goodwill",
        by=UserFactory(role=Role.ADMIN),
        number=1,
    )
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: Stripe is unreachable
    with pytest.raises(gateway.Unavailable):
        refund_execute(refund_id=refund.pk)
    refund.refresh_from_db()
    assert (refund.status, refund.stripe_id) == (PaymentStatus.PENDING, "")
    settings.STRIPE_API_BASE = stripe_on.url
    refund_execute(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.SUCCEEDED
    assert len(refunds_sent(stripe_on, deposit.stripe_id)) == 1
