"""What every booking page shares: instants in forms, a location's today, 'just taken'."""

import datetime as dt

from django.shortcuts import render
from django.utils import timezone

from clinic.models import Role

from ..availability import nearest_free_times
from ..calendar import patient_zone, when_both
from ..models import (
    Location,
)

STAFF = (Role.COORDINATOR, Role.CLINICIAN, Role.ADMIN)


def _iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _time_choices(starts, location, own_tz):
    return [{"value": _iso(s), "label": when_both(s, location.time_zone, own_tz)} for s in starts]


def _today(location: Location) -> dt.date:
    return timezone.now().astimezone(location.time_zone).date()


def _taken(request, course, starts_at, location, *, post_url, extra=None, status=409):
    """Not an error page: the time went while the patient looked; offer the nearest ones."""
    location = location or course.location
    nearest = nearest_free_times(course=course, location=location, around=starts_at)
    return render(
        request,
        "scheduling/taken.html",
        {
            "course": course,
            "location": location,
            "times": _time_choices(nearest, location, patient_zone(course.patient)),
            "post_url": post_url,
            "extra": extra or {},
        },
        status=status,
    )
