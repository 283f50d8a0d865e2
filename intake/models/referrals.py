"""Referrals: who sends them (providers and their API tokens), the referral with its statuses
and status history, its attachments, and possible duplicates."""

import os
import re
import unicodedata
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from timezone_field import TimeZoneField

from clinic.models import Sex, TimeStampedModel
from clinic.validators import (
    validate_no_control_characters,
    validate_no_control_characters_multiline,
)

from ..clinical import (
    DIAGNOSIS_CHOICES,
    DIAGNOSIS_DESCRIPTIONS,
    Contraindication,
    Language,
    Preventive,
    Urgency,
)
from ..validators import (
    ALLOWED_ATTACHMENT_TYPES,
    MAX_NOTES_LENGTH,
    validate_date_of_birth,
    validate_npi,
)


class PrivateStorage(FileSystemStorage):
    """Referral documents: outside the static and media roots, with no URL of their own. They
    are only ever streamed by a view that checks who is asking."""

    def __init__(self, **kwargs):
        super().__init__(location=settings.PRIVATE_STORAGE_ROOT, base_url=None, **kwargs)

    # Read at each use, not at import, so the folder always follows the setting.
    @property
    def base_location(self):
        return str(settings.PRIVATE_STORAGE_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def deconstruct(self):
        return ("intake.models.PrivateStorage", (), {})


def attachment_path(instance: "ReferralAttachment", filename: str) -> str:
    """A generated name: the uploader's file name never reaches the disk (no path tricks, no
    clashes). The extension comes from the type detected from the content."""
    ext = ALLOWED_ATTACHMENT_TYPES.get(instance.content_type, "bin")
    return f"referrals/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


def normalise_name(*parts: str) -> str:
    """'José  O'Brien-Smith' -> 'jose obriensmith': accents, punctuation and spacing ignored."""
    text = " ".join(p for p in parts if p)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z ]", "", text.lower())
    return " ".join(text.split())


class ReferringProvider(TimeStampedModel):
    """The clinical details of a referring provider's account (name and e-mail live on the user)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider_profile"
    )
    practice_name = models.CharField(_("practice"), max_length=200)
    npi = models.CharField(_("NPI"), max_length=10, unique=True, validators=[validate_npi])
    phone = PhoneNumberField(_("phone"))
    fax = PhoneNumberField(_("fax"), blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # How many referrals the provider has made, kept by the database (a trigger on the referrals,
    # intake 0018, in each referral's own transaction): the list's "Page 1 of 544" without
    # counting 10,000 rows on every view.
    referral_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(npi__regex=r"^\d{10}$"),
                name="npi_ten_digits",
                violation_error_message=_("An NPI has exactly 10 digits."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name()} ({self.practice_name})"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class ApiToken(TimeStampedModel):
    """A provider's key for the EHR API. Only a hash is stored; the key is shown once."""

    provider = models.ForeignKey(ReferringProvider, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("label"), max_length=80)
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    CONTACTING = "contacting", _("Contacting the patient")
    INTAKE_COMPLETE = "intake_complete", _("Intake complete")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_TREATMENT = "in_treatment", _("In treatment")
    COURSE_COMPLETE = "course_complete", _("Course complete")
    DECLINED = "declined", _("Declined by the patient")
    UNREACHABLE = "unreachable", _("Patient unreachable")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")


_S = ReferralStatus
_STATUS_LABELS = dict(ReferralStatus.choices)
# The labels as each language writes them, translated once: a list shows one per row.
_STATUS_LABELS_BY_LANGUAGE: dict[str | None, dict[str, str]] = {}


def referral_status_label(status: str) -> str:
    """A status as the active language names it ("Declined by the patient"); an unknown value
    as it is."""
    language = translation.get_language()
    labels = _STATUS_LABELS_BY_LANGUAGE.get(language)
    if labels is None:
        labels = {value: str(label) for value, label in _STATUS_LABELS.items()}
        _STATUS_LABELS_BY_LANGUAGE[language] = labels
    return labels.get(status, status)


