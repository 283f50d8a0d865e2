"""The patient's pages: their course, booking (one time or the whole plan), holds, cancelling,
moving, calendar files, and the signed links from e-mails and texts."""

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from clinic.errors import ApplicationError
from clinic.models import Role
from clinic.params import pk_or_404, pk_or_none
from clinic.permissions import role_required

from .. import selectors, services
from ..availability import (
    local_to_utc,
    propose_series,
    rules_for,
)
from ..calendar import patient_zone, session_ics, when_both
from ..forms import (
    MAX_YEAR,
    MIN_YEAR,
    StartForm,
)
from ..models import (
    Course,
    Location,
    SessionStatus,
)
from .common import _iso, _taken
from .picker import booking_choice


def _patient_course(request) -> Course:
    course = selectors.course_for_patient(patient=request.user)
    if course is None:
        raise Http404
    return course


@role_required(Role.PATIENT)
def patient_home(request: HttpRequest) -> HttpResponse:
    course = selectors.course_for_patient(patient=request.user)
    summary = selectors.course_summary(course=course, now=timezone.now()) if course else None
    return render(
        request,
        "scheduling/patient_home.html",
        {"summary": summary, "own_tz": patient_zone(request.user), "now": timezone.now()},
    )


@role_required(Role.PATIENT)
def patient_book(request: HttpRequest) -> HttpResponse:
    """Choose a time: the day strip, the earliest free time, a day's times as chips (the day is
    swapped in as an HTMX fragment; without JavaScript the same links load the page)."""
    course = _patient_course(request)
    replaces = None
    if request.GET.get("session"):
        replaces = selectors.session_for_patient(
            patient=request.user, pk=pk_or_404(request.GET["session"])
        )
    summary = selectors.course_summary(course=course, now=timezone.now())
    context = {
        "course": course,
        "post_url": reverse("scheduling:patient_hold"),
        "extra": {"replaces": replaces.pk} if replaces else {},
        "replaces": replaces,
        # The whole course in one step when more than one session is still to book.
        "plan": replaces is None and summary.remaining > 1,
        "remaining": summary.remaining,
        **booking_choice(
            request,
            course,
            moving=replaces,
            keep={"session": replaces.pk} if replaces else None,
        ),
    }
    if request.htmx:
        return render(request, "scheduling/partials/_booking.html", context)
    return render(request, "scheduling/book.html", context)


@role_required(Role.PATIENT)
@require_POST
def patient_hold(request: HttpRequest) -> HttpResponse:
    course = _patient_course(request)
    form = StartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a time from the list."))
        return redirect("scheduling:patient_book")
    replaces = None
    if request.POST.get("replaces"):
        replaces = selectors.session_for_patient(
            patient=request.user, pk=pk_or_404(request.POST["replaces"])
        )
    starts_at = form.cleaned_data["starts_at"]
    location = form.cleaned_data["location"] or course.location
    if request.POST.get("plan"):
        # Encoded: the '+' of the offset would otherwise arrive as a space and fail to parse.
        query = urlencode({"starts_at": _iso(starts_at), "location": location.pk})
        return redirect(f"{reverse('scheduling:patient_plan')}?{query}")
    try:
        hold = services.slot_hold(
            course=course, starts_at=starts_at, location=location, replaces=replaces
        )
    except services.SlotTaken:
        extra = {"replaces": replaces.pk} if replaces else {}
        return _taken(request, course, starts_at, location, post_url=request.path, extra=extra)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("scheduling:patient_book")
    return redirect("scheduling:patient_hold_confirm", pk=hold.pk)


def _visit(location: Location, policy) -> dict:
    """What the hold and confirmation pages tell before and after the patient commits: the
    change notice, the late-cancellation fee (billing knows it, and passes `policy`), the
    address with a map link and the clinic's number to tap."""
    address = f"{location.address_line}, {location.city}, {location.state} {location.zip_code}"
    phone = location.phone.as_international if location.phone else settings.CLINIC_PHONE
    return {
        "address": address,
        "map_url": "https://www.google.com/maps/search/?"
        + urlencode({"api": 1, "query": f"{location.name}, {address}"}),
        "phone": phone,
        "tel": "tel:" + "".join(c for c in phone if c.isdigit() or c == "+"),
        "rules": rules_for(location),
        **(policy(location) if policy else {}),
    }


