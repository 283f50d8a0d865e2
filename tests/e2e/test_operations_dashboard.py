"""The operations dashboard in a browser: a coordinator opens it on the demo clinic, reads a
chart's numbers, narrows it to one location and downloads a chart's CSV; desktop and 390 px
screenshots (ops-*.png), each checked with axe-core."""

from __future__ import annotations

import io
import re

import pytest

from tests.e2e.conftest import PHONE, sign_in

pytestmark = pytest.mark.e2e


def test_coordinator_reads_the_operations_dashboard(people, demo_clinic):
    from intake import demo as intake_demo

    intake_demo.seed(io.StringIO())  # the earlier referrals, for the funnel
    coordinator = people("coordinator")
    sign_in(coordinator, "coordinator@clinic.example")
    page = coordinator.goto("/intake/queue/")
    page.get_by_role("link", name="Operations").click()
    page.wait_for_url(re.compile(r"/operations/$"))
    assert page.locator("svg[role=img]").count() == 7  # and the two responder charts
    coordinator.check("ops-01-all-locations", phone=True)

    funnel = page.locator("#chart-funnel")
    funnel.get_by_text("The numbers").click()
    assert funnel.get_by_role("row", name=re.compile("^Received")).is_visible()
    coordinator.check("ops-02-funnel-table")

    page.locator("#id_location").select_option(label="Pasadena · Lake Avenue")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"location=\d+"))
    assert "America/Los_Angeles" in page.locator("main").inner_text()
    assert "America/New_York" not in page.locator("main").inner_text()
    coordinator.check("ops-03-pasadena")

    with page.expect_download() as download:
        page.get_by_role(
            "link", name="Download Estimated self-pay revenue and collected payments as CSV"
        ).click()
    path = download.value.path()
    body = path.read_text(encoding="utf-8")
    assert body.startswith(
        "week_starting,sessions,sessions_without_price,revenue_usd,collected_usd"
    )
    assert download.value.suggested_filename.startswith("operations-revenue-pasadena-")

    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a 390 px phone"
