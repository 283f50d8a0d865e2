"""The patient chart and the people search (clinic staff). Patients and providers get 403."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record, audit_record_many
from clinic.models import STAFF_ROLES, Role
from clinic.permissions import role_required

from . import chart as charts
from . import search


@role_required(*STAFF_ROLES)
def patient_chart(request: HttpRequest, pk: int) -> HttpResponse:
    chart = charts.chart_for_patient(pk=pk)
    referral = chart.referral
    audit_record(
        request=request,
        obj=chart.patient,
        action=AuditAction.VIEW,
        patient_id=chart.patient.pk,
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
    audit_record(request=request, obj=chart.referral, action=AuditAction.VIEW)
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
    audit_record_many(request=request, objects=[p.referral for p in found])
    context = {"q": search.clean_query(raw), "query": query, "people": found}
    template = "intake/partials/_people.html" if request.htmx else "intake/people.html"
    return render(request, template, context)
