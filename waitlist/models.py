"""The waitlist: patients waiting for an earlier or any time at a location, the chairs that
free up, and the timed offers made to them in rounds."""

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clinic.models import TimeStampedModel
from scheduling.models import Course, InfusionSession, Location


class PartOfDay(models.TextChoices):
    MORNING = "morning", _("Morning (before noon)")
    AFTERNOON = "afternoon", _("Afternoon (noon to 5 PM)")
    EVENING = "evening", _("Evening (after 5 PM)")


def part_of_day(local: dt.datetime) -> str:
    """Which part of the day a wall-clock start falls in (in the location's zone)."""
    if local.hour < 12:
        return PartOfDay.MORNING
    if local.hour < 17:
        return PartOfDay.AFTERNOON
    return PartOfDay.EVENING


class EntryStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    BOOKED = "booked", _("Booked from the waitlist")
    LEFT = "left", _("Left the waitlist")


class WaitlistEntry(TimeStampedModel):
    """One course waiting at one location, with the windows the patient can make. Windows are
    wall-clock days and parts of day in the location's zone: the patient has to be there."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="waitlist_entries")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)]),
        verbose_name=_("days of the week"),
    )
    parts_of_day = ArrayField(
        models.CharField(max_length=10, choices=PartOfDay.choices),
        verbose_name=_("times of day"),
    )
    earliest_date = models.DateField(_("earliest date"), null=True, blank=True)
    latest_date = models.DateField(_("latest date"), null=True, blank=True)
    # Set when the patient is booked and wants an earlier time for this session.
    earlier_than = models.ForeignKey(
        InfusionSession, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=EntryStatus.choices, default=EntryStatus.WAITING
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = _("waitlist entries")
        indexes = [
            models.Index(fields=["location", "status", "created_at"], name="waitlist_queue"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(status="waiting"),
                name="waitlist_one_waiting_per_course",
                violation_error_message=_("This course is already on the waitlist."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=EntryStatus.values), name="waitlist_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(weekdays__len__gte=1) & Q(parts_of_day__len__gte=1),
                name="waitlist_has_windows",
                violation_error_message=_("Choose at least one day and one time of day."),
            ),
            models.CheckConstraint(
                condition=Q(earliest_date__isnull=True)
                | Q(latest_date__isnull=True)
                | Q(latest_date__gte=F("earliest_date")),
                name="waitlist_dates_ordered",
                violation_error_message=_("The latest date must not be before the earliest."),
            ),
        ]

    def __str__(self) -> str:
        return f"Waitlist entry #{self.pk}"


class SlotStatus(models.TextChoices):
    OFFERING = "offering", _("Being offered")
    FILLED = "filled", _("Filled from the waitlist")
    UNFILLED = "unfilled", _("No one on the waitlist took it")


class FreedSlot(models.Model):
    """A start time at a location that became free (a cancellation, a move, by hand), offered
    in rounds until someone takes it or nobody fits."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    freed_at = models.DateTimeField()
    source_session = models.ForeignKey(
        InfusionSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=SlotStatus.choices, default=SlotStatus.OFFERING
    )
    round = models.PositiveSmallIntegerField(default=0)
    round_expires_at = models.DateTimeField(null=True, blank=True)
    # The id of the current round's exclusive hold (scheduling's SlotHold for the offered
    # group): it expires with the round; the next round holds the time again for its group.
    # A plain id, not a foreign key: every delete of a patient's own hold (each booking makes
    # one) would otherwise also look for freed slots pointing at it.
    hold_id = models.BigIntegerField(null=True, blank=True, editable=False)
    filled_at = models.DateTimeField(null=True, blank=True)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-freed_at"]
        indexes = [models.Index(fields=["status", "round_expires_at"], name="freed_slot_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SlotStatus.values), name="freed_slot_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Freed slot #{self.pk}"


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    TAKEN = "taken", _("Taken by someone else")
    EXPIRED = "expired", _("Expired")


class Offer(models.Model):
    """A freed time offered to one waiting patient in one round, answered through a signed
    link (or an accept word by text) before expires_at."""

    slot = models.ForeignKey(FreedSlot, on_delete=models.CASCADE, related_name="offers")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    round = models.PositiveSmallIntegerField()
    nonce = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=OfferStatus.choices, default=OfferStatus.PENDING
    )
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slot", "round", "id"]
        constraints = [
            models.UniqueConstraint(fields=["slot", "entry"], name="offer_once_per_entry"),
            # The database decides who won a freed time: one accepted offer per slot.
            models.UniqueConstraint(
                fields=["slot"], condition=Q(status="accepted"), name="offer_one_accepted"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OfferStatus.values), name="offer_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Offer #{self.pk}"


class WaitlistRules(models.Model):
    """How a location offers freed times; a location without a row uses the settings'
    defaults (WAITLIST_OFFER_MINUTES, WAITLIST_GROUP_SIZE)."""

    location = models.OneToOneField(Location, on_delete=models.CASCADE, related_name="+")
    offer_minutes = models.PositiveSmallIntegerField(
        _("minutes each round holds the time"),
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    group_size = models.PositiveSmallIntegerField(
        _("patients offered the time in each round"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )

    class Meta:
        verbose_name = _("waitlist rules")
        verbose_name_plural = _("waitlist rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(offer_minutes__gte=5, offer_minutes__lte=240)
                & Q(group_size__gte=1, group_size__lte=20),
                name="waitlist_rules_in_range",
                violation_error_message=_("Hold 5 to 240 minutes, for 1 to 20 patients."),
            )
        ]

    def __str__(self) -> str:
        return f"Waitlist rules for {self.location}"
