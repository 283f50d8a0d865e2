"""The payments ledger: what the clinic charges a patient's saved card, by the location's payment
policy, and what Stripe answered.

Every charge, fee and refund is a row here before Stripe is called, keyed by an idempotency key
built from our own records (``infusion:session:42``); the database refuses a second row with the
same key, so a retried task or a repeated click can never charge twice. Amounts are integer cents.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinic.models import TimeStampedModel


class DepositKind(models.TextChoices):
    NONE = "none", _("No deposit")
    AMOUNT = "amount", _("A fixed amount")
    PERCENT = "percent", _("A percentage of the course estimate")


class ChargeMoment(models.TextChoices):
    BOOKING = "booking", _("When the session is booked")
    CHECK_IN = "check_in", _("When the patient checks in")
    COMPLETION = "completion", _("When the infusion is completed")


class DepositOnCancel(models.TextChoices):
    REFUND = "refund", _("Refunded to the card, less what infusions used")
    KEEP = "keep", _("Kept by the clinic")


class PaymentPolicy(TimeStampedModel):
    """One version of a location's payment policy, in effect from its date until the next (as
    fee schedules are). A version patients have accepted is never edited: add a new one. The
    late-cancellation window is the location's own notice rule (scheduling's
    min_change_notice_hours)."""

    location = models.ForeignKey(
        "scheduling.Location", on_delete=models.PROTECT, related_name="payment_policies"
    )
    effective_date = models.DateField(
        _("effective from"), help_text=_("In the location's own time zone.")
    )
    deposit_kind = models.CharField(
        _("deposit"), max_length=10, choices=DepositKind.choices, default=DepositKind.AMOUNT
    )
    deposit_cents = models.PositiveIntegerField(_("deposit amount (cents)"), default=0)
    deposit_percent = models.PositiveSmallIntegerField(
        _("deposit (% of the estimate)"), default=0, validators=[MaxValueValidator(100)]
    )
    # A course cancelled with at least the notice window before its next session (or by the
    # clinic): what becomes of the deposit not yet used for infusions. Cancelled later by the
    # patient, it is kept.
    deposit_on_cancel = models.CharField(
        _("unused deposit when a course is cancelled in time"),
        max_length=10,
        choices=DepositOnCancel.choices,
        default=DepositOnCancel.REFUND,
    )
    infusion_charged_at = models.CharField(
        _("each infusion is charged"),
        max_length=12,
        choices=ChargeMoment.choices,
        default=ChargeMoment.COMPLETION,
    )
    late_cancellation_fee_cents = models.PositiveIntegerField(
        _("late-cancellation fee (cents)"), default=0
    )
    no_show_fee_cents = models.PositiveIntegerField(_("no-show fee (cents)"), default=0)
    currency = models.CharField(max_length=3, default="usd", editable=False)

    class Meta:
        ordering = ["location", "-effective_date"]
        verbose_name = _("payment policy")
        verbose_name_plural = _("payment policies")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "effective_date"],
                name="payment_policy_one_per_day",
                violation_error_message=_(
                    "This location already has a payment policy starting on that day."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(deposit_percent__lte=100),
                name="payment_policy_percent_at_most_100",
                violation_error_message=_("A deposit is at most 100% of the estimate."),
            ),
            models.CheckConstraint(
                condition=models.Q(deposit_kind__in=DepositKind.values),
                name="payment_policy_deposit_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(deposit_on_cancel__in=DepositOnCancel.values),
                name="payment_policy_deposit_on_cancel_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(infusion_charged_at__in=ChargeMoment.values),
                name="payment_policy_charge_moment_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location} from {self.effective_date:%Y-%m-%d}"

    @property
    def version(self) -> str:
        return f"{self.effective_date:%Y-%m-%d}"

    def deposit_for(self, estimate_total_cents: int) -> int:
        if self.deposit_kind == DepositKind.AMOUNT:
            return min(self.deposit_cents, estimate_total_cents)
        if self.deposit_kind == DepositKind.PERCENT:
            return estimate_total_cents * self.deposit_percent // 100
        return 0


class PaymentPolicyAcceptance(models.Model):
    """The patient saw this version of the policy and accepted it, before saving a card."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payment_acceptances"
    )
    policy = models.ForeignKey(PaymentPolicy, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # What the patient read, in their language, kept as shown.
    text = models.TextField()

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "policy"], name="payment_policy_accepted_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy} accepted {self.accepted_at:%Y-%m-%d}"


