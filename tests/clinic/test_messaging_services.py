from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from clinic.errors import ApplicationError
from clinic.messaging.gateways import OutboxGateway
from clinic.messaging.models import Message, MessageStatus
from clinic.messaging.services import (
    email_queue,
    message_schedule,
    messages_cancel,
    messages_dispatch_due,
    messages_retime,
    reminders_plan,
)
from tests.clinic import messaging_support
from tests.factories.messaging import make_patient
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db
BOSTON = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def recording_gateway(settings, message_defaults):
    settings.MESSAGING_GATEWAY = "tests.clinic.messaging_support.RecordingGateway"
    messaging_support.SENT.clear()
    return messaging_support.SENT


def _local(days: int, hour: int, minute: int = 0, zone=BOSTON) -> datetime:
    day = timezone.now().astimezone(zone).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


@pytest.mark.clock_sweep
def test_booking_creates_the_default_plan_in_the_patients_language_and_zone():
    patient = make_patient(language="es", zone="America/Los_Angeles")
    start = _local(5, 10, zone=ZoneInfo("America/Los_Angeles"))
    messages = reminders_plan(recipient=patient, event_start=start, topic="session:1")
    by_kind = {m.kind: m for m in messages}
    assert set(by_kind) == {"booking_confirmation", "reminder_72h", "reminder_24h", "reminder_2h"}
    assert by_kind["reminder_24h"].send_after == start - timedelta(hours=24)
    assert by_kind["reminder_2h"].channel == "sms"
    assert all(m.status == MessageStatus.SCHEDULED for m in messages)
    # Written when the dispatcher claims it, in the patient's language and zone, then kept.
    reminder = by_kind["reminder_24h"]
    messages_dispatch_due(now=reminder.send_after + timedelta(minutes=1))
    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.SENT and reminder.render_context is None
    assert start.strftime("10:00 %Z") in reminder.body
    assert "cita" in reminder.body


def test_planning_the_same_event_twice_creates_nothing_new():
    patient = make_patient()
    start = _local(5, 10)
    first = reminders_plan(recipient=patient, event_start=start, topic="session:1")
    again = reminders_plan(recipient=patient, event_start=start, topic="session:1")
    assert [m.pk for m in first] == [m.pk for m in again]
    assert Message.objects.count() == 4


@pytest.mark.clock_sweep
def test_a_late_booking_skips_reminders_already_past():
    patient = make_patient()
    start = timezone.now() + timedelta(hours=30)
    kinds = {m.kind for m in reminders_plan(recipient=patient, event_start=start, topic="s:2")}
    assert kinds == {"booking_confirmation", "reminder_24h", "reminder_2h"}


@pytest.mark.clock_sweep
def test_reschedule_retimes_the_plan_and_cancel_cancels_it():
    patient = make_patient()
    reminders_plan(recipient=patient, event_start=_local(5, 10), topic="session:7")
    new_start = _local(8, 14)
    messages_retime(topic="session:7", recipient=patient, event_start=new_start)
    live = Message.objects.filter(topic="session:7", status=MessageStatus.SCHEDULED)
    assert {m.not_after for m in live} == {new_start}
    assert live.filter(kind="appointment_changed").count() == 1
    assert Message.objects.filter(status=MessageStatus.CANCELLED).count() == 4

    assert messages_cancel(topic="session:7") == 4
    assert not Message.objects.filter(status=MessageStatus.SCHEDULED).exists()


@pytest.mark.clock_sweep
def test_each_planned_reminder_is_sent_once(recording_gateway):
    patient = make_patient(channel="email", email="maria@example.test")
    start = _local(5, 12)
    reminders_plan(recipient=patient, event_start=start, topic="session:3")
    for hours_before in (200, 72, 24, 2, 1):
        messages_dispatch_due(now=start - timedelta(hours=hours_before) + timedelta(minutes=1))
    kinds = [Message.objects.get(pk=pk).kind for pk, *_ in recording_gateway]
    assert sorted(kinds) == sorted(
        ["booking_confirmation", "reminder_72h", "reminder_24h", "reminder_2h"]
    )


