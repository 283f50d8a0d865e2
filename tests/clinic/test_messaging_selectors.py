"""What a patient sees of their own reminders (clinic.messaging.selectors.reminders_for_patient)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from clinic.messaging.models import MessageStatus
from clinic.messaging.selectors import reminders_for_patient
from clinic.messaging.services import (
    message_schedule,
    messages_cancel,
    messages_retime,
    reminders_plan,
)
from clinic.models import Role
from tests.factories.messaging import make_patient

pytestmark = pytest.mark.django_db
BOSTON = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _defaults(message_defaults):
    return message_defaults


def _local(days: int, hour: int) -> datetime:
    day = timezone.now().astimezone(BOSTON).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=BOSTON)


def test_a_patient_sees_only_their_own_session_reminders_grouped_by_session():
    ana = make_patient(phone="+16175550101")
    other = make_patient(phone="+16175550102")
    first, second = _local(5, 10), _local(8, 10)
    reminders_plan(recipient=ana, event_start=second, topic="session:2")
    reminders_plan(recipient=ana, event_start=first, topic="session:1")
    reminders_plan(recipient=other, event_start=first, topic="session:3")
    message_schedule(  # not about a session: the invitation, for instance
        recipient=ana,
        kind="portal_invitation",
        send_after=timezone.now(),
        context={"link": "https://portal.example/welcome/x/"},
        topic="invitation:1",
        dedupe_key="invitation:1:sms",
    )

    sessions = reminders_for_patient(user=ana)

    assert [s.event_start for s in sessions] == [first, second]
    messages = [m for s in sessions for m in s.messages]
    assert {m.recipient_id for m in messages} == {ana.pk}
    assert {m.kind for m in sessions[0].messages} == {
        "booking_confirmation",
        "reminder_72h",
        "reminder_24h",
        "reminder_2h",
    }
    sends = [m.send_after for m in sessions[0].messages]
    assert sends == sorted(sends)


def test_a_moved_session_shows_retimed_reminders_and_its_old_ones_cancelled():
    ana = make_patient()
    old_start, new_start = _local(5, 10), _local(7, 14)
    reminders_plan(recipient=ana, event_start=old_start, topic="session:1")
    # Scheduling moves a session by cancelling it and booking a new one (a new topic).
    messages_cancel(topic="session:1", reason="rescheduled")
    reminders_plan(recipient=ana, event_start=new_start, topic="session:2", rescheduled=True)

    old, new = reminders_for_patient(user=ana)

    assert old.event_start == old_start and old.moved
    assert {m.status for m in old.messages} == {MessageStatus.CANCELLED}
    assert new.event_start == new_start and not new.moved
    assert {m.status for m in new.messages} == {MessageStatus.SCHEDULED}
    assert "appointment_changed" in {m.kind for m in new.messages}
    assert {m.send_after for m in new.messages if m.kind == "reminder_24h"} == {
        new_start - timedelta(hours=24)
    }


def test_retiming_in_place_replaces_the_reminders_of_the_same_session():
    ana = make_patient()
    old_start, new_start = _local(5, 10), _local(6, 11)
    reminders_plan(recipient=ana, event_start=old_start, topic="session:1")
    messages_retime(topic="session:1", recipient=ana, event_start=new_start)

    old, new = reminders_for_patient(user=ana)

    assert old.moved and not new.moved
    assert new.event_start == new_start


def test_a_cancelled_sessions_reminders_are_marked_cancelled_not_moved():
    ana = make_patient()
    start = _local(5, 10)
    reminders_plan(recipient=ana, event_start=start, topic="session:1")
    messages_cancel(topic="session:1", reason="cancelled")

    (session,) = reminders_for_patient(user=ana)

    assert not session.moved
    assert {m.status for m in session.messages} == {MessageStatus.CANCELLED}
    assert not any(m.replaced_by_move for m in session.messages)


def test_sessions_already_started_are_left_out():
    ana = make_patient()
    start = _local(5, 10)
    reminders_plan(recipient=ana, event_start=start, topic="session:1")
    assert reminders_for_patient(user=ana, now=start + timedelta(minutes=1)) == []


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.CLINICIAN, Role.PROVIDER, Role.ADMIN])
def test_only_patients_ask_for_their_reminders(make_user, role):
    with pytest.raises(PermissionDenied):
        reminders_for_patient(user=make_user(role=role))
