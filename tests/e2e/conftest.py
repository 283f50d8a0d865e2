"""Browser journeys: Debian's chromium driven by Playwright against pytest-django's live_server.

Screenshots go to var/screenshots/ (desktop 1280 px; patient pages also at 390×844, a phone).
axe-core, vendored in tests/e2e/vendor/, is injected into pages to check accessibility."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from demo.management.commands.seed_demo import DEMO_PASSWORD
from demo.management.commands.seed_demo import Command as SeedDemo

BASE = Path(__file__).resolve().parents[2]
SCREENSHOTS = BASE / "var" / "screenshots"
AXE_JS = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (the set-up installs Debian's chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Person:
    """One person's browser window (its own cookies), with the helpers the journeys share."""

    def __init__(self, browser, base_url: str, name: str):
        # bypass_csp lets the test inject axe-core; the portal's own pages never need it.
        self.context = browser.new_context(viewport=DESKTOP, base_url=base_url, bypass_csp=True)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.name = name

    def goto(self, path: str):
        self.page.goto(path)
        return self.page

    def shot(self, name: str, *, phone: bool = False) -> None:
        """Saves var/screenshots/<name>.png (and <name>-390.png for patient pages)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        if phone:
            self.page.set_viewport_size(PHONE)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-390.png"), full_page=True)
            self.page.set_viewport_size(DESKTOP)

    def axe(self) -> list[dict]:
        """Serious and critical axe-core violations on the current page."""
        self.page.add_script_tag(content=AXE_JS)
        result = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    def check(self, name: str, *, phone: bool = False) -> None:
        """Screenshot, then assert axe finds nothing serious or critical."""
        self.shot(name, phone=phone)
        problems = self.axe()
        assert not problems, f"{name}: {self.page.url}\n" + json.dumps(problems, indent=1)

    def close(self):
        self.context.close()


def sign_in(person: Person, email: str, password: str = DEMO_PASSWORD) -> None:
    """The one place the journeys sign in (staff TOTP, when it lands, is added here)."""
    page = person.goto("/accounts/login/")
    page.get_by_label("E-mail or mobile phone").fill(email)
    page.get_by_label("Password", exact=False).first.fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{email} could not sign in"
    if "/accounts/2fa/" in page.url:
        _second_factor(page, email)


def _second_factor(page, email: str) -> None:
    """Staff type the code their authenticator shows (set-up or verify page alike)."""
    import time

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories.users import totp_code

    for _ in range(2):
        device = TOTPDevice.objects.filter(user__email=email).order_by("-id").first()
        page.get_by_label("6-digit code", exact=False).fill(totp_code(device))
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        if "/accounts/2fa/" not in page.url:
            return
        time.sleep(31)  # a code is accepted once: wait for the authenticator's next one
    raise AssertionError(f"{email} could not pass the second factor")


@pytest.fixture
def people(browser, live_server):
    opened: list[Person] = []

    def open_window(name: str) -> Person:
        person = Person(browser, live_server.url, name)
        opened.append(person)
        return person

    yield open_window
    for person in opened:
        person.close()


class _ClinicOnly(SeedDemo):
    """The demo clinic (locations, staff, hours, fees, reminder plan) without the demo intake
    queue, so that 'Next call' finds the journey's own referral."""

    def feature_seeders(self):
        from billing import demo as billing_demo
        from clinic.messaging import demo as messaging_demo
        from scheduling import demo as scheduling_demo

        return [scheduling_demo.seed, billing_demo.seed, messaging_demo.seed]


@pytest.fixture
def demo_clinic(transactional_db, settings):
    """The demo clinic, reachable by the live server; calls allowed at any hour and a no-answer
    retried at once, so the journeys do not depend on the time of day the suite runs."""
    settings.CALLING_HOURS_START = 0
    settings.CALLING_HOURS_END = 24
    settings.INTAKE_RETRY_DELAY_HOURS = 0
    call_command(_ClinicOnly(), verbosity=0)
    return DEMO_PASSWORD