def test_a_reminder_due_at_half_past_ten_at_night_goes_at_eight_next_morning(recording_gateway):
    patient = make_patient(zone="America/Chicago")
    chicago = ZoneInfo("America/Chicago")
    message = message_schedule(
        recipient=patient,
        kind="reminder_24h",
        send_after=_local(3, 22, 30, zone=chicago),
        context={"event_start": _local(4, 14, zone=chicago)},
        dedupe_key="late-evening",
        not_after=_local(4, 14, zone=chicago),
    )
    assert message.send_after == _local(4, 8, zone=chicago)
    assert messages_dispatch_due(now=_local(3, 23, zone=chicago)) == 0
    assert messages_dispatch_due(now=_local(4, 8, 1, zone=chicago)) == 1


def test_no_calling_hours_left_before_the_event_suppresses_the_message():
    patient = make_patient()
    message = message_schedule(
        recipient=patient,
        kind="reminder_2h",
        send_after=_local(3, 6),
        context={"event_start": _local(3, 8)},
        dedupe_key="too-early",
        not_after=_local(3, 7, 30),
    )
    # 6:00 is before hours; 8:00 is after the event; so the last minute of the evening before.
    assert message.send_after == _local(2, 20, 59)


@pytest.mark.parametrize(
    ("language", "today", "tomorrow"),
    [
        ("en", "see you today at 11:00 AM", "see you tomorrow, "),
        ("es", "hoy a las 11:00", "mañana, "),
    ],
)
def test_a_two_hour_reminder_says_today_only_when_it_goes_out_that_day(language, today, tomorrow):
    patient = make_patient(language=language)
    usual = message_schedule(
        recipient=patient,
        kind="reminder_2h",
        send_after=_local(3, 9),
        context={"event_start": _local(3, 11)},
        dedupe_key="usual",
        not_after=_local(3, 11),
    )
    assert today in usual.body
    # An 8:00 session: its 2-hour text leaves at 20:59 the evening before, so not "today".
    early = message_schedule(
        recipient=patient,
        kind="reminder_2h",
        send_after=_local(3, 6),
        context={"event_start": _local(3, 8)},
        dedupe_key="early",
        not_after=_local(3, 8),
    )
    assert early.send_after == _local(2, 20, 59)
    assert tomorrow in early.body
    assert ("today" if language == "en" else "hoy") not in early.body


@pytest.mark.parametrize(
    ("language", "today", "tomorrow"),
    [
        ("en", "see you today at 11:00 AM", "see you tomorrow, "),
        ("es", "hoy a las 11:00", "mañana, "),
    ],
)
def test_a_planned_reminder_is_written_once_when_claimed_and_says_the_day_it_goes(
    language, today, tomorrow, recording_gateway
):
    patient = make_patient(language=language)
    reminders_plan(recipient=patient, event_start=_local(3, 11), topic="session:21")
    reminders_plan(recipient=patient, event_start=_local(4, 8), topic="session:22")
    usual = Message.objects.get(topic="session:21", kind="reminder_2h")
    early = Message.objects.get(topic="session:22", kind="reminder_2h")
    assert usual.body == "" and early.body == ""  # nothing written at booking
    # The 8:00 session's 2-hour text leaves at 20:59 the evening before: "tomorrow".
    assert early.send_after == _local(3, 20, 59)
    messages_dispatch_due(now=_local(3, 9, 1))
    messages_dispatch_due(now=_local(3, 21))
    usual.refresh_from_db()
    early.refresh_from_db()
    assert today in usual.body and usual.status == MessageStatus.SENT
    assert tomorrow in early.body and early.status == MessageStatus.SENT
    assert ("today" if language == "en" else "hoy") not in early.body
    # Kept as sent: the gateway got the stored words, once each.
    sent = {pk: body for pk, _channel, body in recording_gateway}
    assert sent[usual.pk] == usual.body and sent[early.pk] == early.body
    messages_dispatch_due(now=_local(4, 7))
    assert sorted(pk for pk, *_ in recording_gateway).count(usual.pk) == 1