class PaymentCard(TimeStampedModel):
    """The patient's Stripe customer and the card saved on it (Stripe keeps the card; we keep
    its id, brand and last four digits to show)."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payment_card"
    )
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    setup_intent_id = models.CharField(max_length=255, blank=True)
    payment_method_id = models.CharField(max_length=255, blank=True)
    brand = models.CharField(max_length=20, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_saved(self) -> bool:
        return bool(self.payment_method_id)


class PaymentKind(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit")
    INFUSION = "infusion", _("Infusion")
    LATE_CANCELLATION = "late_cancellation", _("Late-cancellation fee")
    NO_SHOW = "no_show", _("No-show fee")
    REFUND = "refund", _("Refund")
    # The clinic gave up a failed charge: it names that charge, with the admin's reason.
    WRITE_OFF = "write_off", _("Written off")


# Rows that name another row of the ledger (refund_of): refunds and write-offs.
ADJUSTMENT_KINDS = [PaymentKind.REFUND, PaymentKind.WRITE_OFF]
FEE_KINDS = [PaymentKind.LATE_CANCELLATION, PaymentKind.NO_SHOW]


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be charged")
    PROCESSING = "processing", _("Being charged")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


# Out-of-order webhooks may not move a row backwards: a late 'failed' never undoes 'paid'.
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset(
        {
            PaymentStatus.PROCESSING,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.CANCELLED,
        }
    ),
    PaymentStatus.PROCESSING: frozenset(
        {PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.FAILED}
    ),
    # A failed charge can be retried (the patient saved a new card) or paid later.
    PaymentStatus.FAILED: frozenset(
        {PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.CANCELLED}
    ),
    PaymentStatus.SUCCEEDED: frozenset(),
    PaymentStatus.CANCELLED: frozenset(),
}


class Payment(TimeStampedModel):
    """One line of the ledger: a charge to the card (deposit, infusion, fee) or a refund of one.
    ``amount_cents`` is what goes to the card; an infusion partly covered by the deposit keeps
    that part in ``credit_cents``."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    course = models.ForeignKey(
        "scheduling.Course", on_delete=models.PROTECT, related_name="payments"
    )
    session = models.ForeignKey(
        "scheduling.InfusionSession",
        on_delete=models.PROTECT,
        related_name="payments",
        null=True,
        blank=True,
    )
    policy = models.ForeignKey(
        PaymentPolicy, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    kind = models.CharField(max_length=20, choices=PaymentKind.choices)
    amount_cents = models.PositiveIntegerField()
    credit_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(
        max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    idempotency_key = models.CharField(max_length=100, unique=True)
    # What Stripe calls it: the PaymentIntent (pi_…) or the Refund (re_…).
    stripe_id = models.CharField(max_length=255, blank=True)
    description = models.CharField(max_length=100)
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="refunds", null=True, blank=True
    )
    reason = models.CharField(max_length=500, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A worker's claim on the row while it talks to Stripe; an old claim belongs to a dead worker.
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_id"],
                condition=~models.Q(stripe_id=""),
                name="payment_stripe_id_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=PaymentKind.values), name="payment_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ADJUSTMENT_KINDS, refund_of__isnull=False)
                | (~models.Q(kind__in=ADJUSTMENT_KINDS) & models.Q(refund_of__isnull=True)),
                name="payment_refund_names_its_charge",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=ADJUSTMENT_KINDS) | ~models.Q(reason=""),
                name="payment_refund_has_reason",
                violation_error_message=_("A refund or a write-off needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return self.idempotency_key

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_cents) / 100

    @property
    def credit(self) -> Decimal:
        return Decimal(self.credit_cents) / 100

    @property
    def is_refund(self) -> bool:
        return self.kind == PaymentKind.REFUND

    @property
    def stripe_ref(self) -> str:
        """What Stripe is told of this row (its metadata and the base of its Idempotency-Key):
        our row's number only. The idempotency key itself names the kind ("infusion:…"), which
        is treatment, so it stays ours."""
        return f"payment-{self.pk}"

    @property
    def is_write_off(self) -> bool:
        return self.kind == PaymentKind.WRITE_OFF

    def can_become(self, status: str) -> bool:
        return status in PAYMENT_TRANSITIONS[self.status]


class StripeEvent(models.Model):
    """A webhook event already handled: Stripe delivers at least once, we act once."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
