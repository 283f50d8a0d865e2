"""Journey 4: a coordinator finds patients as they type (without accents), reads a chart,
and cancels a session through its confirmation page with a reason; a clinician's day view
opens on their location and its names open the chart. Screenshots at 1366×900."""

import re

import pytest
from django.core.management import call_command

from tests.e2e.conftest import SCREENSHOTS, sign_in

WIDE = {"width": 1366, "height": 900}


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", verbosity=0)


def shot(person, name: str) -> None:
    """A 1366×900 screenshot (var/screenshots/h20a-<name>.png), then axe-core's check."""
    person.page.set_viewport_size(WIDE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    person.page.screenshot(path=str(SCREENSHOTS / f"h20a-{name}.png"), full_page=True)
    problems = person.axe()
    assert not problems, f"{name}: {problems}"


def test_journey_4_search_chart_and_a_confirmed_cancellation(people, demo):
    coordinator = people("coordinator")
    sign_in(coordinator, "coordinator@clinic.example")
    page = coordinator.page
    page.get_by_role("link", name="Find a patient").click()
    page.wait_for_url(re.compile(r"/patients/"))
    # Typed without the accent, the results follow the typing (HTMX), no button pressed.
    page.get_by_label("Name, phone, date of birth or reference").press_sequentially("hernandez")
    page.locator("#people").get_by_text("Luis Hernández").wait_for()
    shot(coordinator, "01-search-as-typed")
    page.locator("#people").get_by_role("link", name="Luis Hernández").click()
    page.wait_for_url(re.compile(r"/patients/referral/R-"))
    assert "Referral, before intake made an account" in page.locator("main").inner_text()
    shot(coordinator, "02-referral-chart")

    # A phone number in another format finds Maria Lopez; her chart is the patient's.
    page = coordinator.goto("/patients/?q=(617)+555-0142")
    page.locator("#people").get_by_role("link", name="Maria Lopez").click()
    page.wait_for_url(re.compile(r"/patients/\d+/$"))
    main = page.locator("main").inner_text()
    for words in ("Contact details", "Call attempts", "Consent and opt-outs", "Course"):
        assert words in main, words
    shot(coordinator, "03-patient-chart")

    # Cancelling a session asks first, names the session, and needs a reason.
    page.get_by_role("link", name="Book, move or cancel").first.click()
    page.get_by_role("link", name="Cancel…").first.click()
    page.get_by_role("heading", name="Cancel this session?").wait_for()
    shot(coordinator, "04-confirm-cancel")
    page.get_by_role("button", name="Cancel the session").click()
    reason = page.get_by_label("Why (kept in the session's history)")
    assert reason.get_attribute("aria-invalid") == "true" or reason.evaluate(
        "el => !el.validity.valid"
    )
    reason.fill("The patient called: a family emergency")
    page.get_by_role("button", name="Cancel the session").click()
    page.get_by_text("Session cancelled; the patient is told.").wait_for()
    page.get_by_role("link", name="Open the patient's chart").click()
    assert "The patient called: a family emergency" in page.locator("main").inner_text()

    # A clinician's day view: their location, today; names open the chart.
    nurse = people("nurse")
    sign_in(nurse, "nurse@clinic.example")
    page = nurse.goto("/clinician/")
    page.get_by_role("heading", name="Today").wait_for()
    shot(nurse, "05-clinician-today")