def test_a_message_reaching_the_dispatcher_outside_hours_waits(recording_gateway):
    patient = make_patient()
    message = message_schedule(
        recipient=patient,
        kind="reminder_24h",
        send_after=_local(2, 20, 50),
        context={"event_start": _local(3, 20, 50)},
        dedupe_key="slow-queue",
    )
    assert messages_dispatch_due(now=_local(2, 21, 5)) == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.SCHEDULED
    assert message.send_after == _local(3, 8)
    assert recording_gateway == []


def test_no_phone_means_the_text_is_recorded_as_suppressed():
    patient = make_patient(phone=None, email="nophone@example.test")
    message = message_schedule(
        recipient=patient,
        kind="reminder_24h",
        channel="sms",
        send_after=_local(2, 10),
        context={"event_start": _local(3, 10)},
        dedupe_key="no-phone",
    )
    assert message.status == MessageStatus.SUPPRESSED
    assert "no address" in message.status_reason


def test_an_unknown_kind_is_refused_with_a_readable_message():
    with pytest.raises(ApplicationError, match="no 'nonsense' message template"):
        message_schedule(
            recipient=make_patient(),
            kind="nonsense",
            send_after=_local(2, 10),
            context={},
            dedupe_key="x",
        )


def test_texts_without_recorded_consent_are_suppressed(recording_gateway):
    patient = make_patient(consent=False)
    message = message_schedule(
        recipient=patient,
        kind="reminder_24h",
        send_after=_local(2, 10),
        context={"event_start": _local(3, 10)},
        dedupe_key="no-consent",
    )
    messages_dispatch_due(now=_local(2, 10, 1))
    message.refresh_from_db()
    assert message.status == MessageStatus.SUPPRESSED
    assert recording_gateway == []


ICS = {
    "filename": "appointment-1.ics",
    "content": "BEGIN:VCALENDAR\r\n",
    "mimetype": "text/calendar",
}


def test_a_queued_email_is_stored_once_with_its_attachments_and_sent_by_the_dispatcher(
    recording_gateway,
):
    patient = make_patient(channel="sms", email="pat@example.test")
    queued = email_queue(
        recipient=patient,
        kind="booking_booked",
        subject="Your appointment is booked",
        body="See you soon.",
        dedupe_key="booking-email:booked:1/",
        attachments=[ICS],
    )
    # E-mail whatever the preferred channel; a second call with the same key changes nothing.
    again = email_queue(
        recipient=patient, kind="x", subject="x", body="x", dedupe_key="booking-email:booked:1/"
    )
    assert again.pk == queued.pk and Message.objects.count() == 1
    queued.refresh_from_db()
    assert (queued.channel, queued.to_address, queued.status) == (
        "email",
        "pat@example.test",
        "scheduled",
    )
    assert queued.attachments == [ICS] and queued.send_after <= timezone.now()
    assert messages_dispatch_due() == 1
    assert [pk for pk, *_ in recording_gateway] == [queued.pk]


def test_an_email_without_address_is_kept_as_not_sent_and_a_bad_attachment_stores_nothing():
    user = UserFactory(email="")
    message = email_queue(recipient=user, kind="k", subject="s", body="b", dedupe_key="k:1")
    assert message.status == MessageStatus.SUPPRESSED
    assert message.status_reason == "no address on file for this channel"
    with pytest.raises(ApplicationError, match="filename, a content and a mimetype"):
        email_queue(
            recipient=make_patient(email="p@example.test"),
            kind="k",
            subject="s",
            body="b",
            dedupe_key="k:2",
            attachments=[{"filename": "a.ics"}],
        )
    assert not Message.objects.filter(dedupe_key="k:2").exists()


def test_an_emails_attachments_leave_with_it():
    patient = make_patient(email="pat@example.test")
    message = email_queue(
        recipient=patient,
        kind="booking_booked",
        subject="Booked",
        body="See you soon.",
        dedupe_key="k:3",
        attachments=[ICS],
    )
    # The default gateway sends no text or call, but e-mail goes through Django's back-end.
    OutboxGateway().send(message)
    (sent,) = mail.outbox
    assert sent.to == ["pat@example.test"] and sent.subject == "Booked"
    assert sent.attachments == [("appointment-1.ics", "BEGIN:VCALENDAR\r\n", "text/calendar")]
