from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.messaging.models import ContactConsent, Message
from clinic.messaging.services import (
    email_queue,
    message_schedule,
    messages_cancel,
    reminders_plan,
)
from clinic.models import Role
from tests.factories.messaging import make_patient

pytestmark = pytest.mark.django_db


def _messages(patient, count, channel="email"):
    for n in range(count):
        message_schedule(
            recipient=patient,
            kind="reminder_24h",
            channel=channel,
            send_after=timezone.now() + timedelta(hours=n + 1),
            context={"event_start": timezone.now() + timedelta(days=2)},
            dedupe_key=f"page:{channel}:{n}",
        )


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.COORDINATOR, 200), (Role.ADMIN, 200), (Role.CLINICIAN, 403), (Role.PATIENT, 403)],
)
def test_only_coordinators_and_admins_see_the_outbox(client, make_user, role, status):
    client.force_login(make_user(role=role))
    assert client.get("/messaging/outbox/").status_code == status


def test_the_outbox_filters_by_channel_and_pages(client, make_user, message_defaults):
    patient = make_patient(email="pages@example.test", zone="America/Los_Angeles")
    _messages(patient, 27, "email")
    _messages(patient, 2, "voice")
    client.force_login(make_user(role=Role.COORDINATOR))
    page = client.get("/messaging/outbox/?channel=email").content.decode()
    assert "Page 1 of 2" in page
    assert 'href="?channel=email&amp;page=2">Older</a>' in page  # the filter stays on
    assert "Phone call" not in page.split("<tbody>")[1]
    assert "PST" in page or "PDT" in page  # times shown in the patient's zone, with the zone
    fragment = client.get("/messaging/outbox/?channel=voice", HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body
    assert body.count("<tr>") == 3  # header and two calls


def test_a_patient_changes_their_channel_and_withdraws_call_consent(client, message_defaults):
    patient = make_patient()
    client.force_login(patient)
    page = client.get("/my/reminders/").content.decode()
    assert 'name="texts"' in page
    response = client.post(
        "/my/reminders/",
        {"preferred_channel": "sms", "language": "es", "texts": "on"},
        follow=True,
    )
    assert "saved" in response.content.decode()
    patient.refresh_from_db()
    assert patient.preferred_language == "es"
    latest = ContactConsent.objects.filter(channel="voice").first()
    assert (latest.granted, latest.source) == (False, "patient_page")
    assert ContactConsent.objects.filter(channel="sms").count() == 1  # unchanged: no new row


def test_choosing_email_without_an_address_shows_the_error_at_the_field(client):
    patient = make_patient(email=None)
    patient.email = None
    patient.save()
    client.force_login(patient)
    page = client.post(
        "/my/reminders/", {"preferred_channel": "email", "language": "en"}
    ).content.decode()
    assert "We have no e-mail for you." in page
    assert 'id="id_preferred_channel-error"' in page


def test_seed_demo_fills_the_outbox_for_the_demo_patient_and_is_idempotent():
    call_command("seed_demo")
    first = Message.objects.count()
    call_command("seed_demo")
    assert Message.objects.count() == first
    statuses = set(Message.objects.values_list("status", flat=True))
    assert {"sent", "scheduled"} <= statuses


def _session_at(days: int, hour: int = 10):
    from zoneinfo import ZoneInfo

    boston = ZoneInfo("America/New_York")
    day = timezone.now().astimezone(boston).date() + timedelta(days=days)
    return timezone.datetime(day.year, day.month, day.day, hour, tzinfo=boston)


def test_a_patient_sees_their_planned_reminders_in_spanish_with_the_zone(client, message_defaults):
    ana = make_patient(phone="+16175550101", language="es")
    other = make_patient(phone="+16175550102", email="other@example.test")
    reminders_plan(recipient=ana, event_start=_session_at(5), topic="session:1")
    reminders_plan(recipient=ana, event_start=_session_at(8), topic="session:2")
    messages_cancel(topic="session:2", reason="rescheduled")
    reminders_plan(recipient=ana, event_start=_session_at(9), topic="session:3", rescheduled=True)
    reminders_plan(recipient=other, event_start=_session_at(5), topic="session:4")
    client.force_login(ana)

    page = client.get("/my/reminders/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Recordatorios de sus sesiones" in page
    assert page.count('class="reminders"') == 3
    listing = page.split('id="planned-heading"')[1].split("</section>")[0]
    assert listing.count("<li>") == Message.objects.filter(recipient=ana).count()
    assert "Programado" in page and "Cancelado" in page
    assert "Esta sesión cambió de hora" in page  # the moved session's card says so, once
    assert page.count("Esta sesión cambió de hora") == 1
    assert "EST" in page or "EDT" in page
    assert "+16175550102" not in page and "other@example.test" not in page


def test_the_reminders_page_marks_a_cancelled_sessions_reminders(client, message_defaults):
    patient = make_patient()
    reminders_plan(recipient=patient, event_start=_session_at(5), topic="session:1")
    messages_cancel(topic="session:1", reason="cancelled")
    client.force_login(patient)
    page = client.get("/my/reminders/").content.decode()
    assert page.count("your session was cancelled") == 4
    assert "This session moved" not in page


def test_the_reminders_page_folds_cancelled_and_moved_sessions_and_opens_upcoming_ones(
    client, message_defaults
):
    patient = make_patient()
    reminders_plan(recipient=patient, event_start=_session_at(5), topic="session:1")
    reminders_plan(recipient=patient, event_start=_session_at(7), topic="session:2")
    messages_cancel(topic="session:2", reason="cancelled")
    reminders_plan(recipient=patient, event_start=_session_at(9), topic="session:3")
    messages_cancel(topic="session:3", reason="rescheduled")
    client.force_login(patient)
    page = client.get("/my/reminders/").content.decode()
    cards = page.split('<article class="reminders">')[1:]
    assert len(cards) == 3
    assert ["<details open>" in card for card in cards] == [True, False, False]


def test_the_reminders_page_says_when_nothing_is_planned(client, message_defaults):
    client.force_login(make_patient())
    page = client.get("/my/reminders/").content.decode()
    assert "once you book a session, its reminders appear here" in page


def test_the_reminders_page_query_count_does_not_grow_with_sessions(client, message_defaults):
    patient = make_patient()
    client.force_login(patient)
    reminders_plan(recipient=patient, event_start=_session_at(5), topic="session:1")
    client.get("/my/reminders/")  # the first request after sign-in also saves the session
    with CaptureQueriesContext(connection) as one:
        assert client.get("/my/reminders/").status_code == 200
    for n in range(2, 6):
        reminders_plan(recipient=patient, event_start=_session_at(4 + n), topic=f"session:{n}")
    with CaptureQueriesContext(connection) as five:
        page = client.get("/my/reminders/").content.decode()
    assert page.count('class="reminders"') == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_the_outbox_names_an_emails_attachments(client, make_user):
    email_queue(
        recipient=make_patient(email="ics@example.test"),
        kind="booking_booked",
        subject="Your appointment is booked",
        body="See you soon.",
        dedupe_key="booking-email:booked:7/",
        attachments=[
            {"filename": "appointment-1.ics", "content": "x", "mimetype": "text/calendar"}
        ],
    )
    client.force_login(make_user(role=Role.COORDINATOR))
    page = client.get("/messaging/outbox/?channel=email").content.decode()
    assert "Attached: appointment-1.ics" in page
