"""Real letters, rendered to PDF, rasterised as a fax at 200 dpi in black and white, and read
by the real Tesseract: the fields the letter holds are proposed, each with a confidence."""

import pytest

from intake.inbox import services
from intake.inbox.sample import Letter, fax_pdf, fax_tiff
from intake.models import InboundStatus
from tests.factories.intake import ProviderFactory

from .conftest import receive


def values(document) -> dict:
    return {name: entry["value"] for name, entry in document.proposal.items()}


@pytest.mark.django_db
def test_a_faxed_tiff_letter_is_read_into_proposed_fields_with_confidences(read_fax):
    assert read_fax.status == InboundStatus.READ
    found = values(read_fax)
    assert found["patient_first_name"] == "Maria"
    assert found["patient_last_name"] == "Gonzalez"
    assert found["date_of_birth"] == "1985-03-14"
    assert found["mobile_phone"] == "+16175550123"  # not the practice's fax number
    assert found["zip_code"] == "02116"
    assert found["provider_npi"] == "1245319599"
    assert found["provider_last_name"] == "Whitfield"
    assert found["diagnosis_codes"] == ["G43.709", "G44.209"]
    assert found["diagnosis_code"] == "G43.709"
    assert found["recommended_infusions"] == 5
    # "No history of psychosis" is a denial, not a flag.
    assert "contraindications" not in found
    for entry in read_fax.proposal.values():
        assert 0.5 < entry["confidence"] <= 1
    assert read_fax.pages.count() == 1
    assert "Referral for IV ketamine infusion" in read_fax.text


@pytest.mark.django_db
def test_a_scanned_pdf_with_other_details_is_read_and_names_its_contraindications():
    provider = ProviderFactory(npi="1093817488")
    letter = Letter(
        patient_first="Ana Lucia",
        patient_last="Diaz",
        dob="1972-11-02",
        phone="(305) 555-0142",
        street="4 Bay Road, Miami, FL 33101",
        npi="1093817488",
        codes=["G43.119"],
        infusions=3,
        contraindication_line="History of seizures; takes lamotrigine daily.",
    )
    document, _ = receive(fax_pdf(letter), name="scan.pdf", source="upload", sending_number="")
    document = services.inbound_document_read(document_id=document.pk)
    found = values(document)
    assert found["patient_first_name"] == "Ana Lucia"
    assert found["date_of_birth"] == "1972-11-02"
    assert found["mobile_phone"] == "+13055550142"
    assert found["zip_code"] == "33101"
    assert found["diagnosis_code"] == "G43.119"
    assert found["recommended_infusions"] == 3
    assert found["contraindications"] == ["seizure_disorder", "interacting_medications"]
    # The NPI names a provider the clinic knows.
    assert document.provider == provider


@pytest.mark.django_db
def test_a_wrong_npi_check_digit_is_proposed_with_low_confidence():
    document, _ = receive(fax_tiff(Letter(npi="1245319598")))
    document = services.inbound_document_read(document_id=document.pk)
    assert document.proposal["provider_npi"]["value"] == "1245319598"
    assert document.proposal["provider_npi"]["confidence"] < 0.5


@pytest.mark.django_db
def test_reading_twice_writes_the_pages_once(read_fax):
    again = services.inbound_document_read(document_id=read_fax.pk)
    assert again.pages.count() == 1
    assert again.read_at == read_fax.read_at
