"""The patient's payments page (policy, card, charges), the documents, the admin's refunds, and
the reconciliation against the Good Faith Estimate (45 CFR 149.620)."""

import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from pypdf import PdfReader

from billing.payments.charges import payment_charge
from billing.payments.documents import course_reconciliation, courses_billed_over_gfe
from billing.payments.models import (
    Payment,
    PaymentKind,
    PaymentPolicyAcceptance,
    PaymentStatus,
)
from billing.payments.refunds import refund_execute
from billing.tasks import issue_course_estimate
from clinic.audit.models import AuditEvent
from clinic.models import Role
from reporting.overview import admin_todo
from scheduling.services import (
    course_book_sessions,
    session_cancel,
    session_check_in,
    session_complete,
)
from tests.billing.payments_support import at, new_course, paying_location, save_card
from tests.factories.billing import patient as make_patient
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db
DATES = [at(12, 8, 9), at(12, 10, 9), at(12, 15, 9), at(12, 17, 9)]


def charge_all():
    for pk in Payment.objects.filter(status=PaymentStatus.PENDING).values_list("pk", flat=True):
        payment_charge(payment_id=pk)


@pytest.fixture
def course(stripe_on):
    return new_course(paying_location())


def test_without_stripe_keys_the_page_says_payments_are_not_configured(client, settings, db):
    settings.STRIPE_SECRET_KEY = ""
    who = make_patient()
    client.force_login(who)
    page = client.get("/my/payments/")
    assert page.status_code == 200
    assert "Card payments are not set up at this clinic yet" in page.content.decode()


