"""Self-pay prices and the estimates issued from them.

A fee schedule is versioned per location by its effective date. An issued estimate copies every
price, code, name and date it used, so a later fee schedule (or an edited identity) never changes
it; the database refuses any UPDATE or DELETE of an issued estimate or its lines (see the trigger
in migration 0002), which also keeps them for the six years the No Surprises Act asks.
"""

import re

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinic.models import TimeStampedModel
from clinic.validators import validate_npi

from . import pricing
from .pricing import MAX_INFUSIONS

ICD10_RE = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


def validate_icd10(value: str) -> None:
    if not ICD10_RE.match(value):
        raise ValidationError(
            _("%(value)s is not an ICD-10-CM code (for example G43.709)."),
            params={"value": value},
            code="invalid_icd10",
        )


money = {"max_digits": 10, "decimal_places": 2}


class FacilityBillingIdentity(TimeStampedModel):
    """Who bills for care at a location, as printed on every Good Faith Estimate."""

    location = models.OneToOneField(
        "scheduling.Location", on_delete=models.PROTECT, related_name="billing_identity"
    )
    legal_name = models.CharField(_("facility legal name"), max_length=200)
    npi = models.CharField(
        _("facility NPI"), max_length=10, validators=[validate_npi], help_text=_("10 digits.")
    )
    tin = models.CharField(
        _("facility TIN"),
        max_length=10,
        validators=[RegexValidator(r"^[0-9]{2}-[0-9]{7}$", _("Write the TIN as 12-3456789."))],
        help_text=_("Employer identification number, as 12-3456789."),
    )
    provider_name = models.CharField(
        _("rendering provider"), max_length=200, help_text=_("Name and credentials.")
    )
    provider_npi = models.CharField(
        _("rendering provider NPI"), max_length=10, validators=[validate_npi]
    )

    class Meta:
        verbose_name = _("facility billing identity")
        verbose_name_plural = _("facility billing identities")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(npi__regex=r"^\d{10}$"),
                name="facility_npi_10_digits",
                violation_error_message=_("An NPI has exactly 10 digits."),
            ),
            models.CheckConstraint(
                condition=models.Q(provider_npi__regex=r"^\d{10}$"),
                name="provider_npi_10_digits",
                violation_error_message=_("An NPI has exactly 10 digits."),
            ),
            models.CheckConstraint(
                condition=models.Q(tin__regex=r"^\d{2}-\d{7}$"),
                name="facility_tin_format",
                violation_error_message=_(
                    "A TIN is written as 2 digits, a hyphen and 7 digits (12-3456789)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.location})"


class FeeSchedule(TimeStampedModel):
    """One version of a location's prices, in effect from its effective date until the next."""

    location = models.ForeignKey(
        "scheduling.Location", on_delete=models.PROTECT, related_name="fee_schedules"
    )
    effective_date = models.DateField(
        _("effective from"), help_text=_("In the location's own time zone.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["location", "-effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "effective_date"],
                name="fee_schedule_one_per_day",
                violation_error_message=_(
                    "This location already has a fee schedule starting on that day."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.location} from {self.effective_date:%Y-%m-%d}"


class FeeItemKind(models.TextChoices):
    CONSULTATION = pricing.CONSULTATION, _("Initial consultation")
    INFUSION = pricing.INFUSION, _("Infusion (including monitoring)")
    OPTIONAL = pricing.OPTIONAL, _("Optional item")
    LATE_CANCELLATION = pricing.LATE_CANCELLATION, _("Late-cancellation fee")
    DEPOSIT = pricing.DEPOSIT, _("Deposit")
    DRUG = pricing.DRUG, _("Drug given at each infusion")
    SEPARATE = pricing.SEPARATE, _("Scheduled separately (has its own estimate)")


# A schedule has at most one item of each of these kinds; optional and separately scheduled
# items may be many.
SINGLE_KINDS = [
    k for k in FeeItemKind.values if k not in (FeeItemKind.OPTIONAL, FeeItemKind.SEPARATE)
]


class FeeItem(models.Model):
    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=20, choices=FeeItemKind.choices)
    service_code = models.CharField(
        _("service code"), max_length=10, blank=True, help_text=_("CPT or HCPCS, where used.")
    )
    description = models.CharField(_("description"), max_length=200)
    description_es = models.CharField(
        _("description in Spanish"),
        max_length=200,
        blank=True,
        help_text=_("Shown on a Spanish-speaking patient's estimate; English when left empty."),
    )
    unit_price = models.DecimalField(_("unit price (USD)"), **money)
    per_infusion = models.BooleanField(
        _("charged per infusion"),
        default=False,
        help_text=_("Optional items: tick when the item is charged once per infusion."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=FeeItemKind.values),
                name="fee_item_kind_valid",
                violation_error_message=_("Choose what kind of fee this is."),
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0),
                name="fee_item_price_not_negative",
                violation_error_message=_("A price cannot be negative."),
            ),
            models.UniqueConstraint(
                fields=["schedule", "kind"],
                condition=models.Q(kind__in=SINGLE_KINDS),
                name="fee_item_single_kind_once",
                violation_error_message=_("A fee schedule lists this kind of fee only once."),
            ),
        ]

    def __str__(self) -> str:
        return self.description


