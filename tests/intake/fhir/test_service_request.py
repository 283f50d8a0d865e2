# ruff: noqa: E501 -- the tables of payloads read best one case a line
"""POST /fhir/ServiceRequest and GET /fhir/Task: the specification's own examples (adapted to
R4, tests/intake/fhir/examples/) and invalid and hostile ones; every refusal an
OperationOutcome, never a 500, nothing stored on refusal."""

import copy
import json
from pathlib import Path

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task
from hypothesis import given
from hypothesis import strategies as st

from intake import services
from intake.fhir.docs import EXAMPLE_SERVICE_REQUEST
from intake.models import IntakeCase, PossibleDuplicate, Referral, ReferralStatus
from tests.factories.intake import ProviderFactory, submit_referral
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory

EXAMPLES = Path(__file__).parent / "examples"
URL = "/fhir/ServiceRequest"
FHIR_JSON = "application/fhir+json"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


@pytest.fixture
def location(db):
    return LocationFactory(slug="boston", name="Boston")


@pytest.fixture
def provider(db):
    return ProviderFactory(user__first_name="Ruth", user__last_name="Okafor")


@pytest.fixture
def fhir(provider):
    _, key = services.api_token_create(provider=provider, name="EHR")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def post(client, body, content_type=FHIR_JSON):
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(URL, raw, content_type=content_type)


def migraine_referral(provider) -> dict:
    body = example("migraine-referral-physiotherapy-shape.json")
    body["contained"][1]["identifier"][0]["value"] = provider.npi
    return body


def outcome_of(response) -> dict:
    body = response.json()
    OperationOutcome.model_validate(body)  # a valid R4 OperationOutcome
    return body


@pytest.mark.django_db
def test_a_contained_service_request_becomes_a_referral_answered_as_a_task(
    fhir, provider, location
):
    response = post(fhir, migraine_referral(provider))
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    referral = Referral.objects.get()
    task = response.json()
    Task.model_validate(task)
    assert task["id"] == referral.reference
    assert response["Location"].endswith(f"/fhir/Task/{referral.reference}")
    assert (task["status"], task["businessStatus"]["coding"][0]["code"]) == (
        "requested",
        "received",
    )
    assert task["focus"]["reference"] == f"ServiceRequest/{referral.reference}"
    # Mapped through ReferralForm: the Patient, the Condition, the extensions.
    assert (referral.patient_first_name, referral.patient_last_name) == ("Ana Lucia", "Diaz")
    assert str(referral.mobile_phone) == "+16175550123"  # the mobile, not the home phone
    assert referral.email == "ana.diaz@example.org"
    assert (referral.preferred_language, referral.zip_code) == ("es", "02116")
    assert referral.diagnosis_code == "G43.709"
    assert (referral.recommended_infusions, referral.urgency) == (4, "urgent")
    assert referral.preventives_tried == ["topiramate", "erenumab"]
    assert referral.no_contraindications and referral.contraindications == []
    assert referral.provider == provider
    assert IntakeCase.objects.filter(referral=referral).exists()


@pytest.mark.django_db
def test_the_documented_example_is_accepted(fhir, provider, location):
    body = copy.deepcopy(EXAMPLE_SERVICE_REQUEST)
    body["contained"][1]["identifier"][0]["value"] = provider.npi
    assert post(fhir, body, content_type="application/json").status_code == 201


@pytest.mark.django_db
def test_a_transaction_bundle_is_accepted(fhir, provider, location):
    request = migraine_referral(provider)
    patient, practitioner, condition = request.pop("contained")
    request["subject"] = {"reference": "urn:uuid:0d1b7a53-0000-4000-8000-000000000001"}
    request["requester"] = {"reference": "Practitioner/okafor"}
    request["reasonReference"] = [{"reference": "urn:uuid:0d1b7a53-0000-4000-8000-000000000003"}]
    practitioner["id"] = "okafor"
    del patient["id"], condition["id"]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:0d1b7a53-0000-4000-8000-000000000001", "resource": patient,
             "request": {"method": "POST", "url": "Patient"}},
            {"fullUrl": "urn:uuid:0d1b7a53-0000-4000-8000-000000000002", "resource": practitioner,
             "request": {"method": "POST", "url": "Practitioner"}},
            {"fullUrl": "urn:uuid:0d1b7a53-0000-4000-8000-000000000003", "resource": condition,
             "request": {"method": "POST", "url": "Condition"}},
            {"fullUrl": "urn:uuid:0d1b7a53-0000-4000-8000-000000000004", "resource": request,
             "request": {"method": "POST", "url": "ServiceRequest"}},
        ],
    }  # fmt: skip
    response = post(fhir, bundle)
    assert response.status_code == 200, response.content
    body = response.json()
    Bundle.model_validate(body)
    assert body["type"] == "transaction-response"
    assert body["entry"][0]["response"]["status"] == "201 Created"
    assert Referral.objects.get().diagnosis_code == "G43.709"