@role_required(Role.PATIENT)
def patient_hold_confirm(request: HttpRequest, pk: int, *, policy=None) -> HttpResponse:
    """policy(location) -> {"late_fee": Decimal}: given by billing, which serves this page."""
    hold = selectors.hold_for_patient(patient=request.user, pk=pk)
    if hold is None:
        raise Http404
    course = hold.course
    if request.method == "POST":
        try:
            if hold.replaces is not None:
                booked = [
                    services.session_reschedule(
                        session=hold.replaces, new_starts_at=hold.starts_at, by=request.user
                    )
                ]
            else:
                booked = [
                    services.session_book(
                        course=course,
                        starts_at=hold.starts_at,
                        location=hold.location,
                        by=request.user,
                    )
                ]
        except services.SlotTaken:
            return _taken(
                request,
                course,
                hold.starts_at,
                hold.location,
                post_url=reverse("scheduling:patient_hold"),
                extra={"replaces": hold.replaces_id} if hold.replaces_id else {},
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("scheduling:patient_home")
        if hold.replaces is not None:
            messages.success(
                request, _("Your session is moved. Its reminders now follow the new time.")
            )
        return redirect(
            reverse("scheduling:patient_booked") + "?s=" + ",".join(str(s.pk) for s in booked)
        )
    late = hold.replaces is not None and services.is_late_change(hold.replaces)
    return render(
        request,
        "scheduling/hold_confirm.html",
        {
            "hold": hold,
            "course": course,
            "own_tz": patient_zone(request.user),
            "late": late,
            "expired": hold.expires_at <= timezone.now(),
            **_visit(hold.location, policy),
        },
    )


def _gap(before: dt.datetime, after: dt.datetime) -> str:
    """'2 days 4 hours after the one before': the spacing the rules ask for, made visible."""
    if after <= before:  # times the patient typed out of order: the service will say so
        return ""
    hours = round((after - before).total_seconds() / 3600)
    days, hours = divmod(hours, 24)
    parts = []
    if days:
        parts.append(ngettext("%(n)s day", "%(n)s days", days) % {"n": days})
    if hours or not days:
        parts.append(ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours})
    return _("%(gap)s after the one before") % {"gap": " ".join(parts)}


def _parse_local(value: str, location: Location) -> dt.datetime | None:
    try:
        # A wall-clock time at the location, from <input type=datetime-local>; given its zone
        # just below.
        naive = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M")  # noqa: DTZ007
    except (TypeError, ValueError):
        return None
    if not MIN_YEAR <= naive.year <= MAX_YEAR:
        return None
    return local_to_utc(naive.date(), naive.time(), location.time_zone)


@role_required(Role.PATIENT)
def patient_plan(request: HttpRequest) -> HttpResponse:
    """'Plan my course': a proposed series from the first time, each adjustable, booked in one
    step (all or nothing)."""
    course = _patient_course(request)
    source = request.POST if request.method == "POST" else request.GET
    location_pk = pk_or_404(source.get("location") or course.location_id)
    if location_pk == course.location_id:
        location = course.location  # read with the course
    else:
        location = get_object_or_404(Location, pk=location_pk)
    tz = location.time_zone
    error = None
    if request.method == "POST":
        starts = [_parse_local(v, location) for v in request.POST.getlist("starts") if v]
        if not starts or any(s is None for s in starts):
            error = _("Each time needs a date and a time the clinic's clock can show.")
        else:
            try:
                booked = services.course_book_sessions(
                    course=course, starts=starts, location=location, by=request.user
                )
            except services.SlotTaken as exc:
                return _taken(
                    request,
                    course,
                    exc.starts_at,
                    location,
                    post_url=reverse("scheduling:patient_hold"),
                )
            except ApplicationError as exc:
                error = exc.message
            else:
                return redirect(
                    reverse("scheduling:patient_booked")
                    + "?s="
                    + ",".join(str(s.pk) for s in booked)
                )
        proposal = [s for s in starts if s is not None]
    # Only the page needs it (the GET, or the POST shown again): a booked plan has gone on to
    # its confirmation without it.
    summary = selectors.course_summary(course=course, now=timezone.now())
    if request.method != "POST":
        form = StartForm(request.GET)
        if not form.is_valid():
            return redirect("scheduling:patient_book")
        proposal = propose_series(
            course=course,
            location=location,
            first_start=form.cleaned_data["starts_at"],
            count=max(summary.remaining, 1),
        )
    # Numbered as the patient's own sessions: the 3rd and 4th of 4 after two already booked.
    already = course.planned_sessions - summary.remaining
    rows = [
        {
            "value": s.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
            "label": when_both(s, tz, None),
            "number": already + i,
            "gap": _gap(proposal[i - 2], s) if i > 1 else "",
        }
        for i, s in enumerate(proposal, start=1)
    ]
    return render(
        request,
        "scheduling/plan.html",
        {
            "course": course,
            "location": location,
            "rows": rows,
            "error": error,
            "short": len(rows) < summary.remaining,
            "total": course.planned_sessions,
            "rules": rules_for(location),
        },
    )


