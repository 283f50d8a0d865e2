"""Demo inbox: two faxed referral letters, drawn and faxed like the real thing
(intake.inbox.sample). One from the demo provider (known by NPI) is already read, its fields
proposed beside the page; one from a practice the clinic does not know waits to be read by the
Celery worker (`./portal run` starts it)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from ..models import InboundDocument, InboundSource, InboundStatus
from .sample import Letter, fax_tiff
from .services import inbound_document_read, inbound_document_receive

DEMO_FAXES = [
    (
        "demo-fax-read",
        "+16175550112",
        Letter(
            patient_first="Grace",
            patient_last="Whitaker",
            dob="07/22/1991",
            phone="(617) 555-0164",
            street="48 Beacon Street, Boston, MA 02108",
            provider="Dr. Priya Raman, MD",
            npi="1234567893",
            practice="Back Bay Neurology",
            practice_fax="(617) 555-0112",
            codes=["G43.709"],
            infusions=3,
            contraindication_line="Contraindications: none known.",
        ),
        True,
    ),
    (
        "demo-fax-waiting",
        "+16265550177",
        Letter(
            patient_first="Tomás",
            patient_last="Ibarra",
            dob="11/03/1975",
            phone="(626) 555-0148",
            street="9 Colorado Blvd, Pasadena, CA 91105",
            provider="Dr. Helen Cho, MD",
            npi="1245319599",
            practice="Foothill Headache Center",
            practice_fax="(626) 555-0177",
            codes=["G43.119", "G44.209"],
            infusions=5,
            contraindication_line="Takes lamotrigine; history of seizures in childhood.",
        ),
        False,
    ),
]


def seed(stdout) -> None:
    for fax_id, sender, letter, read_now in DEMO_FAXES:
        if InboundDocument.objects.filter(source=InboundSource.FAX, external_id=fax_id).exists():
            continue
        document, _created = inbound_document_receive(
            upload=SimpleUploadedFile("fax.tif", fax_tiff(letter)),
            source=InboundSource.FAX,
            sending_number=sender,
            external_id=fax_id,
        )
        if read_now:
            inbound_document_read(document_id=document.pk)
    read = InboundDocument.objects.filter(status=InboundStatus.READ).count()
    waiting = InboundDocument.objects.filter(status=InboundStatus.QUEUED).count()
    stdout.write(f"  inbox: faxed referrals, {read} read and {waiting} waiting to be read")
