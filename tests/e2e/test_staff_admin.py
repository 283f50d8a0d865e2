"""The clinic admin and the staff's other language in a browser: the admin's overview is a to-do
list whose links open the right place, the settings area is grouped as a clinic thinks, a
coordinator reads the queue in Spanish, and a 403 or a 404 is a page of the portal with the way
back, in English and Spanish. Screenshots at 1366x900 go to $SHOTS_DIR (var/screenshots by
default); each portal page is checked with axe-core."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.utils import timezone

from tests.e2e.conftest import SCREENSHOTS, sign_in

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 900}


def snap(person, name: str) -> None:
    folder = Path(os.environ.get("SHOTS_DIR", SCREENSHOTS))
    folder.mkdir(parents=True, exist_ok=True)
    person.page.set_viewport_size(WIDE)
    person.page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_admin_works_down_the_to_do_list_and_opens_grouped_settings(people, demo_clinic):
    from clinic.messaging.models import Message, MessageStatus
    from clinic.models import User
    from tests.factories.intake import ProviderFactory

    ProviderFactory(practice_name="Back Bay Neurology")  # waits for approval
    Message.objects.create(
        recipient=User.objects.get(email="patient@mail.example"),
        channel="sms",
        kind="reminder_24h",
        language="en",
        body="x",
        send_after=timezone.now(),
        status=MessageStatus.FAILED,
        dedupe_key="e2e:failed",
    )
    admin = people("admin")
    sign_in(admin, "admin@clinic.example")
    page = admin.goto("/clinic-admin/")
    todo = page.get_by_test_id("todo")
    providers = todo.locator("#todo-providers")
    assert providers.inner_text().startswith("1")
    assert todo.locator("#todo-failed-messages").inner_text().startswith("1")
    snap(admin, "admin-overview-todo")
    assert not admin.axe()

    providers.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/admin/intake/referringprovider/\?verified_at__isempty=1"))
    assert "Back Bay Neurology" in page.locator("#result_list").inner_text()

    page.goto("/clinic-admin/")
    page.get_by_test_id("todo").locator("#todo-failed-messages").get_by_role("link").click()
    page.wait_for_url(re.compile(r"/messaging/outbox/\?status=failed"))

    page.goto("/admin/")
    main = page.locator("#content-main")
    for section in ("Locations and chairs", "Hours and closures", "Staff and shifts", "Fees"):
        assert main.get_by_role("link", name=section).count() + main.get_by_text(section).count()
    assert "Technical" not in main.inner_text() and "Access attempts" not in main.inner_text()
    snap(admin, "admin-settings-index")


def test_coordinator_reads_the_queue_in_spanish_and_errors_are_pages(people, demo_clinic):
    coordinator = people("coordinator")
    sign_in(coordinator, "coordinator@clinic.example")
    page = coordinator.goto("/intake/queue/")
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("link", name="Cola de llamadas").is_visible()
    assert "Siguiente llamada" in page.locator("main").inner_text()
    snap(coordinator, "coordinator-queue-es")
    assert not coordinator.axe()

    page.goto("/no-such-page/")
    assert page.get_by_role("heading", name="Página no encontrada").is_visible()
    snap(coordinator, "error-404-es")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Page not found").is_visible()
    snap(coordinator, "error-404-en")
    page.get_by_role("button", name="Go to your home page").click()
    page.wait_for_url(re.compile(r"/intake/queue/$"))

    response = page.goto("/clinician/")
    assert response.status == 403
    assert page.get_by_role("heading", name="You cannot open this page").is_visible()
    snap(coordinator, "error-403-en")
    assert not coordinator.axe()
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="No puede abrir esta página").is_visible()
    snap(coordinator, "error-403-es")
    page.get_by_role("button", name="Ir a su página de inicio").click()
    page.wait_for_url(re.compile(r"/intake/queue/$"))
