"""Redis stopped: pages, sign-in and booking keep working, because what must be sent is stored
in PostgreSQL (Message rows: reminders and the booking e-mail); /healthz says Redis is down. When
Redis returns, beat's dispatcher and a real worker send every due message, each once.

A private redis-server on a free port plays the broker, so stopping it disturbs nobody.
(A worker killed mid-task: tests/clinic/test_messaging_worker_death.py.)"""

import datetime as dt
import logging
import shutil
import socket
import subprocess
import time
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu import pools as kombu_pools

from clinic.celery import app
from clinic.messaging import defaults
from clinic.messaging.models import Message, MessageTemplate, ReminderPlanEntry
from clinic.models import PatientProfile, Role
from scheduling import services as scheduling_services
from scheduling.models import InfusionSession
from tests.factories.scheduling import (
    ChairFactory,
    LocationFactory,
    SessionTypeFactory,
    StaffShiftFactory,
    open_every_day,
)
from tests.factories.users import PASSWORD, UserFactory
from tests.support.workers import kill, start_worker, wait_for

NY = ZoneInfo("America/New_York")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    def __init__(self, folder):
        self.port = _free_port()
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        subprocess.run(
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "yes",
                "--dir", str(self.folder), "--save", "", "--appendonly", "no",
                "--pidfile", str(self.folder / "redis.pid"),
                "--logfile", str(self.folder / "redis.log"),
            ],
            check=True,
        )  # fmt: skip
        assert wait_for(self.answers, 10), "the private Redis did not start"

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True
        )
        assert wait_for(lambda: not self.answers(), 10), "the private Redis did not stop"

    def answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True


def _reset_celery_connections() -> None:
    """Celery keeps broker connections and producers in pools; drop them so the next enqueue
    dials the broker now configured."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    kombu_pools.reset()  # kombu's own registry, keyed by broker address


@pytest.fixture
def private_redis(tmp_path, settings):
    redis = PrivateRedis(tmp_path)
    redis.start()
    old_broker = app.conf.broker_url
    settings.REDIS_URL = settings.CELERY_BROKER_URL = redis.url
    app.conf.broker_url = redis.url
    _reset_celery_connections()
    try:
        yield redis
    finally:
        if redis.answers():
            redis.stop()
        app.conf.broker_url = old_broker
        _reset_celery_connections()


def _bookable_patient():
    location = LocationFactory(time_zone=NY, slug="boston", name="Boston")
    open_every_day(location)
    ChairFactory(location=location, name="Chair 1")
    StaffShiftFactory(
        location=location,
        starts_at=timezone.now() - dt.timedelta(days=1),
        ends_at=timezone.now() + dt.timedelta(days=60),
    )
    SessionTypeFactory()
    patient = UserFactory(role=Role.PATIENT, email="pat@mail.example", phone="+16175550142")
    # E-mail reminders: no calling hours, so "due" does not depend on the time of day.
    PatientProfile.objects.create(
        user=patient,
        date_of_birth=dt.date(1984, 5, 17),
        sex="female",
        zip_code="02116",
        time_zone=NY,
        preferred_channel="email",
    )
    scheduling_services.course_create(
        patient=patient,
        location=location,
        planned_sessions=3,
        needs_clinician_review=False,
        created_by=None,
    )
    return patient, location


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_the_portal_works_and_due_reminders_go_out_once_it_returns(
    client, private_redis, tmp_path, caplog
):
    defaults.install(MessageTemplate, ReminderPlanEntry)  # transactional tests flush them
    patient, location = _bookable_patient()
    private_redis.stop()

    # Monitoring sees it.
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["failing"] == ["redis"]

    # Sign-in and pages.
    response = client.post(reverse("login"), {"username": patient.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("scheduling:patient_home")).status_code == 200
    day = timezone.now().astimezone(NY).date() + dt.timedelta(days=5)
    page = client.get(reverse("scheduling:patient_book"), {"location": location.pk, "date": day})
    assert page.status_code == 200 and page.context["groups"], "no free time offered"
    first_time = page.context["groups"][0]["chips"][0]["value"]

    # Booking: hold a time, confirm it. Enqueueing after commit fails and is only logged.
    with caplog.at_level(logging.WARNING, logger="clinic.celery"):
        hold = client.post(
            reverse("scheduling:patient_hold"),
            {"starts_at": first_time, "location": location.pk},
        )
        assert hold.status_code == 302 and "/my/hold/" in hold["Location"]
        booked = client.post(hold["Location"])
        assert booked.status_code == 302 and "/my/booked/" in booked["Location"]
    assert client.get(booked["Location"]).status_code == 200
    session = InfusionSession.objects.get(course__patient=patient)
    assert any("could not enqueue" in r.getMessage() for r in caplog.records)
    assert all("pat@mail.example" not in r.getMessage() for r in caplog.records)

    # The reminder plan is in PostgreSQL: the confirmation is due now, the rest later.
    planned = Message.objects.filter(recipient=patient, topic=f"session:{session.pk}")
    assert planned.count() >= 2 and set(planned.values_list("status", flat=True)) == {"scheduled"}
    # While Redis was down, time passed: the 72-hour reminder came due as well.
    later = planned.filter(send_after__gt=timezone.now()).order_by("send_after").first()
    Message.objects.filter(pk=later.pk).update(send_after=timezone.now() - dt.timedelta(minutes=1))
    due = sorted(planned.filter(send_after__lte=timezone.now()).values_list("pk", flat=True))
    not_due = set(planned.exclude(pk__in=due).values_list("pk", flat=True))
    assert len(due) >= 2 and not_due
    # The booking e-mail is a row too, not a task lost with the broker (its body and .ics are
    # written when the dispatcher claims it).
    booking_email = Message.objects.get(recipient=patient, kind="booking_booked")
    assert booking_email.status == "scheduled" and booking_email.render_context

    # Redis returns; a worker starts; beat's every-minute dispatch arrives (sent here by hand).
    private_redis.start()
    _reset_celery_connections()
    assert client.get("/healthz").status_code == 200
    evidence = tmp_path / "sent"
    worker = start_worker(
        MESSAGING_GATEWAY="tests.support.gateways.RecordingGateway",
        GATEWAY_EVIDENCE=str(evidence),
        TEST_REDIS_URL=private_redis.url,
    )
    try:
        app.send_task("clinic.messaging.tasks.dispatch_due_messages")
        assert wait_for(lambda: planned.filter(pk__in=due, status="sent").count() == len(due), 60)
        assert wait_for(lambda: Message.objects.get(pk=booking_email.pk).status == "sent", 30)
        # Beat keeps ticking: more dispatches find nothing left to send.
        app.send_task("clinic.messaging.tasks.dispatch_due_messages")
        app.send_task("clinic.messaging.tasks.dispatch_due_messages")
        time.sleep(2)
    finally:
        kill(worker)
    handed_over = [int(line) for line in evidence.read_text().split()]
    assert sorted(handed_over) == sorted([*due, booking_email.pk])  # each due message once
    booking_email.refresh_from_db()
    assert booking_email.render_context is None and booking_email.attachments  # kept as sent
    assert set(planned.filter(status="scheduled").values_list("pk", flat=True)) == not_due
