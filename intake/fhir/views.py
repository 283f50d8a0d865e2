"""The FHIR endpoints, with the JSON API's keys (Authorization: Bearer <key>). Every refusal
is an OperationOutcome with the status FHIR's RESTful API gives it; never a 500."""

import pydantic
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.servicerequest import ServiceRequest
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api_parsers import BoundedJSONParser
from clinic.errors import ApplicationError

from .. import selectors, services
from ..api import ApiTokenAuthentication, IsReferringProvider
from ..forms import ReferralForm
from ..outcome_reports import outcome_report_pdf, report_for_referral
from .mapping import MappingError, service_request_map
from .profile import FIELD_PATHS
from .resources import (
    operation_outcome,
    outcome_document_reference,
    referral_task,
    task_history_bundle,
)

# A referral with its patient and practitioner is a few kilobytes; a megabyte is plenty.
MAX_FHIR_BODY = 1024 * 1024
MAX_VALIDATION_ISSUES = 20


class FhirJSONParser(BoundedJSONParser):
    media_type = "application/fhir+json"


class FhirJSONRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"
    charset = "utf-8"


class Refusal(Exception):
    def __init__(self, http_status: int, issues: list[tuple[str, str, str]]):
        super().__init__(issues[0][1] if issues else "")
        self.http_status = http_status
        self.issues = issues


def _outcome(http_status: int, issues) -> Response:
    return Response(operation_outcome(issues), status=http_status)


def fhir_exception_handler(exc, context):
    """DRF's refusals (authentication, parse errors, 404) as OperationOutcomes."""
    if isinstance(exc, Refusal):
        return _outcome(exc.http_status, exc.issues)
    if isinstance(exc, Http404):
        return _outcome(404, [("not-found", "No such referral.", "")])
    if isinstance(exc, exceptions.APIException):
        code = {
            401: "login",
            403: "forbidden",
            404: "not-found",
            405: "not-supported",
            406: "not-supported",
            415: "not-supported",
        }.get(exc.status_code, "invalid")
        response = _outcome(exc.status_code, [(code, str(exc.detail), "")])
        if exc.status_code == 401:
            response["WWW-Authenticate"] = "Bearer"
        return response
    return None


class _FhirView(APIView):
    # Not in the OpenAPI schema (its JSON Schema cannot state FHIR): the docs' FHIR section
    # (intake/fhir/docs.py) describes it with an example.
    schema = None
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsReferringProvider]
    parser_classes = [FhirJSONParser, BoundedJSONParser]
    renderer_classes = [FhirJSONRenderer, JSONRenderer]

    def get_exception_handler(self):
        return fhir_exception_handler


def _validation_issues(error: pydantic.ValidationError, prefix: str) -> list:
    issues = []
    for item in error.errors()[:MAX_VALIDATION_ISSUES]:
        path = ".".join(str(part) for part in item.get("loc", ()))
        issues.append(("structure", str(item.get("msg", "Invalid."))[:300], f"{prefix}.{path}"))
    return issues or [("structure", "The resource is not valid FHIR R4.", prefix)]


def _validated(body) -> tuple[dict, dict]:
    """(the ServiceRequest, the other resources of a transaction Bundle by fullUrl)."""
    if not isinstance(body, dict):
        raise Refusal(400, [("structure", "Send a FHIR resource (a JSON object).", "")])
    kind = body.get("resourceType")
    if kind == "ServiceRequest":
        model, prefix = ServiceRequest, "ServiceRequest"
    elif kind == "Bundle":
        model, prefix = Bundle, "Bundle"
    else:
        raise Refusal(
            400,
            [("not-supported", "Send a ServiceRequest or a transaction Bundle.", "resourceType")],
        )
    try:
        model.model_validate(body)
    except pydantic.ValidationError as exc:
        raise Refusal(400, _validation_issues(exc, prefix)) from exc
    except (ValueError, TypeError, RecursionError) as exc:
        raise Refusal(400, [("structure", "The resource is not valid FHIR R4.", prefix)]) from exc
    if kind == "ServiceRequest":
        return body, {}
    if body.get("type") != "transaction":
        raise Refusal(400, [("invalid", "The Bundle must be a transaction.", "Bundle.type")])
    resources, requests = {}, []
    for entry in body.get("entry") or []:
        resource = entry.get("resource") or {}
        if resource.get("resourceType") == "ServiceRequest":
            requests.append(resource)
        if entry.get("fullUrl"):
            resources[entry["fullUrl"]] = resource
        if resource.get("id") and resource.get("resourceType"):
            resources[f"{resource['resourceType']}/{resource['id']}"] = resource
    if len(requests) != 1:
        raise Refusal(
            400, [("invalid", "The Bundle must hold exactly one ServiceRequest.", "Bundle.entry")]
        )
    return requests[0], resources


def _form_issues(form: ReferralForm) -> list:
    return [
        (
            "invalid" if name != "__all__" else "business-rule",
            e["message"],
            FIELD_PATHS.get(name, ""),
        )
        for name, errors in form.errors.get_json_data().items()
        for e in errors
    ]


