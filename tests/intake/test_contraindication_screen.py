"""The referral's contraindication screen (web form and API): the wider list, and "not screened"
told apart from "screened, none"."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from intake import services
from intake.clinical import Contraindication
from intake.models import ChecklistItem, Referral
from tests.factories.intake import ProviderFactory
from tests.factories.scheduling import LocationFactory
from tests.intake.test_api import payload
from tests.intake.test_referral_form import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def location():
    return LocationFactory(slug="boston", name="Boston")


@pytest.fixture
def web_provider(client):
    provider = ProviderFactory(user__first_name="Ruth", user__last_name="Okafor")
    client.force_login(provider.user)
    return provider


@pytest.fixture
def api():
    _, key = services.api_token_create(provider=ProviderFactory(), name="EHR")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_the_screen_covers_breastfeeding_seizures_substance_history_and_interactions():
    labels = {str(label) for label in Contraindication.labels}
    assert "Breastfeeding" in labels
    assert "Seizure disorder" in labels
    assert any("now or in the past" in label and "ketamine" in label.lower() for label in labels)
    assert any("interacts with ketamine" in label for label in labels)


def test_an_empty_screen_needs_none_of_these_apply_on_the_web_form(client, web_provider, location):
    response = client.post(
        reverse("intake:referral_create"), form_data(location, contraindications=[])
    )
    assert response.status_code == 200
    assert "or “None of these apply”" in response.content.decode()
    assert not Referral.objects.exists()
    client.post(
        reverse("intake:referral_create"),
        form_data(location, contraindications=[], no_contraindications="on"),
    )
    referral = Referral.objects.get()
    assert referral.no_contraindications and referral.contraindications == []


def test_a_flag_and_none_together_are_refused(client, web_provider, location):
    response = client.post(
        reverse("intake:referral_create"),
        form_data(location, contraindications=["seizure_disorder"], no_contraindications="on"),
    )
    assert "untick “None of these apply”" in response.content.decode()
    assert not Referral.objects.exists()


def test_the_api_refuses_an_empty_screen_without_the_explicit_none(api, location):
    body = payload()
    del body["no_contraindications"]
    response = api.post("/api/v1/referrals", body, format="json")
    assert response.status_code == 400
    assert "contraindications" in response.json()["errors"]
    assert not Referral.objects.exists()
    flagged = api.post(
        "/api/v1/referrals",
        payload(no_contraindications=False, contraindications=["breastfeeding"]),
        format="json",
        HTTP_IDEMPOTENCY_KEY="flagged",
    )
    assert flagged.status_code == 201
    none = api.post(
        "/api/v1/referrals",
        payload(no_contraindications=True),
        format="json",
        HTTP_IDEMPOTENCY_KEY="none",
    )
    assert none.status_code == 201
    assert Referral.objects.filter(no_contraindications=True).count() == 1


def test_the_schema_documents_the_none_field(client):
    schema = client.get("/api/schema/").content.decode()
    assert "no_contraindications" in schema and "breastfeeding" in schema


def test_the_talking_points_say_it_plainly():
    assert "not FDA-approved for migraine" in str(ChecklistItem.OFF_LABEL.label)
    assert "migraine profile" in str(ChecklistItem.COURSE_LENGTH.label)
    assert "Good Faith Estimate" in str(ChecklistItem.GFE_NOTICE.label)
