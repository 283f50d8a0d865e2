"""Coordinators: find a course, book, move and cancel on the patient's behalf, change its plan."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record, audit_record_many
from clinic.errors import ApplicationError
from clinic.models import Role
from clinic.params import pk_or_404
from clinic.permissions import role_required

from .. import selectors, services
from ..calendar import patient_zone
from ..forms import (
    CourseCancelForm,
    CourseSearchForm,
    PlannedCountForm,
    StartForm,
)
from ..models import (
    OPEN_COURSE_STATUSES,
    CourseStatus,
    InfusionSession,
    SessionStatus,
)
from .common import _taken
from .picker import booking_choice


@role_required(Role.COORDINATOR, Role.ADMIN)
def coordinator_courses(request: HttpRequest) -> HttpResponse:
    form = CourseSearchForm(request.GET)
    courses = selectors.course_search(query=form.data.get("q", "")) if form.is_valid() else []
    audit_record_many(request=request, objects=courses)
    return render(
        request, "scheduling/coordinator_courses.html", {"form": form, "courses": courses}
    )


@role_required(Role.COORDINATOR, Role.ADMIN)
def coordinator_course(
    request: HttpRequest, pk: int, *, gfe_closed: Callable[[], list] = list
) -> HttpResponse:
    """A patient's course for a coordinator: book, move and cancel on their behalf. Its history
    lists the course's Good Faith Estimates closed as no longer required, which billing reads:
    billing serves this page (billing.views.coordinator_course) and passes `gfe_closed`, called
    only for the full page."""
    course = selectors.course_for_staff(user=request.user, pk=pk)
    replaces = None
    if request.GET.get("session"):
        replaces = get_object_or_404(
            InfusionSession, pk=pk_or_404(request.GET["session"]), course=course
        )
    if request.method == "POST":
        form = StartForm(request.POST)
        if form.is_valid():
            starts_at = form.cleaned_data["starts_at"]
            try:
                if request.POST.get("replaces"):
                    old = get_object_or_404(
                        InfusionSession, pk=pk_or_404(request.POST["replaces"]), course=course
                    )
                    services.session_reschedule(
                        session=old, new_starts_at=starts_at, by=request.user
                    )
                else:
                    services.session_book(
                        course=course,
                        starts_at=starts_at,
                        location=form.cleaned_data["location"],
                        by=request.user,
                    )
            except services.SlotTaken:
                return _taken(
                    request,
                    course,
                    starts_at,
                    form.cleaned_data["location"],
                    post_url=request.path,
                    extra={"replaces": request.POST["replaces"]}
                    if request.POST.get("replaces")
                    else {},
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                audit_record(request=request, obj=course, action=AuditAction.CHANGE)
                messages.success(request, _("Booked."))
        return redirect(request.path)
    context = {
        "course": course,
        "plan_form": PlannedCountForm(initial={"count": course.planned_sessions}),
        "can_change_plan": course.status in OPEN_COURSE_STATUSES,
        "can_cancel": course.can_become(CourseStatus.CANCELLED),
        "summary": selectors.course_summary(course=course, now=timezone.now()),
        "own_tz": patient_zone(course.patient),
        **booking_choice(
            request,
            course,
            moving=replaces,
            keep={"session": replaces.pk} if replaces else None,
        ),
        "for_staff": True,
        "post_url": request.path,
        "extra": {"replaces": replaces.pk} if replaces else {},
        "replaces": replaces,
        "plan": False,
    }
    if request.htmx:
        return render(request, "scheduling/partials/_booking.html", context)
    context["gfe_closed"] = gfe_closed()
    audit_record(request=request, obj=course, action=AuditAction.VIEW)
    return render(request, "scheduling/coordinator_course.html", context)


@role_required(Role.COORDINATOR, Role.ADMIN)
@require_POST
def coordinator_course_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """A different number of infusions for the course, with a note for its history."""
    course = selectors.course_for_staff(user=request.user, pk=pk)
    form = PlannedCountForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Not changed: %(why)s") % {"why": _first_error(form)})
    else:
        try:
            services.course_change_planned_count(
                course=course,
                count=form.cleaned_data["count"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            audit_record(request=request, obj=course, action=AuditAction.CHANGE)
            messages.success(request, _("Planned infusions changed."))
    return redirect("scheduling:coordinator_course", pk=course.pk)


@role_required(Role.COORDINATOR, Role.ADMIN)
def coordinator_course_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the whole course (every session still to come). It cannot be undone, so it asks
    first: the page names the patient, the course and each session that will be cancelled, and
    needs a reason, which the course history keeps."""
    course = selectors.course_for_staff(user=request.user, pk=pk)
    if not course.can_become(CourseStatus.CANCELLED):
        messages.error(
            request,
            _("This course is %(status)s: nothing to cancel.")
            % {"status": course.get_status_display()},
        )
        return redirect("scheduling:coordinator_course", pk=course.pk)
    form = CourseCancelForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.course_cancel(
                    course=course, by=request.user, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                audit_record(request=request, obj=course, action=AuditAction.CHANGE)
                messages.success(request, _("The course is cancelled."))
                return redirect("scheduling:coordinator_course", pk=course.pk)
        status = 400
    else:
        audit_record(request=request, obj=course, action=AuditAction.VIEW)
    summary = selectors.course_summary(course=course, now=timezone.now())
    return render(
        request,
        "scheduling/course_cancel_confirm.html",
        {
            "course": course,
            "form": form,
            "to_cancel": [(n, s) for n, s in summary.numbered if s.status == SessionStatus.BOOKED],
            "own_tz": patient_zone(course.patient),
        },
        status=status,
    )


def _first_error(form) -> str:
    field, errors = next(iter(form.errors.items()))
    label = form.fields[field].label if field in form.fields else ""
    return f"{label}: {errors[0]}" if label else errors[0]


@role_required(Role.COORDINATOR, Role.ADMIN)
@require_POST
def coordinator_session_change(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(InfusionSession, pk=pk)
    if request.POST.get("action") == "cancel":
        # Cancelling cannot be undone: it asks first, with a reason (confirm_views).
        return redirect("scheduling:session_confirm", pk=session.pk, kind="cancel")
    return redirect("scheduling:coordinator_course", pk=session.course_id)
