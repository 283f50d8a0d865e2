"""Journey: a patient reads and accepts the payment policy and saves a card (through
localstripe's stand-in for Stripe.js: the number goes to the Stripe server, never to ours), her
course's deposit is charged at booking, a completed infusion is charged, a late cancellation
costs the policy's fee, and the superbill PDF shows the codes and totals. Phone-size screenshots
(var/screenshots/h23-*.png)."""

import io
import re

import pytest
from pypdf import PdfReader

from billing.payments.charges import payment_charge
from billing.payments.models import Payment, PaymentStatus
from clinic.messaging import defaults
from clinic.messaging.models import MessageTemplate, ReminderPlanEntry
from clinic.models import Role
from scheduling.services import (
    course_book_sessions,
    session_cancel,
    session_check_in,
    session_complete,
)
from tests.billing.conftest import stripe_on, stripe_server  # noqa: F401 (fixtures)
from tests.billing.payments_support import at, new_course, paying_location
from tests.e2e.conftest import PHONE, SCREENSHOTS, sign_in
from tests.factories.billing import patient as make_patient
from tests.factories.users import PASSWORD, UserFactory


def charge_waiting():
    """What the Celery worker does with each charge enqueued on commit."""
    for pk in Payment.objects.filter(status=PaymentStatus.PENDING).values_list("pk", flat=True):
        payment_charge(payment_id=pk)


def shot(person, name, *, skip_axe_in=None):
    person.page.set_viewport_size(PHONE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    person.page.screenshot(path=str(SCREENSHOTS / f"h23-{name}.png"), full_page=True)
    problems = person.axe_excluding(skip_axe_in) if skip_axe_in else person.axe()
    assert not problems, f"{name}: {problems}"


@pytest.fixture
def maria(transactional_db, stripe_on, clock):  # noqa: F811
    # Other transactional tests empty the tables the data migration filled.
    defaults.install(MessageTemplate, ReminderPlanEntry)
    location = paying_location()
    who = make_patient(
        user__email="maria.pay@mail.example",
        user__first_name="Maria",
        user__last_name="Lopez",
    )
    course = new_course(location, who=who)
    return who, course


@pytest.mark.slow
def test_journey_card_deposit_infusion_late_fee_and_superbill(people, maria, clock):
    who, course = maria
    patient = people("patient")
    person_axe = _axe_excluding(patient)
    patient.axe_excluding = person_axe
    sign_in(patient, who.email, PASSWORD)
    page = patient.goto("/my/payments/")
    main = page.locator("main").inner_text()
    assert "A deposit of $250.00 is charged when you book a course." in main
    assert "Missing a visit without telling us costs $200.00." in main
    shot(patient, "01-policy")
    page.get_by_label("I have read the payment policy above and accept it.").check()
    page.get_by_role("button", name="Accept and continue").click()
    page.get_by_text("You accepted this policy.").wait_for()
    # localstripe's stand-in for Stripe Elements: its own unlabelled inputs (Stripe's real
    # field is an iframe of Stripe's), left out of the accessibility check.
    page.locator("#card-element input[placeholder=number]").wait_for()
    assert page.locator("#card-unavailable").is_hidden()
    page.locator("#card-element input[placeholder=number]").fill("4242424242424242")
    page.locator("#card-element input[placeholder=exp_month]").fill("12")
    page.locator("#card-element input[placeholder=exp_year]").fill("30")
    page.locator("#card-element input[placeholder=cvc]").fill("123")
    page.locator("#card-element input[placeholder=postal_code]").fill("02116")
    shot(patient, "02-card-form", skip_axe_in="#card-element")
    page.get_by_role("button", name="Save card").click()
    page.get_by_text("Visa ending in 4242").wait_for()
    shot(patient, "03-card-saved")

    # She books her course: the deposit is charged (the worker's part done here, in order).
    sessions = course_book_sessions(
        course=course,
        starts=[at(12, 8, 9), at(12, 10, 9), at(12, 15, 9), at(12, 17, 9)],
        by=who,
        now=clock.now(),
    )
    charge_waiting()
    # The first infusion is completed and charged: its GFE share less the deposit.
    nurse = UserFactory(role=Role.CLINICIAN)
    session_check_in(session=sessions[0], by=nurse)
    session_complete(session=sessions[0], by=nurse)
    charge_waiting()
    # She cancels the second 18 hours ahead: the policy's late fee.
    session_cancel(session=sessions[1], by=who, now=at(12, 9, 15))
    charge_waiting()

    page = patient.goto("/my/payments/")
    rows = page.locator("main table tbody tr").all_inner_texts()
    assert len(rows) == 3, rows
    assert re.search(r"Deposit.*\$250\.00.*Paid", rows[0], re.S)
    assert re.search(
        r"Infusion.*Dec 8.*\$250\.00 from your deposit.*\$437\.50.*Paid", rows[1], re.S
    )
    assert re.search(r"Late-cancellation fee.*Dec 10.*\$150\.00.*Paid", rows[2], re.S)
    shot(patient, "04-charges")

    with page.expect_download() as download:
        page.get_by_role("link", name="Superbill (PDF) for your insurer").click()
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = " ".join(p.extract_text() for p in pdf.pages)
    for expected in [
        "G43.709",
        "99205, 96365",
        "1234567893",
        "04-3456789",
        "Dec 8, 2026",
        "Total billed $837.50",
        "Total paid $837.50",
    ]:
        assert expected in text, expected
    page.get_by_role("link", name="Receipt").first.click()
    page.get_by_role("heading", name="Receipt").wait_for()
    shot(patient, "05-receipt")


def _axe_excluding(person):
    from tests.e2e.conftest import AXE_JS

    def run(selector):
        person.page.add_script_tag(content=AXE_JS)
        result = person.page.evaluate(
            "async (sel) => await axe.run({exclude: [[sel]]}, {resultTypes: ['violations']})",
            selector,
        )
        return [
            {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    return run
