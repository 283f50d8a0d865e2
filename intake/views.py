from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.errors import ApplicationError
from clinic.models import STAFF_ROLES, Role
from clinic.permissions import role_required

from . import selectors, services
from .forms import ApiTokenForm, ProviderSignUpForm, ReferralFilterForm, ReferralForm

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
    page = Paginator(
        selectors.referrals_for_provider(provider=provider, status=status, q=q), 20
    ).get_page(request.GET.get("page"))
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
    referral = selectors.referral_detail_for(user=request.user, reference=reference)
    return render(request, "intake/referral_detail.html", {"referral": referral})


@role_required(Role.PROVIDER, *STAFF)
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = selectors.attachment_for(user=request.user, pk=pk)
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


@require_POST
@role_required(Role.PROVIDER)
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    provider = selectors.provider_for_user(request.user)
    try:
        services.api_token_revoke(provider=provider, token_id=pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The key is revoked. Requests using it are now refused."))
    return redirect("intake:provider_account")


@role_required(Role.COORDINATOR)
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/queue.html", {"cases": selectors.open_intake_cases()})
