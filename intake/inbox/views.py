"""The coordinator's document inbox: faxes and scans waiting to become referrals."""

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record
from clinic.errors import ApplicationError
from clinic.models import Role
from clinic.permissions import role_required

from ..models import InboundSource
from . import selectors, services
from .forms import (
    LOW_CONFIDENCE,
    PROPOSAL_LABELS,
    PROVIDER_FIELDS,
    REFERRAL_FIELDS,
    AttachForm,
    DismissForm,
    InboxReferralForm,
    ReferringProviderForm,
    UploadForm,
    initial_from,
)


@role_required(Role.COORDINATOR)
def inbox(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            document, _created = services.inbound_document_receive(
                upload=form.cleaned_data["document"],
                source=InboundSource.UPLOAD,
                uploaded_by=request.user,
            )
        except ApplicationError as exc:
            form.add_error("document", exc.message)
        else:
            messages.success(request, _("The document is stored and will be read in a moment."))
            return redirect("intake:inbox_document", pk=document.pk)
    rows = list(selectors.inbox_documents()[: selectors.INBOX_PAGE_ROWS + 1])
    context = {
        "documents": rows[: selectors.INBOX_PAGE_ROWS],
        "more": len(rows) > selectors.INBOX_PAGE_ROWS,
        "form": form,
    }
    return render(request, "intake/inbox.html", context)


def _proposal_order(item) -> int:
    names = list(PROPOSAL_LABELS)
    return names.index(item[0]) if item[0] in names else len(names)


def _document_context(document, referral_form=None, provider_form=None, attach=None, dismiss=None):
    proposal = document.proposal or {}
    if referral_form is None:
        referral_form = InboxReferralForm(initial=initial_from(proposal, REFERRAL_FIELDS))
    if provider_form is None:
        initial = initial_from(proposal, PROVIDER_FIELDS)
        if document.provider is not None:
            p = document.provider
            initial.update(
                provider_npi=p.npi,
                provider_first_name=p.user.first_name,
                provider_last_name=p.user.last_name,
                practice_name=p.practice_name,
                phone=p.phone,
                fax=p.fax,
            )
        elif document.sending_number:
            initial["fax"] = document.sending_number
        provider_form = ReferringProviderForm(initial=initial)
    return {
        "document": document,
        "proposal": [
            {
                "label": PROPOSAL_LABELS.get(name, name),
                "value": ", ".join(map(str, v)) if isinstance(v := entry.get("value"), list) else v,
                "percent": round(100 * float(entry.get("confidence") or 0)),
                "low": float(entry.get("confidence") or 0) < LOW_CONFIDENCE,
            }
            # In the form's order (the database keeps JSON keys in an order of its own).
            for name, entry in sorted(proposal.items(), key=_proposal_order)
        ],
        "form": referral_form,
        "provider_form": provider_form,
        "attach_form": attach or AttachForm(),
        "dismiss_form": dismiss or DismissForm(),
    }


@role_required(Role.COORDINATOR)
def inbox_document(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.inbox_document(pk)
    audit_record(request=request, obj=document, action=AuditAction.VIEW)
    if request.method != "POST":
        return render(request, "intake/inbox_document.html", _document_context(document))
    form = InboxReferralForm(request.POST)
    provider_form = ReferringProviderForm(request.POST)
    if form.is_valid() and provider_form.is_valid():
        try:
            referral = services.inbound_document_refer(
                document=document,
                data=form.referral_data(),
                provider_data=provider_form.provider_data(),
                by=request.user,
                more_to_come=provider_form.cleaned_data["more_to_come"],
            )
        except ApplicationError as exc:
            if exc.field in provider_form.fields:
                provider_form.add_error(exc.field, exc.message)
            else:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("Referral %(ref)s is in the call queue.") % {"ref": referral.reference},
            )
            if provider_form.cleaned_data["more_to_come"]:
                return redirect("intake:inbox_document", pk=document.pk)
            return redirect("intake:referral_detail", reference=referral.reference)
    context = _document_context(document, form, provider_form)
    return render(request, "intake/inbox_document.html", context, status=400)


@require_POST
@role_required(Role.COORDINATOR)
def inbox_attach(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.inbox_document(pk)
    form = AttachForm(request.POST)
    if form.is_valid():
        try:
            referral = services.inbound_document_attach(
                document=document, reference=form.cleaned_data["reference"], by=request.user
            )
        except ApplicationError as exc:
            form.add_error("reference" if exc.field == "reference" else None, exc.message)
        else:
            messages.success(
                request, _("Attached to referral %(ref)s.") % {"ref": referral.reference}
            )
            return redirect("intake:inbox")
    context = _document_context(document, attach=form)
    return render(request, "intake/inbox_document.html", context, status=400)


@require_POST
@role_required(Role.COORDINATOR)
def inbox_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.inbox_document(pk)
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            services.inbound_document_dismiss(
                document=document, reason=form.cleaned_data["reason"], by=request.user
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Marked as not a referral."))
            return redirect("intake:inbox")
    context = _document_context(document, dismiss=form)
    return render(request, "intake/inbox_document.html", context, status=400)


@role_required(Role.COORDINATOR)
def inbox_page_image(request: HttpRequest, pk: int, number: int) -> FileResponse:
    page = selectors.inbox_page(document_id=pk, number=number)
    # Each image is a view of the patient's letter: audited one by one, as a download is (the
    # page's own audit row says the page was opened, not that its images were fetched).
    audit_record(request=request, obj=page, action=AuditAction.VIEW)
    response = FileResponse(page.image.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(Role.COORDINATOR)
def inbox_file(request: HttpRequest, pk: int) -> FileResponse:
    document = selectors.inbox_document(pk)
    audit_record(request=request, obj=document, action=AuditAction.VIEW)
    ext = "pdf" if document.content_type == "application/pdf" else "tif"
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"document-{document.pk}.{ext}",
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
