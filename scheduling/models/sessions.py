"""What happens: infusion sessions in a chair, their statuses and history."""

import datetime as dt

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clinic.models import TimeStampedModel

from .courses import MAX_SESSIONS_PER_COURSE, Course
from .locations import Chair, Location
from .ranges import TsTzRange


class SessionStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")
    RESCHEDULED = "rescheduled", _("Moved")


_SESSION_STATUS_LABELS = dict(SessionStatus.choices)

# Sessions that hold a chair, a patient's day and a place in the course.
ACTIVE_SESSION_STATUSES = [
    SessionStatus.BOOKED,
    SessionStatus.CHECKED_IN,
    SessionStatus.COMPLETED,
]
SESSION_TRANSITIONS: dict[str, frozenset[str]] = {
    SessionStatus.BOOKED: frozenset(
        {
            SessionStatus.CHECKED_IN,
            SessionStatus.NO_SHOW,
            SessionStatus.CANCELLED,
            SessionStatus.RESCHEDULED,
        }
    ),
    SessionStatus.CHECKED_IN: frozenset(
        {SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.NO_SHOW}
    ),
    SessionStatus.COMPLETED: frozenset(),
    # Only to correct a mistaken no-show, on the session's own day (session_correct_no_show).
    SessionStatus.NO_SHOW: frozenset({SessionStatus.CHECKED_IN}),
    SessionStatus.CANCELLED: frozenset(),
    SessionStatus.RESCHEDULED: frozenset(),
}
ACTIVE = Q(status__in=ACTIVE_SESSION_STATUSES)


class InfusionSessionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ACTIVE)

    def overlapping(self, start: dt.datetime, end: dt.datetime):
        # Sessions never last a day, so bounding starts_at from below lets the
        # (location, starts_at) index do the work however much history there is.
        return self.filter(
            starts_at__lt=end, ends_at__gt=start, starts_at__gt=start - dt.timedelta(days=1)
        )


class InfusionSession(TimeStampedModel):
    """One infusion in a chair: the chair is held from starts_at to ends_at (infusion plus
    recovery); monitoring is needed from starts_at to infusion_ends_at."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    # Copies kept so the database constraints can see them: patient and location are set from
    # the course and chair by the services; course_planned_sessions follows the course through
    # the composite foreign key (ON UPDATE CASCADE) added in migration 0002.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="infusion_sessions"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="sessions")
    course_planned_sessions = models.PositiveSmallIntegerField()
    slot = models.PositiveSmallIntegerField(help_text=_("Place in the course, 1 to planned."))
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField()
    infusion_ends_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    local_date = models.DateField(help_text=_("The day in the location's zone."))
    status = models.CharField(
        max_length=20, choices=SessionStatus.choices, default=SessionStatus.BOOKED
    )
    confirmed_at = models.DateTimeField(
        _("confirmed by the patient"),
        null=True,
        blank=True,
        help_text=_("Set when the patient answers a reminder with C or presses 1 on the call."),
    )
    late_change = models.BooleanField(
        _("late cancellation"),
        default=False,
        help_text=_("Cancelled or moved with less notice than the rules ask (for billing)."),
    )
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rescheduled_to"
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)

    objects = InfusionSessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["location", "starts_at"], name="session_location_start"),
            # What a booking snapshot reads of a location's sessions (the active ones in a
            # range, scheduling.availability): from the index alone, without passing the
            # cancelled and moved ones (two in five of the benchmark's) or reading the table.
            models.Index(
                fields=["location", "starts_at"],
                include=["ends_at", "infusion_ends_at", "chair", "id"],
                condition=ACTIVE,
                name="session_active_location_start",
            ),
            models.Index(fields=["patient", "starts_at"], name="session_patient_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="session_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(infusion_ends_at__gt=F("starts_at"))
                & Q(ends_at__gte=F("infusion_ends_at")),
                name="session_times_ordered",
            ),
            # What `overlapping` relies on to bound starts_at from below.
            models.CheckConstraint(
                condition=Q(ends_at__lt=F("starts_at") + dt.timedelta(days=1)),
                name="session_shorter_than_a_day",
            ),
            models.CheckConstraint(
                condition=Q(slot__gte=1, slot__lte=MAX_SESSIONS_PER_COURSE)
                & Q(course_planned_sessions__lte=MAX_SESSIONS_PER_COURSE),
                name="session_slot_1_to_6",
            ),
            # With the unique (course, slot) below: never more active sessions than planned.
            models.CheckConstraint(
                condition=~ACTIVE | Q(slot__lte=F("course_planned_sessions")),
                name="session_slot_within_plan",
            ),
            models.UniqueConstraint(
                fields=["course", "slot"], condition=ACTIVE, name="session_one_active_per_slot"
            ),
            models.UniqueConstraint(
                fields=["patient", "local_date"],
                condition=ACTIVE,
                name="session_one_infusion_per_patient_day",
            ),
            ExclusionConstraint(
                name="session_no_chair_overlap",
                expressions=[
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("chair", RangeOperators.EQUAL),
                ],
                condition=ACTIVE,
            ),
            ExclusionConstraint(
                name="session_no_patient_overlap",
                expressions=[
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("patient", RangeOperators.EQUAL),
                ],
                condition=ACTIVE,
            ),
        ]

    def __str__(self) -> str:
        return f"Session #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_SESSION_STATUSES

    @property
    def status_label(self) -> str:
        """get_status_display() for lists: Django's rebuilds and hashes (so translates) every
        choice on each call."""
        return str(_SESSION_STATUS_LABELS.get(self.status, self.status))

    def can_become(self, status: str) -> bool:
        return status in SESSION_TRANSITIONS[self.status]


class SessionStatusChange(models.Model):
    session = models.ForeignKey(
        InfusionSession, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    # Why, for what cannot be undone (a cancellation, a no-show, its correction).
    reason = models.TextField(_("reason"), blank=True, max_length=500)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"

    @property
    def to_status_label(self) -> str:
        return str(_SESSION_STATUS_LABELS.get(self.to_status, self.to_status))
