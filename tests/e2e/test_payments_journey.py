"""Journey: a patient reads and accepts the payment policy and saves a card (through
localstripe's stand-in for Stripe.js: the number goes to the Stripe server, never to ours), books
her course on the booking page and its deposit is charged, the clinician marks the first
infusion completed on the day view and it is charged, she cancels a visit late in the browser
and the policy's fee is charged, and the superbill PDF she downloads shows the codes and totals.
Every step through the pages; only the Celery worker's part (charging what was enqueued) is done
by the test, in order. Phone-size screenshots (var/screenshots/h23-*.png), English and Spanish,
and the chart's billing panel."""

import datetime as dt
import io
import json
import re

import pytest
from pypdf import PdfReader

from billing.payments.charges import payment_charge
from billing.payments.models import Payment, PaymentCard, PaymentStatus
from billing.tasks import issue_owed_estimates
from clinic.messaging import defaults
from clinic.messaging.models import MessageTemplate, ReminderPlanEntry
from clinic.models import Role
from tests.billing.conftest import stripe_on, stripe_server  # noqa: F401 (fixtures)
from tests.billing.payments_support import new_course, paying_location
from tests.e2e.conftest import PHONE, SCREENSHOTS, sign_in
from tests.e2e.test_booking_journey import no_sideways_scroll
from tests.e2e.test_journeys import htmx_idle
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


def at_clinic(session, minutes=0):
    """Travel to `minutes` after the session's start (the clinic's day, for everyone: the live
    server runs on the test's clock)."""
    return session.starts_at + dt.timedelta(minutes=minutes)


@pytest.mark.slow
def test_journey_card_deposit_infusion_late_fee_and_superbill(people, maria, clock):
    who, course = maria
    patient = people("patient")
    person_axe = _axe_excluding(patient)
    patient.axe_excluding = person_axe
    patient.page.set_viewport_size(PHONE)
    sign_in(patient, who.email, PASSWORD)
    page = patient.goto("/my/payments/")
    main = page.locator("main").inner_text()
    assert "A deposit of $250.00 is charged when you book a course." in main
    assert "Missing a visit without telling us costs $200.00." in main
    assert "the part of the deposit not yet used for infusions is refunded to your card" in main
    shot(patient, "01-policy")
    page.get_by_label("I have read the payment policy above and accept it.").check()
    page.get_by_role("button", name="Accept and continue").click()
    page.get_by_text("You accepted this policy.").wait_for()
    # The card step: localstripe's stand-in for Stripe Elements, served by the local Stripe
    # server as js.stripe.com would serve Stripe.js. Its own unlabelled inputs (Stripe's real
    # field is an iframe of Stripe's) are left out of the accessibility check; the number goes
    # from the browser to the Stripe server, never to ours.
    page.locator("#card-element input[placeholder=number]").wait_for()
    assert page.locator("#card-unavailable").is_hidden()
    page.locator("#card-element input[placeholder=number]").fill("4242424242424242")
    page.locator("#card-element input[placeholder=exp_month]").fill("12")
    page.locator("#card-element input[placeholder=exp_year]").fill("30")
    page.locator("#card-element input[placeholder=cvc]").fill("123")
    page.locator("#card-element input[placeholder=postal_code]").fill("02116")
    no_sideways_scroll(page)
    shot(patient, "02-card-form", skip_axe_in="#card-element")
    page.get_by_role("button", name="Save card").click()
    page.get_by_text("Visa ending in 4242").wait_for()
    shot(patient, "03-card-saved")
    assert "4242424242424242" not in json.dumps(list(PaymentCard.objects.values()), default=str)

    # She books her course on the booking page: a first time on Dec 8, the page proposes the
    # rest, she books all four. The deposit is charged (the worker's part done here, in order).
    page = patient.goto("/my/")
    page.get_by_role("button", name="Book a session").click()
    page.wait_for_url(re.compile(r"/my/book/"))
    page.locator('.day-strip a[href*="date=2026-12-08"]').click()
    page.locator("#day-heading", has_text="Tuesday 8 December").wait_for()
    htmx_idle(page)
    page.locator("#times ul.times button").first.click()
    page.wait_for_url(re.compile(r"/my/plan/"))
    page.get_by_role("button", name="Book all of these").click()
    page.get_by_role("heading", name="You're booked").wait_for()
    sessions = list(course.sessions.filter(status="booked").order_by("starts_at"))
    assert len(sessions) == 4 and sessions[0].local_date == dt.date(2026, 12, 8)
    issue_owed_estimates()  # the GFE the infusions are priced by, issued after the commit
    charge_waiting()
    assert Payment.objects.get(kind="deposit").status == PaymentStatus.SUCCEEDED

    # Dec 8: the clinician checks her in and marks the infusion completed on the day view; it
    # is charged its share of the GFE, less the deposit.
    clock.travel(at_clinic(sessions[0], 5))
    nurse = UserFactory(role=Role.CLINICIAN, email="nurse.pay@clinic.example")
    clinician = people("clinician")
    sign_in(clinician, nurse.email, PASSWORD)
    day = clinician.goto(f"/staff/day/?location={course.location_id}&date=2026-12-08")
    cell = day.locator("td", has_text="Maria Lopez")
    cell.get_by_role("button", name="Check in").click()
    day.locator("td", has_text="Maria Lopez").get_by_role("button", name="Mark completed").click()
    day.locator("td", has_text="Maria Lopez").get_by_text("Completed").wait_for()
    charge_waiting()

    # She cancels the second visit 18 hours ahead, in the browser: the page says it is late;
    # the policy's fee is charged.
    clock.travel(at_clinic(sessions[1], -18 * 60))
    sign_in(patient, who.email, PASSWORD)  # a week on: her sign-in has lapsed
    page = patient.goto("/my/")
    page.locator("ol.sessions li").nth(1).get_by_role("link", name="Cancel").click()
    assert "late cancellation" in page.locator("main").inner_text()
    page.get_by_role("button", name="Yes, cancel this session").click()
    page.wait_for_load_state()
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

    # The payment step in Spanish, on her phone: the policy she accepted and the card field.
    who.preferred_language = "es"
    who.save(update_fields=["preferred_language"])
    page = patient.goto("/my/payments/?replace=1")
    page.locator("#card-element input[placeholder=number]").wait_for()
    assert (
        "Al reservar un tratamiento se cobra un depósito de $250.00."
        in page.locator("main").inner_text()
    )
    no_sideways_scroll(page)
    shot(patient, "06-card-form-es", skip_axe_in="#card-element")

    # The chart's billing panel, as the clinic admin sees it.
    admin_user = UserFactory(role=Role.ADMIN, email="admin.pay@clinic.example")
    admin = people("admin")
    sign_in(admin, admin_user.email, PASSWORD)
    chart = admin.goto(f"/patients/{who.pk}/")
    panel = chart.locator("#payments")
    assert "Balance" in panel.inner_text() and "Refund" in panel.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(SCREENSHOTS / "h23-07-chart-billing-panel.png"))
    assert not admin.axe()


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
