from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clinic.audit.services import audit_record_many
from clinic.errors import ApplicationError
from clinic.models import Role
from clinic.permissions import role_required

from .forms import OutboxFilterForm, ReminderPreferencesForm
from .selectors import outbox_list, reminder_preferences, reminders_for_patient
from .services import recipient_zone, reminder_preferences_update


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
    audit_record_many(request=request, objects=page.object_list, patient_of=_patient_of)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
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
