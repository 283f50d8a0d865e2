"""A form whose CSRF check fails (sent after the session ran out, from a page left open for
days, or by another site) answers with the portal's own 403 page in the user's language, says
nothing was saved and offers the way back; and nothing was saved (issue 20)."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from clinic.models import Role
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict():
    """A browser whose forms are checked as a real one's are (the test client skips it)."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Your form was not sent", "Nothing was saved", "Go to your home page"]),
        ("es", ["Su formulario no se envió", "No se guardó nada", "Ir a su página de inicio"]),
    ],
)
def test_a_stale_form_gets_the_portals_403_in_the_users_language(strict, language, words):
    from intake.models import Referral

    strict.force_login(UserFactory(role=Role.PROVIDER))
    strict.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    before = Referral.objects.count()
    response = strict.post(
        reverse("intake:referral_create"),
        {"patient_first_name": "Ana"},
        headers={"Referer": "http://testserver/provider/referrals/new/"},
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert f'lang="{language}"' in page and "pico.min.css" in page  # the portal's layout
    assert all(w in page for w in words), page
    assert 'href="http://testserver/provider/referrals/new/"' in page  # back to the form
    assert "CSRF verification failed" not in page and "Forbidden" not in page  # not Django's
    assert Referral.objects.count() == before


def test_a_sign_in_after_the_session_ran_out_offers_sign_in_and_no_foreign_way_back(strict):
    response = strict.post(
        reverse("login"),
        {"username": "someone@mail.example", "password": "x"},
        headers={"Referer": "https://evil.example/phish"},
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your form was not sent" in page and f'href="{reverse("login")}"' in page
    assert "evil.example" not in page
