"""Pages for clinic staff and the patient over one course's money: the superbill PDF, and the
admin's refund of a payment (reached from the patient's chart)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record, audit_record_many
from clinic.errors import ApplicationError
from clinic.models import Role
from clinic.permissions import role_required
from scheduling.models import Course

from .charges import cents_of, payment_retry, payment_write_off
from .documents import superbill_context
from .forms import RefundForm, WriteOffForm
from .refunds import payment_refund
from .selectors import payments_failed
from .views import payment_visible


def _back_to_chart(payment) -> HttpResponse:
    return redirect("intake:patient_chart", payment.patient_id)


@require_POST
@role_required(Role.ADMIN)
def refund(request: HttpRequest, pk: int) -> HttpResponse:
    payment = payment_visible(request, pk)
    form = RefundForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return _back_to_chart(payment)
    try:
        _refund, created = payment_refund(
            payment=payment,
            amount_cents=cents_of(form.cleaned_data["amount"]),
            reason=form.cleaned_data["reason"],
            by=request.user,
            number=form.cleaned_data["number"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back_to_chart(payment)
    if not created:
        messages.info(request, _("This refund was already made; nothing more was refunded."))
        return _back_to_chart(payment)
    audit_record(request=request, obj=payment, action=AuditAction.CHANGE)
    messages.success(request, _("The refund is on its way to the card."))
    return _back_to_chart(payment)


def _back(request: HttpRequest, payment) -> HttpResponse:
    if request.POST.get("back") == "list":
        return redirect("billing:failed_charges")
    return _back_to_chart(payment)


@role_required(Role.ADMIN)
def failed_charges(request: HttpRequest) -> HttpResponse:
    """The admin's to-do: every failed charge, with retry and write-off. Each patient named is
    a view of that patient's data: audited."""
    failed = list(payments_failed())
    audit_record_many(request=request, objects=failed)
    return render(request, "billing/failed_charges.html", {"failed": failed})


@require_POST
@role_required(Role.ADMIN)
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    payment = payment_visible(request, pk)
    try:
        payment_retry(payment=payment, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(request, payment)
    audit_record(request=request, obj=payment, action=AuditAction.CHANGE)
    messages.success(request, _("The charge will be tried again in a moment."))
    return _back(request, payment)


@require_POST
@role_required(Role.ADMIN)
def write_off(request: HttpRequest, pk: int) -> HttpResponse:
    payment = payment_visible(request, pk)
    form = WriteOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return _back(request, payment)
    try:
        payment_write_off(payment=payment, reason=form.cleaned_data["reason"], by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(request, payment)
    audit_record(request=request, obj=payment, action=AuditAction.CHANGE)
    messages.success(request, _("The charge is written off."))
    return _back(request, payment)


@role_required(Role.PATIENT, Role.COORDINATOR, Role.ADMIN)
def superbill_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from weasyprint import HTML  # imported here: loading Pango is slow and only PDFs need it

    course = get_object_or_404(Course.objects.select_related("patient", "location"), pk=pk)
    if request.user.role == Role.PATIENT:
        if course.patient_id != request.user.pk:
            raise Http404
        language = request.user.preferred_language or "en"
    else:
        audit_record(request=request, obj=course, action=AuditAction.VIEW)
        language = course.patient.preferred_language or "en"
    with translation.override(language):
        html = render_to_string(
            "billing/superbill_pdf.html", superbill_context(course=course), request=request
        )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="superbill-course-{course.pk}.pdf"'
    return response
