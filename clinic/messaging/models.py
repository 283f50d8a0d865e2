"""What the portal owes people by text, call and e-mail. The database, not the broker, is the
source of truth: a Message row exists for everything that must be sent, and its status says how
far it got."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    SMS = "sms", _("Text message")
    VOICE = "voice", _("Phone call")
    EMAIL = "email", _("E-mail")
    # Only to a referring practice (a fax-back saying its faxed referral arrived), never to a
    # patient: patients choose among PATIENT_CHANNELS.
    FAX = "fax", _("Fax")


PATIENT_CHANNELS = [(value, label) for value, label in Channel.choices if value != Channel.FAX]


class PlanChannel(models.TextChoices):
    PREFERRED = "preferred", _("The patient's preferred channel")
    SMS = "sms", _("Text message")
    VOICE = "voice", _("Phone call")
    EMAIL = "email", _("E-mail")


LANGUAGE_CHOICES = [("en", "English"), ("es", "Español")]


class MessageStatus(models.TextChoices):
    # A context of their own: in Spanish a message is "cancelado", a session "cancelada".
    SCHEDULED = "scheduled", pgettext_lazy("message status", "Scheduled")
    SENDING = "sending", pgettext_lazy("message status", "Sending")
    SENT = "sent", pgettext_lazy("message status", "Sent")
    FAILED = "failed", pgettext_lazy("message status", "Failed")
    CANCELLED = "cancelled", pgettext_lazy("message status", "Cancelled")
    SUPPRESSED = "suppressed", pgettext_lazy("message status", "Not sent")
    # A worker died while handing it over and the gateway cannot say whether it took it: never
    # sent again automatically; a coordinator finds it in the Outbox.
    UNKNOWN = "unknown", pgettext_lazy("message status", "Outcome unknown")


# The reason a message is cancelled when the event it is about moves (a retimed one replaces it).
MOVED_REASON = "rescheduled"


# The only moves a message may make. SENDING -> SCHEDULED is a retry (transient gateway error,
# or a claim whose worker died before the gateway received it); SENDING -> UNKNOWN a claim whose
# worker died when nobody can tell whether it went; UNKNOWN -> SENT a delivery report naming it;
# SENT -> FAILED a failed delivery report.
MESSAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    MessageStatus.SCHEDULED: frozenset(
        {MessageStatus.SENDING, MessageStatus.CANCELLED, MessageStatus.SUPPRESSED}
    ),
    MessageStatus.SENDING: frozenset(
        {
            MessageStatus.SENT,
            MessageStatus.FAILED,
            MessageStatus.SCHEDULED,
            MessageStatus.SUPPRESSED,
            MessageStatus.UNKNOWN,
        }
    ),
    MessageStatus.SENT: frozenset({MessageStatus.FAILED}),
    MessageStatus.UNKNOWN: frozenset({MessageStatus.SENT, MessageStatus.FAILED}),
    MessageStatus.FAILED: frozenset(),
    MessageStatus.CANCELLED: frozenset(),
    MessageStatus.SUPPRESSED: frozenset(),
}


class MessageTemplate(models.Model):
    """The words of one kind of message, per channel and language, editable in the admin.
    Bodies are Django templates; see clinic.messaging.services for the variables they get."""

    key = models.SlugField(_("kind"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGE_CHOICES)
    subject = models.CharField(_("e-mail subject"), max_length=150, blank=True)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Words you can use: {{ sender_name }}, {{ clinic_phone }}, {{ date }}, {{ time }} "
            "(with its time zone) and {{ day }} (today, tomorrow and the date, or on the date, "
            "as seen on the day it is sent). Name no drug, diagnosis or treatment; texts fit in "
            "160 characters."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "channel", "language"],
                name="message_template_unique",
                violation_error_message=_(
                    "There is already a template for this message, channel and language."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values),
                name="message_template_channel",
                violation_error_message=_("Choose a channel."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} · {self.channel} · {self.language}"


class ReminderPlanEntry(models.Model):
    """One line of the reminder plan every booked event gets. An empty offset means "at
    booking" (the confirmation)."""

    name = models.SlugField(_("name"), max_length=40, unique=True)
    offset = models.DurationField(
        _("before the event"), null=True, blank=True, help_text=_("Empty: send at booking.")
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=PlanChannel.choices, default=PlanChannel.PREFERRED
    )
    template_key = models.SlugField(_("message kind"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = [models.F("offset").desc(nulls_first=True)]
        verbose_name_plural = _("reminder plan")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=PlanChannel.values),
                name="plan_entry_channel",
                violation_error_message=_("Choose a channel."),
            ),
            models.CheckConstraint(
                condition=models.Q(offset__isnull=True) | models.Q(offset__gte=timedelta(0)),
                name="plan_entry_offset_not_negative",
                violation_error_message=_(
                    "A reminder goes out before the session: the time before it cannot be negative."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MessageQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(status=MessageStatus.SCHEDULED, send_after__lte=now)


class Message(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    to_address = models.CharField(_("to"), max_length=254, blank=True)
    kind = models.SlugField(_("kind"), max_length=60, db_index=False)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGE_CHOICES)
    subject = models.CharField(_("subject"), max_length=150, blank=True)
    body = models.TextField(_("text"))
    # E-mail only: files sent with it, [{"filename", "content" (text), "mimetype"}], such as the
    # booking e-mail's .ics calendar entries.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    send_after = models.DateTimeField(_("send after"), db_index=True)
    # The event this message is about: calling-hours adjustments never push past it.
    not_after = models.DateTimeField(_("send before"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=MessageStatus.choices, default=MessageStatus.SCHEDULED
    )
    status_reason = models.CharField(_("reason"), max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=200)
    topic = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # E-mail only: when the claim of claimed_at started handing it to the e-mail server (see
    # services._email_handover_mark).
    handed_over_at = models.DateTimeField(null=True, blank=True)
    gateway_id = models.CharField(max_length=64, blank=True)
    provider_status = models.CharField(max_length=20, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Not written yet: what the text is made from when a dispatcher claims the message (a
    # booking stores its reminders and e-mail this way, issue 19); None once written, and for
    # messages written when they were stored. services.rendering.message_text reads it.
    # Last, as its column is (bench/scale writes the columns in this order).
    render_context = models.JSONField(null=True, blank=True, editable=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-send_after"]
        # Each index is written on every insert and every change of status (a booking stores
        # five messages; a reminder changes status twice), so only those a query needs: no
        # index on kind, and none of the LIKE (varchar_pattern_ops) twins Django adds for
        # unique or db_index text fields. Five fewer than before on a 1.5-million-row table.
        indexes = [
            models.Index(fields=["topic"], name="message_topic_idx"),  # cancel and retime
            models.Index(fields=["gateway_id"], name="message_gateway_idx"),  # delivery reports
            models.Index(
                fields=["send_after"],
                condition=models.Q(status="scheduled"),
                name="message_due_idx",
            ),
            # The dispatcher looks for abandoned claims before every batch (messages_claim_due);
            # without this it read the whole table each time.
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="message_sending_idx",
            ),
        ]
        constraints = [
            # Decides, under concurrency, that a message is stored once (_message_store).
            models.UniqueConstraint(fields=["dedupe_key"], name="message_dedupe_key_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values), name="message_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="message_channel_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} ({self.status})"

    def can_move_to(self, status: str) -> bool:
        return status in MESSAGE_TRANSITIONS[self.status]

    @property
    def replaced_by_move(self) -> bool:
        """Cancelled because its event moved: a retimed message took its place."""
        return self.status == MessageStatus.CANCELLED and self.status_reason == MOVED_REASON


class MessageEvent(models.Model):
    """History: one row for each status change of a message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class ConsentSource(models.TextChoices):
    INTAKE = "intake", _("At intake")
    PATIENT_PAGE = "patient_page", _("Patient's own page")
    STAFF = "staff", _("Recorded by staff")
    INBOUND_TEXT = "inbound_text", _("Text message reply")
    VOICE_KEYPRESS = "voice_keypress", _("Key pressed on a call")
    SEED = "seed", _("Demo data")


class ContactConsent(models.Model):
    """Consent history: every grant or withdrawal for one address on one channel, never edited.
    The newest row for (address, channel) is the current answer; no row means no consent for
    texts and calls."""

    address = models.CharField(max_length=254, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=ConsentSource.choices)
    # The staff member who took it (at intake) or wrote down what the patient said; empty when
    # the patient acted themselves (their page, a text, a keypress).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consents_recorded",
    )
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["address", "channel", "-at"], name="consent_lookup_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="consent_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=ConsentSource.values), name="consent_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{'granted' if self.granted else 'withdrawn'} {self.channel} ({self.source})"


class ReplyAction(models.TextChoices):
    OPT_OUT = "opt_out", _("Opted out")
    OPT_IN = "opt_in", _("Opted back in")
    HELP = "help", _("Asked for help")
    CONFIRM = "confirm", _("Confirmed")
    CALLBACK = "callback", _("Asked to be called back")
    RESCHEDULE = "reschedule", _("Asked to move a session")
    ACCEPT = "accept", _("Took an offered time")
    OTHER = "other", _("Other reply")


class InboundReply(models.Model):
    """A text or keypress that came back. needs_attention puts it in front of a coordinator
    (free text that looks like an opt-out, callback requests, replies we did not understand)."""

    channel = models.CharField(max_length=10, choices=Channel.choices)
    from_address = models.CharField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField(blank=True)
    action = models.CharField(max_length=10, choices=ReplyAction.choices)
    needs_attention = models.BooleanField(default=False)
    provider_id = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replies_handled",
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = _("inbound replies")
        constraints = [
            models.UniqueConstraint(
                fields=["provider_id"],
                condition=~models.Q(provider_id=""),
                name="inbound_reply_once",
            ),
            # A reply marked handled always says who handled it.
            models.CheckConstraint(
                condition=models.Q(handled_at__isnull=True, handled_by__isnull=True)
                | models.Q(handled_at__isnull=False, handled_by__isnull=False),
                name="inbound_reply_handled_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.channel}"
