"""JSON API for EHRs: POST /api/v1/referrals and GET /api/v1/referrals/{reference}.

A request body is checked first against the published contract (intake/api_contract.py, the
JSON Schema the OpenAPI schema shows), then by the referral form (ReferralForm), which the web
form shares, for what no schema can state. The serializers here shape the answers."""

import base64
import binascii
import hashlib

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import authentication, exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from clinic.errors import ApplicationError
from clinic.models import Role
from clinic.params import search_text
from outcomes.report import report_json
from scheduling.models import Location

from . import api_contract, selectors, services
from .api_contract import PHONE_PATTERN, ZIP_PATTERN  # noqa: F401 -- named by the tests
from .fhir.docs import FHIR_LINK, FHIR_SECTION
from .forms import ReferralForm
from .models import ApiToken, Referral
from .outcome_reports import report_for_referral
from .validators import MAX_ATTACHMENT_BYTES, display_file_name


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` with a key from the provider's account page."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="ignore").split()
        if not header or header[0] not in (self.keyword, "Token"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send 'Authorization: Bearer <key>'.")
        key_hash = hashlib.sha256(header[1].encode()).hexdigest()
        token = (
            ApiToken.objects.select_related("provider__user")
            .filter(key_hash=key_hash, revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.provider.user.is_active:
            raise exceptions.AuthenticationFailed("This API key is not valid or was revoked.")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.provider.user, token

    def authenticate_header(self, request):
        return self.keyword


class IsReferringProvider(permissions.BasePermission):
    message = "Only referring providers may use this API."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.PROVIDER)


class StatusChangeOut(serializers.Serializer):
    status = serializers.CharField(source="to_status")
    reason = serializers.CharField()
    at = serializers.DateTimeField(source="changed_at")


def _figure(help_text: str):
    return serializers.FloatField(allow_null=True, help_text=help_text)


class DiaryFiguresOut(serializers.Serializer):
    """One window of the patient's daily diary, normalised to 28 days; a figure is null when
    fewer than 7 days were recorded in the window."""

    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    recorded_days = serializers.IntegerField(min_value=0)
    monthly_headache_days = _figure("Headache days per 28 days.")
    monthly_migraine_days = _figure("Migraine days per 28 days.")
    monthly_acute_medication_days = _figure("Days with acute medication per 28 days.")


class MidasOut(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=450)
    grade = serializers.ChoiceField(choices=["I", "II", "III", "IV"])


class FollowUpOut(serializers.Serializer):
    time_point = serializers.ChoiceField(choices=["end_of_course", "month_1", "month_3"])
    ends_on = serializers.DateField(help_text="The last day of the 28-day window.")
    reached = serializers.BooleanField(help_text="False until the window has ended.")
    diary = DiaryFiguresOut(allow_null=True)
    percent_change_headache_days = serializers.FloatField(allow_null=True)
    responder = serializers.BooleanField(
        allow_null=True, help_text="At least 50% fewer monthly headache days than at baseline."
    )
    midas = MidasOut(allow_null=True)


class OutcomeReportOut(serializers.Serializer):
    """The outcome report: baseline and follow-up figures, the course given (no dosing)."""

    responder_definition = serializers.CharField()
    infusions_received = serializers.IntegerField(min_value=0)
    infusions_planned = serializers.IntegerField(min_value=1, max_value=6)
    infusion_dates = serializers.ListField(child=serializers.DateField())
    course_completed_on = serializers.DateField(allow_null=True)
    baseline = DiaryFiguresOut()
    baseline_midas = MidasOut(allow_null=True)
    follow_up = FollowUpOut(many=True)


class ReferralOut(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    history = StatusChangeOut(many=True)
    patient_name = serializers.CharField()
    url = serializers.SerializerMethodField()
    outcome_report = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "reference",
            "status",
            "status_label",
            "status_reason",
            "patient_name",
            "created_at",
            "history",
            "url",
            "outcome_report",
        ]

    def get_url(self, referral) -> str:
        return self.context["request"].build_absolute_uri(f"/referrals/{referral.reference}/")

    @extend_schema_field(OutcomeReportOut(allow_null=True))
    def get_outcome_report(self, referral) -> dict | None:
        """Null until the course is complete; then the report's figures (outcomes.report)."""
        report = report_for_referral(referral=referral, now=timezone.now())
        if report is None or not report.ready:
            return None
        return OutcomeReportOut(report_json(report)).data


class ErrorsOut(serializers.Serializer):
    """Every refusal: the field's name (or non_field_errors) and what is wrong with it."""

    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


def errors_exception_handler(exc, context):
    """DRF's answer to an exception (401, 403, 404, a body that is not JSON, ...), in this
    API's one error shape: {"errors": {"non_field_errors": [message]}}, headers kept."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"errors": {"non_field_errors": [str(response.data["detail"])]}}
    return response


class _ProviderAPIView(APIView):
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsReferringProvider]

    def get_exception_handler(self):
        return errors_exception_handler


LIST_FIELDS = ("preventives_tried", "contraindications")


def schema_postprocess(result, generator, request, public):
    """drf-spectacular hook: the request body is the contract the view enforces
    (intake.api_contract), with the active locations listed (read when the schema is asked for);
    and links from a created referral to reading it, for clients and stateful testing."""
    try:
        slugs = list(
            Location.objects.filter(is_active=True).order_by("slug").values_list("slug", flat=True)
        )
    except DatabaseError:
        # `check --deploy` builds the schema too, possibly before any migration has run:
        # the schema then leaves the slugs open rather than failing the check.
        slugs = None
    info = result.setdefault("info", {})
    info["description"] = (info.get("description") or "") + FHIR_LINK + FHIR_SECTION
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ReferralInRequest"] = api_contract.referral_request_schema(slugs)
    create = result.get("paths", {}).get("/api/v1/referrals", {}).get("post")
    if create:
        create["requestBody"]["required"] = True
        for code in ("200", "201"):
            create["responses"][code]["links"] = {
                "GetReferral": {
                    "operationId": "referral_retrieve",
                    "parameters": {"reference": "$response.body#/reference"},
                    "description": "The referral just created (or found again by its "
                    "Idempotency-Key), by its reference.",
                }
            }
    return result


def _form_payload(data: dict) -> tuple[dict, dict, dict]:
    """Splits the JSON body into form data and files; returns (data, files, errors)."""
    form_data, type_errors = {}, {}
    for key, value in data.items():
        if key == "attachments" or value is None:
            continue
        if key in LIST_FIELDS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                type_errors[key] = ["Send a list of strings."]
                continue
        elif key in ("contact_consent", "no_contraindications"):
            # The form's checkbox reads an absent or false value as unticked.
            if value is not True:
                continue
        elif isinstance(value, list | dict):
            type_errors[key] = ["Send a single value, not a list or an object."]
            continue
        elif not isinstance(value, str):
            value = str(value)  # numbers are parsed and checked by the form like typed text
        form_data[key] = value
    if type_errors:
        return {}, {}, type_errors
    form_data.setdefault("preferred_language", "en")
    form_data.setdefault("urgency", "routine")
    files, errors = [], []
    raw = data.get("attachments") or []
    if not isinstance(raw, list):
        return {}, {}, {"attachments": ["Send a list of {filename, content_base64}."]}
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.append(f"Item {index} must be an object.")
            continue
        encoded = str(item.get("content_base64", ""))
        if len(encoded) > MAX_ATTACHMENT_BYTES * 4 // 3 + 8:
            errors.append(f"{item.get('filename', index)} is larger than 10 MB.")
            continue
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            errors.append(f"Item {index}: content_base64 is not valid base64.")
            continue
        # Cleaned before Django sees it ("..", NUL, folders); stored under a generated name.
        files.append(SimpleUploadedFile(display_file_name(item.get("filename") or ""), content))
    if errors:
        return {}, {}, {"attachments": errors}
    return form_data, {"attachments": files} if files else {}, {}


class ReferralCreateView(_ProviderAPIView):
    @extend_schema(
        operation_id="referral_create",
        request={"application/json": {"$ref": "#/components/schemas/ReferralInRequest"}},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                api_contract.IDEMPOTENCY_KEY_SCHEMA,
                OpenApiParameter.HEADER,
                description="Any unique string per referral, at most 200 characters (control "
                "characters are dropped). Retrying with the same key and body returns the first "
                "referral (200) instead of creating another; the same key with another body "
                "answers 422.",
            )
        ],
        responses={
            201: ReferralOut,
            200: ReferralOut,
            400: ErrorsOut,
            401: ErrorsOut,
            403: ErrorsOut,
            413: ErrorsOut,
            415: ErrorsOut,
            422: ErrorsOut,
        },
        examples=[
            OpenApiExample(
                "Minimal",
                request_only=True,
                value={
                    "patient_first_name": "Ana",
                    "patient_last_name": "Diaz",
                    "date_of_birth": "1984-03-02",
                    "sex": "female",
                    "mobile_phone": "+16175550123",
                    "zip_code": "02116",
                    "preferred_location": "boston",
                    "contact_consent": True,
                    "diagnosis_code": "G43.709",
                    "headache_days_per_month": 18,
                    "years_with_migraine": 12,
                    "preventives_tried": ["topiramate", "erenumab"],
                    "recommended_infusions": 3,
                    "no_contraindications": True,
                    "urgency": "routine",
                },
            )
        ],
    )
    def post(self, request):
        try:
            request.data  # noqa: B018 -- parses the body here, where its size can be answered
        except RequestDataTooBig:
            return Response(
                {"errors": {"non_field_errors": ["The request is too large (5 files of 10 MB)."]}},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        if not isinstance(request.data, dict):
            return Response({"errors": {"non_field_errors": ["Send a JSON object."]}}, status=400)
        errors = api_contract.contract_errors(request.data)
        errors |= api_contract.idempotency_key_errors(request.headers.get("Idempotency-Key"))
        if errors:
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        data, files, errors = _form_payload(request.data)
        if errors:
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        form = ReferralForm(data=data, files=files)
        if not form.is_valid():
            errors = {
                field: [e["message"] for e in errs]
                for field, errs in form.errors.get_json_data().items()
            }
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        key = search_text(request.headers.get("Idempotency-Key"), 200) or None
        try:
            referral, created = services.referral_submit(
                provider=request.auth.provider,
                data=form.referral_data(),
                attachments=form.cleaned_data["attachments"],
                idempotency_key=key,
                fingerprint=services.request_fingerprint(request.data),
            )
        except ApplicationError as exc:
            code = 422 if exc.code == "idempotency_conflict" else 400
            return Response(
                {"errors": {exc.field or "non_field_errors": [exc.message]}}, status=code
            )
        referral = selectors.referral_detail_for(user=request.user, reference=referral.reference)
        body = ReferralOut(referral, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ReferralDetailView(_ProviderAPIView):
    @extend_schema(
        operation_id="referral_retrieve",
        responses={200: ReferralOut, 401: ErrorsOut, 403: ErrorsOut, 404: ErrorsOut},
    )
    def get(self, request, reference: str):
        referral = selectors.referral_detail_for(user=request.user, reference=reference)
        return Response(ReferralOut(referral, context={"request": request}).data)


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "providerApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A key created on the provider's account page.",
        }
