"""Demo rows for messaging: the default templates and plan, the demo patient's profile and
consent, and a few outbox messages (sent and scheduled). Idempotent: rows are found by natural
keys (dedupe keys for messages)."""

import datetime
from datetime import timedelta

from django.utils import timezone

from clinic.models import PatientProfile, User

from . import defaults
from .models import Channel, ConsentSource, MessageStatus, MessageTemplate, ReminderPlanEntry
from .services import (
    consent_allows,
    consent_record,
    message_schedule,
    messages_dispatch_due,
    reminders_plan,
)

DEMO_PATIENT = "patient@mail.example"


def seed(stdout) -> None:
    defaults.install(MessageTemplate, ReminderPlanEntry)
    patient = User.objects.filter(email=DEMO_PATIENT).first()
    if patient is None:
        return
    PatientProfile.objects.get_or_create(
        user=patient,
        defaults={
            "date_of_birth": datetime.date(1986, 3, 14),
            "sex": "female",
            "zip_code": "02116",
            "time_zone": "America/New_York",
            "preferred_channel": "sms",
        },
    )
    if patient.phone and not consent_allows(address=patient.phone.as_e164, channel=Channel.SMS):
        consent_record(
            address=patient.phone.as_e164,
            channels=[Channel.SMS, Channel.VOICE],
            granted=True,
            source=ConsentSource.SEED,
            user=patient,
        )
    # A past appointment's confirmation (sent) and an upcoming one's plan (scheduled).
    now = timezone.now()
    sent = message_schedule(
        recipient=patient,
        kind="booking_confirmation",
        channel=Channel.EMAIL,
        send_after=now - timedelta(days=2),
        context={"event_start": now + timedelta(days=6)},
        topic="demo:booked",
        dedupe_key="demo:booked:confirmation",
    )
    if sent.status == MessageStatus.SCHEDULED:
        messages_dispatch_due(now=now)
    start = (now + timedelta(days=6)).replace(hour=15, minute=0, second=0, microsecond=0)
    reminders_plan(recipient=patient, event_start=start, topic="demo:upcoming")
    stdout.write("Messaging: templates, reminder plan and demo outbox ready.")
