from django.contrib import messages
from django.contrib.auth import login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record, audit_record_many
from clinic.errors import ApplicationError
from clinic.models import STAFF_ROLES, Role
from clinic.permissions import role_required
from outcomes.selectors import outcome_summaries_for_review
from scheduling import selectors as scheduling_selectors
from scheduling.forms import ReviewForm
from scheduling.views import day_view_context

from . import chart_views, selectors, services
from .forms import (
    ApiTokenForm,
    CallLogForm,
    ProviderSignUpForm,
    ReferralFilterForm,
    ReferralForm,
    SetPasswordForm,
)
from .models import CallOutcome, ChecklistItem
from .outcome_reports import outcome_report_pdf, report_context, report_for_referral
from .referral_page import referral_page_for

STAFF = tuple(STAFF_ROLES)


def provider_signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = ProviderSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            provider = services.provider_sign_up(**form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(exc.field, exc.message)
        else:
            login(request, provider.user, backend="clinic.auth_backends.EmailOrPhoneBackend")
            messages.success(
                request,
                _(
                    "Welcome. You can refer patients now; the clinic will verify your account "
                    "shortly."
                ),
            )
            return redirect("intake:provider_home")
    return render(request, "intake/provider_signup.html", {"form": form})


@role_required(Role.PROVIDER)
def provider_home(request: HttpRequest) -> HttpResponse:
    provider = selectors.provider_for_user(request.user)
    filters = ReferralFilterForm(request.GET or None)
    status = q = ""
    if filters.is_valid():
        status, q = filters.cleaned_data["status"], filters.cleaned_data["q"]
    page = selectors.referral_page_for_provider(
        provider=provider, status=status, q=q, number=request.GET.get("page")
    )
    context = {"provider": provider, "filters": filters, "page": page}
    template = (
        "intake/partials/_referral_list.html" if request.htmx else "intake/provider_home.html"
    )
    return render(request, template, context)


@role_required(Role.PROVIDER)
def referral_create(request: HttpRequest) -> HttpResponse:
    provider = selectors.provider_for_user(request.user)
    form = ReferralForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            referral, _created = services.referral_submit(
                provider=provider,
                data=form.referral_data(),
                attachments=form.cleaned_data["attachments"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("intake:referral_submitted", reference=referral.reference)
    return render(request, "intake/referral_form.html", {"form": form, "provider": provider})


@role_required(Role.PROVIDER)
def referral_submitted(request: HttpRequest, reference: str) -> HttpResponse:
    referral = selectors.referral_detail_for(user=request.user, reference=reference)
    return render(request, "intake/referral_submitted.html", {"referral": referral})


@role_required(Role.PROVIDER, *STAFF)
def referral_detail(request: HttpRequest, reference: str) -> HttpResponse:
    referral, report = referral_page_for(user=request.user, reference=reference, now=timezone.now())
    audit_record(request=request, obj=referral.audited(), action=AuditAction.VIEW)
    return render(
        request, "intake/referral_detail.html", {"referral": referral, **report_context(report)}
    )


@role_required(Role.PROVIDER, *STAFF)
def referral_outcome_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """The one-page outcome report as a PDF (WeasyPrint, as the Good Faith Estimate)."""
    referral = selectors.referral_detail_for(user=request.user, reference=reference)
    now = timezone.now()
    report = report_for_referral(referral=referral, now=now)
    if report is None or not report.ready:
        raise Http404("No report yet")
    audit_record(request=request, obj=referral, action=AuditAction.VIEW)
    pdf = outcome_report_pdf(
        referral=referral,
        report=report,
        now=now,
        base_url=request.build_absolute_uri("/"),
        request=request,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="outcome-report-{referral.reference}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(Role.PROVIDER, *STAFF)
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = selectors.attachment_for(user=request.user, pk=pk)
    audit_record(
        request=request,
        obj=attachment,
        action=AuditAction.VIEW,
        patient_id=attachment.referral.patient_id,
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(Role.PROVIDER)
def provider_account(request: HttpRequest) -> HttpResponse:
    provider = selectors.provider_for_user(request.user)
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = services.api_token_create(
            provider=provider, name=form.cleaned_data["name"]
        )
        messages.success(request, _("New API key created. Copy it now: it is shown only once."))
        form = ApiTokenForm()
    return render(
        request,
        "intake/provider_account.html",
        {"provider": provider, "form": form, "new_key": new_key, "tokens": provider.tokens.all()},
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.PROVIDER)
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Revoking cuts off the EHR at once and cannot be undone: the button asks first.
    provider = selectors.provider_for_user(request.user)
    token = selectors.api_token_for(provider=provider, pk=pk)
    if request.method == "GET":
        return render(request, "intake/api_token_revoke_confirm.html", {"token": token})
    try:
        services.api_token_revoke(provider=provider, token_id=token.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The key is revoked. Requests using it are now refused."))
    return redirect("intake:provider_account")


@role_required(Role.COORDINATOR)
def queue(request: HttpRequest) -> HttpResponse:
    # One row more than shown tells whether more cases wait, without counting them all.
    rows = selectors.queue_rows(coordinator=request.user, limit=selectors.QUEUE_PAGE_ROWS + 1)
    more = len(rows) > selectors.QUEUE_PAGE_ROWS
    template = "intake/partials/_queue_rows.html" if request.htmx else "intake/queue.html"
    return render(request, template, {"rows": rows[: selectors.QUEUE_PAGE_ROWS], "more": more})


@require_POST
@role_required(Role.COORDINATOR)
def next_call(request: HttpRequest) -> HttpResponse:
    case = services.case_claim_next(coordinator=request.user)
    if case is None:
        messages.info(
            request,
            _(
                "Nobody can be called right now: every open case is waiting for its retry time, "
                "outside the patient's calling hours, or on another coordinator's call."
            ),
        )
        return redirect("intake:queue")
    _audit_case(request, case, AuditAction.CHANGE)
    return redirect("intake:call_screen", pk=case.pk)


def _call_screen_context(request, case, form=None) -> dict:
    referral = case.referral
    holds_claim = bool(
        case.claimed_by_id == request.user.pk
        and case.claim_expires_at
        and case.claim_expires_at > timezone.now()
    )
    return {
        "case": case,
        "referral": referral,
        "holds_claim": holds_claim,
        "checklist": [
            (value, label, value in case.checklist) for value, label in ChecklistItem.choices
        ],
        "checklist_remaining": len(set(ChecklistItem.values) - set(case.checklist)),
        "form": form
        or CallLogForm(
            initial={"planned_sessions": referral.recommended_infusions}, time_zone=case.time_zone
        ),
        "local_now": timezone.now().astimezone(case.time_zone),
    }


def _audit_case(request, case, action) -> None:
    audit_record(request=request, obj=case, action=action, patient_id=case.referral.patient_id)


@role_required(Role.COORDINATOR)
def call_screen(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_call_screen(pk=pk)
    _audit_case(request, case, AuditAction.VIEW)
    return render(request, "intake/call_screen.html", _call_screen_context(request, case))


@require_POST
@role_required(Role.COORDINATOR)
def take_call(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_call_screen(pk=pk)
    try:
        services.case_claim(case=case, coordinator=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        _audit_case(request, case, AuditAction.CHANGE)
    return redirect("intake:call_screen", pk=pk)


@require_POST
@role_required(Role.COORDINATOR)
def release_call(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_call_screen(pk=pk)
    services.case_release(case=case, coordinator=request.user)
    _audit_case(request, case, AuditAction.CHANGE)
    messages.info(request, _("The case is back in the queue."))
    return redirect("intake:queue")


@require_POST
@role_required(Role.COORDINATOR)
def checklist_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_call_screen(pk=pk)
    try:
        case = services.case_set_checklist_item(
            case=case,
            coordinator=request.user,
            item=request.POST.get("item", ""),
            ticked=request.POST.get("ticked") == "1",
        )
    except ApplicationError as exc:
        if request.htmx:
            # Swapped into the status line (htmx does not swap 4xx answers), so the coordinator
            # reads why the tick was not saved, e.g. their claim lapsed.
            context = _call_screen_context(request, case) | {"checklist_error": exc.message}
            return render(request, "intake/partials/_checklist_status.html", context)
        messages.error(request, exc.message)
        return redirect("intake:call_screen", pk=pk)
    _audit_case(request, case, AuditAction.CHANGE)
    if request.htmx:
        case = selectors.case_for_call_screen(pk=pk)
        return render(
            request, "intake/partials/_checklist_status.html", _call_screen_context(request, case)
        )
    return redirect("intake:call_screen", pk=pk)


@require_POST
@role_required(Role.COORDINATOR)
def log_call(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_call_screen(pk=pk)
    form = CallLogForm(request.POST, time_zone=case.time_zone)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.call_log(
                case=case,
                coordinator=request.user,
                outcome=data["outcome"],
                notes=data["notes"],
                callback_at=data["callback_at"],
                reason=data["reason"],
                planned_sessions=data["planned_sessions"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            _audit_case(request, case, AuditAction.CHANGE)
            messages.success(
                request,
                _("Call logged: %(outcome)s.") % {"outcome": CallOutcome(data["outcome"]).label},
            )
            if data["outcome"] == CallOutcome.INTAKE_COMPLETE:
                # The chart says what intake did: the account, the invitation, the course.
                return chart_views.after_intake(request, referral_pk=case.referral_id)
            return redirect("intake:queue")
    case = selectors.case_for_call_screen(pk=pk)
    return render(
        request, "intake/call_screen.html", _call_screen_context(request, case, form), status=400
    )


@role_required(Role.COORDINATOR, Role.ADMIN)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/dashboard.html", {"metrics": selectors.intake_metrics()})


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """A new patient's first visit: choose a password. GET only shows the form."""
    try:
        invite = services.invitation_resolve(token)
    except ApplicationError as exc:
        return render(
            request, "intake/invitation_invalid.html", {"message": exc.message}, status=410
        )
    # Not signed in yet: speak the language the patient gave at referral, not the browser's.
    translation.activate(invite.patient.preferred_language or "en")
    request.LANGUAGE_CODE = translation.get_language()
    form = SetPasswordForm(request.POST or None, user=invite.patient)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.invitation_accept(
                token=token, password=form.cleaned_data["password1"]
            )
        except ApplicationError as exc:
            return render(
                request, "intake/invitation_invalid.html", {"message": exc.message}, status=410
            )
        login(request, patient, backend="clinic.auth_backends.EmailOrPhoneBackend")
        messages.success(request, _("Your password is set. Welcome!"))
        return redirect("home")
    return render(request, "intake/invitation.html", {"form": form, "patient": invite.patient})


@role_required(Role.CLINICIAN)
def clinician_home(request: HttpRequest) -> HttpResponse:
    """The clinician's Today page: the day at a location (scheduling's day view) and the courses
    waiting for a prescriber's review, each with its referral and the patient's migraine
    outcomes (baseline against now, as on the chart). Intake serves it because it sits
    above scheduling and owns the referral; its URL keeps the name scheduling:clinician_home
    (wiring/urls.py)."""
    context = day_view_context(request)
    reviews = list(scheduling_selectors.courses_awaiting_review())
    referrals = selectors.referrals_for_review(course_ids=[course.pk for course in reviews])
    context["reviews"] = [(course, referrals.get(course.pk)) for course in reviews]
    # Baseline against now for each patient (the same figures as the chart), so the decision is
    # made with them in view. Already audited below: the card is the patient's course.
    context["review_outcomes"] = outcome_summaries_for_review(
        patient_ids=[course.patient_id for course in reviews], now=timezone.now()
    )
    context["review_form"] = ReviewForm()
    context["can_sign_off"] = request.user.can_sign_off_courses
    # The cards show the patients' courses and referrals: both views are audited, each in bulk.
    audit_record_many(request=request, objects=reviews)
    audit_record_many(request=request, objects=[r for _, r in context["reviews"] if r is not None])
    return render(request, "scheduling/clinician_home.html", context)
