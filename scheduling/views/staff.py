"""Clinic staff: the day view, checking patients in and out, the clinician's course review."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record, audit_record_many
from clinic.errors import ApplicationError
from clinic.models import Role
from clinic.permissions import role_required

from .. import selectors, services
from ..forms import (
    ReviewForm,
    StaffDayForm,
)
from ..models import (
    Course,
    InfusionSession,
    Location,
)
from .common import STAFF, _today


def day_view_context(request):
    """The day-view form and the chosen day's sessions (audited), for the staff day page and
    the clinician's Today page (intake.views.clinician_home)."""
    locations = list(Location.objects.order_by("name"))
    data = request.GET if "date" in request.GET else None
    if data is None and locations:
        data = {"location": locations[0].pk, "date": _today(locations[0])}
    form = StaffDayForm(data, locations=locations)
    view = None
    if form.is_valid():
        view = selectors.day_view(
            location=form.cleaned_data["location"], day=form.cleaned_data["date"]
        )
        audit_record_many(request=request, objects=view.sessions)
    return {"day_form": form, "day": view, "can_mark": request.user.role == Role.CLINICIAN}


@role_required(Role.CLINICIAN)
@require_POST
def clinician_review(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_object_or_404(Course, pk=pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.course_review(
                course=course,
                clinician=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            audit_record(request=request, obj=course, action=AuditAction.CHANGE)
            messages.success(request, _("Decision saved with your note."))
    return redirect("scheduling:clinician_home")


@role_required(*STAFF)
def staff_day(request: HttpRequest) -> HttpResponse:
    context = day_view_context(request)
    if request.htmx:
        return render(request, "scheduling/partials/_day.html", context)
    return render(request, "scheduling/staff_day.html", context)


@role_required(Role.CLINICIAN)
@require_POST
def staff_session_status(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(InfusionSession, pk=pk)
    action = {
        "check_in": services.session_check_in,
        "complete": services.session_complete,
        "no_show": services.session_mark_no_show,
    }.get(request.POST.get("action"))
    if action is None:
        raise Http404
    try:
        action(session=session, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        audit_record(request=request, obj=session, action=AuditAction.CHANGE)
    back = request.POST.get("next", "")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("scheduling:clinician_home")
    return redirect(back)
