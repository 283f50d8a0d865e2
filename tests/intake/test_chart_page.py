"""The patient chart (GET /patients/<pk>/ and /patients/referral/<reference>/) shows the same
text whoever of the clinic reads it and whatever the record holds: its visible text, and where
its links and forms lead (ids masked), in each case below are compared with a snapshot
(tests/intake/chart_page/<case>.txt) taken from the page as it was before it was read in one
statement (issue 19).

    PAGE_TEXT_UPDATE=1 .venv/bin/pytest tests/intake/test_chart_page.py   # rewrite them
"""

import datetime as dt
import re
from pathlib import Path

import factory.random
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import Estimate
from billing.services.estimates import estimate_acknowledge
from clinic.audit.models import AuditEvent
from clinic.messaging.models import InboundReply
from clinic.messaging.services import consent_withdraw_by_staff
from clinic.models import Role
from intake import services as intake_services
from intake.models import ChecklistItem, ReferralStatus
from outcomes.models import InstrumentResponse
from scheduling.services import course_change_planned_count, session_book, session_cancel
from tests import clock as test_clock
from tests.clinic.test_page_text import visible_text
from tests.factories.intake import ProviderFactory, referral_data, submit_referral
from tests.factories.users import UserFactory
from tests.intake.test_chart import at, make_clinic, patient_from_intake
from tests.intake.test_query_counts import _diary_days
from tests.support.snapshots import compare_snapshot

pytestmark = pytest.mark.django_db

SNAPSHOTS = Path(__file__).parent / "chart_page"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_LINK = re.compile(r'(?:href|action)="([^"]*)"')


def page_snapshot(html: str) -> str:
    """The visible text, then every link's and form's target with its numbers masked (ids come
    from database sequences)."""
    links = (re.sub(r"\d+", "#", link) for link in _LINK.findall(html))
    return visible_text(html) + "--- links\n" + "\n".join(links) + "\n"


def _compare(name: str, html: str) -> None:
    text = page_snapshot(html)
    compare_snapshot(SNAPSHOTS, name, text)


def _get(client, url: str, user, language: str = "en") -> str:
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def fixed_clock(clock):
    """Every case starts at the same instant, and the factories make the same names (Faker's
    are random, their sequences count every earlier test's): the snapshots hold dates and
    names."""
    clock.travel(test_clock.DEFAULT)
    factory.random.reseed_random("chart page")
    for maker in (UserFactory, ProviderFactory):
        maker.reset_sequence()
    return clock


def _rich_patient(clock, after_commit):
    """A patient with something in every section: calls with a callback, a possible duplicate,
    booked, cancelled and moved sessions, a changed plan, an opt-out, a reply, estimates (one
    acknowledged), GFEs owed, diary days and a MIDAS answer. Each change of the course is
    committed on its own (`after_commit`: estimates_after_commit), its GFE issued after it."""
    location = make_clinic()
    patient, referral = patient_from_intake(location, attempts=3)
    course = referral.course
    coordinator = UserFactory(role=Role.COORDINATOR, first_name="Nora", last_name="Díaz")
    with after_commit():
        session_book(course=course, starts_at=at(2), by=None)
    with after_commit():
        cancelled = session_book(course=course, starts_at=at(9, 11), by=None)
    with after_commit():
        session_cancel(session=cancelled, by=coordinator, reason="Patient asked <politely>")
    with after_commit():
        session_book(course=course, starts_at=at(16, 14), by=coordinator)
    course.refresh_from_db()
    with after_commit():
        course_change_planned_count(
            course=course, count=5, by=coordinator, reason="Doctor's advice"
        )
    consent_withdraw_by_staff(
        patient=patient,
        channels=["sms"],
        recorded_by=coordinator,
        how="Phone call",
        note="Told us & meant it",
    )
    InboundReply.objects.create(
        channel="sms",
        from_address="+16175550123",
        user=patient,
        body="¿Puedo cambiar la cita? " + "muy largo " * 20,
        action="other",
        needs_attention=True,
        at=clock.now(),
    )
    InboundReply.objects.create(
        channel="sms",
        from_address="+16175550123",
        user=patient,
        body="STOP",
        action="stop",
        handled_by=coordinator,
        handled_at=clock.now(),
        at=clock.now() - dt.timedelta(hours=2),
    )
    estimate_acknowledge(
        estimate=Estimate.objects.filter(patient=patient).order_by("version").first(),
        patient=patient,
    )
    submit_referral(  # the same name and phone: linked as a possible duplicate
        location=location,
        provider=ProviderFactory(),
        patient_first_name="Luis",
        patient_last_name="Hernández",
    )
    _diary_days(course, 20)
    InstrumentResponse.objects.create(
        plan=course.outcome_plan,
        instrument="midas",
        time_point="baseline",
        answers={},
        score=24,
        grade="IV",
        answered_at=clock.now(),
    )
    return patient


