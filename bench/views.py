"""Two views for the benchmark (bench/README.md), routed only by bench/urls.py
(clinic.settings.bench). They pass through the same middleware as every page."""

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from clinic.models import Role
from clinic.permissions import role_required
from scheduling.availability import free_start_times
from scheduling.models import Location
from scheduling.selectors import course_for_patient


def floor(request: HttpRequest, pk: int) -> HttpResponse:
    """The floor: one indexed primary-key query and a few bytes back."""
    name = Location.objects.filter(pk=pk).values_list("name", flat=True).first()
    if name is None:
        raise Http404
    return HttpResponse(name, content_type="text/plain; charset=utf-8")


@role_required(Role.PATIENT)
def availability(request: HttpRequest, location_pk: int) -> JsonResponse:
    """The patient's free start times at one location for the next 14 days (tomorrow on), as
    the booking day picker computes them one day at a time."""
    course = course_for_patient(patient=request.user)
    if course is not None and course.location_id == location_pk:
        location = course.location  # read with the course, as the day picker has it
    else:
        location = Location.objects.filter(pk=location_pk).first()
    if course is None or location is None:
        raise Http404
    today = timezone.now().astimezone(location.time_zone).date()
    days = free_start_times(
        course=course,
        location=location,
        first_day=today + dt.timedelta(days=1),
        last_day=today + dt.timedelta(days=14),
    )
    return JsonResponse(
        {day.isoformat(): [s.isoformat() for s in starts] for day, starts in days.items()}
    )
