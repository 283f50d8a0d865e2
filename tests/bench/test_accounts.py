"""The benchmark signs its users in by writing sessions directly; the portal must accept them,
or every page the bench measures is a redirect to the sign-in page."""

import pytest
from django.conf import settings
from django.urls import reverse

from bench.accounts import session_cookie
from tests.factories.scheduling import PatientFactory


@pytest.mark.django_db
def test_a_bench_session_is_a_signed_in_user(client):
    patient = PatientFactory()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie(patient)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url != reverse("login")
    assert reverse("login") not in response.url
