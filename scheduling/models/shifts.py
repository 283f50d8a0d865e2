"""Who is on duty: a clinician's shifts at a location."""

import datetime as dt

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from psycopg2.extras import DateTimeTZRange

from clinic.models import TimeStampedModel

from .locations import Location
from .ranges import TsTzRange


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
