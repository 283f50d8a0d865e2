"""Demo rows for messaging: the default templates and plan, the demo patient's profile and
consent. Her messages are those her bookings made. Idempotent: rows are found by natural keys."""

import datetime

from django.utils import timezone

from clinic.models import PatientProfile, User

from . import defaults
from .models import Channel, ConsentSource, MessageTemplate, ReminderPlanEntry
from .services import consent_allows, consent_record, messages_cancel, messages_dispatch_due

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
    # The demo patient's texts and e-mails are the ones her bookings made (scheduling's demo books
    # through the services, which confirm and plan each reminder once, at the session's own
    # time). An earlier version added a made-up confirmation and a second reminder plan for a
    # session that did not exist: cancel what is left of those in an older demo database.
    messages_cancel(topic="demo:upcoming", reason="demo: no such session")
    messages_dispatch_due(now=timezone.now())  # the confirmations already due show as sent
    stdout.write("Messaging: templates, reminder plan and demo outbox ready.")
