from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import get_language_info, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record, audit_record_many
from clinic.errors import ApplicationError
from clinic.formatting import format_date
from clinic.models import Role, User
from clinic.permissions import role_required
from scheduling import views as scheduling_views
from scheduling.selectors import course_for_patient

from . import pricing
from .forms import GfeRequestForm, QuoteForm
from .models import GfePaperRequest
from .payments.cards import card_for
from .payments.documents import courses_billed_over_gfe
from .payments.gateway import is_configured as payments_configured
from .payments.policy import policy_in_effect as payment_policy_in_effect
from .selectors import (
    estimate_being_prepared,
    estimate_document_html,
    estimate_reading_copy_html,
    estimates_for_patient,
    estimates_visible_to,
    gfe_obligations_closed_for_course,
    gfe_obligations_open,
    gfe_obligations_recently_closed,
    gfe_obligations_recently_met,
    gfe_paper_requests_open,
    location_today,
    price_list_for,
)
from .services import (
    estimate_acknowledge,
    estimate_issue_for_course,
    estimate_quote,
    gfe_paper_mark_printed,
    gfe_record_request,
    gfe_request_paper,
)


@role_required(Role.PATIENT)
def my_estimate(request: HttpRequest) -> HttpResponse:
    estimates = estimates_for_patient(patient=request.user)
    current = estimates[0] if estimates else None
    form = GfeRequestForm(initial={"location": current.location if current else None})
    return render(
        request,
        "billing/my_estimate.html",
        {
            "current": current,
            "earlier": estimates[1:],
            "request_form": form,
            "being_prepared": estimate_being_prepared(patient=request.user),
        },
    )


@require_POST
@role_required(Role.PATIENT)
def request_gfe(request: HttpRequest) -> HttpResponse:
    form = GfeRequestForm(request.POST)
    if form.is_valid():
        obligation = gfe_record_request(
            patient=request.user, location=form.cleaned_data["location"]
        )
        messages.success(
            request,
            _("We will send your Good Faith Estimate by %(date)s.")
            % {"date": format_date(obligation.due_on, pgettext("date format", "l j F Y"))},
        )
    else:
        messages.error(request, _("Choose a location and try again."))
    return redirect("billing:my_estimate")


def _estimate_for(request: HttpRequest, pk: int, *, audit: bool = False):
    estimate = get_object_or_404(estimates_visible_to(request.user), pk=pk)
    if audit:
        audit_record(request=request, obj=estimate, action=AuditAction.VIEW)
    return estimate


def _gfe_context(request: HttpRequest, estimate) -> dict:
    """The document as issued, and when the patient reads another language (they switched to
    Spanish after an English estimate was issued), a reading copy in theirs around it. Staff
    see the document alone, as before."""
    language = translation.get_language() or "en"
    name = get_language_info(estimate.language or "en")["name_translated"]
    return {
        "estimate": estimate,
        "document": estimate_document_html(estimate),
        "reading_copy": estimate_reading_copy_html(estimate, language)
        if request.user == estimate.patient
        else None,
        # Spanish writes the names of languages in lower case ("inglés").
        "issued_in": name.lower() if language.startswith("es") else name,
    }


def _gfe_language(request: HttpRequest, estimate) -> str:
    """The patient's pages speak the patient's language; staff see the estimate's own."""
    if request.user == estimate.patient:
        return translation.get_language() or "en"
    return estimate.language


@role_required(Role.PATIENT, Role.COORDINATOR, Role.ADMIN)
def gfe_page(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk, audit=True)
    with translation.override(_gfe_language(request, estimate)):
        return render(request, "billing/gfe.html", _gfe_context(request, estimate))


@role_required(Role.PATIENT, Role.COORDINATOR, Role.ADMIN)
def gfe_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from weasyprint import HTML  # imported here: loading Pango is slow and only PDFs need it

    estimate = _estimate_for(request, pk, audit=True)
    with translation.override(_gfe_language(request, estimate)):
        html = render_to_string(
            "billing/gfe_pdf.html", _gfe_context(request, estimate), request=request
        )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"good-faith-estimate-{estimate.number}-v{estimate.version}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@role_required(Role.PATIENT)
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk)
    try:
        estimate_acknowledge(estimate=estimate, patient=request.user)
    except ApplicationError as exc:
        raise Http404 from exc
    messages.success(request, _("Thank you: we have recorded that you received your estimate."))
    return redirect("billing:my_estimate")


@require_POST
@role_required(Role.PATIENT)
def request_paper(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk)
    try:
        gfe_request_paper(estimate=estimate, patient=request.user)
    except ApplicationError as exc:
        raise Http404 from exc
    messages.success(request, _("We will post a paper copy of your estimate to you."))
    return redirect("billing:my_estimate")


