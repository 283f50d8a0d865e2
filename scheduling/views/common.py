"""What the patients' and the staff's booking pages share: the day picker, times, 'just taken'."""

import datetime as dt

from django.shortcuts import render
from django.utils import timezone

from clinic.models import Role

from ..availability import (
    free_start_times,
    nearest_free_times,
)
from ..calendar import patient_zone, when_both
from ..forms import (
    DayPickerForm,
)
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


def _day_picker(request, course, *, ignore_session_id=None):
    """The day picker's form and the free times of the chosen day (for the HTMX fragment)."""
    location = course.location
    data = {"location": location.pk, "date": _today(location) + dt.timedelta(days=2)}
    if "date" in request.GET:
        data = request.GET
    form = DayPickerForm(data)
    times = []
    if form.is_valid():
        location = form.cleaned_data["location"]
        day = form.cleaned_data["date"]
        starts = free_start_times(
            course=course,
            location=location,
            first_day=day,
            last_day=day,
            ignore_session_id=ignore_session_id,
        )[day]
        times = _time_choices(starts, location, patient_zone(course.patient))
    return form, location, times


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