class ServiceRequestCreateView(_FhirView):
    def post(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_FHIR_BODY:
            return _outcome(413, [("too-costly", "The resource is larger than 1 MB.", "")])
        try:
            body = request.data
        except RequestDataTooBig:
            return _outcome(413, [("too-costly", "The resource is larger than 1 MB.", "")])
        service_request, bundle = _validated(body)
        try:
            mapped = service_request_map(service_request, bundle)
        except MappingError as exc:
            raise Refusal(422, [("business-rule", exc.message, exc.expression)]) from exc
        provider = request.auth.provider
        if mapped.npi and mapped.npi != provider.npi:
            raise Refusal(
                403,
                [
                    (
                        "forbidden",
                        "The requester's NPI is not the NPI of this API key's provider.",
                        "ServiceRequest.requester",
                    )
                ],
            )
        form = ReferralForm(data=mapped.form_data)
        if not form.is_valid():
            raise Refusal(422, _form_issues(form))
        try:
            referral, created = services.referral_submit(
                provider=provider,
                data=form.referral_data(),
                idempotency_key=mapped.identifier or None,
                fingerprint=services.request_fingerprint(service_request),
            )
        except ApplicationError as exc:
            if exc.code == "idempotency_conflict":
                raise Refusal(
                    409,
                    [
                        (
                            "duplicate",
                            "A different ServiceRequest was already sent with this identifier.",
                            "ServiceRequest.identifier",
                        )
                    ],
                ) from exc
            raise Refusal(422, [("business-rule", exc.message, "")]) from exc
        referral = selectors.referral_detail_for(user=request.user, reference=referral.reference)
        task = referral_task(referral)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        location = request.build_absolute_uri(f"/fhir/Task/{referral.reference}")
        if bundle:
            body = {
                "resourceType": "Bundle",
                "type": "transaction-response",
                "entry": [
                    {
                        "resource": task,
                        "response": {
                            "status": "201 Created" if created else "200 OK",
                            "location": location,
                        },
                    }
                ],
            }
            return Response(body, status=status.HTTP_200_OK, headers={"Location": location})
        return Response(task, status=code, headers={"Location": location})


def _report_ready(referral, now):
    report = report_for_referral(referral=referral, now=now)
    return report if report is not None and report.ready else None


class TaskDetailView(_FhirView):
    def get(self, request, reference: str):
        referral = selectors.referral_detail_for(user=request.user, reference=reference)
        ready = _report_ready(referral, timezone.now()) is not None
        return Response(referral_task(referral, report_ready=ready))


def _own_report(request, reference: str):
    """(referral, report, now) for the asking provider's own referral with a report. Another
    provider's referral, an unknown one and one without a report yet are the same 404, so an
    EHR cannot learn which references exist."""
    referral = selectors.referral_detail_for(user=request.user, reference=reference)
    now = timezone.now()
    report = _report_ready(referral, now)
    if report is None:
        raise Refusal(404, [("not-found", "No outcome report for this referral.", "")])
    return referral, report, now


class DocumentReferenceView(_FhirView):
    """The outcome report (issue 22) as a DocumentReference; its attachment is the PDF."""

    def get(self, request, reference: str):
        referral, report, now = _own_report(request, reference)
        pdf_url = request.build_absolute_uri(
            reverse("intake:fhir_outcome_binary", args=[referral.reference])
        )
        return Response(outcome_document_reference(referral, report, pdf_url=pdf_url, now=now))


class OutcomeBinaryView(_FhirView):
    """The outcome report's PDF (the DocumentReference's attachment), as FHIR's Binary read
    answers a client that asks for the document's own type."""

    def perform_content_negotiation(self, request, force=False):
        # The PDF is returned as it is; the renderers only write refusals, as OperationOutcome
        # even to a client whose Accept names only application/pdf (not a 406).
        return super().perform_content_negotiation(request, force=True)

    def get(self, request, reference: str):
        referral, report, now = _own_report(request, reference)
        pdf = outcome_report_pdf(
            referral=referral, report=report, now=now, base_url=request.build_absolute_uri("/")
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="outcome-report-{referral.reference}.pdf"'
        )
        response["Cache-Control"] = "private, no-store"
        return response


class TaskHistoryView(_FhirView):
    def get(self, request, reference: str):
        referral = selectors.referral_detail_for(user=request.user, reference=reference)
        return Response(task_history_bundle(referral))


class FhirNotSupportedView(_FhirView):
    """Any other address under /fhir/ (another resource type, an operation this server has
    not): an OperationOutcome, as every FHIR answer, not the site's HTML page. No key needed to
    be told that."""

    authentication_classes = []
    permission_classes = []

    def _refuse(self, request, *args, **kwargs):
        raise Refusal(404, [("not-supported", "This server has no such FHIR resource.", "")])

    get = post = put = patch = delete = _refuse
