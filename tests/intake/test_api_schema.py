"""schemathesis against the referral API's own OpenAPI schema (/api/schema/, drf-spectacular),
in process through the WSGI app with a provider's API key: positive and negative data for each
operation, then the stateful phase (a referral created, then read by the reference the schema's
link names), every check schemathesis has. No answer is a 5xx; every answer (status, content
type, headers, body) is one the schema declares; what the schema allows is accepted and what it
refuses is refused.

The schema states every rule JSON Schema can (intake/api_contract.py). Four cannot be stated by
any schema, and positive data is moved inside exactly those (`_within_server_only_rules`),
nothing else is changed and no check is switched off: a date of birth not in the future nor
more than 120 years ago, a phone number that exists in its numbering plan, attachments that are
PDF/PNG/JPEG by content, and an Idempotency-Key not used before with another body.

Bounded: SCHEMATHESIS_EXAMPLES examples per operation and mode (25), SCHEMATHESIS_SCENARIOS
stateful scenarios (15); about a minute in all."""

import hashlib
import json
import os
from datetime import date

import jsonschema
import phonenumbers
import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.generation.stateful import run_state_machine_as_test

from clinic.wsgi import application
from intake import api, api_contract, services
from intake.models import ReferringProvider
from tests.factories.intake import ProviderFactory, submit_referral
from tests.factories.scheduling import LocationFactory
from tests.intake.test_api import payload

PDF64 = "JVBERi0xLjQKJSVFT0YK"  # %PDF-1.4 %%EOF
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", 25))
SCENARIOS = int(os.environ.get("SCHEMATHESIS_SCENARIOS", 15))

# Every check schemathesis 4 has.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.positive_data_acceptance,
    checks.missing_required_header,
    checks.unsupported_method,
    checks.allow_header_conformance,
    checks.use_after_free,
    checks.ensure_resource_availability,
    checks.ignored_auth,
    checks.object_level_authorization,
]


def _within_server_only_rules(context, case):
    """schemathesis hook (map_case): a positive request to create a referral, moved inside the
    four rules no schema can state (see the module's docstring). Negative data is left as
    generated, and so is every other field."""
    operation = context.operation
    if (
        case.meta is None
        or not case.meta.generation.mode.is_positive
        or (operation.method.upper(), operation.path) != ("POST", "/api/v1/referrals")
        or not isinstance(case.body, dict)
    ):
        return case
    body = dict(case.body)
    born = body.get("date_of_birth")
    if isinstance(born, str):
        # Today is the test clock's; keep the generated month and day where they exist.
        year = 1940 + int(hashlib.sha256(born.encode()).hexdigest(), 16) % 80
        try:
            body["date_of_birth"] = date.fromisoformat(born).replace(year=year).isoformat()
        except ValueError:  # 29 February
            body["date_of_birth"] = f"{year}-02-28"
    phone = body.get("mobile_phone")
    if isinstance(phone, str) and not _exists(phone):
        body["mobile_phone"] = "+16175550123"
    if isinstance(body.get("attachments"), list):
        body["attachments"] = [
            {**item, "content_base64": PDF64} if isinstance(item, dict) else item
            for item in body["attachments"]
        ]
    case.body = body
    if case.headers and "Idempotency-Key" in case.headers:
        # A key already used with another body answers 422 (tests/intake/test_api.py): each
        # body gets keys of its own, a replay of the same body still finds its referral.
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
        key = case.headers["Idempotency-Key"][: api_contract.MAX_IDEMPOTENCY_KEY_LENGTH - 17]
        case.headers = {**case.headers, "Idempotency-Key": f"{key}-{digest}"}
    return case


def _exists(phone: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(phone, "US"))
    except phonenumbers.NumberParseException:
        return False


@pytest.fixture
def api_schema(api_key):
    # Straight through the WSGI handler, Django closes the database connection at the end of
    # each request, taking the test's transaction with it; the test client avoids the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
        schema.hooks.register_hook_with_name(_within_server_only_rules, "map_case")
        yield schema
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

    @settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
    @given(case=strategy)
    def call(case):
        response = case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)
        statuses.add(response.status_code)

    call()
    if mode == GenerationMode.POSITIVE:  # the success answers were among those checked
        assert statuses & {200, 201}, statuses


def test_the_stateful_phase_follows_the_link_from_a_created_referral_to_reading_it(
    api_schema, api_key
):
    key, _ = api_key
    machine = api_schema.as_state_machine()
    steps = []

    class Workflow(machine):
        # Each scenario starts from the same database: Hypothesis replays scenarios, and one
        # that found an earlier scenario's referrals (an Idempotency-Key answering 200, not
        # 201) would take another path, which Hypothesis reports as flaky generation.
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)
            super().teardown()

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {key}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            steps.append((case.operation.method.upper(), response.status_code))
            case.validate_response(
                response,
                checks=CHECKS,
                headers=kwargs.get("headers"),  # the key sent, so ignored_auth knows it
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=4,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # The link was followed: a referral created, then read by its reference.
    assert ("POST", 201) in steps and ("GET", 200) in steps, steps


def test_the_schema_covers_both_operations(api_schema):
    paths = api_schema.raw_schema["paths"]
    assert "post" in paths["/api/v1/referrals"]
    assert "get" in paths["/api/v1/referrals/{reference}"]


def _request_body(raw_schema: dict) -> dict:
    return raw_schema["components"]["schemas"]["ReferralInRequest"]


def test_the_schema_says_what_the_server_enforces(api_schema):
    raw = api_schema.raw_schema
    body = _request_body(raw)
    properties = body["properties"]
    assert body["additionalProperties"] is False
    assert properties["preferred_location"]["enum"] == ["boston"]  # the active locations
    assert properties["contact_consent"]["enum"] == [True]
    assert properties["zip_code"]["pattern"] == api.ZIP_PATTERN
    assert properties["mobile_phone"]["pattern"] == api.PHONE_PATTERN
    assert properties["patient_first_name"]["maxLength"] == 100
    assert properties["headache_days_per_month"] == {"type": "integer", "minimum": 0, "maximum": 31}
    assert properties["attachments"]["maxItems"] == 5
    assert properties["attachments"]["items"]["additionalProperties"] is False
    # What no schema can state is at least written down.
    for rule in ("future", "numbering plan", "by its content"):
        assert rule in body["description"]
    create = raw["paths"]["/api/v1/referrals"]["post"]
    assert create["requestBody"]["required"] is True
    link = create["responses"]["201"]["links"]["GetReferral"]
    assert link == {**link, "operationId": "referral_retrieve"}
    assert link["parameters"] == {"reference": "$response.body#/reference"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"patient_first_name": "A" * 101}, "patient_first_name"),
        ({"patient_first_name": " \u00a0 "}, "patient_first_name"),
        ({"patient_last_name": "Di\u202eaz"}, "patient_last_name"),
        ({"notes": "a\x0bb"}, "notes"),
        ({"headache_days_per_month": "18"}, "headache_days_per_month"),
        ({"no_contraindications": "yes"}, "no_contraindications"),
        ({"email": ""}, "email"),
        ({"blood_pressure": "128/82 "}, "blood_pressure"),
        ({"attachments": [{"content_base64": PDF64}]}, "attachments"),
        ({"attachments": [{"filename": "a.pdf", "content_base64": "JVBERi0"}]}, "attachments"),
    ],
)
def test_what_the_schema_refuses_the_server_refuses_with_the_field(api_schema, overrides, field):
    body = payload(**overrides)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            body, {"$ref": "#/components/schemas/ReferralInRequest", **api_schema.raw_schema}
        )
    assert field in api_contract.contract_errors(body)


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
