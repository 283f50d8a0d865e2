"""The intake call: the case a coordinator works, its checklist, each call attempt, and the
invitation that opens the patient's account."""

import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Value
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from timezone_field import TimeZoneField

from clinic.models import TimeStampedModel

from ..validators import (
    MAX_NOTES_LENGTH,
)
from .referrals import Referral

# Stands for "no next attempt" in intake_open_ready_idx, and in intake.queue.callable_sql, which
# must write the same expression for the index to serve it.
NO_NEXT_ATTEMPT = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class ChecklistItem(models.TextChoices):
    """What the coordinator must go over with the patient before intake can be completed."""

    OFF_LABEL = (
        "off_label",
        _("Ketamine is not FDA-approved for migraine: this is an off-label use"),
    )
    SELF_PAY = "self_pay", _("Treatment is self-pay; insurers usually refuse to pay")
    COURSE_LENGTH = (
        "course_length",
        _(
            "The recommended number of infusions (1 to 6): it depends on the patient's "
            "migraine profile and can change"
        ),
    )
    MONITORED_IV = (
        "monitored_iv",
        _(
            "An IV infusion monitored by clinical staff: about 60 minutes, "
            "then about 30 minutes of recovery"
        ),
    )
    DRIVER = "driver", _("A driver is needed; no driving for the rest of the day")
    FASTING = "fasting", _("Fasting before each infusion")
    REMINDER_CONSENT = "reminder_consent", _("Consent to reminder calls and text messages")
    GFE_NOTICE = (
        "gfe_notice",
        _(
            "The right to a Good Faith Estimate of the costs (paying for care themselves): it "
            "comes in writing when the course is scheduled, or on request"
        ),
    )


class IntakeCaseQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=IntakeCase.Status.OPEN)


class IntakeCase(TimeStampedModel):
    """A referral's place in the coordinators' call queue.

    Queue order: callbacks that are due, then urgent referrals, then the oldest. The patient's
    time zone and the urgency are copied from the referral so that the queue is one table."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="intake_case")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_outcome = models.CharField(max_length=20, blank=True)
    urgent = models.BooleanField(default=False)
    time_zone = TimeZoneField(use_pytz=False)
    # When the case may next be called (after a no-answer, or the patient's chosen callback).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    callback_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    checklist = ArrayField(
        models.CharField(max_length=20, choices=ChecklistItem.choices), default=list, blank=True
    )
    attempt_count = models.PositiveSmallIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = IntakeCaseQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "closed"]), name="intake_case_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(claimed_by__isnull=True)
                | models.Q(claim_expires_at__isnull=False),
                name="intake_claim_has_expiry",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "created_at"],
                condition=models.Q(status="open"),
                name="intake_open_queue_idx",
            ),
            # 'Next call' walks these instead of sorting every open case (case_claim_next). The
            # last column lets the walk pass cases waiting for a retry inside the index, without
            # reading their rows (intake.queue.callable_sql writes the same expression).
            models.Index(
                OrderBy(F("urgent"), descending=True),
                F("created_at"),
                F("id"),
                Coalesce(F("next_attempt_at"), Value(NO_NEXT_ATTEMPT)),
                condition=models.Q(status="open"),
                name="intake_open_ready_idx",
            ),
            # Callbacks in the queue's order, for the same walk: 'Next call' takes the first
            # one due and free instead of reading every due callback's row and sorting them
            # (0.15 ms instead of 1.2 with the benchmark's 474 due at once). Whether a callback
            # is due, and its retry, are decided inside the index; the dashboard's count of due
            # callbacks reads it alone.
            models.Index(
                OrderBy(F("urgent"), descending=True),
                F("created_at"),
                F("id"),
                F("callback_at"),
                Coalesce(F("next_attempt_at"), Value(NO_NEXT_ATTEMPT)),
                condition=models.Q(status="open", callback_at__isnull=False),
                name="intake_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Intake {self.referral}"

    @property
    def checklist_complete(self) -> bool:
        return set(ChecklistItem.values) <= set(self.checklist)


class CallOutcome(models.TextChoices):
    INTAKE_COMPLETE = "intake_complete", _("Reached: intake complete")
    CALLBACK = "callback", _("Reached: callback requested")
    VOICEMAIL = "voicemail", _("Voicemail left")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    DECLINED = "declined", _("Declined")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")


REACHED_OUTCOMES = {
    CallOutcome.INTAKE_COMPLETE,
    CallOutcome.CALLBACK,
    CallOutcome.DECLINED,
    CallOutcome.NOT_ELIGIBLE,
}
UNANSWERED_OUTCOMES = {CallOutcome.VOICEMAIL, CallOutcome.NO_ANSWER}


class CallAttempt(models.Model):
    """One call to the patient. Append-only (a database trigger refuses updates and deletes): a
    correction is a new entry."""

    case = models.ForeignKey(IntakeCase, on_delete=models.PROTECT, related_name="attempts")
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices)
    notes = models.TextField(blank=True, max_length=MAX_NOTES_LENGTH)
    callback_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=CallOutcome.values), name="call_outcome_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(outcome="callback") | models.Q(callback_at__isnull=False),
                name="callback_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(notes__length__lte=MAX_NOTES_LENGTH),
                name="call_notes_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.outcome} {self.created_at:%Y-%m-%d %H:%M}"


class PatientInvitation(models.Model):
    """The link a new patient uses to set a password: signed, single-use and expiring. Only a
    hash of its secret part is stored."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    nonce_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation {self.pk}"
