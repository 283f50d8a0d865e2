"""schemathesis against the referral API's own OpenAPI schema (/api/schema/, drf-spectacular),
in process through the WSGI app with a provider's API key: whatever it sends, no answer is a
5xx, and every answer (status, content type, headers, body) is one the schema declares."""

import os

import jsonschema
import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from clinic.wsgi import application
from intake import api, services
from intake.models import ReferringProvider
from tests.factories.intake import ProviderFactory, submit_referral
from tests.factories.scheduling import LocationFactory
from tests.intake.test_api import payload

PDF64 = "JVBERi0xLjQKJSVFT0YK"  # %PDF-1.4 %%EOF

# Every check schemathesis has that applies to a single call.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.missing_required_header,
    checks.unsupported_method,
    checks.ignored_auth,
    checks.use_after_free,
    checks.ensure_resource_availability,
]


@pytest.fixture
def api_schema(api_key):
    # Straight through the WSGI handler, Django closes the database connection at the end of
    # each request, taking the test's transaction with it; the test client avoids the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


OPERATIONS = [("POST", "/api/v1/referrals"), ("GET", "/api/v1/referrals/{reference}")]


@pytest.fixture
def api_key(db, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    location = LocationFactory(slug="boston", name="Boston")
    provider = ProviderFactory()
    referral = submit_referral(provider=provider, location=location)  # something to GET
    _, key = services.api_token_create(provider=provider, name="schemathesis")
    return key, referral.reference


# schemathesis' pytest plugin does not run under pytest 9 yet; its strategies do, under
# Hypothesis, one operation and generation mode per test.
@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_referral_api_answers_as_its_schema_says(api_schema, api_key, method, path, mode):
    operation = next(
        result.ok()
        for result in api_schema.get_all_operations()
        if result.ok().method.upper() == method and result.ok().path == path
    )

    key, reference = api_key
    strategy = operation.as_strategy(generation_mode=mode)
    if mode == GenerationMode.POSITIVE:
        # Random data is nearly always refused (400, 404): mix in requests that succeed.
        if "{reference}" in path:
            valid = {"path_parameters": {"reference": reference}}
        else:
            valid = {"body": payload(attachments=[{"filename": "a.pdf", "content_base64": PDF64}])}
        strategy = st.one_of(strategy, operation.as_strategy(generation_mode=mode, **valid))
    statuses = set()

    @settings(
        max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", 25)),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def call(case):
        response = case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)
        statuses.add(response.status_code)

    call()
    if mode == GenerationMode.POSITIVE:  # the success answers were among those checked
        assert statuses & {200, 201}, statuses


def test_the_schema_covers_both_operations(api_schema):
    paths = api_schema.raw_schema["paths"]
    assert "post" in paths["/api/v1/referrals"]
    assert "get" in paths["/api/v1/referrals/{reference}"]


def _request_body(raw_schema: dict) -> dict:
    return raw_schema["components"]["schemas"]["ReferralInRequest"]


def test_the_schema_says_what_the_server_enforces(api_schema):
    body = _request_body(api_schema.raw_schema)
    properties = body["properties"]
    assert body["additionalProperties"] is False
    assert properties["preferred_location"]["enum"] == ["boston"]  # the active locations
    [consent] = properties["contact_consent"]["allOf"]  # drf-spectacular names its enums
    components = api_schema.raw_schema["components"]["schemas"]
    assert components[consent["$ref"].rsplit("/", 1)[1]]["enum"] == [True]
    assert properties["zip_code"]["pattern"] == api.ZIP_PATTERN
    assert properties["mobile_phone"]["pattern"] == api.PHONE_PATTERN
    attachment = api_schema.raw_schema["components"]["schemas"]["AttachmentInRequest"]
    assert attachment["additionalProperties"] is False


@pytest.mark.django_db
def test_the_schemas_own_example_is_accepted_on_the_demo_data(client, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    call_command("seed_demo")
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/referrals"]["post"]
    [example] = operation["requestBody"]["content"]["application/json"]["examples"].values()
    body_schema = {"$ref": "#/components/schemas/ReferralInRequest", **schema}
    jsonschema.validate(example["value"], body_schema)
    provider = ReferringProvider.objects.get(user__email="provider@neuro.example")
    _, key = services.api_token_create(provider=provider, name="example")
    response = client.post(
        "/api/v1/referrals",
        example["value"],
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 201, response.json()
