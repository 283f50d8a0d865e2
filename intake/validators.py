"""Validation shared by the referral form and the JSON API: one source of truth."""

import hashlib
import unicodedata
from datetime import date

import filetype
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# The NPI rule is the project's (clinic/validators.py); these names stay for the migrations
# and callers that import them from here.
from clinic.validators import npi_is_valid as npi_check_digit_ok  # noqa: F401
from clinic.validators import validate_npi  # noqa: F401

# Free text a provider or coordinator types (notes, medication lists): room for a long letter,
# not for a pasted chart.
MAX_NOTES_LENGTH = 5000
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_ATTACHMENT_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
}


def validate_date_of_birth(value: date) -> None:
    today = timezone.localdate()
    if value > today:
        raise ValidationError(_("The date of birth cannot be in the future."), code="dob_future")
    try:
        oldest = today.replace(year=today.year - 120)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - 120, day=28)
    if value < oldest:
        raise ValidationError(
            _("The date of birth is more than 120 years ago. Please check the year."),
            code="dob_too_old",
        )


def validate_attachment(upload) -> str:
    """Checks one upload by its content, not its name; returns its MIME type."""
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("%(name)s is larger than 10 MB.") % {"name": upload.name}, code="too_large"
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_ATTACHMENT_TYPES:
        raise ValidationError(
            _("%(name)s is not a PDF, PNG or JPEG file.") % {"name": upload.name},
            code="file_type",
        )
    return kind.mime


def validate_attachments(uploads: list) -> list[str]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(
            _("Attach at most %(n)d files.") % {"n": MAX_ATTACHMENTS}, code="too_many"
        )
    errors, types = [], []
    for upload in uploads:
        try:
            types.append(validate_attachment(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return types


def display_file_name(name: str, mime: str = "") -> str:
    """The name a person gave the file, made harmless to show and to offer back as a download:
    no folders, no control characters (NUL, newlines), at most 120 characters. The file itself
    is stored under a generated name (intake.models.attachment_path), never this one."""
    name = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    if not name or name == "document":
        ext = ALLOWED_ATTACHMENT_TYPES.get(mime)
        name = f"document.{ext}" if ext else "document"
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 110 - len(ext)]}.{ext}" if dot and len(ext) <= 8 else name[:120]
    return name


def sha256_of(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
