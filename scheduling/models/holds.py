"""A time kept for a course while the patient confirms it."""

import datetime as dt

from django.db import models
from django.db.models import F, Q

from .courses import Course
from .locations import Chair, Location
from .sessions import InfusionSession


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
