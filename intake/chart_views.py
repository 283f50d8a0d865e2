"""The patient chart and the people search (clinic staff). Patients and providers get 403."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record, audit_record_rows
from clinic.errors import ApplicationError
from clinic.models import STAFF_ROLES, Role
from clinic.permissions import role_required

from . import chart as charts
from . import search
from .models import Referral
from .services.invitations import invitation_resend


@role_required(*STAFF_ROLES)
def patient_chart(request: HttpRequest, pk: int) -> HttpResponse:
    chart = charts.chart_for_patient(pk=pk, now=timezone.now())
    referral = chart.referral
    audit_record(
        request=request,
        obj=chart.audited(),
        action=AuditAction.VIEW,
        patient_id=chart.patient_id,
        referral_id=referral.pk if referral else None,
    )
    return render(request, "intake/chart.html", {"chart": chart, "is_admin": _is_admin(request)})


@role_required(*STAFF_ROLES)
def referral_chart(request: HttpRequest, reference: str) -> HttpResponse:
    patient_id = charts.referral_patient_id(reference=reference)
    if patient_id is not None:
        # Intake made the patient an account: their chart holds this referral and the rest.
        return redirect("intake:patient_chart", patient_id)
    chart = charts.chart_for_referral(reference=reference)
    referral = chart.referral
    # The referral as the audit trail records it (its id; it has no patient yet).
    audit_record(request=request, obj=Referral(pk=referral.pk), action=AuditAction.VIEW)
    return render(request, "intake/chart.html", {"chart": chart, "is_admin": _is_admin(request)})


def _is_admin(request: HttpRequest) -> bool:
    return request.user.role == Role.ADMIN


@role_required(*STAFF_ROLES)
def people_search(request: HttpRequest) -> HttpResponse:
    """Find a patient or a referral. One view serves the page and, for HTMX, the results
    fragment it refreshes as the coordinator types; without JavaScript the form submits."""
    raw = request.GET.get("q", "")
    query, referrals = search.search_referrals(raw)
    found = search.people(referrals)
    # Every person listed is a record seen: one VIEW each, in one INSERT.
    audit_record_rows(
        request=request,
        model=Referral,
        rows=((p.referral.pk, p.referral.patient_id, p.referral.pk) for p in found),
    )
    context = {"q": search.clean_query(raw), "query": query, "people": found}
    template = "intake/partials/_people.html" if request.htmx else "intake/people.html"
    return render(request, template, context)


def after_intake(request: HttpRequest, *, referral_pk: int) -> HttpResponse:
    """After *Intake complete*: say what happened, then show the patient's chart."""
    outcome = charts.intake_outcome(referral_pk=referral_pk)
    if outcome is None:
        return redirect("intake:queue")
    name = outcome.patient.get_full_name()
    sent = "; ".join(f"{label} {address}" for label, address in outcome.invitation_channels)
    messages.success(
        request,
        _("Account created for %(name)s; invitation link sent (%(sent)s).")
        % {"name": name, "sent": sent or _("nothing could be sent")},
    )
    if outcome.course is not None:
        if outcome.awaits_review:
            text = _(
                "Course of %(n)s infusions at %(location)s created: it waits for a clinician's "
                "review before the patient can book."
            )
        else:
            text = _("Course of %(n)s infusions at %(location)s created: ready to book.")
        messages.info(
            request,
            text % {"n": outcome.course.planned_sessions, "location": outcome.course.location.name},
        )
    return redirect("intake:patient_chart", outcome.patient.pk)


@require_POST
@role_required(Role.COORDINATOR, Role.ADMIN)
def invitation_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    patient = charts.patient_or_404(pk=pk)
    try:
        invitation_resend(patient=patient, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        audit_record(
            request=request,
            obj=patient,
            action=AuditAction.CHANGE,
            patient_id=patient.pk,
        )
        messages.success(
            request, _("A new invitation link is on its way; the old one no longer works.")
        )
    return redirect("intake:patient_chart", pk)
