import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from billing.models import EstimateAcknowledgement, GfeObligation
from billing.services import estimate_issue, gfe_record_request
from clinic.formatting import format_date
from clinic.models import Role
from tests.factories.billing import billable_location, patient
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


@pytest.fixture
def location():
    return billable_location(name="Boston · Back Bay", address_line="200 Clarendon Street")


@pytest.fixture
def maria():
    return patient(user__first_name="Maria", user__last_name="Lopez")


def issue(who, location, n=4, reason="Course booked"):
    return estimate_issue(
        patient=who,
        location=location,
        infusion_count=n,
        scheduled_starts=[dt.datetime(2026, 3, d, 9, 0, tzinfo=NY) for d in (9, 16, 23, 30)][:n],
        diagnosis_codes=["G43.709", "G43.E09"],
        issued_by=UserFactory(role=Role.COORDINATOR),
        reason=reason,
    )


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


REQUIRED = [
    "Maria Lopez",  # patient name
    "May 17, 1984",  # date of birth
    "IV infusion with monitoring",  # primary service
    "96365",  # its code
    "Monday, March 9, 2026, 9:00 AM EDT",  # a scheduled date with its zone
    "Monday, March 30, 2026, 9:00 AM EDT",
    "America/New_York",
    "99205",  # itemised, with codes
    "J2405",
    "$2,889.80",  # total
    "$2,750.00",  # range low
    "G43.709",  # diagnosis codes
    "G43.E09",
    "Dev Patel, MD",  # provider name and NPI
    "1245319599",
    "Harbor Headache & Infusion Clinic, P.C.",  # facility, NPI, TIN, location
    "1234567893",
    "04-3456789",
    "200 Clarendon Street",
    "is only an estimate",
    "at least $400 more than this Good Faith Estimate",
    "is not a contract",
    "You are not required to obtain the items or services",
    "Date issued",
]


def test_gfe_page_shows_every_required_element(client, location, maria):
    estimate = issue(maria, location)
    client.force_login(maria)
    page = squash(client.get(reverse("billing:gfe", args=[estimate.pk])).content.decode())
    page = page.replace("&amp;", "&")
    for element in REQUIRED:
        assert element in page, element
    assert estimate.label in page


def test_gfe_pdf_text_has_every_required_element(client, location, maria):
    estimate = issue(maria, location)
    client.force_login(maria)
    response = client.get(reverse("billing:gfe_pdf", args=[estimate.pk]))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = squash(" ".join(page.extract_text() for page in reader.pages))
    for element in REQUIRED:
        assert element in text, element


def test_a_spanish_gfe_shows_dates_and_the_reason_in_spanish(client, location, maria):
    maria.preferred_language = "es"
    maria.save(update_fields=["preferred_language"])
    estimate = issue(maria, location, reason="Sessions booked")
    client.force_login(maria)
    page = squash(client.get(reverse("billing:gfe", args=[estimate.pk])).content.decode())
    assert "9 de marzo de 2026, 09:00 EDT" in page  # day, month, year; 24 h clock; zone
    assert "17 de mayo de 1984" in page
    assert "Motivo de esta versión: Sesiones reservadas" in page
    assert "AM" not in page.split("Fechas programadas")[1].split("</ul>")[0]


