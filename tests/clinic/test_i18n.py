"""Spanish for patients: chosen from their preferred language, switchable on every page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from clinic.models import Role
from intake.forms import CallLogForm
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory
from waitlist.forms import OfferByHandForm

pytestmark = pytest.mark.django_db


def test_a_spanish_speaking_patient_sees_their_course_page_in_spanish(client):
    patient = UserFactory(role=Role.PATIENT, preferred_language="es", first_name="Lucía")
    client.force_login(patient)
    response = client.get(reverse("scheduling:patient_home"))
    page = response.content.decode()
    assert response["Content-Language"] == "es"
    assert '<html lang="es"' in page
    assert "Mi tratamiento" in page and "Hola, Lucía." in page
    assert "Cerrar sesión" in page
    # The switcher offers the other language, labelled in that language.
    assert 'lang="en">English</button>' in page


def test_an_english_speaking_patient_sees_english(client):
    client.force_login(UserFactory(role=Role.PATIENT, preferred_language="en"))
    page = client.get(reverse("scheduling:patient_home")).content.decode()
    assert "My course" in page and 'lang="es">Español</button>' in page


def test_switching_saves_a_patients_preferred_language(client):
    patient = UserFactory(role=Role.PATIENT, preferred_language="en")
    client.force_login(patient)
    response = client.post(reverse("set_language"), {"language": "es", "next": "/my/"})
    assert response.status_code == 302 and response["Location"] == "/my/"
    patient.refresh_from_db()
    assert patient.preferred_language == "es"
    assert "Mi tratamiento" in client.get("/my/").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/my/"})
    patient.refresh_from_db()
    assert patient.preferred_language == "en"
    assert "My course" in client.get("/my/").content.decode()


def test_a_visitor_switches_with_the_cookie_alone(client):
    response = client.post(reverse("set_language"), {"language": "es", "next": "/accounts/login/"})
    assert response.cookies["django_language"].value == "es"
    page = client.get(reverse("login")).content.decode()
    assert "Iniciar sesión" in page and "¿Olvidó su contraseña?" in page


def test_switching_does_not_change_staff_profiles_and_refuses_unknown_languages(client):
    coordinator = UserFactory(role=Role.COORDINATOR)
    client.force_login(coordinator)
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    coordinator.refresh_from_db()
    assert coordinator.preferred_language == "en"
    patient = UserFactory(role=Role.PATIENT)
    client.force_login(patient)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    patient.refresh_from_db()
    assert patient.preferred_language == "en"


def test_the_switcher_only_accepts_post(client):
    assert client.get(reverse("set_language")).status_code == 405


def test_the_catalogue_has_no_fuzzy_or_broken_entries():
    from pathlib import Path

    po = (Path(__file__).resolve().parents[2] / "locale/es/LC_MESSAGES/django.po").read_text()
    assert "#, fuzzy" not in po
    assert 'msgstr "Mi tratamiento"' in po


@pytest.mark.clock_sweep
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_day_view_keeps_its_day_in_the_date_picker_in_both_languages(client, language, clock):
    """A date picker takes ISO dates only: written the Spanish way (06/12/2026) the browser showed
    it empty, while the page below it showed that day."""
    location = LocationFactory(name="Boston")
    client.force_login(UserFactory(role=Role.COORDINATOR))
    page = client.get(reverse("scheduling:staff_day"), HTTP_ACCEPT_LANGUAGE=language)
    today = timezone.localdate(clock.now(), location.time_zone)
    assert f'type="date" name="date" value="{today.isoformat()}"' in page.content.decode()


@pytest.mark.parametrize("language", ["en", "es"])
def test_date_and_time_pickers_write_iso_values_in_both_languages(language):
    with translation.override(language):
        offer = OfferByHandForm(initial={"starts_at": dt.datetime(2026, 12, 6, 14, 30)})
        assert 'value="2026-12-06T14:30"' in str(offer["starts_at"])
        call = CallLogForm(initial={"callback_at": dt.datetime(2026, 12, 7, 9, 5)})
        assert 'value="2026-12-07T09:05"' in str(call["callback_at"])
