"""A time kept for a course while the patient confirms it."""

import datetime as dt

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

from .courses import Course
from .locations import Chair, Location
from .sessions import InfusionSession


class SlotHold(models.Model):
    """A chosen time kept for one course while the patient confirms, or for a group of courses
    (a waitlist round offering a freed time: `course` empty, `for_courses` the group). Only the
    course or the group may take it; everyone else's availability and booking see the chair as
    taken. It simply stops counting once expires_at passes, so nothing has to run to free it."""

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, null=True, blank=True, related_name="holds"
    )
    # Plain ids rather than a many-to-many: availability reads them in the same query as the
    # hold (an array containment test), and a cancelled course only means one id nobody uses.
    for_courses = ArrayField(models.BigIntegerField(), default=list, blank=True)
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
            ),
            models.CheckConstraint(
                condition=Q(course__isnull=False) | Q(for_courses__len__gte=1),
                name="hold_is_for_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Hold #{self.pk} until {self.expires_at:%H:%M}"