@pytest.mark.django_db
def test_the_same_identifier_twice_makes_one_referral_and_another_body_is_a_conflict(
    fhir, provider, location
):
    body = migraine_referral(provider)
    first = post(fhir, body)
    again = post(fhir, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Referral.objects.count() == 1
    changed = copy.deepcopy(body)
    changed["quantityQuantity"]["value"] = 2
    conflict = post(fhir, changed)
    assert conflict.status_code == 409
    assert outcome_of(conflict)["issue"][0]["code"] == "duplicate"
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_a_duplicate_patient_from_fhir_is_linked_as_from_any_channel(fhir, provider, location):
    earlier = submit_referral(location=location)  # Ana Diaz, 1984-03-02, same mobile
    post(fhir, migraine_referral(provider))
    referral = Referral.objects.exclude(pk=earlier.pk).get()
    assert PossibleDuplicate.objects.filter(referral=referral, other=earlier).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "expression"),
    [
        ("servicerequest-example.json", "ServiceRequest.status"),
        ("servicerequest-example2-physiotherapy.json", "ServiceRequest.status"),
        ("servicerequest-example-pt.json", "ServiceRequest.status"),
    ],
)
def test_the_specifications_examples_are_valid_r4_and_refused_as_not_a_referral_here(
    fhir, location, name, expression
):
    body = example(name)
    response = post(fhir, body)
    assert response.status_code == 422
    assert outcome_of(response)["issue"][0]["expression"] == [expression]
    # Made active, they still lack a contained patient.
    body["status"] = "active"
    response = post(fhir, body)
    assert response.status_code == 422
    assert outcome_of(response)["issue"][0]["expression"] == ["ServiceRequest.subject"]
    assert not Referral.objects.exists()


def _without(body, url):
    body["extension"] = [e for e in body["extension"] if e["url"] != url]
    return body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "status", "expression"),
    [
        (lambda b: b.update(status="draft"), 422, "ServiceRequest.status"),
        (lambda b: b.update(intent=7), 400, "ServiceRequest.intent"),
        (lambda b: b["contained"][0].update(birthDate="1984-13-45"), 400, "ServiceRequest.contained.0.birthDate"),
        (lambda b: b["contained"][0].update(birthDate="١٩٨٤-٠٣-٠٢"), 400, "ServiceRequest.contained.0.birthDate"),
        (lambda b: b["contained"][0]["address"][0].update(postalCode="٠٢١١٦"), 422, "Patient.address.postalCode"),
        (lambda b: b["contained"][0].update(gender="robot"), 422, "Patient.gender"),
        (lambda b: b.update(quantityQuantity={"value": 9}), 422, "ServiceRequest.quantityQuantity.value"),
        (lambda b: b.update(quantityQuantity={"value": "three"}), 400, "ServiceRequest.quantityQuantity.value"),
        (lambda b: b["contained"][2]["code"]["coding"][0].update(code="E84.0"), 422, "ServiceRequest.reasonCode"),
        (lambda b: _without(b, "http://clinic-portal.example/fhir/StructureDefinition/contact-consent"), 422,
         "ServiceRequest.extension('http://clinic-portal.example/fhir/StructureDefinition/contact-consent')"),
        (lambda b: b["locationCode"][0]["coding"][0].update(code="atlantis"), 422, "ServiceRequest.locationCode"),
        (lambda b: b["contained"][0]["name"][0].update(family="Diaz\x00"), 422, "Patient.name.family"),
        (lambda b: b.update(subject={"reference": "#nobody"}), 422, "ServiceRequest.subject"),
        (lambda b: b.update(resourceType="Patient"), 400, "resourceType"),
        (lambda b: b.update(contained="not a list"), 400, "ServiceRequest.contained"),
    ],
)  # fmt: skip
def test_invalid_service_requests_are_refused_with_an_operation_outcome(
    fhir, provider, location, change, status, expression
):
    body = migraine_referral(provider)
    change(body)
    response = post(fhir, body)
    assert response.status_code == status, response.content
    expressions = [e for i in outcome_of(response)["issue"] for e in i.get("expression", [])]
    assert any(e.startswith(expression) for e in expressions), expressions
    assert not Referral.objects.exists()


@pytest.mark.django_db
@given(system=st.text(max_size=300), value=st.text(max_size=300))
def test_any_identifier_is_stored_cleaned_as_the_key_or_refused_never_a_500(
    fhir, provider, location, system, value
):
    body = migraine_referral(provider)
    body["identifier"] = [{"system": system, "value": value}]
    response = post(fhir, body)
    assert response.status_code in (200, 201, 400, 409), response.content
    for key in Referral.objects.values_list("idempotency_key", flat=True):
        assert len(key) <= 200 and "\x00" not in key


