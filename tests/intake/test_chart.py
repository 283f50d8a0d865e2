"""The patient chart: one page per patient (and per referral before there is an account), for
coordinators, clinicians and admins only, every view audited."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from clinic.audit.models import AuditEvent
from clinic.messaging.models import Message
from clinic.models import Role
from intake import services as intake_services
from intake.chart import chart_for_patient
from intake.models import CallOutcome, ChecklistItem
from intake.services.calls import invitation_accept
from scheduling.services import session_book, session_cancel
from tests.factories.billing import FacilityBillingIdentityFactory, fee_schedule
from tests.factories.intake import ProviderFactory, submit_referral
from tests.factories.scheduling import (
    ChairFactory,
    LocationFactory,
    SessionTypeFactory,
    StaffShiftFactory,
    open_every_day,
)
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


def make_clinic():
    """Boston, open 8:00-18:00 every day, with one chair and a clinician on duty."""
    location = LocationFactory(time_zone=NY, name="Boston", slug="boston")
    open_every_day(location)
    SessionTypeFactory()
    ChairFactory(location=location, name="Chair 1")
    FacilityBillingIdentityFactory(location=location)
    fee_schedule(location, effective_date=timezone.now().date() - dt.timedelta(days=30))
    StaffShiftFactory(
        location=location,
        starts_at=timezone.now() - dt.timedelta(days=1),
        ends_at=timezone.now() + dt.timedelta(days=90),
    )
    return location


@pytest.fixture
def clinic(db):
    return make_clinic()


def at(days: int, hour: int = 9) -> dt.datetime:
    day = timezone.now().astimezone(NY).date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=NY)


def patient_from_intake(location, *, last_name="Hernández", language="es", attempts=1):
    """A patient made the real way: referral, unanswered calls, intake complete, invitation
    accepted. Returns (patient, referral)."""
    coordinator = UserFactory(role=Role.COORDINATOR, first_name="Cora")
    referral = submit_referral(
        location=location,
        email="luis@example.test",
        patient_first_name="Luis",
        patient_last_name=last_name,
        preferred_language=language,
        current_medications="Propranolol 40 mg",
        preventives_tried=["topiramate", "candesartan"],
    )
    case = referral.intake_case
    for _ in range(attempts - 1):
        intake_services.case_claim(case=case, coordinator=coordinator)
        intake_services.call_log(
            case=case,
            coordinator=coordinator,
            outcome=CallOutcome.CALLBACK,
            callback_at=timezone.now() + dt.timedelta(minutes=5),
        )
    intake_services.case_claim(case=case, coordinator=coordinator)
    for item in ChecklistItem.values:
        intake_services.case_set_checklist_item(
            case=case, coordinator=coordinator, item=item, ticked=True
        )
    intake_services.call_log(
        case=case, coordinator=coordinator, outcome=CallOutcome.INTAKE_COMPLETE, planned_sessions=4
    )
    referral.refresh_from_db()
    sms = Message.objects.get(recipient=referral.patient, kind="portal_invitation", channel="sms")
    token = sms.body.rsplit("/welcome/", 1)[1].strip().strip("/")
    return invitation_accept(token=token, password="a-long-new-password"), referral


def staff(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.CLINICIAN, Role.ADMIN])
def test_staff_read_the_whole_chart_and_each_view_is_audited(role, clinic, client):
    patient, referral = patient_from_intake(clinic, attempts=2)
    session_book(course=referral.course, starts_at=at(3), by=None)
    user = staff(client, role)
    page = client.get(reverse("intake:patient_chart", args=[patient.pk])).content.decode()
    for words in (
        "Luis Hernández",
        "Speaks Español",
        referral.reference,
        "Propranolol 40 mg",
        "Topiramate",
        "Reached: callback requested",
        "Reached: intake complete",
        "Consent and opt-outs",
        "may be contacted",
        "4 infusions planned",
        "Chair 1",
        "Booked",
        "E-2026-",  # the estimates issued at intake and at booking
        "portal invitation",
        "accepted",
    ):
        assert words in page, words
    event = AuditEvent.objects.get(actor=user)
    assert (event.object_type, event.patient_id, event.referral_id, event.action) == (
        "patient",
        patient.pk,
        referral.pk,
        "view",
    )
    audit_link = f"/clinic-admin/audit/?patient={patient.pk}"
    assert (audit_link in page) == (role == Role.ADMIN)
    # Only coordinators and admins book: a clinician is not offered the course page.
    course_link = reverse("scheduling:coordinator_course", args=[referral.course.pk])
    assert (course_link in page) == (role != Role.CLINICIAN)
    assert ('href="/estimates/' in page) == (role != Role.CLINICIAN)  # GFE pages: not clinicians


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.PATIENT])
def test_providers_and_patients_get_403(role, clinic, client, make_user):
    patient, referral = patient_from_intake(clinic)
    client.force_login(make_user(role=role))
    assert client.get(reverse("intake:patient_chart", args=[patient.pk])).status_code == 403
    chart = reverse("intake:referral_chart", args=[referral.reference])
    assert client.get(chart).status_code == 403
    assert client.get(reverse("intake:people_search"), {"q": "luis"}).status_code == 403
    assert not AuditEvent.objects.exists()


def test_a_referral_before_intake_has_its_own_chart_and_then_leads_to_the_patient(clinic, client):
    referral = submit_referral(location=clinic, patient_last_name="Nakamura")
    user = staff(client, Role.COORDINATOR)
    url = reverse("intake:referral_chart", args=[referral.reference])
    page = client.get(url).content.decode()
    assert "Referral, before intake made an account" in page and "Nakamura" in page
    assert "No calls yet." in page
    assert reverse("intake:call_screen", args=[referral.intake_case.pk]) in page
    event = AuditEvent.objects.get(actor=user)
    assert (event.object_type, event.referral_id) == ("referral", referral.pk)

    patient, done = patient_from_intake(clinic, last_name="Later")
    response = client.get(reverse("intake:referral_chart", args=[done.reference]))
    assert response["Location"] == reverse("intake:patient_chart", args=[patient.pk])


def test_a_chart_that_does_not_exist_is_a_404(clinic, client, make_user):
    staff(client, Role.COORDINATOR)
    provider = make_user(role=Role.COORDINATOR)
    assert client.get(reverse("intake:patient_chart", args=[provider.pk])).status_code == 404
    assert client.get(reverse("intake:patient_chart", args=[99999999])).status_code == 404
    assert client.get(reverse("intake:referral_chart", args=["R-0000-99999"])).status_code == 404


def test_the_chart_shows_cancelled_sessions_opt_outs_and_duplicates(clinic, client):
    from clinic.messaging.services import consent_withdraw_by_staff

    patient, referral = patient_from_intake(clinic)
    session = session_book(course=referral.course, starts_at=at(3), by=None)
    session_cancel(session=session, by=None)
    coordinator = staff(client, Role.COORDINATOR)
    consent_withdraw_by_staff(
        patient=patient,
        channels=["sms"],
        recorded_by=coordinator,
        how="Phone call",
        note="Told us on the phone",
    )
    twin = submit_referral(
        location=clinic,
        provider=ProviderFactory(),
        patient_first_name="Luis",
        patient_last_name="Hernández",
    )
    page = client.get(reverse("intake:patient_chart", args=[patient.pk])).content.decode()
    assert "Cancelled" in page and "opted out" in page and "Told us on the phone" in page
    assert twin.reference in page and "possible duplicate" in page


def test_queue_rows_and_the_call_screen_show_the_language_and_link_the_chart(clinic, client):
    referral = submit_referral(location=clinic, preferred_language="es", patient_last_name="Ruiz")
    staff(client, Role.COORDINATOR)
    chart = reverse("intake:referral_chart", args=[referral.reference])
    queue = client.get(reverse("intake:queue")).content.decode()
    assert "Español" in queue and chart in queue
    screen = reverse("intake:call_screen", args=[referral.intake_case.pk])
    page = client.get(screen).content.decode()
    assert "Speaks Español" in page and chart in page


def test_after_intake_complete_the_chart_says_what_happened(clinic, client):
    from intake.services.calls import case_claim, case_set_checklist_item

    referral = submit_referral(
        location=clinic,
        email="ana@example.test",
        no_contraindications=False,
        contraindications=["seizure_disorder"],
    )
    case = referral.intake_case
    coordinator = staff(client, Role.COORDINATOR)
    case_claim(case=case, coordinator=coordinator)
    for item in ChecklistItem.values:
        case_set_checklist_item(case=case, coordinator=coordinator, item=item, ticked=True)
    response = client.post(
        reverse("intake:log_call", args=[case.pk]),
        {"outcome": "intake_complete", "planned_sessions": "3"},
        follow=True,
    )
    referral.refresh_from_db()
    assert response.redirect_chain[-1][0] == reverse(
        "intake:patient_chart", args=[referral.patient_id]
    )
    page = response.content.decode()
    assert "Call logged: Reached: intake complete." in page
    assert "Account created for Ana Diaz; invitation link sent (E-mail ana@example.test" in page
    assert "Text message +16175550123" in page
    assert "Course of 3 infusions at Boston created: it waits for a clinician" in page


def test_an_invitation_can_be_resent_until_the_patient_signs_in(clinic, client):
    referral = submit_referral(location=clinic, patient_last_name="Slow")
    coordinator = staff(client, Role.COORDINATOR)
    from intake.services.calls import call_log, case_claim, case_set_checklist_item

    case_claim(case=referral.intake_case, coordinator=coordinator)
    for item in ChecklistItem.values:
        case_set_checklist_item(
            case=referral.intake_case, coordinator=coordinator, item=item, ticked=True
        )
    call_log(
        case=referral.intake_case,
        coordinator=coordinator,
        outcome=CallOutcome.INTAKE_COMPLETE,
        planned_sessions=2,
    )
    referral.refresh_from_db()
    patient = referral.patient
    chart = reverse("intake:patient_chart", args=[patient.pk])
    assert "Send a new invitation link" in client.get(chart).content.decode()
    resend = reverse("intake:invitation_resend", args=[patient.pk])
    page = client.post(resend, follow=True).content.decode()
    assert "A new invitation link is on its way" in page
    invitations = list(patient.invitations.order_by("created_at"))
    assert len(invitations) == 2 and invitations[0].revoked_at and not invitations[1].revoked_at
    assert Message.objects.filter(recipient=patient, kind="portal_invitation").count() == 2

    patient.is_active = True
    patient.save()
    page = client.post(resend, follow=True).content.decode()
    assert "already set a password" in page
    assert patient.invitations.count() == 2


def test_the_chart_and_the_search_speak_spanish(clinic, client):
    from django.conf import settings

    patient, _referral = patient_from_intake(clinic)
    staff(client, Role.COORDINATOR)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    # The test client runs the view in this thread: the language the page activates must not
    # outlive the test (override restores the one before).
    with translation.override(translation.get_language()):
        page = client.get(reverse("intake:patient_chart", args=[patient.pk])).content.decode()
        search = client.get(reverse("intake:people_search"), {"q": "hernandez"}).content.decode()
    assert "Datos de contacto" in page and "Intentos de llamada" in page
    assert "Buscar un paciente" in search and "1 persona encontrada" in search


def test_a_generic_plan_reads_the_same_charts_as_a_custom_one(clinic, clock):
    """The chart's statement is prepared (clinic.db.execute_prepared): after five executions
    PostgreSQL may run one plan for every patient. Both plans give the same charts, for a
    patient with a booked course and one with nothing yet; anyone else is still a 404."""
    booked, referral = patient_from_intake(clinic, attempts=2)
    session_book(course=referral.course, starts_at=at(3), by=None)
    bare = UserFactory(role=Role.PATIENT)
    coordinator = UserFactory(role=Role.COORDINATOR)
    now = clock.now()
    charts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for mode in ("force_custom_plan", "force_generic_plan", "auto"):
            cursor.execute(f"SET LOCAL plan_cache_mode = {mode}")
            for _ in range(3):  # auto: past the five custom plans
                charts[mode] = [chart_for_patient(pk=p.pk, now=now) for p in (booked, bare)]
                with pytest.raises(Http404):
                    chart_for_patient(pk=coordinator.pk, now=now)
    assert charts["force_generic_plan"] == charts["force_custom_plan"] == charts["auto"]
    full, empty = charts["auto"]
    assert full.courses and full.referrals and not empty.courses and not empty.referrals
