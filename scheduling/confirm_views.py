"""Actions on a session that cannot be undone ask first: a page names the session (patient,
day, time in the location's zone), says what will happen, and needs a reason, which the
session's history keeps. It works without JavaScript; the buttons that lead here are links.

- cancel: coordinators and admins, a booked session (the patient is told).
- no_show: clinicians, a booked or checked-in session.
- correct_no_show: clinicians, a no-show on its own day (the patient did come)."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record
from clinic.errors import ApplicationError
from clinic.forms import AccessibleFormMixin
from clinic.models import Role
from clinic.permissions import role_required
from clinic.validators import validate_no_control_characters_multiline

from . import services
from .models import InfusionSession, SessionStatus


class ReasonForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why (kept in the session's history)"),
        max_length=500,
        validators=[validate_no_control_characters_multiline],
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@dataclass(frozen=True)
class Action:
    roles: tuple[str, ...]
    from_statuses: tuple[str, ...]
    title: str
    consequence: str
    button: str
    done: str


ACTIONS = {
    "cancel": Action(
        roles=(Role.COORDINATOR, Role.ADMIN),
        from_statuses=(SessionStatus.BOOKED,),
        title=gettext_lazy("Cancel this session?"),
        consequence=gettext_lazy(
            "The chair is freed, the reminders stop and the patient is told. This cannot be "
            "undone: to come back, the patient books again."
        ),
        button=gettext_lazy("Cancel the session"),
        done=gettext_lazy("Session cancelled; the patient is told."),
    ),
    "no_show": Action(
        roles=(Role.CLINICIAN,),
        from_statuses=(SessionStatus.BOOKED, SessionStatus.CHECKED_IN),
        title=gettext_lazy("Mark this session a no-show?"),
        consequence=gettext_lazy(
            "The patient's place in the course is freed. A clinician can correct a mistaken "
            "no-show today only."
        ),
        button=gettext_lazy("Mark no-show"),
        done=gettext_lazy("Marked as a no-show."),
    ),
    "correct_no_show": Action(
        roles=(Role.CLINICIAN,),
        from_statuses=(SessionStatus.NO_SHOW,),
        title=gettext_lazy("Correct this no-show?"),
        consequence=gettext_lazy(
            "The patient did come: the session becomes checked in. Both changes stay in its "
            "history."
        ),
        button=gettext_lazy("Correct: the patient came"),
        done=gettext_lazy("No-show corrected: the session is checked in."),
    ),
}


def _run(kind: str, session: InfusionSession, request: HttpRequest, reason: str) -> None:
    if kind == "cancel":
        services.session_cancel(session=session, by=request.user, reason=reason)
    elif kind == "no_show":
        services.session_mark_no_show(session=session, by=request.user, reason=reason)
    else:
        services.session_correct_no_show(session=session, by=request.user, reason=reason)


def _back(kind: str, session: InfusionSession, request: HttpRequest) -> str:
    """Where the page came from (a path on this site only), else the page that offers it."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if back.startswith("/") and not back.startswith("//") and "\\" not in back:
        return back
    if kind == "cancel":
        return reverse("scheduling:coordinator_course", args=[session.course_id])
    return reverse("scheduling:clinician_home")


@role_required(Role.COORDINATOR, Role.ADMIN, Role.CLINICIAN)
def session_confirm(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    action = ACTIONS.get(kind)
    if action is None:
        raise Http404("No such action")
    if request.user.role not in action.roles:
        return HttpResponse(status=403)
    session = get_object_or_404(
        InfusionSession.objects.select_related("patient", "location", "chair", "course"), pk=pk
    )
    form = ReasonForm(request.POST if request.method == "POST" else None)
    status = 200
    if session.status not in action.from_statuses:
        messages.error(
            request,
            _("This session is %(status)s: nothing to do.") % {"status": session.status_label},
        )
        return redirect(_back(kind, session, request))
    today = timezone.now().astimezone(session.location.time_zone).date()
    if kind == "correct_no_show" and session.local_date != today:
        messages.error(request, _("A no-show can only be corrected on the day of the session."))
        return redirect(_back(kind, session, request))
    if request.method == "POST":
        if form.is_valid():
            try:
                _run(kind, session, request, form.cleaned_data["reason"])
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                audit_record(request=request, obj=session, action=AuditAction.CHANGE)
                messages.success(request, str(action.done))
                return redirect(_back(kind, session, request))
        status = 400
    else:
        audit_record(request=request, obj=session, action=AuditAction.VIEW)
    context = {
        "session": session,
        "action": action,
        "kind": kind,
        "form": form,
        "next": _back(kind, session, request),
    }
    return render(request, "scheduling/session_confirm.html", context, status=status)