@pytest.mark.django_db
def test_another_providers_npi_is_forbidden(fhir, provider, location):
    body = migraine_referral(provider)
    body["contained"][1]["identifier"][0]["value"] = ProviderFactory().npi
    response = post(fhir, body)
    assert response.status_code == 403
    assert outcome_of(response)["issue"][0]["code"] == "forbidden"
    assert not Referral.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"{not json", 400),
        (b"[]", 400),
        (b'"ServiceRequest"', 400),
        (b"[" * 5000 + b"]" * 5000, 400),
        (b'{"resourceType": "ServiceRequest", "x": "\\ud800"}', 400),
        (b'{"resourceType": "Bundle", "type": "batch", "entry": []}', 400),
        (b'{"resourceType": "Bundle", "type": "transaction", "entry": []}', 400),
        (json.dumps({"resourceType": "ServiceRequest", "note": [{"text": "x" * 2_000_000}]}).encode(), 413),
    ],
    ids=["not-json", "array", "string", "nested", "surrogate", "batch", "empty-bundle", "huge"],
)  # fmt: skip
def test_hostile_bodies_are_refused_with_an_operation_outcome(fhir, location, raw, status):
    response = post(fhir, raw)
    assert response.status_code == status
    assert outcome_of(response)["issue"]
    assert not Referral.objects.exists()


@pytest.mark.django_db
@given(value=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
))  # fmt: skip
def test_any_value_in_any_field_is_never_a_500(fhir, provider, location, value):
    body = migraine_referral(provider)
    for key in ("quantityQuantity", "priority", "subject", "extension", "reasonReference"):
        mutated = copy.deepcopy(body)
        mutated[key] = value
        response = post(fhir, mutated)
        assert response.status_code in (200, 201, 400, 403, 409, 413, 422), response.content
        if response.status_code >= 400:
            outcome_of(response)


@pytest.mark.django_db
def test_no_key_or_a_wrong_key_is_an_operation_outcome(location):
    anonymous = post(Client(), {"resourceType": "ServiceRequest"})
    assert anonymous.status_code == 401
    assert outcome_of(anonymous)["issue"][0]["code"] == "login"
    wrong = post(Client(HTTP_AUTHORIZATION="Bearer nope"), {"resourceType": "ServiceRequest"})
    assert wrong.status_code == 401
    staff = Client()
    staff.force_login(UserFactory(role="coordinator"))
    assert post(staff, {"resourceType": "ServiceRequest"}).status_code in (401, 403)


@pytest.mark.django_db
def test_the_task_follows_the_referral_with_its_history_and_only_for_its_provider(
    fhir, provider, location
):
    reference = post(fhir, migraine_referral(provider)).json()["id"]
    referral = Referral.objects.get(reference=reference)
    services.referral_set_status(referral=referral, status=ReferralStatus.CONTACTING)
    services.referral_set_status(
        referral=referral, status=ReferralStatus.NOT_ELIGIBLE, reason="Uncontrolled hypertension"
    )
    task = fhir.get(f"/fhir/Task/{reference}").json()
    Task.model_validate(task)
    assert task["status"] == "rejected"
    assert task["businessStatus"]["coding"][0]["code"] == "not_eligible"
    assert task["statusReason"]["text"] == "Uncontrolled hypertension"
    assert task["meta"]["versionId"] == "3"
    history = fhir.get(f"/fhir/Task/{reference}/_history").json()
    Bundle.model_validate(history)
    assert [e["resource"]["status"] for e in history["entry"]] == [
        "rejected",
        "accepted",
        "requested",
    ]
    # Another provider's key: the same answer as a referral that does not exist.
    _, other_key = services.api_token_create(provider=ProviderFactory(), name="EHR")
    other = Client(HTTP_AUTHORIZATION=f"Bearer {other_key}")
    for url in (f"/fhir/Task/{reference}", f"/fhir/Task/{reference}/_history", "/fhir/Task/R-1"):
        response = other.get(url)
        assert response.status_code == 404
        assert outcome_of(response)["issue"][0]["code"] == "not-found"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "shape",
    [
        lambda npi: npi.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
        lambda npi: npi[:5] + "\x00" + npi[5:],
        lambda npi: npi + "\n",
        int,
        lambda npi: [npi],
        lambda npi: {"value": npi},
    ],
    ids=["unicode-digits", "nul", "newline", "number", "list", "object"],
)
def test_a_requester_npi_of_any_shape_is_refused_with_an_operation_outcome(
    fhir, provider, location, shape
):
    # The provider's own NPI, in Arabic-Indic digits, cut by a NUL, as a number, a list...
    body = migraine_referral(provider)
    body["contained"][1]["identifier"][0]["value"] = shape(provider.npi)
    response = post(fhir, body)
    assert response.status_code in (400, 403, 422), response.content
    assert outcome_of(response)["issue"]
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_other_methods_types_and_addresses_are_an_operation_outcome(fhir, provider, location):
    cases = [
        (fhir.get(URL), 405),
        (fhir.put(URL, "{}", content_type=FHIR_JSON), 405),
        (post(fhir, "resourceType=ServiceRequest", content_type="text/plain"), 415),
        (post(fhir, b"<ServiceRequest/>", content_type="application/fhir+xml"), 415),
        (fhir.get("/fhir/Patient/1"), 404),
        (fhir.get("/fhir/metadata"), 404),
        (fhir.delete("/fhir/Task/R-2026-00001"), 405),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request["PATH_INFO"], response.content)
        assert response["Content-Type"].startswith("application/fhir+json")
        outcome_of(response)