class PackagePrice(models.Model):
    """A prepaid price for a whole course of N infusions (replacing N single infusion prices)."""

    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="packages")
    infusion_count = models.PositiveSmallIntegerField(
        _("infusions in the package"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_INFUSIONS)],
    )
    price = models.DecimalField(_("package price (USD)"), **money)

    class Meta:
        ordering = ["infusion_count"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "infusion_count"],
                name="package_one_per_count",
                violation_error_message=_(
                    "A fee schedule has one package price per number of infusions."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(infusion_count__gte=1, infusion_count__lte=MAX_INFUSIONS),
                name="package_count_1_to_6",
                violation_error_message=_("A package is for 1 to 6 infusions."),
            ),
            models.CheckConstraint(
                condition=models.Q(price__gte=0),
                name="package_price_not_negative",
                violation_error_message=_("A price cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.infusion_count} infusions: ${self.price}"


class EstimateNumberCounter(models.Model):
    """The last estimate number handed out in a year (E-2026-00012)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Estimate(models.Model):
    """An issued estimate, which is also the patient's Good Faith Estimate. Never changed after
    it is written: every value shown on the GFE is a copy taken at issue. A patient's estimates
    share one number; each new issue is the next version and supersedes the one before."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="estimates"
    )
    location = models.ForeignKey(
        "scheduling.Location", on_delete=models.PROTECT, related_name="estimates"
    )
    fee_schedule = models.ForeignKey(FeeSchedule, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=20)
    version = models.PositiveSmallIntegerField(_("version"))
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200)
    language = models.CharField(_("language"), max_length=5, default="en")

    # Copies, as they were at issue.
    patient_name = models.CharField(max_length=300)
    patient_date_of_birth = models.DateField()
    location_name = models.CharField(max_length=120)
    location_address = models.CharField(max_length=300)
    location_time_zone = models.CharField(max_length=64)
    facility_legal_name = models.CharField(max_length=200)
    facility_npi = models.CharField(max_length=10)
    facility_tin = models.CharField(max_length=10)
    provider_name = models.CharField(max_length=200)
    provider_npi = models.CharField(max_length=10)
    fee_schedule_effective_date = models.DateField()
    primary_service = models.CharField(max_length=300)
    primary_service_code = models.CharField(max_length=10, blank=True)
    infusion_count = models.PositiveSmallIntegerField()
    scheduled_starts = ArrayField(models.DateTimeField(), default=list, blank=True)
    diagnosis_codes = ArrayField(models.CharField(max_length=10))
    total_low = models.DecimalField(**money)
    total_high = models.DecimalField(**money)
    package_discount = models.DecimalField(**money)
    deposit_due = models.DecimalField(**money)
    late_cancellation_fee = models.DecimalField(**money)

    class Meta:
        ordering = ["patient", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "version"], name="estimate_version_per_patient"
            ),
            models.UniqueConstraint(fields=["number", "version"], name="estimate_number_version"),
            models.CheckConstraint(
                condition=models.Q(infusion_count__gte=1, infusion_count__lte=MAX_INFUSIONS),
                name="estimate_infusions_1_to_6",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="estimate_version_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    total_low__gte=0,
                    total_high__gte=models.F("total_low"),
                    package_discount__gte=0,
                    deposit_due__gte=0,
                    deposit_due__lte=models.F("total_high"),
                    late_cancellation_fee__gte=0,
                ),
                name="estimate_amounts_consistent",
            ),
            models.CheckConstraint(
                condition=models.Q(scheduled_starts__len__lte=models.F("infusion_count")),
                name="estimate_no_more_dates_than_infusions",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.number} v{self.version}"

    @property
    def has_range(self) -> bool:
        return self.total_high != self.total_low

    @property
    def charge_lines(self) -> list["EstimateLine"]:
        """The lines of the course's charges (prefetch `lines` when listing estimates)."""
        return [line for line in self.lines.all() if line.kind != pricing.SEPARATE]

    @property
    def separate_lines(self) -> list["EstimateLine"]:
        """Items scheduled separately, with their own GFE: listed, never added to the total."""
        return [line for line in self.lines.all() if line.kind == pricing.SEPARATE]


