from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record, audit_record_many
from clinic.errors import ApplicationError
from clinic.models import Role
from clinic.permissions import role_required

from .forms import OutboxFilterForm, ReminderPreferencesForm, ReplyHandledForm, StaffRevocationForm
from .selectors import (
    contact_state,
    messages_show_text,
    outbox_list,
    outbox_unknown_count,
    patient_for_staff,
    reminder_preferences,
    reminders_for_patient,
    replies_needing_attention,
)
from .services import (
    consent_withdraw_by_staff,
    recipient_zone,
    reminder_preferences_update,
    reply_mark_handled,
)


def _patient_of(message) -> int | None:
    """Whose record an outbox row shows: a patient's (not a provider's notices)."""
    recipient = message.recipient
    return recipient.pk if recipient is not None and recipient.role == Role.PATIENT else None


@role_required(Role.COORDINATOR, Role.ADMIN)
def outbox(request: HttpRequest) -> HttpResponse:
    form = OutboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = outbox_list(
        user=request.user, status=filters.get("status", ""), channel=filters.get("channel", "")
    )
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    page.object_list = messages_show_text(list(page.object_list))
    audit_record_many(request=request, objects=page.object_list, patient_of=_patient_of)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "unknown_count": outbox_unknown_count(user=request.user),
    }
    template = "messaging/partials/_outbox_table.html" if request.htmx else "messaging/outbox.html"
    return render(request, template, context)


@role_required(Role.PATIENT)
def preferences(request: HttpRequest) -> HttpResponse:
    """The patient's reminders: what is planned for their sessions ahead, and how to reach them."""
    current = reminder_preferences(user=request.user)
    form = ReminderPreferencesForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            reminder_preferences_update(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            flash.success(request, _("Your reminder choices are saved."))
            return redirect("messaging:preferences")
    context = {
        "form": form,
        "current": current,
        "reminders": reminders_for_patient(user=request.user),
        "own_tz": recipient_zone(request.user),
    }
    return render(request, "messaging/preferences.html", context)


@role_required(Role.COORDINATOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def replies(request: HttpRequest) -> HttpResponse:
    """Replies needing attention: what patients wrote or pressed that a person must read
    (possible opt-outs, callback requests, free text). POST marks one handled."""
    if request.method == "POST":
        form = ReplyHandledForm(request.POST)
        if form.is_valid():
            try:
                reply = reply_mark_handled(reply_id=form.cleaned_data["reply"], user=request.user)
            except ApplicationError as exc:
                flash.error(request, exc.message)
            else:
                audit_record(
                    request=request, obj=reply, action=AuditAction.CHANGE, patient_id=reply.user_id
                )
                flash.success(request, _("Marked as handled."))
        else:
            flash.error(request, _("Choose a reply to mark as handled."))
        return redirect("messaging:replies")
    page = Paginator(replies_needing_attention(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    audit_record_many(
        request=request, objects=page.object_list, patient_of=lambda reply: reply.user_id
    )
    return render(request, "messaging/replies.html", {"page": page})


def _back_to(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""


@role_required(Role.COORDINATOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Record a revocation the patient made by phone or in person; shows what is allowed now
    and the consent history, with who recorded each change."""
    patient = patient_for_staff(user=request.user, patient_id=patient_id)
    form = StaffRevocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rows = consent_withdraw_by_staff(
                patient=patient,
                channels=form.cleaned_data["channels"],
                recorded_by=request.user,
                how=form.cleaned_data["how"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            audit_record(
                request=request, obj=rows[0], action=AuditAction.CHANGE, patient_id=patient.pk
            )
            flash.success(request, _("Recorded. Nothing more will be sent by those channels."))
            return redirect(request.get_full_path())
    state = contact_state(user=request.user, patient=patient)
    if request.method == "GET":
        audit_record(request=request, obj=patient, action=AuditAction.VIEW, patient_id=patient.pk)
    context = {"form": form, "state": state, "back": _back_to(request)}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "messaging/consent_withdraw.html", context, status=status)
