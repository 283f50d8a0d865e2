"""Writes for the document inbox: receive a document, read it, and close it (a referral made
from it, attached to an existing referral, or not a referral)."""

import io
import logging

import phonenumbers
import pypdfium2 as pdfium
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from clinic.errors import ApplicationError
from clinic.models import Role, User

from ..models import (
    INBOX_TRANSITIONS,
    InboundDocument,
    InboundPage,
    InboundSource,
    InboundStatus,
    Referral,
    ReferralAttachment,
    ReferringProvider,
)
from ..notifications import referral_received_fax_queue
from ..services.referrals import referral_submit
from ..validators import sha256_of
from .documents import as_pdf_bytes, document_check, page_images
from .proposal import fields_propose
from .reading import ReadingFailed, page_lines

logger = logging.getLogger(__name__)

# The page shown beside the form: wide enough to read, small enough to load on a laptop.
SHOWN_PAGE_WIDTH = 1100


def inbound_document_receive(
    *,
    upload,
    source: str,
    sending_number: str = "",
    external_id: str = "",
    uploaded_by: User | None = None,
) -> tuple[InboundDocument, bool]:
    """Stores a faxed or scanned document privately and queues it for reading after commit.
    Returns (document, created); a fax the service delivers twice (same external id) is stored
    once. Raises ApplicationError for a file that is not a PDF or TIFF within the limits."""
    if source not in InboundSource.values:
        raise ApplicationError(_("Unknown source."))
    if external_id:
        existing = InboundDocument.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return existing, False
    content_type, pages = document_check(upload)
    try:
        with transaction.atomic():
            document = InboundDocument(
                source=source,
                external_id=external_id,
                sending_number=sending_number,
                content_type=content_type,
                size=upload.size,
                sha256=sha256_of(upload),
                page_count=pages,
                uploaded_by=uploaded_by,
            )
            document.file.save("document", upload, save=False)
            document.save()
            from .tasks import read_document

            read_document.delay_on_commit(document.pk)
    except IntegrityError:
        existing = InboundDocument.objects.filter(source=source, external_id=external_id).first()
        if existing is None:
            raise
        return existing, False
    logger.info("inbound document %s received (%s, %d pages)", document.pk, source, pages)
    return document, True


def _read_pages(document: InboundDocument) -> tuple[list, list]:
    """(page PNGs with their sizes, OCR lines), outside any transaction: this takes seconds."""
    shown, lines = [], []
    for image in page_images(document.file.path, document.content_type):
        lines.extend(page_lines(image))
        if image.width > SHOWN_PAGE_WIDTH:
            ratio = SHOWN_PAGE_WIDTH / image.width
            image = image.resize((SHOWN_PAGE_WIDTH, int(image.height * ratio)))
        out = io.BytesIO()
        image.save(out, "PNG", optimize=True)
        shown.append((out.getvalue(), image.width, image.height))
    return shown, lines


def inbound_document_read(*, document_id: int) -> InboundDocument | None:
    """Draws the pages, reads them with Tesseract and stores the text, the page images and the
    proposed fields (status → read; → unreadable when the file cannot be read). Safe to run
    twice: only a document still waiting to be read is written."""
    document = InboundDocument.objects.filter(pk=document_id).first()
    if document is None or document.status != InboundStatus.QUEUED:
        return document
    error = ""
    try:
        shown, lines = _read_pages(document)
    except (
        ReadingFailed,
        ApplicationError,
        Image.DecompressionBombError,
        pdfium.PdfiumError,
        OSError,
        ValueError,
    ) as exc:
        shown, lines = [], []
        error = _("The document could not be read; open the file and enter the referral.")
        logger.warning("inbound document %s unreadable: %s", document.pk, type(exc).__name__)
    proposal = fields_propose(lines) if lines else {}
    with transaction.atomic():
        # Row lock: two workers reading the same document write its pages once.
        document = InboundDocument.objects.select_for_update().get(pk=document_id)
        if document.status != InboundStatus.QUEUED:
            return document
        for number, (png, width, height) in enumerate(shown, start=1):
            page = InboundPage(document=document, number=number, width=width, height=height)
            page.image.save("page.png", ContentFile(png), save=False)
            page.save()
        npi = (proposal.get("provider_npi") or {}).get("value")
        document.provider = ReferringProvider.objects.filter(npi=npi).first() if npi else None
        document.text = "\n".join(line.text for line in lines)[:100_000]
        document.proposal = proposal
        document.read_error = error
        document.read_at = timezone.now()
        document.status = InboundStatus.UNREADABLE if error else InboundStatus.READ
        document.save()
    return document


def _move(document: InboundDocument, status: str) -> None:
    if status not in INBOX_TRANSITIONS[document.status]:
        raise ApplicationError(_("This document was already dealt with."))
    document.status = status


