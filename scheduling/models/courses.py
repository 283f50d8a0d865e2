"""What is planned: session types, each location's booking rules, courses and their history."""

import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clinic.models import TimeStampedModel

from .locations import Location

MAX_SESSIONS_PER_COURSE = 6


class SessionType(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    infusion_minutes = models.PositiveSmallIntegerField(_("infusion minutes"), default=60)
    recovery_minutes = models.PositiveSmallIntegerField(
        _("recovery minutes"), default=30, help_text=_("The chair is held for these too.")
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(infusion_minutes__gte=1),
                name="session_type_infusion_positive",
                violation_error_message=_("An infusion lasts at least one minute."),
            ),
            # A session must end within the day it starts (see InfusionSession's constraints).
            models.CheckConstraint(
                condition=Q(infusion_minutes__lt=24 * 60 - F("recovery_minutes")),
                name="session_type_shorter_than_a_day",
                violation_error_message=_("Infusion and recovery together must be under 24 hours."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.infusion_minutes}+{self.recovery_minutes} min)"

    @property
    def infusion(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.infusion_minutes)

    @property
    def total(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.infusion_minutes + self.recovery_minutes)


class CourseRules(models.Model):
    """Per-location booking rules; a location without a row uses these defaults."""

    location = models.OneToOneField(Location, on_delete=models.CASCADE, related_name="rules")
    min_hours_between = models.PositiveSmallIntegerField(
        _("minimum hours between two infusions of a course"), default=48
    )
    max_course_days = models.PositiveSmallIntegerField(
        _("latest a course may end, in days after its first infusion"), default=28
    )
    min_booking_notice_hours = models.PositiveSmallIntegerField(
        _("minimum notice to book (hours)"), default=24
    )
    min_change_notice_hours = models.PositiveSmallIntegerField(
        _("cancel or reschedule without it counting as late (hours notice)"), default=24
    )

    class Meta:
        verbose_name_plural = _("course rules")

    def __str__(self) -> str:
        return f"Rules for {self.location}"

    @property
    def min_between(self) -> dt.timedelta:
        return dt.timedelta(hours=self.min_hours_between)

    @property
    def max_span(self) -> dt.timedelta:
        return dt.timedelta(days=self.max_course_days)

    @property
    def booking_notice(self) -> dt.timedelta:
        return dt.timedelta(hours=self.min_booking_notice_hours)

    @property
    def change_notice(self) -> dt.timedelta:
        return dt.timedelta(hours=self.min_change_notice_hours)


class CourseStatus(models.TextChoices):
    AWAITING_REVIEW = "awaiting_review", _("Awaiting clinician review")
    ACTIVE = "active", _("Active")
    DECLINED = "declined", _("Declined")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


COURSE_TRANSITIONS: dict[str, frozenset[str]] = {
    CourseStatus.AWAITING_REVIEW: frozenset({CourseStatus.ACTIVE, CourseStatus.DECLINED}),
    CourseStatus.ACTIVE: frozenset({CourseStatus.COMPLETED, CourseStatus.CANCELLED}),
    CourseStatus.DECLINED: frozenset(),
    CourseStatus.COMPLETED: frozenset(),
    CourseStatus.CANCELLED: frozenset(),
}
OPEN_COURSE_STATUSES = [CourseStatus.AWAITING_REVIEW, CourseStatus.ACTIVE]


class Course(TimeStampedModel):
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="courses",
        limit_choices_to={"role": "patient"},
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="courses")
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT)
    planned_sessions = models.PositiveSmallIntegerField(
        _("planned sessions"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SESSIONS_PER_COURSE)],
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CourseStatus.choices, default=CourseStatus.ACTIVE
    )
    needs_clinician_review = models.BooleanField(default=False)
    decline_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    # Copied from the referral when intake opens the course, so billing can put them on the
    # course's Good Faith Estimates without reading intake. Empty for a course made by hand.
    diagnosis_codes = ArrayField(
        models.CharField(max_length=10), default=list, blank=True, editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_sessions__gte=1, planned_sessions__lte=MAX_SESSIONS_PER_COURSE),
                name="course_planned_1_to_6",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CourseStatus.values), name="course_status_valid"
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=OPEN_COURSE_STATUSES),
                name="course_one_open_per_patient",
            ),
            # Target of the sessions' composite foreign key, which lets the database itself
            # refuse more active sessions than planned (see InfusionSession).
            models.UniqueConstraint(
                fields=["id", "planned_sessions"], name="course_id_planned_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Course #{self.pk}"

    def can_become(self, status: str) -> bool:
        return status in COURSE_TRANSITIONS[self.status]


class CourseStatusChange(models.Model):
    """A line of the course's history: a change of status, or a change of the planned number of
    infusions (planned_from -> planned_to, the status staying as it was)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    planned_from = models.PositiveSmallIntegerField(null=True, blank=True)
    planned_to = models.PositiveSmallIntegerField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    reason = models.TextField(blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_from__isnull=True, planned_to__isnull=True)
                | Q(
                    planned_from__gte=1,
                    planned_from__lte=MAX_SESSIONS_PER_COURSE,
                    planned_to__gte=1,
                    planned_to__lte=MAX_SESSIONS_PER_COURSE,
                ),
                name="course_change_planned_1_to_6",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"

    @property
    def to_status_label(self) -> str:
        return str(CourseStatus(self.to_status).label) if self.to_status else ""
