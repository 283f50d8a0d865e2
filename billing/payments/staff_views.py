"""Pages for clinic staff and the patient over one course's money: the superbill PDF, and the
admin's refund of a payment (reached from the patient's chart)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record
from clinic.errors import ApplicationError
from clinic.models import Role
from clinic.permissions import role_required
from scheduling.models import Course

from .charges import cents_of
from .documents import superbill_context
from .forms import RefundForm
from .refunds import payment_refund
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
        payment_refund(
            payment=payment,
            amount_cents=cents_of(form.cleaned_data["amount"]),
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back_to_chart(payment)
    audit_record(request=request, obj=payment, action=AuditAction.CHANGE)
    messages.success(request, _("The refund is on its way to the card."))
    return _back_to_chart(payment)


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
