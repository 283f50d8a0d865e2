"""Clinic staff: the day view, checking patients in and out, the clinician's course review."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record, audit_record_rows
from clinic.errors import ApplicationError
from clinic.models import Role
from clinic.permissions import role_required

from .. import services
from ..day_page import Marking, day_read, rows_html
from ..forms import (
    ReviewForm,
    StaffDayForm,
)
from ..models import (
    Course,
    InfusionSession,
)
from .common import STAFF


def day_view_context(request):
    """The day-view form and the chosen day (audited), for the staff day page and the
    clinician's Today page (intake.views.clinician_home). Without a day asked for, a clinician
    starts on the location of their shift (today's, else the nearest one), anyone else (or a
    clinician without shifts) on the first location, today in its zone. The locations and the
    day are read in one statement (day_page), the form checked against those locations."""
    data = request.GET if "date" in request.GET else None
    location_id, day = StaffDayForm.requested(data) if data is not None else (None, None)
    read = day_read(
        user=request.user,
        location_id=location_id,
        day=day,
        by_default=data is None,
        now=timezone.now(),
    )
    if data is None and read.page is not None:
        data = {"location": read.page.location.pk, "date": read.page.day}
    form = StaffDayForm(data, locations=read.locations)
    page = read.page if form.is_valid() else None
    rows = []
    if page is not None:
        audit_record_rows(request=request, model=InfusionSession, rows=page.audited)
        # A clinician's cells hold a form that changes the session's status and comes back here.
        marking = None
        if request.user.role == Role.CLINICIAN:
            marking = Marking(csrf_input=csrf_input(request), here=request.get_full_path())
        rows = rows_html(page, marking=marking)
    return {"day_form": form, "day": page, "day_rows": rows}


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
            name = course.patient.get_full_name() or str(course.patient)
            if form.cleaned_data["decision"] == "approve":
                text = _("Approved: %(name)s's course is active and can be booked.")
            else:
                text = _("Declined: %(name)s's course will not go ahead. Your note is kept.")
            messages.success(request, text % {"name": name})
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
    }.get(request.POST.get("action"))  # a no-show asks first, with a reason (confirm_views)
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
