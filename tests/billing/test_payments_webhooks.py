"""Stripe's webhooks: signed as Stripe signs them, acted on once, in any order; twenty
deliveries of one event at once over HTTP; a worker killed while Stripe confirms a charge."""

import threading
import time

import pytest
import requests
from django.urls import reverse

from billing.payments.charges import payment_charge
from billing.payments.models import Payment, PaymentKind, PaymentStatus, StripeEvent
from billing.payments.webhooks import stripe_event_handle
from clinic.celery import app
from scheduling.services import course_book_sessions
from tests.billing.payments_support import (
    at,
    event,
    new_course,
    paying_location,
    save_card,
    signed,
)
from tests.support.workers import kill, start_worker, wait_for

URL = "/payments/stripe/webhook/"


def _deposit(server, clock) -> Payment:
    course = new_course(paying_location())
    save_card(server, course.patient)
    course_book_sessions(course=course, starts=[at(12, 8, 9)], by=course.patient, now=clock.now())
    return Payment.objects.get(course=course, kind=PaymentKind.DEPOSIT)


def _intent(payment: Payment, status: str, pi: str = "pi_hook1") -> dict:
    error = {"message": "Your card was declined."} if status == "requires_payment_method" else None
    return {
        "id": pi,
        "object": "payment_intent",
        "status": status,
        "metadata": {"ledger_key": payment.stripe_ref},
        "last_payment_error": error,
    }


def _post(client, body, header):
    return client.post(
        URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


@pytest.mark.django_db
def test_the_webhook_url_is_billings():
    assert reverse("billing:stripe_webhook") == URL


@pytest.mark.django_db
def test_an_event_not_signed_with_our_secret_is_refused_and_changes_nothing(
    client, stripe_on, clock
):
    payment = _deposit(stripe_on, clock)
    body, header = signed(
        event("evt_forged", "payment_intent.succeeded", _intent(payment, "succeeded")),
        secret="whsec_other",
    )
    assert _post(client, body, header).status_code == 400
    assert _post(client, body, "").status_code == 400
    old = signed(
        event("evt_old", "payment_intent.succeeded", _intent(payment, "succeeded")),
        timestamp=int(time.time()) - 3600,
    )
    assert _post(client, *old).status_code == 400  # replayed outside Stripe's 5-minute tolerance
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not StripeEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"[]",
        b"{",
        "\ud800".encode("utf-8", "surrogatepass"),
        b'{"id": 5, "type": []}',
        ("{" * 5000).encode(),
        '{"id":"\u0661\u0662\u0663","type":"x\x00","data":{"object":7}}'.encode(),
    ],
)
def test_hostile_bodies_never_cause_a_500(client, stripe_on, payload):
    import hashlib
    import hmac

    ts = int(time.time())
    mac = hmac.new(b"whsec_test_portal_secret", f"{ts}.".encode() + payload, hashlib.sha256)
    response = client.post(
        URL,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={ts},v1={mac.hexdigest()}",
    )
    assert response.status_code in (200, 400)
    assert StripeEvent.objects.count() <= 1


NESTED = '{"id": "evt_deep", "type": "payment_intent.succeeded", "data": ' + "[" * 100_000
NESTED += "]" * 100_000 + "}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        NESTED,  # valid JSON, nested deeper than the parser goes
        '{"id": "evt_nul\\u0000", "type": "payment_intent.succeeded", "data": {}}',
        '{"id": "evt_ctl", "type": "payment_intent.\\u0007", "data": {}}',
        '{"id": "", "type": "payment_intent.succeeded", "data": {}}',
        '{"id": "evt_big", "type": "x", "pad": "' + "a" * 600_000 + '"}',  # over 512 KiB
    ],
)
def test_signed_but_malformed_events_are_refused_and_nothing_is_stored(
    client, stripe_on, clock, body
):
    payment = _deposit(stripe_on, clock)
    assert _post(client, *_signed_body(body)).status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not StripeEvent.objects.exists()


def _signed_body(body: str):
    import hashlib
    import hmac

    ts = int(time.time())
    mac = hmac.new(b"whsec_test_portal_secret", f"{ts}.{body}".encode(), hashlib.sha256)
    return body, f"t={ts},v1={mac.hexdigest()}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "obj"),
    [
        ("payment_intent.succeeded", {"id": ["pi"], "status": ["succeeded"], "metadata": "x"}),
        ("payment_intent.succeeded", {"id": "pi_x", "status": {}, "metadata": {"ledger_key": 5}}),
        ("payment_intent.payment_failed", {"id": 7, "last_payment_error": "declined"}),
        ("payment_intent.succeeded", []),
        ("charge.refunded", {"object": "charge", "refunds": "all"}),
        ("charge.refunded", {"object": "charge", "refunds": {"data": [1, "re_x", None]}}),
        ("refund.updated", {"id": {"nested": {"deeper": []}}, "status": "succeeded"}),
        ("setup_intent.succeeded", {"id": None, "payment_method": {"id": "pm_x"}}),
        ("customer.subscription.deleted", {"id": "sub_1"}),  # a type we do not handle
    ],
)
def test_signed_events_of_the_wrong_shape_or_an_unknown_type_change_nothing(
    client, stripe_on, clock, kind, obj
):
    payment = _deposit(stripe_on, clock)
    response = _post(client, *signed(event("evt_odd", kind, obj)))
    assert response.status_code == 200  # acknowledged, so Stripe stops sending it
    payment.refresh_from_db()
    assert (payment.status, payment.stripe_id) == (PaymentStatus.PENDING, "")