def test_a_patients_chart_shows_the_same_text(fixed_clock, client, estimates_after_commit):
    patient = _rich_patient(fixed_clock, estimates_after_commit)
    url = reverse("intake:patient_chart", args=[patient.pk])
    coordinator = UserFactory(role=Role.COORDINATOR)
    _compare("patient-coordinator", _get(client, url, coordinator))
    _compare("patient-coordinator-es", _get(client, url, coordinator, "es"))
    _compare("patient-clinician", _get(client, url, UserFactory(role=Role.CLINICIAN)))
    _compare("patient-admin", _get(client, url, UserFactory(role=Role.ADMIN)))
    assert AuditEvent.objects.filter(patient_id=patient.pk, action="view").count() == 4


def test_a_new_patients_chart_shows_the_same_text(fixed_clock, client):
    """An account not yet active, with its invitation, and nothing booked."""
    location = make_clinic()
    referral = submit_referral(location=location, patient_last_name="Slow")
    coordinator = UserFactory(role=Role.COORDINATOR)
    case = referral.intake_case
    intake_services.case_claim(case=case, coordinator=coordinator)
    for item in ChecklistItem.values:
        intake_services.case_set_checklist_item(
            case=case, coordinator=coordinator, item=item, ticked=True
        )
    intake_services.call_log(
        case=case, coordinator=coordinator, outcome="intake_complete", planned_sessions=2
    )
    referral.refresh_from_db()
    url = reverse("intake:patient_chart", args=[referral.patient_id])
    _compare("new-patient-coordinator", _get(client, url, coordinator))
    _compare("new-patient-coordinator-es", _get(client, url, coordinator, "es"))


def test_a_referrals_chart_shows_the_same_text(fixed_clock, client):
    location = make_clinic()
    provider = ProviderFactory(verified_at=None)
    referral, _created = intake_services.referral_submit(
        provider=provider,
        data=referral_data(
            location=location,
            patient_first_name="Zoë",
            patient_last_name="O'Brien <b>",
            email="zoe@example.test",
            preferred_language="es",
            mobile_phone="+13125550199",
            preventives_tried=["topiramate", "propranolol"],
            preventives_other="Amitriptyline & <i>others</i>",
            current_medications="Sumatriptan 50 mg\nNaproxen",
            blood_pressure="128/84",
            no_contraindications=False,
            contraindications=["uncontrolled_hypertension"],
            notes="First line\n\nSecond <line>",
            urgency="urgent",
        ),
        attachments=[
            SimpleUploadedFile(f"notes-{i}.pdf", PDF, content_type="application/pdf")
            for i in range(2)
        ],
    )
    coordinator = UserFactory(role=Role.COORDINATOR)
    intake_services.case_claim(case=referral.intake_case, coordinator=coordinator)
    intake_services.call_log(
        case=referral.intake_case,
        coordinator=coordinator,
        outcome="callback",
        callback_at=fixed_clock.now() + dt.timedelta(hours=3),
        notes="Call after work\nNot before 5",
    )
    url = reverse("intake:referral_chart", args=[referral.reference])
    _compare("referral-coordinator", _get(client, url, coordinator))
    _compare("referral-coordinator-es", _get(client, url, coordinator, "es"))
    intake_services.referral_set_status(
        referral=referral,
        status=ReferralStatus.DECLINED,
        reason="Prefers a clinic nearer home",
        changed_by=coordinator,
    )
    _compare("referral-declined-clinician", _get(client, url, UserFactory(role=Role.CLINICIAN)))
