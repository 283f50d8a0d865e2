import datetime as dt
import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    ArrayField,
    DateTimeRangeField,
    RangeBoundary,
    RangeOperators,
)
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from psycopg2.extras import DateTimeTZRange
from timezone_field import TimeZoneField

from clinic.models import TimeStampedModel

MAX_SESSIONS_PER_COURSE = 6


class TsTzRange(models.Func):
    """tstzrange(start, end, '[)'): the half-open range the exclusion constraints compare."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Location(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(unique=True)
    time_zone = TimeZoneField(_("time zone"), use_pytz=False)
    address_line = models.CharField(_("street address"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    state = models.CharField(_("state"), max_length=2)
    zip_code = models.CharField(_("ZIP code"), max_length=10)
    phone = PhoneNumberField(_("phone"), blank=True)
    is_active = models.BooleanField(_("accepting patients"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Chair(TimeStampedModel):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="chairs")
    name = models.CharField(_("name"), max_length=60)
    is_active = models.BooleanField(
        _("in service"), default=True, help_text=_("Untick while a chair is out of service.")
    )

    class Meta:
        ordering = ["location", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"],
                name="chair_name_unique_per_location",
                violation_error_message=_("This location already has a chair with this name."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.location} · {self.name}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """Wall-clock hours in the location's own zone; a weekday without a row is closed."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["location", "weekday"]
        verbose_name_plural = _("opening hours")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "weekday"],
                name="hours_one_per_weekday",
                violation_error_message=_(
                    "This location already has opening hours for this weekday."
                ),
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="hours_close_after_open",
                violation_error_message=_("The closing time must be after the opening time."),
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=6),
                name="hours_weekday_valid",
                violation_error_message=_("Choose a weekday."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class Closure(models.Model):
    """A whole local day the location is closed (a holiday, a one-off day)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        ordering = ["location", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "date"],
                name="closure_one_per_day",
                violation_error_message=_("This location is already closed on this day."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.location}: {self.date} {self.reason}".strip()


class StaffShiftQuerySet(models.QuerySet):
    def overlapping(self, start: dt.datetime, end: dt.datetime):
        # A range test, which the GiST index of shift_no_overlap_per_clinician answers;
        # starts_at < end alone would read every earlier shift of the location (years of them).
        return self.alias(period=TsTzRange("starts_at", "ends_at", RangeBoundary())).filter(
            period__overlap=DateTimeTZRange(start, end, "[)")
        )


class StaffShift(TimeStampedModel):
    """A clinician on duty at a location, and how many infusions they can monitor at once."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="shifts")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="shifts",
        limit_choices_to={"role": "clinician"},
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    monitoring_capacity = models.PositiveSmallIntegerField(
        _("infusions monitored at once"), default=3, validators=[MinValueValidator(1)]
    )

    objects = StaffShiftQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["location", "starts_at"], name="shift_location_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="shift_ends_after_start",
                violation_error_message=_("A shift must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(monitoring_capacity__gte=1),
                name="shift_capacity_positive",
                violation_error_message=_("A shift monitors at least one patient."),
            ),
            # One person cannot be on two shifts at once (it would double their capacity).
            ExclusionConstraint(
                name="shift_no_overlap_per_clinician",
                violation_error_message=_("This person already has a shift at that time."),
                expressions=[
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("clinician", RangeOperators.EQUAL),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinician} at {self.location}"


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


class SlotHold(models.Model):
    """A chosen time kept for one course while the patient confirms. It simply stops counting
    once expires_at passes, so nothing has to run to free it."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="holds")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    chair = models.ForeignKey(Chair, on_delete=models.CASCADE, related_name="holds")
    starts_at = models.DateTimeField()
    infusion_ends_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # The session being moved, when the hold is for a reschedule.
    replaces = models.ForeignKey(
        InfusionSession, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["location", "starts_at"], name="hold_location_start")]
        # As for sessions; availability bounds a hold's starts_at from below by a day.
        constraints = [
            models.CheckConstraint(
                condition=Q(infusion_ends_at__gt=F("starts_at"))
                & Q(ends_at__gte=F("infusion_ends_at"))
                & Q(ends_at__lt=F("starts_at") + dt.timedelta(days=1)),
                name="hold_times_ordered_within_a_day",
            )
        ]

    def __str__(self) -> str:
        return f"Hold #{self.pk} until {self.expires_at:%H:%M}"


class ActionLinkKind(models.TextChoices):
    CANCEL = "cancel", _("Cancel")
    RESCHEDULE = "reschedule", _("Reschedule")


class SessionActionLink(models.Model):
    """A signed link sent by e-mail or text. The signature proves we made it; this row makes it
    single-use (used_at) and ties it to one session, so it dies when the session is moved."""

    nonce = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(
        InfusionSession, on_delete=models.CASCADE, related_name="action_links"
    )
    kind = models.CharField(max_length=20, choices=ActionLinkKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} link for session #{self.session_id}"