@role_required(Role.PATIENT)
def patient_booked(request: HttpRequest, *, policy=None) -> HttpResponse:
    ids = [pk for x in request.GET.get("s", "").split(",") if (pk := pk_or_none(x))]
    sessions = selectors.sessions_for_patient(patient=request.user, pks=ids)
    context = {"sessions": sessions, "own_tz": patient_zone(request.user)}
    if sessions:
        context.update(_visit(sessions[0].location, policy))
    return render(request, "scheduling/booked.html", context)


@role_required(Role.PATIENT)
def patient_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_for_patient(patient=request.user, pk=pk)
    if request.method == "POST":
        try:
            services.session_cancel(session=session, by=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your session is cancelled."))
        return redirect("scheduling:patient_home")
    return render(
        request,
        "scheduling/cancel_confirm.html",
        {
            "session": session,
            "own_tz": patient_zone(request.user),
            "late": services.is_late_change(session),
            "rules": rules_for(session.location),
            "action": request.path,
        },
    )


@role_required(Role.PATIENT)
def patient_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_for_patient(patient=request.user, pk=pk)
    if session.status != SessionStatus.BOOKED:
        raise Http404
    return redirect(reverse("scheduling:patient_book") + f"?session={session.pk}")


@role_required(Role.PATIENT)
def patient_ics(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_for_patient(patient=request.user, pk=pk)
    response = HttpResponse(session_ics(session), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="appointment-{session.pk}.ics"'
    return response


def action_link(request: HttpRequest, token: str) -> HttpResponse:
    """From an e-mail or text. GET only shows what the button will do (mail scanners open
    links); POST acts, once."""
    try:
        link = services.action_link_resolve(token)
    except ApplicationError as exc:
        return render(request, "scheduling/link_gone.html", {"message": exc.message}, status=410)
    session = link.session
    own_tz = patient_zone(session.patient)
    if request.method == "POST":
        try:
            if link.kind == "cancel":
                services.action_link_cancel(token=token)
                return render(request, "scheduling/link_done.html", {"cancelled": True})
            form = StartForm(request.POST)
            if not form.is_valid():
                raise ApplicationError(_("Choose a time from the list."))
            new = services.action_link_reschedule(
                token=token, new_starts_at=form.cleaned_data["starts_at"]
            )
            return render(
                request,
                "scheduling/link_done.html",
                {"session": new, "when": when_both(new.starts_at, new.location.time_zone, own_tz)},
            )
        except services.SlotTaken as exc:
            return _taken(
                request, session.course, exc.starts_at, session.location, post_url=request.path
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(request.path)
    context = {
        "link": link,
        "session": session,
        "own_tz": own_tz,
        "late": services.is_late_change(session),
        "rules": rules_for(session.location),
        "action": request.path,
    }
    if link.kind == "cancel":
        return render(request, "scheduling/cancel_confirm.html", context)
    context.update(
        booking_choice(request, session.course, moving=session),
        own_tz=own_tz,
        post_url=request.path,
        extra={},
        plan=False,
    )
    if request.htmx:
        return render(request, "scheduling/partials/_booking.html", context)
    return render(request, "scheduling/link_reschedule.html", context)