def provider_find_or_register(
    *,
    npi: str,
    first_name: str,
    last_name: str,
    practice_name: str,
    phone,
    fax=None,
    email: str = "",
) -> ReferringProvider:
    """The provider with this NPI; a provider first known from a fax becomes a known provider,
    unverified until a clinic admin approves it, with no password (they may sign up later)."""
    provider = ReferringProvider.objects.filter(npi=npi).first()
    if provider is not None:
        return provider
    # An account needs an e-mail or a phone of its own; a practice's phone may be another's.
    email = (email or "").strip().lower() or None
    if email and User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(
            _("Another account uses this e-mail; check the NPI or leave the e-mail empty."),
            field="email",
        )
    sign_in_phone = None
    if not email:
        if User.objects.filter(phone=phone).exists():
            raise ApplicationError(
                _("Another account uses this phone number: give the provider's e-mail."),
                field="email",
            )
        sign_in_phone = phone
    user = User.objects.create_user(
        email=email,
        phone=sign_in_phone,
        password=None,
        first_name=first_name,
        last_name=last_name,
        role=Role.PROVIDER,
    )
    return ReferringProvider.objects.create(
        user=user, practice_name=practice_name, npi=npi, phone=phone, fax=fax or ""
    )


def _fax_number(raw) -> str:
    """A number a fax can be sent to (E.164), or "" for one that is not a valid number."""
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(str(raw), "US")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _fax_back(*, referral: Referral, document: InboundDocument) -> None:
    """The provider is told the referral arrived: referral_submit queued the e-mail; a provider
    with no e-mail address is faxed back instead, at the practice's fax or else the number the
    fax came from. Nothing is sent when neither is a number (the coordinator calls)."""
    provider = referral.provider
    if provider.user.email:
        return
    number = _fax_number(provider.fax) or _fax_number(document.sending_number)
    if number:
        referral_received_fax_queue(
            referral=referral, to_number=number, received_at=document.received_at
        )


def document_as_attachment(document: InboundDocument) -> SimpleUploadedFile:
    content = as_pdf_bytes(document.file.path, document.content_type)
    name = f"{document.get_source_display().lower()}-{document.received_at:%Y%m%d-%H%M}.pdf"
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def inbound_document_refer(
    *,
    document: InboundDocument,
    data: dict,
    provider_data: dict,
    by: User,
    more_to_come: bool = False,
) -> Referral:
    """Makes a referral from the document with the coordinator's corrected fields (validated by
    ReferralForm), through referral_submit (its duplicate detection, its intake case, the
    provider's "received" e-mail); the document is the referral's first attachment. With
    `more_to_come` (a fax holding several referrals) the document stays in the inbox."""
    with transaction.atomic():
        # Row lock: two coordinators submitting the same fax make one referral, not two.
        locked = InboundDocument.objects.select_for_update().get(pk=document.pk)
        if not more_to_come:
            _move(locked, InboundStatus.REFERRED)
        elif not locked.is_open:
            raise ApplicationError(_("This document was already dealt with."))
        provider = provider_find_or_register(**provider_data)
        referral, _created = referral_submit(
            provider=provider, data=data, attachments=[document_as_attachment(locked)]
        )
        locked.referrals.add(referral)
        locked.provider = provider
        _fax_back(referral=referral, document=locked)
        if not more_to_come:
            locked.closed_at, locked.closed_by = timezone.now(), by
        locked.save()
    logger.info("inbound document %s became referral %s", locked.pk, referral.pk)
    return referral


def inbound_document_attach(*, document: InboundDocument, reference: str, by: User) -> Referral:
    """Adds the document to an existing referral's attachments (a second page, results sent
    later) and closes it."""
    with transaction.atomic():
        locked = InboundDocument.objects.select_for_update().get(pk=document.pk)
        referral = Referral.objects.filter(reference=reference.strip().upper()).first()
        if referral is None:
            raise ApplicationError(_("No referral has this reference."), field="reference")
        _move(locked, InboundStatus.ATTACHED)
        upload = document_as_attachment(locked)
        ReferralAttachment.objects.create(
            referral=referral,
            file=upload,
            original_name=upload.name,
            content_type="application/pdf",
            size=upload.size,
            sha256=sha256_of(upload),
        )
        locked.referrals.add(referral)
        locked.closed_at, locked.closed_by = timezone.now(), by
        locked.save()
    return referral


def inbound_document_dismiss(*, document: InboundDocument, reason: str, by: User) -> None:
    """Marks the document as not a referral (a marketing fax, a misdial), with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say what the document is."), field="reason")
    with transaction.atomic():
        locked = InboundDocument.objects.select_for_update().get(pk=document.pk)
        _move(locked, InboundStatus.NOT_REFERRAL)
        locked.close_reason = reason[:300]
        locked.closed_at, locked.closed_by = timezone.now(), by
        locked.save()
