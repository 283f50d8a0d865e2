"""Documents that arrive by fax or are scanned in by staff, waiting to become referrals: the
stored file, its rendered pages, what reading it proposed, and how a coordinator closed it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.models import TimeStampedModel

from .referrals import PrivateStorage, Referral, ReferringProvider

INBOUND_TYPES = {"application/pdf": "pdf", "image/tiff": "tif"}


def inbound_path(instance: "InboundDocument", filename: str) -> str:
    """A generated name (the sender's file name never reaches the disk), extension by content."""
    ext = INBOUND_TYPES.get(instance.content_type, "bin")
    return f"inbox/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


def page_path(instance: "InboundPage", filename: str) -> str:
    return f"inbox/pages/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.png"


class InboundSource(models.TextChoices):
    FAX = "fax", _("Fax")
    UPLOAD = "upload", _("Scanned by staff")


class InboundStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be read")
    READ = "read", _("Read, waiting for a coordinator")
    UNREADABLE = "unreadable", _("Could not be read")
    REFERRED = "referred", _("Made into a referral")
    ATTACHED = "attached", _("Attached to a referral")
    NOT_REFERRAL = "not_referral", _("Not a referral")


# A document is waiting while a coordinator still has to act on it.
INBOX_OPEN = (InboundStatus.QUEUED, InboundStatus.READ, InboundStatus.UNREADABLE)
INBOX_TRANSITIONS: dict[str, set[str]] = {
    # A coordinator need not wait for the reading (a worker down): the reading then skips it.
    InboundStatus.QUEUED: {
        InboundStatus.READ,
        InboundStatus.UNREADABLE,
        InboundStatus.REFERRED,
        InboundStatus.ATTACHED,
        InboundStatus.NOT_REFERRAL,
    },
    InboundStatus.READ: {
        InboundStatus.REFERRED,
        InboundStatus.ATTACHED,
        InboundStatus.NOT_REFERRAL,
    },
    InboundStatus.UNREADABLE: {
        InboundStatus.REFERRED,
        InboundStatus.ATTACHED,
        InboundStatus.NOT_REFERRAL,
    },
    # A split keeps the document open (read) until its last referral; then it is closed.
    InboundStatus.REFERRED: set(),
    InboundStatus.ATTACHED: set(),
    InboundStatus.NOT_REFERRAL: set(),
}


class InboundDocument(TimeStampedModel):
    source = models.CharField(max_length=10, choices=InboundSource.choices)
    # The fax service's own id for the fax: a webhook delivered twice stores one document.
    external_id = models.CharField(max_length=100, blank=True)
    sending_number = models.CharField(_("sending number"), max_length=32, blank=True)
    file = models.FileField(storage=PrivateStorage(), upload_to=inbound_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    page_count = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=InboundStatus.choices, default=InboundStatus.QUEUED
    )
    read_at = models.DateTimeField(null=True, blank=True)
    read_error = models.CharField(max_length=300, blank=True)
    # The OCR text and the proposal are PHI: shown only on the staff inbox page.
    text = models.TextField(blank=True)
    proposal = models.JSONField(default=dict, blank=True)
    provider = models.ForeignKey(
        ReferringProvider, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    referrals = models.ManyToManyField(Referral, blank=True, related_name="inbound_documents")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="inbound_external_id_unique",
                violation_error_message=_("This fax was already received."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=InboundStatus.values),
                name="inbound_status_valid",
                violation_error_message=_("Unknown document status."),
            ),
        ]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.get_source_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in INBOX_OPEN


class InboundPage(models.Model):
    """One page drawn as a PNG when the document was read: shown beside the proposed form."""

    document = models.ForeignKey(InboundDocument, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveSmallIntegerField()
    image = models.FileField(storage=PrivateStorage(), upload_to=page_path, max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="inbound_page_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} p{self.number}"
