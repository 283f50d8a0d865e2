"""Journey: a referral letter is faxed in (the fax service's signed webhook), read by the real
Tesseract, and a coordinator checks the proposed fields against the page, corrects one, adds
what no letter says, and sends it to the call queue, where the patient appears.
Screenshots at 1366×900 (var/screenshots/h25-*.png), axe-checked."""

import re
import urllib.request

from clinic.messaging.models import Message
from intake.inbox.sample import Letter, fax_tiff
from intake.inbox.tasks import read_document
from intake.inbox.webhook import signature_for
from intake.models import InboundDocument, Referral
from tests.e2e.conftest import SCREENSHOTS, sign_in
from tests.intake.inbox.test_receiving import multipart

WIDE = {"width": 1366, "height": 900}


def shot(person, name: str) -> None:
    person.page.set_viewport_size(WIDE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    person.page.screenshot(path=str(SCREENSHOTS / f"h25-{name}.png"), full_page=True)
    problems = person.axe()
    assert not problems, f"{name}: {problems}"


def send_fax(base_url: str, content: bytes) -> int:
    body, content_type = multipart({"from": "+16175550199", "fax_id": "FX-JOURNEY"}, content)
    request = urllib.request.Request(
        f"{base_url}/intake/inbox/fax",
        data=body,
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Fax-Signature": signature_for(body, "test-fax-secret"),
        },
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310 -- the live test server
        assert response.status == 202
    return InboundDocument.objects.get(external_id="FX-JOURNEY").pk


def test_a_faxed_referral_is_corrected_and_reaches_the_call_queue(people, demo_clinic, live_server):
    document_id = send_fax(live_server.url, fax_tiff(Letter()))
    read_document(document_id)  # what the Celery worker runs for the task the webhook enqueued

    coordinator = people("coordinator")
    sign_in(coordinator, "coordinator@clinic.example")
    page = coordinator.page
    page.get_by_role("link", name="Inbox").click()
    page.wait_for_url(re.compile(r"/intake/inbox/$"))
    rows = page.get_by_test_id("inbox-rows")
    assert "+16175550199" in rows.inner_text()
    shot(coordinator, "01-inbox")

    rows.get_by_role("link", name=re.compile(r"Fax #")).click()
    page.wait_for_url(re.compile(r"/intake/inbox/\d+/$"))
    page.get_by_role("img", name="Page 1 of the document").wait_for()
    proposal = page.get_by_test_id("proposal").inner_text()
    assert "Gonzalez" in proposal and "1245319599" in proposal
    assert page.get_by_label("Legal last name").input_value() == "Gonzalez"
    assert page.get_by_label("Referring provider's NPI").input_value() == "1245319599"
    shot(coordinator, "02-page-beside-the-form")

    # The letter spelt the name without its accent: corrected against the patient's records.
    page.get_by_label("Legal first name").fill("María")
    page.locator("#id_provider-practice_name").fill("Harbor Neurology Associates")
    page.get_by_label("Practice phone").fill("(617) 555-0198")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Preferred clinic location").select_option("boston")
    page.get_by_label(re.compile("The letter says the patient agreed")).check()
    page.get_by_label("Headache days per month").fill("16")
    page.get_by_label("Years with migraine").fill("9")
    page.get_by_label(re.compile("None of these apply")).check()
    page.get_by_test_id("send-to-queue").click()
    page.wait_for_url(re.compile(r"/referrals/R-\d{4}-\d+/$"))
    assert "is in the call queue" in page.locator("main").inner_text()
    shot(coordinator, "03-referral-made")
    # The provider has no e-mail address: the practice is faxed back at the number it faxed from.
    referral = Referral.objects.get(patient_first_name="María")
    fax = Message.objects.get(channel="fax", topic=f"referral:{referral.pk}")
    assert fax.to_address == "+16175550199" and referral.reference in fax.body

    page.get_by_role("link", name="Call queue").click()
    page.wait_for_url(re.compile(r"/intake/queue/$"))
    queue = page.locator("main").inner_text()
    assert "María Gonzalez" in queue
    assert "unverified provider" in queue  # first known from this fax
    shot(coordinator, "04-in-the-call-queue")
