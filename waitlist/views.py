"""The waitlist's pages: a patient joins (phone first), the offer behind a texted link, and the
coordinators' list per location with an 'offer a time' form."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record, audit_record_many
from clinic.errors import ApplicationError
from clinic.formatting import when_both
from clinic.i18n import SUPPORTED
from clinic.models import Role
from clinic.permissions import role_required
from scheduling.calendar import patient_zone
from scheduling.models import Course, CourseStatus, Location, Weekday
from scheduling.selectors import course_for_patient

from . import selectors, services
from .forms import JoinForm, OfferByHandForm
from .models import PartOfDay

STAFF = (Role.COORDINATOR, Role.ADMIN)


def _join(request: HttpRequest, course: Course, *, template: str, extra: dict) -> HttpResponse:
    """The join form for a course, for its patient or a coordinator."""
    own_tz = patient_zone(course.patient)
    sessions = selectors.booked_sessions(course=course)
    labels = {s.pk: when_both(s.starts_at, course.location.time_zone, own_tz) for s in sessions}
    entry = selectors.entry_for_course(course=course)
    initial = (
        {
            "weekdays": entry.weekdays,
            "parts_of_day": entry.parts_of_day,
            "earliest_date": entry.earliest_date,
            "latest_date": entry.latest_date,
            "earlier_than": entry.earlier_than_id,
        }
        if entry
        else {"weekdays": [0, 1, 2, 3, 4], "parts_of_day": list(PartOfDay.values)}
    )
    data = request.POST if request.method == "POST" else None
    form = JoinForm(data, initial=initial, sessions=sessions, labels=labels)
    status = 200
    if request.method == "POST" and request.POST.get("leave") and entry:
        services.entry_leave(entry=entry)
        messages.success(request, _("You are off the waitlist."))
        return redirect(request.path)
    if data is not None:
        if form.is_valid():
            chosen = form.cleaned_data["earlier_than"]
            try:
                services.entry_join(
                    course=course,
                    weekdays=form.cleaned_data["weekdays"],
                    parts_of_day=form.cleaned_data["parts_of_day"],
                    earliest_date=form.cleaned_data["earliest_date"],
                    latest_date=form.cleaned_data["latest_date"],
                    earlier_than=next((s for s in sessions if s.pk == chosen), None),
                    by=request.user,
                )
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request, _("You are on the waitlist. We will text you when a time opens.")
                )
                return redirect(request.path)
        status = 400
    context = {"form": form, "entry": entry, "course": course, **extra}
    return render(request, template, context, status=status)


@role_required(Role.PATIENT)
def patient_join(request: HttpRequest) -> HttpResponse:
    course = course_for_patient(patient=request.user)
    if course is None or course.status != CourseStatus.ACTIVE:
        return render(request, "waitlist/join.html", {"course": None, "form": None})
    return _join(request, course, template="waitlist/join.html", extra={})


@role_required(*STAFF)
def coordinator_join(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_object_or_404(
        Course.objects.select_related("patient__patient_profile", "location"), pk=pk
    )
    audit_record(
        request=request,
        obj=course,
        action=AuditAction.CHANGE if request.method == "POST" else AuditAction.VIEW,
        patient_id=course.patient_id,
    )
    if course.status != CourseStatus.ACTIVE:
        messages.error(request, _("Only a course that can be booked can wait for a time."))
        return redirect("waitlist:coordinator_list")
    return _join(request, course, template="waitlist/coordinator_join.html", extra={})


def offer(request: HttpRequest, token: str) -> HttpResponse:
    """From a text or e-mail: GET shows the time and a button (link scanners open links);
    POST takes it. Expired or taken: a kind page, the patient stays on the list."""
    try:
        found = services.offer_resolve(token)
    except ApplicationError as exc:
        return render(request, "waitlist/offer_gone.html", {"message": exc.message}, status=410)
    _speak_patients_language(request, found.entry.patient)
    now = timezone.now()
    location = found.slot.location
    own_tz = patient_zone(found.entry.patient)
    context = {
        "offer": found,
        "when": when_both(found.slot.starts_at, location.time_zone, own_tz),
        "location": location,
    }
    if found.status == "accepted":
        return render(request, "waitlist/offer_booked.html", context)
    if request.method == "POST":
        try:
            services.offer_accept(offer=found, now=now)
        except ApplicationError as exc:
            return render(request, "waitlist/offer_gone.html", {"message": exc.message}, status=409)
        return render(request, "waitlist/offer_booked.html", context)
    if not services.offer_open(found, now):
        message = services.offer_refusal(found, now).message
        return render(request, "waitlist/offer_gone.html", {"message": message}, status=410)
    context["minutes_left"] = max(1, int((found.expires_at - now).total_seconds() // 60))
    return render(request, "waitlist/offer.html", context)


def _speak_patients_language(request: HttpRequest, patient) -> None:
    """The link came in a text or e-mail in the patient's language: the page speaks it too,
    unless this browser chose a language with the switcher (its cookie)."""
    language = patient.preferred_language
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and language in SUPPORTED:
        translation.activate(language)
        request.LANGUAGE_CODE = language


@role_required(*STAFF)
def coordinator_list(request: HttpRequest) -> HttpResponse:
    locations = list(Location.objects.filter(is_active=True))
    chosen = next(
        (loc for loc in locations if loc.slug == request.GET.get("location")),
        locations[0] if locations else None,
    )
    form = OfferByHandForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and chosen is not None:
        # The time typed is the location's wall clock.
        with timezone.override(chosen.time_zone):
            valid = form.is_valid()
        if valid:
            try:
                services.slot_offer_by_hand(
                    location=chosen, starts_at=form.cleaned_data["starts_at"], by=request.user
                )
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The time is offered to the waitlist."))
                return redirect(f"{request.path}?location={chosen.slug}")
        status = 400
    entries = selectors.location_waitlist(location=chosen) if chosen else []
    audit_record_many(request=request, objects=entries)
    context = {
        "locations": locations,
        "location": chosen,
        "entries": entries,
        "slots": selectors.location_recent_slots(location=chosen) if chosen else [],
        "form": form,
        "weekday_names": _weekday_names(),
        "part_names": dict(PartOfDay.choices),
    }
    return render(request, "waitlist/coordinator_list.html", context, status=status)


def _weekday_names() -> dict[int, str]:
    return {int(v): str(label)[:3] for v, label in Weekday.choices}