def test_the_patient_reads_and_accepts_the_policy_before_any_card_form(client, course, stripe_on):
    who = course.patient
    client.force_login(who)
    page = unescape(client.get("/my/payments/").content.decode())
    assert "A deposit of $250.00 is charged when you book a course." in page
    assert "less than 24 hours' notice costs $150.00" in page
    assert "Missing a visit without telling us costs $200.00." in page
    assert 'id="card-element"' not in page  # no card form before the policy is accepted
    refused = client.post("/my/payments/accept/", {})
    assert refused.status_code == 302 and not PaymentPolicyAcceptance.objects.exists()
    client.post("/my/payments/accept/", {"accept": "on"})
    acceptance = PaymentPolicyAcceptance.objects.get(patient=who)
    assert acceptance.accepted_by == who and "$250.00" in acceptance.text
    page = client.get("/my/payments/")
    html = page.content.decode()
    assert 'id="card-element"' in html and 'data-client-secret="seti_' in html
    assert f'src="{stripe_on.url}/js.stripe.com/v3/"' in html
    # The page lets Stripe.js (here localstripe's stand-in) load, and nothing else.
    assert stripe_on.url in page["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    assert 'name="number"' not in html and "cvc" not in html.lower()


def test_the_card_is_recorded_from_stripe_and_another_patients_setup_is_refused(
    client, course, stripe_on
):
    who = course.patient
    client.force_login(who)
    client.post("/my/payments/accept/", {"accept": "on"})
    html = client.get("/my/payments/").content.decode()
    secret = re.search(r'data-client-secret="([^"]+)"', html).group(1)
    stripe_on.confirm_setup(secret)  # the browser, with Stripe.js
    seti = secret.split("_secret_")[0]
    other = make_patient()
    client.force_login(other)
    client.post("/my/payments/card/", {"setup_intent": seti})
    assert not Payment.objects.exists()
    assert not hasattr(other, "payment_card") or not other.payment_card.is_saved
    client.force_login(who)
    for hostile in ["", "seti_\u0661\u0662", "x" * 5000, "seti_a\x00b", "pi_123"]:
        assert client.post("/my/payments/card/", {"setup_intent": hostile}).status_code == 302
    client.post("/my/payments/card/", {"setup_intent": seti})
    who.payment_card.refresh_from_db()
    assert (who.payment_card.last4, who.payment_card.brand) == ("4242", "visa")
    page = client.get("/my/payments/").content.decode()
    assert "Visa ending in 4242" in page


def _completed_course(course, stripe_on, clock, infusions=2):
    save_card(stripe_on, course.patient)
    sessions = course_book_sessions(course=course, starts=DATES, by=course.patient, now=clock.now())
    issue_course_estimate(course.pk, "Sessions booked", course.patient.pk)  # after the commit
    nurse = UserFactory(role=Role.CLINICIAN)
    for s in sessions[:infusions]:
        session_check_in(session=s, by=nurse)
        session_complete(session=s, by=nurse)
    charge_all()
    return sessions


def test_receipts_are_the_patients_own(client, course, stripe_on, clock):
    _completed_course(course, stripe_on, clock)
    deposit = Payment.objects.get(kind=PaymentKind.DEPOSIT)
    client.force_login(course.patient)
    page = client.get(f"/payments/{deposit.pk}/receipt/").content.decode()
    assert "$250.00" in page and "Deposit" in page
    client.force_login(make_patient())
    assert client.get(f"/payments/{deposit.pk}/receipt/").status_code == 404
    coordinator = UserFactory(role=Role.COORDINATOR)
    client.force_login(coordinator)
    assert client.get(f"/payments/{deposit.pk}/receipt/").status_code == 200
    assert AuditEvent.objects.filter(actor=coordinator, patient=course.patient).exists()


def test_an_admin_refunds_with_a_reason_and_never_more_than_was_paid(
    client, course, stripe_on, clock
):
    _completed_course(course, stripe_on, clock)
    deposit = Payment.objects.get(kind=PaymentKind.DEPOSIT)
    coordinator, admin = UserFactory(role=Role.COORDINATOR), UserFactory(role=Role.ADMIN)
    client.force_login(coordinator)
    assert (
        client.post(f"/payments/{deposit.pk}/refund/", {"amount": "10", "reason": "x"}).status_code
        == 403
    )
    client.force_login(admin)
    for bad in [
        {"amount": "10.00", "reason": ""},
        {"amount": "\u0661\u0660", "reason": "Goodwill"},
        {"amount": "250.01", "reason": "Too much"},
        {"amount": "-5", "reason": "Negative"},
        {"amount": "5", "reason": "bad\x01char"},
        {"amount": "1e400", "reason": "Huge"},
        {"amount": "5" * 5000, "reason": "Long"},
        {"amount": ["5", "6"], "reason": ["a", "b"], "number": ["1", "x"]},
        {"amount": "5", "reason": "r" * 501},
        {"amount": "5", "reason": "No number", "number": ""},
        {"amount": "5", "reason": "Unicode number", "number": "\u0661"},
        {"amount": "5", "reason": "Wrong number", "number": "7"},
        {"amount": "5", "reason": "Zero number", "number": "0"},
    ]:
        response = client.post(f"/payments/{deposit.pk}/refund/", {"number": "1", **bad})
        assert response.status_code == 302, bad
    assert not Payment.objects.filter(kind=PaymentKind.REFUND).exists()
    client.post(
        f"/payments/{deposit.pk}/refund/", {"amount": "50.00", "reason": "Goodwill", "number": "1"}
    )
    refund = Payment.objects.get(kind=PaymentKind.REFUND)
    assert (refund.amount_cents, refund.reason, refund.created_by) == (5000, "Goodwill", admin)
    refund_execute(refund_id=refund.pk)
    refund_execute(refund_id=refund.pk)  # a repeated task sends nothing more
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.SUCCEEDED and refund.stripe_id.startswith("re_")
    sent = [
        r
        for r in stripe_on.received()
        if r["path"] == "/v1/refunds" and r["data"]["payment_intent"] == deposit.stripe_id
    ]
    assert len(sent) == 1 and int(sent[0]["data"]["amount"]) == 5000
    chart = client.get(f"/patients/{course.patient_id}/").content.decode()
    assert "Refund" in chart and "Goodwill" in chart and "Superbill (PDF)" in chart
    # A clinician reads the payments on the chart but may not open the superbill: no dead link.
    client.force_login(UserFactory(role=Role.CLINICIAN))
    chart = client.get(f"/patients/{course.patient_id}/").content.decode()
    assert "Goodwill" in chart and "Superbill (PDF)" not in chart
    assert client.get(reverse("billing:superbill", args=[course.pk])).status_code == 403


def _pdf_text(response) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


def test_the_superbill_lists_codes_dates_and_totals_in_the_patients_language(
    client, course, stripe_on, clock
):
    _completed_course(course, stripe_on, clock)
    client.force_login(course.patient)
    response = client.get(f"/courses/{course.pk}/superbill.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response)
    for expected in [
        "1234567893",  # facility NPI
        "04-3456789",  # TIN
        "1245319599",  # rendering provider's NPI
        "G43.709",  # the course's ICD-10 code
        "99205, 96365",  # CPT codes on each visit
        "Dec 8, 2026",
        "Dec 10, 2026",
        "Total billed $1,375.00",  # two infusions of $687.50
        "Total paid $1,375.00",  # the $250 deposit and $1,125 on the card
    ]:
        assert expected in text, expected
    client.force_login(make_patient())
    assert client.get(f"/courses/{course.pk}/superbill.pdf").status_code == 404
    course.patient.preferred_language = "es"
    course.patient.save()
    client.force_login(course.patient)
    spanish = _pdf_text(client.get(f"/courses/{course.pk}/superbill.pdf"))
    assert "Fecha del servicio" in spanish and "G43.709" in spanish


# 45 CFR 149.620(a)(2)(ii), the rule's own definition: "Substantially in excess means, with
# respect to the total billed charges by a provider or facility, an amount that is at least $400
# more than the total amount of expected charges listed on the good faith estimate for the
# provider or facility." CMS's page for patients (cms.gov/nosurprises/consumers): eligible if
# "You have a bill dated within the last 120 calendar days" and "your bill from an individual
# provider or facility is at least $400 more than the total expected costs on the good faith
# estimate from that provider or facility." The clinic is the one facility on its GFE.
def test_a_bill_400_dollars_over_the_gfe_alerts_coordinators_and_tells_the_patient(
    client, course, stripe_on, clock
):
    sessions = _completed_course(course, stripe_on, clock, infusions=0)
    # All four visits and the late fees: $2,750 estimated; a $150 fee keeps it under $400 ...
    nurse = UserFactory(role=Role.CLINICIAN)
    clock.travel(at(12, 8, 12))  # the first infusion is charged that day: the initial bill
    for s in sessions[:3]:
        session_check_in(session=s, by=nurse)
        session_complete(session=s, by=nurse)
    clock.travel(at(12, 16, 15))
    session_cancel(session=sessions[3], by=course.patient, now=clock.now())
    reconciliation = course_reconciliation(course=course)
    assert reconciliation.estimate.total_high == Decimal("2889.80")  # with optional items
    assert reconciliation.billed == Decimal("2212.50")  # 3 × $687.50 + $150
    assert not reconciliation.may_dispute and courses_billed_over_gfe() == []
    # ... until the clinic bills more than the estimate by $400 (here by hand, to make the case).
    Payment.objects.create(
        patient=course.patient,
        course=course,
        kind=PaymentKind.NO_SHOW,
        amount_cents=(288980 + 40000 - 221250),
        idempotency_key="test:excess",
        description="Clinic visit 2026-12-18",
        status=PaymentStatus.SUCCEEDED,
    )
    reconciliation = course_reconciliation(course=course)
    assert reconciliation.excess == Decimal("400.00") and reconciliation.may_dispute
    # The initial bill is the first infusion's charge, made Dec 8; 120 calendar days from it
    # is Apr 7, 2027.
    assert reconciliation.first_billed_on == dt.date(2026, 12, 8)
    assert reconciliation.dispute_by == dt.date(2027, 4, 7)
    assert courses_billed_over_gfe() == [(course.pk, course.patient_id, Decimal("400.00"))]
    todo = {item.slug: item.count for item in admin_todo()}
    assert todo["over-gfe"] == 1
    client.force_login(course.patient)
    page = client.get("/my/payments/").content.decode()
    assert "Your right to dispute your bill" in page and "45 CFR 149.620" in page
    assert "at least $400 more than the total expected charges listed for it" in page
    assert "date on your initial bill (Dec 8, 2026): by Apr 7, 2027." in page


def test_a_failed_charge_is_on_the_admins_to_do_list(course, stripe_on, clock):
    course_book_sessions(course=course, starts=DATES[:1], by=course.patient, now=clock.now())
    todo = {item.slug: item for item in admin_todo()}
    assert todo["failed-charges"].count == 1 and todo["failed-charges"].urgent