class EstimateLine(models.Model):
    estimate = models.ForeignKey(Estimate, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20)
    service_code = models.CharField(max_length=10, blank=True)
    description = models.CharField(max_length=200)
    quantity = models.PositiveSmallIntegerField()
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    optional = models.BooleanField(default=False)

    class Meta:
        ordering = ["estimate", "position"]
        constraints = [
            models.UniqueConstraint(fields=["estimate", "position"], name="estimate_line_position")
        ]

    def __str__(self) -> str:
        return self.description


class EstimateDocument(models.Model):
    """The Good Faith Estimate exactly as it was issued: the rendered document, in the patient's
    language, with its SHA-256. Every later page and PDF shows this, never today's template; the
    database refuses to change or delete it (migration 0004)."""

    estimate = models.OneToOneField(Estimate, on_delete=models.PROTECT, related_name="document")
    language = models.CharField(max_length=5)
    html = models.TextField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="estimate_document_sha256"
            )
        ]

    def __str__(self) -> str:
        return f"{self.estimate} as issued"


class EstimateAcknowledgement(models.Model):
    """The patient's confirmation that they received the Good Faith Estimate."""

    estimate = models.OneToOneField(
        Estimate, on_delete=models.PROTECT, related_name="acknowledgement"
    )
    acknowledged_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.estimate} acknowledged"


class GfeTrigger(models.TextChoices):
    SCHEDULED = "scheduled", _("Course scheduled")
    REQUESTED = "requested", _("Patient asked")


class GfeObligationQuerySet(models.QuerySet):
    def owed(self):
        """Still owed: neither met by an estimate nor closed as no longer required."""
        return self.filter(met_by__isnull=True, closed_at__isnull=True)