_CLOSED_FROM_INTAKE = {_S.DECLINED, _S.UNREACHABLE, _S.NOT_ELIGIBLE}
# The referral pipeline; every change writes a ReferralStatusChange row.
REFERRAL_TRANSITIONS: dict[str, set[str]] = {
    _S.RECEIVED: {_S.CONTACTING, *_CLOSED_FROM_INTAKE, _S.INTAKE_COMPLETE},
    _S.CONTACTING: {_S.INTAKE_COMPLETE, *_CLOSED_FROM_INTAKE},
    _S.INTAKE_COMPLETE: {_S.SCHEDULED, _S.DECLINED, _S.NOT_ELIGIBLE},
    _S.SCHEDULED: {_S.IN_TREATMENT, _S.COURSE_COMPLETE, _S.DECLINED, _S.INTAKE_COMPLETE},
    _S.IN_TREATMENT: {_S.COURSE_COMPLETE, _S.DECLINED},
    _S.COURSE_COMPLETE: set(),
    _S.DECLINED: set(),
    _S.UNREACHABLE: {_S.CONTACTING},
    _S.NOT_ELIGIBLE: set(),
}
STATUSES_NEEDING_REASON = {_S.DECLINED, _S.UNREACHABLE, _S.NOT_ELIGIBLE}


class ReferralQuerySet(models.QuerySet):
    def for_provider(self, provider: ReferringProvider):
        return self.filter(provider=provider)

    def search(self, text: str):
        text = (text or "").strip()
        if not text:
            return self
        if text.upper().startswith("R-"):
            return self.filter(reference__iexact=text)
        return self.filter(patient_name_normalised__contains=normalise_name(text))


