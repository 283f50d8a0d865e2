"""Query counts of the outbox and the audit trail, pinned: each page is measured with 1 and with
50 of what it lists (messages to as many patients, audit events by as many staff, patients
matching a search) and must cost the same number of queries both times. A count that grows
with the data is an N+1 to fix in the selector."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record
from clinic.messaging.services import message_schedule
from clinic.models import Role
from scheduling.services import course_create
from tests.factories.messaging import make_patient
from tests.factories.scheduling import LocationFactory, SessionTypeFactory
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db

SIZES = [1, 50]

# Pinned counts, the same with 1 and with 50 of everything the page lists.
OUTBOX = 6  # the count of messages whose outcome is unknown; one audit INSERT for the patients
AUDIT_SEARCH = 3
AUDIT_TRAIL = 5
AUDIT_CSV = 5


@pytest.mark.parametrize("n", SIZES)
def test_outbox_costs_the_same_with_messages_to_50_patients(
    n, client, message_defaults, django_assert_num_queries
):
    for i in range(n):
        message_schedule(
            recipient=make_patient(phone=f"+1617555{i:04d}", zone="America/Los_Angeles"),
            kind="reminder_24h",
            channel="sms",
            send_after=timezone.now() + timedelta(hours=i + 1),
            context={"event_start": timezone.now() + timedelta(days=3)},
            dedupe_key=f"qc:{i}",
        )
    client.force_login(UserFactory(role=Role.COORDINATOR))
    url = reverse("messaging:outbox")
    client.get(url)
    with django_assert_num_queries(OUTBOX):
        page = client.get(url).content.decode()
    rows = page.split("<tbody>")[1].count("<tr>")
    assert rows == min(n, 25)  # 25 a page
    assert "PST" in page or "PDT" in page  # each time in its patient's zone


@pytest.mark.parametrize("n", SIZES)
def test_audit_trail_costs_the_same_with_50_matches_and_50_events_by_50_people(
    n, client, django_assert_num_queries
):
    patients = [
        UserFactory(role=Role.PATIENT, last_name="Rivera", email=f"rivera{i}@example.test")
        for i in range(n)
    ]
    course = course_create(
        patient=patients[0],
        location=LocationFactory(),
        planned_sessions=4,
        needs_clinician_review=False,
        created_by=None,
        session_type=SessionTypeFactory(),
    )
    for _ in range(n):
        request = RequestFactory().get(reverse("scheduling:coordinator_course", args=[course.pk]))
        request.user = UserFactory(role=Role.COORDINATOR)
        audit_record(request=request, obj=course, action=AuditAction.VIEW)
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True))
    url = reverse("clinic:audit_trail")
    client.get(url)

    with django_assert_num_queries(AUDIT_SEARCH):
        page = client.get(url, {"q": "rivera"}).content.decode()
    assert page.count("?patient=") == min(n, 20)  # the first 20 matches
    with django_assert_num_queries(AUDIT_TRAIL):
        page = client.get(url, {"patient": patients[0].pk}).content.decode()
    assert page.count("(coordinator)") == n
    with django_assert_num_queries(AUDIT_CSV):
        response = client.get(reverse("clinic:audit_trail_csv"), {"patient": patients[0].pk})
        lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == n + 1  # a header and one line per event
