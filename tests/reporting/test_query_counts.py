"""The clinic admin's overview (/clinic-admin/), pinned: the same number of queries with 1 and
with 50 of everything its to-do list counts."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import GfeObligation
from clinic.messaging.models import InboundReply, Message, MessageStatus
from clinic.models import Role
from scheduling.models import Course, CourseStatus
from tests.factories.intake import ProviderFactory
from tests.factories.scheduling import LocationFactory, PatientFactory, SessionTypeFactory
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db

ADMIN_OVERVIEW = 10  # the same for 1 and 50: sign-in, seven to-do counts, the worker heartbeat


def build_waiting(n: int) -> None:
    location = LocationFactory()
    session_type = SessionTypeFactory()
    now = timezone.now()
    for i in range(n):
        patient = PatientFactory()
        ProviderFactory()  # unverified
        Message.objects.create(
            recipient=patient,
            channel="sms",
            kind="reminder_24h",
            language="en",
            body="x",
            send_after=now,
            status=MessageStatus.FAILED,
            dedupe_key=f"todo:{i}",
        )
        InboundReply.objects.create(
            channel="sms",
            from_address=f"+1617555{i:04d}",
            body="call me",
            action="other",
            needs_attention=True,
        )
        Course.objects.create(
            patient=patient,
            location=location,
            session_type=session_type,
            planned_sessions=3,
            status=CourseStatus.AWAITING_REVIEW,
        )
        GfeObligation.objects.create(
            patient=patient,
            location=location,
            trigger="requested",
            triggered_at=now,
            due_on=now.date() - dt.timedelta(days=i % 2),
        )


@pytest.mark.parametrize("n", [1, 50])
def test_admin_overview_costs_the_same_with_50_of_everything(n, client, django_assert_num_queries):
    build_waiting(n)
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True))
    url = reverse("clinic:admin_home")
    client.get(url)
    with django_assert_num_queries(ADMIN_OVERVIEW):
        page = client.get(url).content.decode()
    assert f">{n}</strong>" in page
