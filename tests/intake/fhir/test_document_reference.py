"""The outcome report (issue 22) read over FHIR: the Task names it once the course is complete,
GET /fhir/DocumentReference/{reference} describes it and links the PDF (a Binary), with the same
API keys, and only for the key's provider's own referrals: another provider's report answers 404
as one that does not exist (never 403, which would say it exists)."""

import datetime as dt
import io

import pytest
from django.test import Client
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task
from pypdf import PdfReader

from intake import services
from tests.factories.intake import ProviderFactory, submit_referral
from tests.intake.test_chart import NY
from tests.intake.test_outcome_report import course_done  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def key_for(provider) -> Client:
    _, key = services.api_token_create(provider=provider, name="EHR")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def not_found(response) -> None:
    assert response.status_code == 404, response.content
    body = response.json()
    OperationOutcome.model_validate(body)
    assert body["issue"][0]["code"] == "not-found"


def after_course(course_done, clock, days: int) -> None:  # noqa: F811
    clock.travel(
        dt.datetime.combine(course_done["start"] + dt.timedelta(days=days), dt.time(12), tzinfo=NY)
    )


def test_the_task_links_the_report_and_the_document_reference_links_its_pdf(
    course_done,  # noqa: F811
    clock,
):
    referral = course_done["referral"]
    after_course(course_done, clock, 31)  # the end of the course reached, 1 month not yet
    ehr = key_for(referral.provider)
    task = ehr.get(f"/fhir/Task/{referral.reference}").json()
    Task.model_validate(task)
    assert task["output"][0]["valueReference"]["reference"] == (
        f"DocumentReference/{referral.reference}"
    )
    response = ehr.get(f"/fhir/DocumentReference/{referral.reference}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    document = response.json()
    DocumentReference.model_validate(document)
    assert document["docStatus"] == "preliminary"  # the 1- and 3-month points are to come
    assert {r["reference"] for r in document["context"]["related"]} == {
        f"ServiceRequest/{referral.reference}",
        f"Task/{referral.reference}",
    }
    attachment = document["content"][0]["attachment"]
    assert attachment["contentType"] == "application/pdf"
    pdf = ehr.get(attachment["url"], HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    text = reader.pages[0].extract_text()
    assert "Outcome report" in text and "14.0" in text  # the baseline's headache days


def test_the_report_is_final_once_the_last_follow_up_is_reached(course_done, clock):  # noqa: F811
    referral = course_done["referral"]
    after_course(course_done, clock, 130)
    document = key_for(referral.provider).get(f"/fhir/DocumentReference/{referral.reference}")
    assert document.json()["docStatus"] == "final"


def test_before_the_course_is_complete_there_is_no_report_and_the_task_names_none(
    course_done,  # noqa: F811
    clock,
):
    provider = course_done["referral"].provider
    waiting = submit_referral(provider=provider, location=course_done["location"])
    ehr = key_for(provider)
    assert "output" not in ehr.get(f"/fhir/Task/{waiting.reference}").json()
    not_found(ehr.get(f"/fhir/DocumentReference/{waiting.reference}"))
    not_found(ehr.get(f"/fhir/Binary/outcome-report-{waiting.reference}"))


def test_another_providers_report_is_not_found_as_if_it_did_not_exist(
    course_done,  # noqa: F811
    clock,
):
    referral = course_done["referral"]
    after_course(course_done, clock, 31)
    other = key_for(ProviderFactory())
    for url in (
        f"/fhir/DocumentReference/{referral.reference}",
        f"/fhir/Binary/outcome-report-{referral.reference}",
        "/fhir/DocumentReference/R-1999-99999",
        "/fhir/Binary/outcome-report-R-1999-99999",
    ):
        mine, theirs = key_for(referral.provider).get(url), other.get(url)
        not_found(theirs)
        if "1999" in url:
            assert mine.content == theirs.content  # the same answer, whoever asks
    # The answer tells nothing apart: another's real report reads as an unknown reference.
    assert (
        other.get(f"/fhir/DocumentReference/{referral.reference}").content
        == other.get("/fhir/DocumentReference/R-1999-99999").content
    )


@pytest.mark.parametrize(
    "reference",
    ["%00", "R-2026-00001%0A", "%D9%A1%D9%A2", "x" * 5000, "..%2F..%2Fetc%2Fpasswd"],
)
def test_hostile_references_are_an_operation_outcome(reference):
    ehr = key_for(ProviderFactory())
    for url in (
        f"/fhir/DocumentReference/{reference}",
        f"/fhir/Binary/outcome-report-{reference}",
        f"/fhir/Task/{reference}",
        f"/fhir/Task/{reference}/_history",
    ):
        response = ehr.get(url)
        assert response.status_code == 404, (url, response.status_code)
        OperationOutcome.model_validate(response.json())


def test_without_a_key_or_with_a_staff_session_the_report_is_refused(
    course_done,  # noqa: F811
    clock,
):
    referral = course_done["referral"]
    after_course(course_done, clock, 31)
    url = f"/fhir/DocumentReference/{referral.reference}"
    anonymous = Client().get(url)
    assert anonymous.status_code == 401
    OperationOutcome.model_validate(anonymous.json())
    binary = Client().get(f"/fhir/Binary/outcome-report-{referral.reference}")
    assert binary.status_code == 401 and binary["Content-Type"].startswith("application/")
    OperationOutcome.model_validate(binary.json())