class GfeObligation(TimeStampedModel):
    """A Good Faith Estimate the clinic owes a patient by a date: after a course is scheduled at
    least 3 business days ahead, or after the patient asks. Met by the next estimate issued; a
    course's GFE is closed as no longer required when the course is cancelled (the reason kept)."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gfe_obligations"
    )
    location = models.ForeignKey("scheduling.Location", on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(max_length=10, choices=GfeTrigger.choices)
    triggered_at = models.DateTimeField()
    first_session_start = models.DateTimeField(null=True, blank=True)
    # The course as scheduled when the obligation arose: only an estimate with this count and
    # these dates (at this location) meets a "scheduled" obligation.
    infusion_count = models.PositiveSmallIntegerField(null=True, blank=True)
    scheduled_starts = ArrayField(models.DateTimeField(), null=True, blank=True)
    due_on = models.DateField(help_text=_("The last business day, in the location's time zone."))
    # Why the portal could not issue it the last time it tried (shown to coordinators).
    issue_error = models.CharField(max_length=300, blank=True)
    met_by = models.ForeignKey(
        Estimate, on_delete=models.PROTECT, null=True, blank=True, related_name="obligations_met"
    )
    met_at = models.DateTimeField(null=True, blank=True)
    # The course it is for, when a course's scheduling started it (shown in the course history).
    course = models.ForeignKey(
        "scheduling.Course", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Closed as no longer required (the course was cancelled): when, by whom and why.
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_reason = models.CharField(max_length=300, blank=True)
    # The last change of the course that owes it: why and by whom (a "scheduled" one). The
    # estimate that meets it is issued after that change commits (billing.tasks), with this
    # reason, so beat's sweep can issue it alike when the task was lost.
    reason = models.CharField(max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = GfeObligationQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "triggered_at"]
        indexes = [
            # The few still owed, for beat's sweep and the coordinators' list.
            models.Index(
                fields=["due_on"],
                condition=models.Q(met_by__isnull=True, closed_at__isnull=True),
                name="gfe_owed_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(trigger__in=GfeTrigger.values), name="gfe_trigger_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(met_by__isnull=True, met_at__isnull=True)
                | models.Q(met_by__isnull=False, met_at__isnull=False),
                name="gfe_met_by_and_at_together",
            ),
            # Closed means closed with a reason, and never also met.
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True, closed_reason="")
                | models.Q(closed_at__isnull=False, met_by__isnull=True)
                & ~models.Q(closed_reason=""),
                name="gfe_closed_with_reason_never_met",
            ),
            models.CheckConstraint(
                condition=~models.Q(trigger=GfeTrigger.SCHEDULED)
                | models.Q(first_session_start__isnull=False),
                name="gfe_scheduled_has_first_session",
            ),
        ]

    def __str__(self) -> str:
        return f"GFE due {self.due_on:%Y-%m-%d}"

    def is_met_by(self, estimate: Estimate) -> bool:
        """A request is answered by any estimate; a scheduled course only by one that matches
        it as scheduled (location, number of infusions and dates)."""
        if estimate.patient_id != self.patient_id:
            return False
        if self.trigger != GfeTrigger.SCHEDULED or self.infusion_count is None:
            return True
        return (
            estimate.location_id == self.location_id
            and estimate.infusion_count == self.infusion_count
            and sorted(estimate.scheduled_starts) == sorted(self.scheduled_starts or [])
        )


class GfePaperRequest(models.Model):
    """The patient asked for their Good Faith Estimate on paper; staff print and post it."""

    estimate = models.ForeignKey(Estimate, on_delete=models.PROTECT, related_name="paper_requests")
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    printed_at = models.DateTimeField(null=True, blank=True)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(printed_at__isnull=True, printed_by__isnull=True)
                | models.Q(printed_at__isnull=False, printed_by__isnull=False),
                name="gfe_paper_printed_by_and_at_together",
            ),
            models.UniqueConstraint(
                fields=["estimate"],
                condition=models.Q(printed_at__isnull=True),
                name="gfe_paper_one_open_request",
            ),
        ]

    def __str__(self) -> str:
        return f"Paper copy of {self.estimate}"


# The payments ledger lives in billing/payments/ (a package by topic); its models are billing's.
from .payments.models import (  # noqa: E402, F401
    Payment,
    PaymentCard,
    PaymentPolicy,
    PaymentPolicyAcceptance,
    StripeEvent,
)
