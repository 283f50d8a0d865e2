"""The demo tells the truth: its patients come through referrals and intake, their courses are
booked through the booking services (every session at once, as a coordinator plans a course),
so each Good Faith Estimate matches its course and none is refused; each reminder exists once,
at its session's own time; and its links point at the address the portal runs on."""

import logging
from collections import Counter

import pytest
from django.core.management import call_command

from billing.models import Estimate
from clinic.messaging.models import Message
from scheduling.models import InfusionSession

pytestmark = pytest.mark.django_db


def test_the_demo_is_built_as_a_clinic_would_and_says_each_thing_once(settings, caplog):
    settings.SITE_URL = settings.SCHEDULING_SITE_URL = "http://127.0.0.1:8765"
    with caplog.at_level(logging.WARNING):
        call_command("seed_demo")
    assert not [r for r in caplog.records if "no estimate issued" in r.getMessage()]

    maria = Message.objects.filter(recipient__email="patient@mail.example")
    reminders = Counter(
        (m.topic, m.kind) for m in maria.exclude(status="cancelled") if m.kind.startswith("remind")
    )
    assert reminders and set(reminders.values()) == {1}
    assert not maria.filter(topic__startswith="demo:").exclude(status="cancelled").exists()
    sessions = InfusionSession.objects.filter(course__patient__email="patient@mail.example")
    for message in maria.filter(kind="booking_confirmation"):
        session = sessions.get(pk=message.topic.split(":")[1])
        local = session.starts_at.astimezone(session.location.time_zone)
        assert local.strftime("%-I:%M %p") in message.body  # 10:00 AM, the session's own time

    estimates = Estimate.objects.filter(patient__email="patient@mail.example")
    assert estimates.count() == 1  # one booking of the whole plan: one estimate, matching it
    assert estimates.get().infusion_count == 4
    links = [m.body for m in Message.objects.all() if "http://" in m.body]
    assert links and all("http://127.0.0.1:8765/" in body for body in links)
    assert not any("127.0.0.1:8000" in body for body in links)

    call_command("seed_demo")  # twice: nothing new to say
    again = Counter(
        (m.topic, m.kind)
        for m in Message.objects.filter(recipient__email="patient@mail.example")
        .exclude(status="cancelled")
        .filter(kind__startswith="remind")
    )
    assert again == reminders