@require_POST
@role_required(Role.COORDINATOR, Role.ADMIN)
def paper_printed(request: HttpRequest, pk: int) -> HttpResponse:
    paper = get_object_or_404(GfePaperRequest.objects.select_related("estimate"), pk=pk)
    gfe_paper_mark_printed(request=paper, by=request.user)
    audit_record(request=request, obj=paper.estimate, action=AuditAction.CHANGE)
    messages.success(request, _("Marked as printed."))
    return redirect("billing:coordinator_list")


@role_required(Role.COORDINATOR, Role.ADMIN)
def coordinator_list(request: HttpRequest) -> HttpResponse:
    open_rows, met_rows = gfe_obligations_open(), gfe_obligations_recently_met()
    closed_rows = gfe_obligations_recently_closed()
    audit_record_many(
        request=request, objects=[r.obligation for r in [*open_rows, *met_rows, *closed_rows]]
    )
    return render(
        request,
        "billing/coordinator_list.html",
        {
            "paper_requests": gfe_paper_requests_open(),
            "open_rows": open_rows,
            "met_rows": met_rows,
            "closed_rows": closed_rows,
            "quote_form": QuoteForm(),
            "over_gfe": courses_billed_over_gfe(),
        },
    )


@role_required(Role.COORDINATOR)
def estimate_card(request: HttpRequest) -> HttpResponse:
    """The live estimate while on the phone: ?location=<id>&infusions=<1-6>. An HTMX request gets
    the card alone (for the intake call screen); a plain one gets a page with the form."""
    form = QuoteForm(request.GET or None)
    quote, error, location = None, None, None
    if form.is_valid():
        location = form.cleaned_data["location"]
        try:
            quote = estimate_quote(location=location, infusion_count=form.cleaned_data["infusions"])
        except ApplicationError as exc:
            error = exc.message
    context = {"form": form, "quote": quote, "error": error, "location": location}
    if request.htmx:
        return render(request, "billing/partials/_estimate_card.html", context)
    return render(request, "billing/quote.html", context)


@require_POST
@role_required(Role.COORDINATOR)
def issue_for_patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Issues the GFE now from the patient's course as it stands (infusions, booked dates)."""
    patient = get_object_or_404(User, pk=patient_id, role=Role.PATIENT)
    course = course_for_patient(patient=patient)
    if course is None:
        messages.error(request, _("This patient has no course to estimate."))
        return redirect("billing:coordinator_list")
    try:
        estimate = estimate_issue_for_course(
            course=course,
            issued_by=request.user,
            reason="Issued by a coordinator",
            raise_errors=True,
        )
    except ApplicationError as exc:
        # The real cause (a missing diagnosis code is not a fee schedule problem).
        messages.error(request, _("No estimate could be issued: %(why)s") % {"why": exc.message})
        return redirect("billing:coordinator_list")
    messages.success(request, _("Estimate %(number)s issued.") % {"number": estimate})
    return redirect("billing:gfe", pk=estimate.pk)


def gfe_rights(request: HttpRequest) -> HttpResponse:
    """The public notice of the right to a Good Faith Estimate (45 CFR 149.610(b)(1)(iii)):
    for anyone, signed in or not."""
    return render(request, "billing/gfe_rights.html")


@role_required(Role.COORDINATOR, Role.ADMIN)
def coordinator_course(request: HttpRequest, pk: int) -> HttpResponse:
    """Scheduling's course page for coordinators, whose history also lists the course's Good
    Faith Estimates closed as no longer required: billing sits above scheduling, so it serves
    the page (under its old name, scheduling:coordinator_course; wiring/urls.py)."""
    return scheduling_views.coordinator_course(
        request, pk, gfe_closed=lambda: gfe_obligations_closed_for_course(course_id=pk)
    )


def _late_cancellation_fee(location, patient=None) -> dict:
    """The fee the location charges for a late cancellation, for the patient to see before
    committing: the payment policy's when card payments are on (with whether the patient's card
    is saved), else the fee schedule's (nothing when the location has neither)."""
    policy = payment_policy_in_effect(location=location, on_date=location_today(location))
    if policy is not None and payments_configured():
        card = card_for(patient) if patient is not None else None
        return {
            "late_fee": Decimal(policy.late_cancellation_fee_cents) / 100,
            "card_needed": not (card and card.is_saved),
        }
    try:
        prices = price_list_for(location=location, on_date=location_today(location))
    except ApplicationError:
        return {}
    item = prices.single(pricing.LATE_CANCELLATION)
    return {"late_fee": pricing.cents(item.unit_price)} if item else {}


@role_required(Role.PATIENT)
def patient_hold_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Scheduling's hold page, with the late-cancellation fee billing knows (wiring/urls.py)."""
    return scheduling_views.patient_hold_confirm(
        request, pk, policy=lambda location: _late_cancellation_fee(location, request.user)
    )


@role_required(Role.PATIENT)
def patient_booked(request: HttpRequest) -> HttpResponse:
    """Scheduling's confirmation page, with the late-cancellation fee (wiring/urls.py)."""
    return scheduling_views.patient_booked(
        request, policy=lambda location: _late_cancellation_fee(location, request.user)
    )
