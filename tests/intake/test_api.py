import base64

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from intake import services
from intake.models import IntakeCase, Referral, ReferralStatusChange
from tests.factories.intake import ProviderFactory
from tests.factories.scheduling import LocationFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def location():
    return LocationFactory(slug="boston", name="Boston")


@pytest.fixture
def provider():
    return ProviderFactory()


@pytest.fixture
def api(provider):
    _, key = services.api_token_create(provider=provider, name="EHR")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def payload(**overrides):
    body = {
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
        "preventives_tried": ["topiramate"],
        "no_contraindications": True,
        "recommended_infusions": 3,
        "urgency": "routine",
    }
    body.update(overrides)
    return body


def test_post_creates_one_referral_with_its_case_and_history(api, location):
    response = api.post(
        "/api/v1/referrals",
        payload(
            attachments=[{"filename": "n.pdf", "content_base64": base64.b64encode(PDF).decode()}]
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    referral = Referral.objects.get()
    assert body["reference"] == referral.reference
    assert body["status"] == "received"
    assert [h["status"] for h in body["history"]] == ["received"]
    assert IntakeCase.objects.filter(referral=referral).count() == 1
    assert ReferralStatusChange.objects.count() == 1
    assert referral.attachments.get().content_type == "application/pdf"


def test_a_replayed_idempotency_key_returns_the_first_referral(api, location):
    first = api.post("/api/v1/referrals", payload(), format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = api.post("/api/v1/referrals", payload(), format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["reference"] == first.json()["reference"]
    assert Referral.objects.count() == 1
    assert IntakeCase.objects.count() == 1


def test_the_same_key_with_a_different_body_is_refused(api, location):
    api.post("/api/v1/referrals", payload(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    other = api.post(
        "/api/v1/referrals",
        payload(patient_first_name="Bea"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["errors"]["non_field_errors"][0]
    assert Referral.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "1890-01-01"}, "date_of_birth"),
        ({"mobile_phone": "12"}, "mobile_phone"),
        ({"recommended_infusions": 0}, "recommended_infusions"),
        ({"recommended_infusions": 7}, "recommended_infusions"),
        ({"diagnosis_code": "X99"}, "diagnosis_code"),
        ({"contact_consent": False}, "contact_consent"),
        ({"preferred_location": "atlantis"}, "preferred_location"),
        ({"preventives_tried": "topiramate"}, "preventives_tried"),
        (
            {
                "attachments": [
                    {
                        "filename": "a.pdf",
                        "content_base64": base64.b64encode(b"MZ" + b"\0" * 64).decode(),
                    }
                ]
            },
            "attachments",
        ),
        ({"attachments": [{"filename": "a.pdf", "content_base64": "%%%"}]}, "attachments"),
    ],
)
def test_bad_input_answers_400_with_the_field_and_stores_nothing(api, location, overrides, field):
    response = api.post("/api/v1/referrals", payload(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert Referral.objects.count() == 0 and IntakeCase.objects.count() == 0


def test_a_body_that_is_not_an_object_is_a_clean_400(api, location):
    response = api.post("/api/v1/referrals", [1, 2], format="json")
    assert response.status_code == 400


def test_without_a_key_or_with_a_revoked_key_the_api_answers_401(provider, location):
    anonymous = APIClient()
    assert anonymous.post("/api/v1/referrals", payload(), format="json").status_code == 401
    token, key = services.api_token_create(provider=provider, name="old")
    services.api_token_revoke(provider=provider, token_id=token.pk)
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert revoked.get("/api/v1/referrals/R-2026-00001").status_code == 401
    assert Referral.objects.count() == 0


def test_revoking_a_key_asks_first_and_then_cuts_the_ehr_off(client, provider, location):
    token, key = services.api_token_create(provider=provider, name="Epic")
    ehr = APIClient()
    ehr.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.force_login(provider.user)
    url = reverse("intake:api_token_revoke", args=[token.pk])

    # The account page links to a question, not to the revocation itself.
    assert f'href="{url}"' in client.get(reverse("intake:provider_account")).content.decode()
    asked = client.get(url).content.decode()
    assert "Revoke this API key?" in asked and "Epic" in asked and "cannot be undone" in asked
    assert ehr.post("/api/v1/referrals", payload(), format="json").status_code == 201

    assert client.post(url).status_code == 302
    assert ehr.get("/api/v1/referrals/R-2026-00001").status_code == 401
    assert "already revoked" in client.get(url).content.decode()

    # Another provider's key is not there at all, asked or revoked.
    other, _ = services.api_token_create(provider=ProviderFactory(), name="Theirs")
    other_url = reverse("intake:api_token_revoke", args=[other.pk])
    assert client.get(other_url).status_code == 404
    assert client.post(other_url).status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_a_signed_in_browser_session_is_not_an_api_credential(client, provider, location):
    client.force_login(provider.user)
    assert (
        client.post("/api/v1/referrals", payload(), content_type="application/json").status_code
        == 401
    )


def test_a_provider_cannot_read_another_providers_referral(api, provider, location):
    other = ProviderFactory()
    _, other_key = services.api_token_create(provider=other, name="EHR")
    other_api = APIClient()
    other_api.credentials(HTTP_AUTHORIZATION=f"Bearer {other_key}")
    reference = other_api.post("/api/v1/referrals", payload(), format="json").json()["reference"]
    assert other_api.get(f"/api/v1/referrals/{reference}").status_code == 200
    assert api.get(f"/api/v1/referrals/{reference}").status_code == 404


def test_get_shows_the_dated_status_history(api, provider, location):
    reference = api.post("/api/v1/referrals", payload(), format="json").json()["reference"]
    referral = Referral.objects.get(reference=reference)
    services.referral_set_status(referral=referral, status="contacting")
    services.referral_set_status(referral=referral, status="declined", reason="Cost")
    body = api.get(f"/api/v1/referrals/{reference}").json()
    assert [h["status"] for h in body["history"]] == ["received", "contacting", "declined"]
    assert body["history"][-1]["reason"] == "Cost"
    assert body["status_label"] == "Declined by the patient"


def test_the_openapi_schema_and_docs_page_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/v1/referrals" in text and "Idempotency-Key" in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()


def test_an_idempotency_key_with_control_characters_is_cleaned_not_a_500(api, location):
    first = api.post("/api/v1/referrals", payload(), format="json", HTTP_IDEMPOTENCY_KEY="k\x00\n1")
    again = api.post("/api/v1/referrals", payload(), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201 and again.status_code == 200
    assert Referral.objects.get().idempotency_key == "k1"


def test_unknown_fields_are_refused_by_name_and_nothing_is_stored(api, location):
    # Misspelt, they used to be dropped: the referral was stored as routine, with no flag.
    body = payload(contraindication="uncontrolled hypertension", urgancy="urgent")
    response = api.post("/api/v1/referrals", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"contraindication": ["Unknown field."], "urgancy": ["Unknown field."]}
    }
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mobile_phone", "1-800-FLOWERS"),  # letters a phone library would read as digits
        ("mobile_phone", "617 555 0123 ext. 5"),
        ("zip_code", "02116\n"),
        ("zip_code", "٠٢١١٦"),  # Arabic-Indic digits
    ],
)
def test_a_phone_or_zip_outside_the_documented_pattern_is_refused(api, location, field, value):
    response = api.post("/api/v1/referrals", payload(**{field: value}), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Referral.objects.exists()


@pytest.mark.parametrize("phone", ["617-555-0123", "(617) 555-0123", "+1 617 555 0123"])
def test_the_documented_phone_formats_are_accepted(api, location, phone):
    response = api.post("/api/v1/referrals", payload(mobile_phone=phone), format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"patient_first_name": "A" * 101}, "patient_first_name"),
        ({"patient_first_name": " \u00a0 "}, "patient_first_name"),
        ({"patient_last_name": "Di\u202eaz"}, "patient_last_name"),  # right-to-left override
        ({"notes": "a\x0bb"}, "notes"),
        ({"headache_days_per_month": "18"}, "headache_days_per_month"),
        ({"no_contraindications": "yes"}, "no_contraindications"),
        ({"email": ""}, "email"),
        ({"email": None}, "email"),
        ({"attachments": [{"content_base64": "JVBERi0xLjQKJSVFT0YK"}]}, "attachments"),
        ({"attachments": [{"filename": "a.pdf", "content_base64": "JVBERi0"}]}, "attachments"),
    ],
)
def test_what_the_published_contract_refuses_is_a_400_naming_the_field(
    api, location, overrides, field
):
    response = api.post("/api/v1/referrals", payload(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not Referral.objects.exists()


def test_a_lone_surrogate_is_a_400_not_a_500(api, location):
    # "\ud800" is valid JSON but not text: PostgreSQL cannot store it.
    body = '{"patient_first_name": "A\\ud800", "patient_last_name": "Diaz"}'
    response = api.generic("POST", "/api/v1/referrals", body, content_type="application/json")
    assert response.status_code == 400
    assert "surrogate" in response.json()["errors"]["non_field_errors"][0]


def test_an_idempotency_key_longer_than_the_schema_allows_is_refused_not_cut(api, location):
    # Cut to 200 characters, two different keys sharing their start would collide.
    response = api.post(
        "/api/v1/referrals", payload(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 201
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Referral.objects.exists()
