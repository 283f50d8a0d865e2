"""The patient's payments page (the policy, the card on file, what was charged) and the
documents: a receipt per payment and a superbill per course. Staff reach them from the chart."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record
from clinic.errors import ApplicationError
from clinic.models import STAFF_ROLES, Role
from clinic.permissions import role_required
from scheduling.selectors import course_for_patient

from ..selectors import location_today
from . import gateway
from .cards import card_for, card_setup_finish, card_setup_start
from .documents import course_reconciliation
from .forms import CardSavedForm, PolicyAcceptForm
from .models import Payment
from .policy import payment_policy_accept, policy_accepted, policy_in_effect, policy_terms
from .selectors import ledger_for_patient


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _policy_for(patient):
    course = course_for_patient(patient=patient)
    if course is None:
        return None
    return policy_in_effect(location=course.location, on_date=location_today(course.location))


def _reconciliation(patient):
    course = course_for_patient(patient=patient)
    return (course_reconciliation(course=course), course.pk) if course else (None, None)


@role_required(Role.PATIENT)
def my_payments(request: HttpRequest) -> HttpResponse:
    patient = request.user
    policy = _policy_for(patient) if gateway.is_configured() else None
    accepted = policy is not None and policy_accepted(patient=patient, policy=policy)
    card = card_for(patient)
    context = {
        "configured": gateway.is_configured(),
        "policy": policy,
        "terms": policy_terms(policy) if policy else [],
        "accepted": accepted,
        "accept_form": PolicyAcceptForm(),
        "card": card,
        "ledger": ledger_for_patient(patient=patient),
        "client_secret": "",
        "replacing": request.GET.get("replace") == "1",
        "stripe_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js": settings.STRIPE_JS_URL,
    }
    context["reconciliation"], context["reconciliation_course"] = _reconciliation(patient)
    wants_form = accepted and (card is None or not card.is_saved or context["replacing"])
    if wants_form:
        try:
            context["client_secret"] = card_setup_start(patient=patient, policy=policy)
        except (ApplicationError, gateway.Unavailable):
            context["stripe_down"] = True
    response = render(request, "billing/my_payments.html", context)
    if context["client_secret"]:
        # Stripe.js and its card field come from Stripe (or, in tests, localstripe).
        js = _origin(settings.STRIPE_JS_URL)
        api = _origin(settings.STRIPE_API_BASE) if settings.STRIPE_API_BASE else js
        response._csp_update = {
            "script-src": [js],
            "frame-src": [js],
            "connect-src": [api, js],
        }
    return response


@require_POST
@role_required(Role.PATIENT)
def accept_policy(request: HttpRequest) -> HttpResponse:
    policy = _policy_for(request.user)
    form = PolicyAcceptForm(request.POST)
    if policy is None or not gateway.is_configured():
        return redirect("billing:my_payments")  # the page says why there is nothing to accept
    if not form.is_valid():
        messages.error(request, form.errors["accept"][0])
        return redirect("billing:my_payments")
    payment_policy_accept(patient=request.user, policy=policy, by=request.user)
    messages.success(request, _("Thank you: you accepted the payment policy."))
    return redirect("billing:my_payments")


@require_POST
@role_required(Role.PATIENT)
def card_saved(request: HttpRequest) -> HttpResponse:
    form = CardSavedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The card could not be saved. Please try again."))
        return redirect("billing:my_payments")
    try:
        card_setup_finish(patient=request.user, setup_intent_id=form.cleaned_data["setup_intent"])
    except (ApplicationError, gateway.Unavailable):
        messages.error(request, _("The card could not be saved. Please try again."))
        return redirect("billing:my_payments")
    messages.success(request, _("Your card is saved."))
    return redirect("billing:my_payments")


def payment_visible(request: HttpRequest, pk: int) -> Payment:
    """The payment, if the asking user may see it: its patient, or clinic staff (audited)."""
    payment = get_object_or_404(
        Payment.objects.select_related("patient", "course__location", "session", "refund_of"),
        pk=pk,
    )
    user = request.user
    if user.role == Role.PATIENT and payment.patient_id == user.pk:
        return payment
    if user.role in STAFF_ROLES and user.role != Role.CLINICIAN:
        audit_record(request=request, obj=payment, action=AuditAction.VIEW)
        return payment
    raise Http404


@role_required(Role.PATIENT, Role.COORDINATOR, Role.ADMIN)
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    payment = payment_visible(request, pk)
    if payment.is_write_off:
        raise Http404  # nothing was paid: no receipt
    return render(request, "billing/receipt.html", {"payment": payment})
