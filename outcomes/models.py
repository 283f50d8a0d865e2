"""Outcome measures: one plan per course (when the patient is asked what), the diary days and
the questionnaire answers. The database keeps the rules: one diary day per plan and day, one
answer per instrument and time point, answers within their bounds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinic.models import TimeStampedModel
from scheduling.models import Course


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("Collecting answers")
    CANCELLED = "cancelled", _("Stopped: the course was cancelled")


class TimePoint(models.TextChoices):
    BASELINE = "baseline", _("Before the first infusion")
    MONTH_1 = "month_1", _("1 month after the last infusion")
    MONTH_3 = "month_3", _("3 months after the last infusion")


# Days after the last infusion each follow-up questionnaire is due; it opens a week before.
MIDAS_AFTER = {TimePoint.MONTH_1: 30, TimePoint.MONTH_3: 90}
QUESTIONNAIRE_OPENS_EARLY_DAYS = 7


class OutcomePlan(TimeStampedModel):
    """When a patient is asked for a diary day and a questionnaire. Created at intake complete,
    retimed by the course's bookings (first session, last session) and cancelled with it. The
    dates are days in the patient's zone."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="outcome_plan")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="outcome_plans"
    )
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    diary_starts_on = models.DateField()
    # The baseline is diary_starts_on up to the day before the first infusion (28 days at most).
    first_session_on = models.DateField(null=True, blank=True)
    last_session_on = models.DateField(null=True, blank=True)
    course_completed_on = models.DateField(null=True, blank=True)
    # The day after which no diary prompt goes (3 months after the last session).
    diary_ends_on = models.DateField(null=True, blank=True)
    # The last day a diary prompt was planned (so the periodic run skips plans done today).
    prompted_on = models.DateField(null=True, blank=True)
    # The one nudge after 3 missed days in a row.
    nudged_on = models.DateField(null=True, blank=True)
    report_sent_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["diary_starts_on"],
                condition=Q(status="active"),
                name="outcome_plan_active_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values),
                name="outcome_plan_status",
                violation_error_message=_("Choose a status."),
            ),
            models.CheckConstraint(
                condition=Q(diary_ends_on__isnull=True)
                | Q(diary_ends_on__gte=models.F("diary_starts_on")),
                name="outcome_plan_diary_order",
                violation_error_message=_("The diary cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"outcome plan {self.pk} (course {self.course_id})"


class DiaryDay(models.Model):
    """One day of the headache diary, as the patient answered it."""

    plan = models.ForeignKey(OutcomePlan, on_delete=models.CASCADE, related_name="diary_days")
    day = models.DateField(_("day"))
    headache = models.BooleanField(_("headache"))
    migraine = models.BooleanField(_("migraine"))
    worst_pain = models.PositiveSmallIntegerField(_("worst pain (0-10)"))
    acute_medication = models.BooleanField(_("took headache medicine"))
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "day"],
                name="diary_day_once",
                violation_error_message=_("This day is already recorded."),
            ),
            models.CheckConstraint(
                condition=Q(worst_pain__gte=0, worst_pain__lte=10),
                name="diary_day_pain_range",
                violation_error_message=_("Worst pain is a number from 0 to 10."),
            ),
            # A migraine is a headache; a day without headache has no pain to rate.
            models.CheckConstraint(
                condition=Q(migraine=False) | Q(headache=True),
                name="diary_day_migraine_is_headache",
                violation_error_message=_("A migraine day is a headache day."),
            ),
            models.CheckConstraint(
                condition=Q(headache=True) | Q(worst_pain=0),
                name="diary_day_pain_needs_headache",
                violation_error_message=_("A day without headache has no pain to rate."),
            ),
        ]

    def __str__(self) -> str:
        return f"diary {self.plan_id} {self.day}"


class InstrumentResponse(models.Model):
    """A questionnaire answered at one time point, with the score computed on the server from
    the answers (outcomes.instruments)."""

    plan = models.ForeignKey(OutcomePlan, on_delete=models.CASCADE, related_name="responses")
    instrument = models.SlugField(max_length=30)
    time_point = models.CharField(max_length=12, choices=TimePoint.choices)
    answers = models.JSONField()
    score = models.PositiveSmallIntegerField()
    grade = models.CharField(max_length=4, blank=True)
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["answered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "instrument", "time_point"],
                name="instrument_response_once",
                violation_error_message=_("This questionnaire is already answered."),
            ),
            models.CheckConstraint(
                condition=Q(time_point__in=TimePoint.values),
                name="instrument_response_time_point",
                violation_error_message=_("Choose a time point."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.time_point} (plan {self.plan_id})"