def test_a_patient_sees_only_their_own_estimates(client, location, maria):
    mine = issue(maria, location)
    other = patient(user__first_name="Olga", user__last_name="Other")
    theirs = issue(other, location)
    client.force_login(maria)
    page = client.get(reverse("billing:my_estimate")).content.decode()
    assert mine.number in page
    assert theirs.number not in page and "Olga" not in page
    assert client.get(reverse("billing:gfe", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("billing:gfe_pdf", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("billing:acknowledge", args=[theirs.pk])).status_code == 404
    assert not EstimateAcknowledgement.objects.exists()


def test_my_estimate_lists_the_current_version_and_earlier_ones(client, location, maria):
    v1 = issue(maria, location, n=4)
    v2 = issue(maria, location, n=6, reason="Six infusions")
    client.force_login(maria)
    page = squash(client.get(reverse("billing:my_estimate")).content.decode())
    assert f"{v2.number} v2" in page.split("Earlier versions")[0]
    assert f"{v1.number} v1" in page.split("Earlier versions")[1]
    assert client.get(reverse("billing:gfe", args=[v1.pk])).status_code == 200


def test_the_patient_acknowledges_receipt_and_the_time_is_shown(client, location, maria):
    estimate = issue(maria, location)
    client.force_login(maria)
    response = client.post(reverse("billing:acknowledge", args=[estimate.pk]), follow=True)
    assert "recorded that you received" in response.content.decode()
    ack = EstimateAcknowledgement.objects.get(estimate=estimate)
    assert ack.acknowledged_by == maria
    page = client.get(reverse("billing:gfe", args=[estimate.pk])).content.decode()
    assert "Receipt acknowledged" in page


def test_a_patient_can_ask_for_a_gfe(client, location, maria):
    client.force_login(maria)
    response = client.post(reverse("billing:request_gfe"), {"location": location.pk}, follow=True)
    assert "We will send your Good Faith Estimate by" in response.content.decode()
    assert GfeObligation.objects.get(patient=maria).trigger == "requested"


def test_a_spanish_speaking_patient_is_told_the_date_in_spanish(client, location, maria):
    maria.preferred_language = "es"
    maria.save()
    client.force_login(maria)
    response = client.post(reverse("billing:request_gfe"), {"location": location.pk}, follow=True)
    due = GfeObligation.objects.get(patient=maria).due_on
    with translation.override("es"):
        day = format_date(due, r"l j \d\e F \d\e Y")  # "lunes 7 de diciembre de 2026"
    said = f"Le enviaremos su Estimación de Buena Fe a más tardar el {day}."
    assert said in response.content.decode()


def test_coordinators_see_overdue_and_due_gfes(client, location, maria):
    gfe_record_request(
        patient=maria, location=location, requested_at=dt.datetime(2026, 1, 5, 9, tzinfo=NY)
    )
    client.force_login(UserFactory(role=Role.COORDINATOR))
    page = client.get(reverse("billing:coordinator_list")).content.decode()
    assert "Maria Lopez" in page
    assert "Overdue" in page
    assert "Thu Jan 8, 2026" in page


def test_estimate_card_fragment_for_coordinators(client, location):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    url = reverse("billing:estimate_card")
    response = client.get(url, {"location": location.pk, "infusions": 6}, HTTP_HX_REQUEST="true")
    body = squash(response.content.decode())
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="estimate-card"' in body
    assert "$3,750.00 – $3,959.70" in body
    assert "package discount of $600.00" in body
    full = client.get(url, {"location": location.pk, "infusions": 2})
    assert "<html" in full.content.decode() and "$1,750.00" in full.content.decode()


@pytest.mark.parametrize("role", [Role.PATIENT, Role.CLINICIAN, Role.PROVIDER, Role.ADMIN])
def test_estimate_card_is_for_coordinators_only(client, location, role):
    client.force_login(UserFactory(role=role))
    response = client.get(
        reverse("billing:estimate_card"), {"location": location.pk, "infusions": 2}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.PROVIDER])
def test_other_roles_cannot_read_a_gfe(client, location, maria, role):
    estimate = issue(maria, location)
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("billing:gfe", args=[estimate.pk])).status_code == 403
    assert client.get(reverse("billing:coordinator_list")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, location, maria):
    estimate = issue(maria, location)
    for url in [reverse("billing:my_estimate"), reverse("billing:gfe", args=[estimate.pk])]:
        assert client.get(url).status_code == 302


def test_the_hold_and_confirmation_pages_show_the_late_fee_before_and_after_booking(client):
    """Billing serves scheduling's hold page with the fee its schedule charges for a late
    cancellation; the page also gives the preparation, the address with a map and the number."""
    from django.utils import timezone

    from scheduling.services import course_create, slot_hold
    from tests.factories.scheduling import (
        ChairFactory,
        SessionTypeFactory,
        StaffShiftFactory,
        open_every_day,
    )

    location = billable_location(name="Boston · Back Bay", time_zone=NY)
    open_every_day(location)
    ChairFactory(location=location)
    now = timezone.now()
    StaffShiftFactory(location=location, starts_at=now, ends_at=now + dt.timedelta(days=30))
    SessionTypeFactory()
    who = patient()
    course = course_create(
        patient=who,
        location=location,
        planned_sessions=1,
        needs_clinician_review=False,
        created_by=None,
    )
    day = now.astimezone(NY).date() + dt.timedelta(days=4)
    hold = slot_hold(
        course=course,
        starts_at=dt.datetime.combine(day, dt.time(10), tzinfo=NY),
        location=location,
    )
    client.force_login(who)
    url = reverse("scheduling:patient_hold_confirm", args=[hold.pk])
    page = squash(client.get(url).content.decode())
    assert "a late-cancellation fee of $150.00 applies" in page
    assert "Free up to 24 hours before the session." in page
    assert "No food for 6 hours" in page and "drive you home" in page
    assert 'href="tel:+15550100100"' in page and "google.com/maps/search/?api=1" in page
    assert "10:00 AM EST" in page
    booked = client.post(url)
    page = squash(client.get(booked["Location"]).content.decode())
    assert "You're booked" in page and "$150.00" in page and "tel:+15550100100" in page


def test_a_patient_who_reads_spanish_gets_the_gfe_page_and_pdf_in_spanish(client, location, maria):
    """An estimate issued in English, read after the patient switched to Spanish: the page and
    the PDF are in Spanish (a reading copy, Spanish date forms), the issued English document
    kept beside it as the one that counts."""
    estimate = issue(maria, location)
    maria.preferred_language = "es"
    maria.save(update_fields=["preferred_language"])
    client.force_login(maria)
    page = squash(client.get(reverse("billing:gfe", args=[estimate.pk])).content.decode())
    assert '<html lang="es"' in page
    assert "Su presupuesto se emitió en inglés" in page and "&lt;article" not in page
    assert "Estimación de Buena Fe" in page and "de marzo de 2026" in page and "Marzo" not in page
    assert "El presupuesto tal como se emitió (inglés)" in page
    assert "Good Faith Estimate" in page  # the issued document, in <details>
    pdf = client.get(reverse("billing:gfe_pdf", args=[estimate.pk]))
    text = squash(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages))
    assert "Su presupuesto se emitió en inglés" in text and "Estimación de Buena Fe" in text
