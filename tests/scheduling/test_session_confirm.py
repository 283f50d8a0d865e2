"""What cannot be undone asks first and keeps a reason: cancelling a session (coordinators),
a no-show (clinicians), and correcting a no-show the same day."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import Role
from scheduling.models import SessionStatus, SessionStatusChange
from scheduling.services import session_book, session_check_in, session_mark_no_show
from tests.factories.scheduling import ClinicianFactory
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(clinic, make_course):
    shift = clinic["shift"]
    shift.starts_at = timezone.now() - dt.timedelta(days=2)
    shift.ends_at = timezone.now() + dt.timedelta(days=90)
    shift.save()
    tz = clinic["location"].time_zone
    day = timezone.now().astimezone(tz).date() + dt.timedelta(days=3)
    starts = dt.datetime(day.year, day.month, day.day, 10, tzinfo=tz)
    return session_book(course=make_course(planned=2), starts_at=starts, by=None)


def confirm_url(session, kind):
    return reverse("scheduling:session_confirm", args=[session.pk, kind])


def test_cancel_asks_first_names_the_session_and_keeps_the_reason(client, session):
    coordinator = UserFactory(role=Role.COORDINATOR)
    client.force_login(coordinator)
    course_page = client.get(
        reverse("scheduling:coordinator_course", args=[session.course_id])
    ).content.decode()
    assert confirm_url(session, "cancel") in course_page  # a link, not a one-click button
    page = client.get(confirm_url(session, "cancel")).content.decode()
    assert "Cancel this session?" in page and "10:00 AM" in page and "session 1 of 2" in page
    assert "aria-describedby" in page or 'id="id_reason"' in page

    # Without a reason nothing happens, and the error is tied to the field.
    response = client.post(confirm_url(session, "cancel"), {"reason": ""})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.BOOKED

    response = client.post(confirm_url(session, "cancel"), {"reason": "Patient has the flu"})
    assert response["Location"] == reverse(
        "scheduling:coordinator_course", args=[session.course_id]
    )
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    change = SessionStatusChange.objects.get(session=session, to_status="cancelled")
    assert (change.reason, change.changed_by) == ("Patient has the flu", coordinator)

    # The old one-click form now only leads to the question.
    old = client.post(
        reverse("scheduling:coordinator_session_change", args=[session.pk]), {"action": "cancel"}
    )
    assert old["Location"] == confirm_url(session, "cancel")


def test_a_no_show_needs_a_reason_and_can_be_corrected_the_same_day(client, clock, session):
    clinician = ClinicianFactory()
    client.force_login(clinician)
    # The one-click no-show is gone from the day view's form.
    status_url = reverse("scheduling:staff_session_status", args=[session.pk])
    assert client.post(status_url, {"action": "no_show"}).status_code == 404
    clock.travel(session.starts_at + dt.timedelta(minutes=30))
    client.logout()  # staff are signed out after 15 idle minutes: a new sign-in
    client.force_login(clinician)
    response = client.post(confirm_url(session, "no_show"), {"reason": "Did not arrive"})
    assert response.status_code == 302, response.content
    assert response["Location"] == reverse("scheduling:clinician_home")
    session.refresh_from_db()
    assert session.status == SessionStatus.NO_SHOW

    page = client.get(confirm_url(session, "correct_no_show")).content.decode()
    assert "Correct this no-show?" in page
    client.post(confirm_url(session, "correct_no_show"), {"reason": "She was in the waiting room"})
    session.refresh_from_db()
    assert session.status == SessionStatus.CHECKED_IN
    history = [(c.to_status, c.reason) for c in session.status_changes.all()]
    assert history[-2:] == [
        ("no_show", "Did not arrive"),
        ("checked_in", "She was in the waiting room"),
    ]


def test_a_no_show_cannot_be_corrected_the_next_day(client, clock, session):
    clinician = ClinicianFactory()
    session_check_in(session=session, by=clinician)
    session_mark_no_show(session=session, by=clinician, reason="Left before starting")
    clock.travel(session.starts_at + dt.timedelta(days=1))
    client.force_login(clinician)
    assert client.get(confirm_url(session, "correct_no_show"))["Location"] == reverse(
        "scheduling:clinician_home"
    )
    response = client.post(confirm_url(session, "correct_no_show"), {"reason": "Mistake"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.NO_SHOW


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        (Role.CLINICIAN, "cancel"),
        (Role.COORDINATOR, "no_show"),
        (Role.COORDINATOR, "correct_no_show"),
        (Role.PATIENT, "cancel"),
    ],
)
def test_each_action_belongs_to_its_role(client, session, role, kind):
    client.force_login(UserFactory(role=role))
    assert client.post(confirm_url(session, kind), {"reason": "x"}).status_code == 403
    session.refresh_from_db()
    assert session.status == SessionStatus.BOOKED


def test_an_unknown_action_is_a_404(client, session):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    assert client.get(confirm_url(session, "explode")).status_code == 404


def test_hostile_next_is_not_followed(client, session):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    response = client.post(
        confirm_url(session, "cancel"), {"reason": "ok", "next": "//evil.example/"}
    )
    assert response["Location"].startswith("/coordinator/courses/")