class Referral(TimeStampedModel):
    reference = models.CharField(max_length=16, unique=True, editable=False)
    provider = models.ForeignKey(
        ReferringProvider, on_delete=models.PROTECT, related_name="referrals"
    )
    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED
    )
    status_reason = models.CharField(max_length=300, blank=True)

    # The patient
    patient_first_name = models.CharField(
        _("legal first name"), max_length=100, validators=[validate_no_control_characters]
    )
    patient_last_name = models.CharField(
        _("legal last name"), max_length=100, validators=[validate_no_control_characters]
    )
    patient_name_normalised = models.CharField(max_length=210, editable=False, db_index=True)
    date_of_birth = models.DateField(_("date of birth"), validators=[validate_date_of_birth])
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    mobile_phone = PhoneNumberField(_("mobile phone"))
    email = models.EmailField(_("e-mail"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    zip_code = models.CharField(_("ZIP code"), max_length=10)
    preferred_location = models.ForeignKey(
        "scheduling.Location",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("preferred clinic location"),
    )
    patient_time_zone = TimeZoneField(use_pytz=False, editable=False)
    contact_consent = models.BooleanField(
        _("the patient agreed to be contacted by the clinic (call, text and e-mail)")
    )

    # Clinical
    diagnosis_code = models.CharField(
        _("migraine diagnosis"), max_length=8, choices=DIAGNOSIS_CHOICES
    )
    headache_days_per_month = models.PositiveSmallIntegerField(
        _("headache days per month"), validators=[MaxValueValidator(31)]
    )
    years_with_migraine = models.PositiveSmallIntegerField(
        _("years with migraine"), validators=[MaxValueValidator(100)]
    )
    preventives_tried = ArrayField(
        models.CharField(max_length=40, choices=Preventive.choices),
        verbose_name=_("preventive treatments tried and failed"),
        default=list,
        blank=True,
    )
    preventives_other = models.CharField(
        _("other preventives"),
        max_length=300,
        blank=True,
        validators=[validate_no_control_characters],
    )
    current_medications = models.TextField(
        _("current medications"),
        blank=True,
        max_length=MAX_NOTES_LENGTH,
        validators=[validate_no_control_characters_multiline],
    )
    blood_pressure = models.CharField(
        _("latest blood pressure (mmHg)"),
        max_length=7,
        blank=True,
        validators=[
            RegexValidator(r"^[0-9]{2,3}/[0-9]{2,3}$", _("Write the blood pressure as 128/82."))
        ],
        help_text=_("Optional, as 128/82."),
    )
    contraindications = ArrayField(
        models.CharField(max_length=40, choices=Contraindication.choices),
        verbose_name=_("contraindication screen"),
        default=list,
        blank=True,
    )
    # Ticked by the provider when no contraindication applies: an empty screen then means
    # "screened, none" rather than "not screened" (referrals from before the box are the latter).
    no_contraindications = models.BooleanField(_("none of these apply"), default=False)
    recommended_infusions = models.PositiveSmallIntegerField(
        _("recommended number of infusions"),
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    notes = models.TextField(
        _("notes"),
        blank=True,
        max_length=MAX_NOTES_LENGTH,
        validators=[validate_no_control_characters_multiline],
    )

    # Set when intake completes.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_as_patient",
    )
    course = models.OneToOneField(
        "scheduling.Course",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referral",
    )

    # A retried API call with the same key returns this referral instead of creating another.
    # NULL rather than "" so that the unique constraint ignores referrals sent without a key.
    idempotency_key = models.CharField(  # noqa: DJ001
        max_length=200, null=True, blank=True, editable=False
    )
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # The name as the people search matches it (intake/search.py): lower case, unaccented, kept
    # by PostgreSQL. Its trigram index answers LIKE '%word%'; the stored value is what the index
    # match is rechecked against, row by row, where the expression would run unaccent() for
    # each of thousands of namesakes (a common last name: 4,000 rows, 86 ms; stored: a few ms).
    search_name = models.GeneratedField(
        expression=models.Func(
            models.F("patient_first_name"),
            models.F("patient_last_name"),
            function="portal_search_name",
            output_field=models.TextField(),
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recommended_infusions__gte=1, recommended_infusions__lte=6),
                name="referral_infusions_1_to_6",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ReferralStatus.values), name="referral_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(urgency__in=Urgency.values), name="referral_urgency_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(notes__length__lte=MAX_NOTES_LENGTH)
                & models.Q(current_medications__length__lte=MAX_NOTES_LENGTH),
                name="referral_free_text_bounded",
            ),
            models.CheckConstraint(
                condition=models.Q(headache_days_per_month__lte=31), name="referral_days_le_31"
            ),
            models.CheckConstraint(
                condition=models.Q(contact_consent=True), name="referral_has_contact_consent"
            ),
            models.CheckConstraint(
                condition=models.Q(no_contraindications=False) | models.Q(contraindications=[]),
                name="referral_none_means_no_contraindications",
            ),
            models.UniqueConstraint(
                fields=["provider", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="referral_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "-created_at"]),
            models.Index(fields=["date_of_birth", "mobile_phone"]),
            models.Index(fields=["date_of_birth", "patient_name_normalised"]),
            GinIndex(
                fields=["search_name"], opclasses=["gin_trgm_ops"], name="referral_search_trgm"
            ),
            # The people search's order: a common name's newest 40 are found by walking it.
            models.Index(fields=["-created_at", "-id"], name="referral_newest_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def patient_name(self) -> str:
        return f"{self.patient_first_name} {self.patient_last_name}"

    @property
    def diagnosis_description(self) -> str:
        return DIAGNOSIS_DESCRIPTIONS.get(self.diagnosis_code, "")

    @property
    def contraindication_labels(self) -> list[str]:
        return [Contraindication(c).label for c in self.contraindications]

    @property
    def preventive_labels(self) -> list[str]:
        return [Preventive(p).label for p in self.preventives_tried]

    @property
    def has_contraindications(self) -> bool:
        return bool(self.contraindications)

    @property
    def contraindications_screened(self) -> bool:
        """False for a referral whose screen was left empty without "none of these apply"."""
        return bool(self.contraindications) or self.no_contraindications

    @property
    def status_label(self) -> str:
        """get_status_display() for lists: Django's rebuilds and hashes (so translates) every
        choice on each call."""
        return referral_status_label(self.status)

    @cached_property
    def allowed_next_statuses(self) -> set[str]:
        return REFERRAL_TRANSITIONS[self.status]

    @property
    def is_closed(self) -> bool:
        return not REFERRAL_TRANSITIONS[self.status]


class ReferralStatusChange(models.Model):
    """The dated history the provider follows. Append-only."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    reason = models.CharField(max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.from_status or '∅'} → {self.to_status}"


class ReferralAttachment(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=PrivateStorage(), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class PossibleDuplicate(models.Model):
    """Two referrals that may be the same person: linked and shown, never merged."""

    class Reason(models.TextChoices):
        DOB_AND_PHONE = "dob_phone", _("Same date of birth and phone")
        DOB_AND_NAME = "dob_name", _("Same date of birth and name")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="duplicate_links")
    other = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referral", "other"], name="duplicate_pair_unique"),
            models.CheckConstraint(
                condition=~models.Q(referral=models.F("other")), name="duplicate_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referral_id} ~ {self.other_id}"