@pytest.mark.django_db
def test_events_out_of_order_never_undo_a_payment(client, stripe_on, clock):
    payment = _deposit(stripe_on, clock)
    ok = _post(
        client, *signed(event("evt_1", "payment_intent.succeeded", _intent(payment, "succeeded")))
    )
    late_failure = signed(
        event("evt_0", "payment_intent.payment_failed", _intent(payment, "requires_payment_method"))
    )
    assert ok.status_code == 200 and _post(client, *late_failure).status_code == 200
    payment.refresh_from_db()
    assert (payment.status, payment.stripe_id) == (PaymentStatus.SUCCEEDED, "pi_hook1")
    # The task that was still to run finds the row settled and never calls Stripe.
    before = len(stripe_on.received())
    payment_charge(payment_id=payment.pk)
    assert len(stripe_on.received()) == before


@pytest.mark.django_db
def test_a_failure_then_a_success_ends_paid_and_a_repeat_is_ignored(stripe_on, clock):
    payment = _deposit(stripe_on, clock)
    failed = _intent(payment, "requires_payment_method")
    assert stripe_event_handle(
        event_id="evt_a", event_type="payment_intent.payment_failed", obj=failed
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_message == "Your card was declined."
    assert not stripe_event_handle(
        event_id="evt_a", event_type="payment_intent.payment_failed", obj=failed
    )
    stripe_event_handle(
        event_id="evt_b", event_type="payment_intent.succeeded", obj=_intent(payment, "succeeded")
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_deliveries_of_one_event_at_once_are_acted_on_once(live_server, stripe_on, clock):
    payment = _deposit(stripe_on, clock)
    body, header = signed(
        event("evt_race", "payment_intent.succeeded", _intent(payment, "succeeded"))
    )
    barrier = threading.Barrier(20)
    codes = []

    def deliver():
        barrier.wait()
        response = requests.post(
            live_server.url + URL,
            data=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
            timeout=60,
        )
        codes.append(response.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 20
    assert StripeEvent.objects.filter(event_id="evt_race").count() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def _stripe_worker(server):
    return start_worker(
        STRIPE_SECRET_KEY="sk_test_portal",
        STRIPE_API_BASE=server.url,
        PAYMENTS_CLAIM_TIMEOUT_SECONDS="1",
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_stripe_confirms_the_charge_charges_once(stripe_on, clock):
    app.control.purge()
    payment = _deposit(stripe_on, clock)  # its task is enqueued as the booking commits
    requests.post(stripe_on.url + "/_test/hold_confirms", timeout=5)
    first = _stripe_worker(stripe_on)
    second = None
    try:
        confirmed = lambda: any(  # noqa: E731
            r["path"].endswith("/confirm")
            and r["path"].split("/")[3] == Payment.objects.get(pk=payment.pk).stripe_id
            for r in stripe_on.received()
        )
        assert wait_for(confirmed, 60), "the first worker never confirmed"
        time.sleep(0.5)  # Stripe has charged; the worker waits for an answer it never gets
        kill(first)
        assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PROCESSING
        second = _stripe_worker(stripe_on)
        time.sleep(1.5)  # the dead worker's claim is now older than the timeout
        for _ in range(3):  # the beat sweep and repeated tasks change nothing more
            app.send_task("billing.payments.tasks.charge_waiting_payments")
        assert wait_for(
            lambda: Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED, 60
        )
        time.sleep(1)
    finally:
        kill(first)
        kill(second)
    payment.refresh_from_db()
    key = payment.stripe_ref
    created = [
        r
        for r in stripe_on.received()
        if r["path"] == "/v1/payment_intents" and r["data"]["metadata"]["ledger_key"] == key
    ]
    confirms = [
        r
        for r in stripe_on.received()
        if r["path"] == f"/v1/payment_intents/{payment.stripe_id}/confirm"
    ]
    assert (len(created), len(confirms), payment.attempts) == (1, 1, 2)
    assert stripe_on.get(f"/v1/payment_intents/{payment.stripe_id}")["status"] == "succeeded"
