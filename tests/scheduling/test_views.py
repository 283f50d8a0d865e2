import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import PatientProfile, Role
from scheduling.models import CourseStatus, InfusionSession, SessionStatus, SlotHold
from scheduling.services import session_action_url, session_book
from tests.factories.scheduling import (
    ChairFactory,
    ClinicianFactory,
    LocationFactory,
    PatientFactory,
    open_every_day,
)

pytestmark = pytest.mark.django_db


def _soon(days=3, hour=10):
    """A real future wall-clock time at the Boston clinic (views use the real clock)."""
    ny = ZoneInfo("America/New_York")
    day = timezone.now().astimezone(ny).date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=ny)


@pytest.fixture
def live_clinic(clinic):
    shift = clinic["shift"]
    shift.starts_at = timezone.now() - dt.timedelta(days=1)
    shift.ends_at = timezone.now() + dt.timedelta(days=90)
    shift.save()
    return clinic


@pytest.fixture
def patient_client(client, make_course, live_clinic):
    patient = PatientFactory()
    PatientProfile.objects.create(
        user=patient,
        date_of_birth=dt.date(1980, 1, 1),
        sex="female",
        zip_code="90001",
        time_zone=ZoneInfo("America/Los_Angeles"),
    )
    course = make_course(planned=3, patient=patient)
    client.force_login(patient)
    return client, course


def test_course_page_shows_counts_and_times_in_both_zones(patient_client):
    client, course = patient_client
    session_book(course=course, starts_at=_soon(), by=None)
    page = client.get(reverse("scheduling:patient_home")).content.decode()
    assert "Your next session" in page
    assert "10:00 AM E" in page and "7:00 AM P" in page and "your time" in page


def test_day_picker_fragment_lists_free_times_without_a_full_page(patient_client, live_clinic):
    client, _course = patient_client
    day = _soon().date()
    response = client.get(
        reverse("scheduling:patient_book"),
        {"location": live_clinic["location"].pk, "date": day.isoformat()},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="times"' in body
    assert "8:00 AM E" in body


def test_hold_then_confirm_books_and_shows_the_confirmation(patient_client, live_clinic):
    client, course = patient_client
    start = _soon()
    response = client.post(
        reverse("scheduling:patient_hold"),
        {
            "starts_at": start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "location": live_clinic["location"].pk,
        },
    )
    hold = SlotHold.objects.get(course=course)
    assert response["Location"] == reverse("scheduling:patient_hold_confirm", args=[hold.pk])
    assert "Book this time" in client.get(response["Location"]).content.decode()
    booked = client.post(response["Location"], follow=True)
    assert "You're booked" in booked.content.decode()
    assert InfusionSession.objects.filter(course=course, status=SessionStatus.BOOKED).count() == 1


def test_a_time_taken_meanwhile_gets_a_friendly_page_with_nearest_times(
    patient_client, live_clinic, make_course
):
    client, course = patient_client
    start = _soon()
    for _ in range(2):
        session_book(course=make_course(), starts_at=start, by=None)
    response = client.post(
        reverse("scheduling:patient_hold"),
        {
            "starts_at": start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "location": live_clinic["location"].pk,
        },
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "just taken" in body and "nearest free times" in body
    assert "8:30 AM E" in body and "11:30 AM E" in body


def test_plan_my_course_proposes_then_books_all(patient_client, live_clinic):
    client, course = patient_client
    start = _soon(days=4)
    page = client.get(
        reverse("scheduling:patient_plan"),
        {
            "starts_at": start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "location": live_clinic["location"].pk,
        },
    )
    values = [
        line.split('value="')[1].split('"')[0]
        for line in page.content.decode().splitlines()
        if 'name="starts"' in line
    ]
    assert len(values) == 3
    response = client.post(
        reverse("scheduling:patient_plan"),
        {"location": live_clinic["location"].pk, "starts": values},
    )
    assert response.status_code == 302
    assert InfusionSession.objects.filter(course=course).count() == 3


def test_plan_my_course_from_a_free_time_opens_the_proposal(patient_client, live_clinic):
    """The 'Plan my course from here' button beside a free time leads to the proposed series
    starting at that time (the time's UTC offset survives the redirect)."""
    client, course = patient_client
    start = _soon(days=4)
    response = client.post(
        reverse("scheduling:patient_hold"),
        {
            "starts_at": start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "location": live_clinic["location"].pk,
            "plan": "1",
        },
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("scheduling:patient_plan"))
    assert page.count('name="starts"') == 3
    assert start.strftime("%Y-%m-%dT%H:%M") in page  # the first session is the time chosen
    assert not SlotHold.objects.filter(course=course).exists()


def test_a_patient_cannot_see_or_cancel_another_patients_session(patient_client, make_course):
    client, _course = patient_client
    other = session_book(course=make_course(), starts_at=_soon(), by=None)
    assert client.get(reverse("scheduling:patient_cancel", args=[other.pk])).status_code == 404
    assert client.post(reverse("scheduling:patient_cancel", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.status == SessionStatus.BOOKED


def test_email_link_get_only_shows_a_button_and_post_cancels_once(client, make_course, live_clinic):
    session = session_book(course=make_course(), starts_at=_soon(days=5), by=None)
    url = session_action_url(session=session, kind="cancel")
    for _ in range(2):  # a mail scanner, then the patient
        page = client.get(url)
        assert page.status_code == 200 and "Yes, cancel this session" in page.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.BOOKED
    assert client.post(url).status_code == 200
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert client.get(url).status_code == 410


def test_clinician_marks_checked_in_and_completed_from_the_day_view(
    client, make_course, live_clinic
):
    course = make_course(planned=1)
    session = session_book(course=course, starts_at=_soon(), by=None)
    client.force_login(ClinicianFactory())
    page = client.get(
        reverse("scheduling:clinician_home"),
        {"location": live_clinic["location"].pk, "date": _soon().date().isoformat()},
    ).content.decode()
    assert "Check in" in page and "Capacity left" in page
    url = reverse("scheduling:staff_session_status", args=[session.pk])
    client.post(url, {"action": "check_in"})
    client.post(url, {"action": "complete"})
    course.refresh_from_db()
    assert course.status == CourseStatus.COMPLETED


def test_clinician_reviews_a_course(client, make_course):
    course = make_course(needs_clinician_review=True)
    client.force_login(ClinicianFactory(prescriber="physician"))
    page = client.get(reverse("scheduling:clinician_home")).content.decode()
    assert "waiting for your review" in page
    client.post(
        reverse("scheduling:clinician_review", args=[course.pk]),
        {"decision": "approve", "reason": "Screen reviewed; fit to start"},
    )
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_coordinator_finds_a_course_and_books_for_the_patient(
    client, make_user, make_course, live_clinic
):
    course = make_course()
    course.patient.last_name = "Zebedee"
    course.patient.save()
    client.force_login(make_user(role=Role.COORDINATOR))
    found = client.get(reverse("scheduling:coordinator_courses"), {"q": "zebed"})
    assert reverse("scheduling:coordinator_course", args=[course.pk]) in found.content.decode()
    client.post(
        reverse("scheduling:coordinator_course", args=[course.pk]),
        {
            "starts_at": _soon().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "location": live_clinic["location"].pk,
        },
    )
    session = InfusionSession.objects.get(course=course)
    # Cancelling asks first, with a reason (tests/scheduling/test_session_confirm.py).
    client.post(
        reverse("scheduling:session_confirm", args=[session.pk, "cancel"]),
        {"reason": "The patient called to cancel"},
    )
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED


@pytest.mark.parametrize("name", ["scheduling:staff_day", "scheduling:coordinator_courses"])
def test_patients_cannot_open_staff_pages(client, name):
    client.force_login(PatientFactory())
    assert client.get(reverse(name)).status_code == 403


def test_day_view_shows_chairs_staff_and_capacity_left_to_coordinators(
    client, make_user, make_course, live_clinic
):
    session_book(course=make_course(), starts_at=_soon(), by=None)
    client.force_login(make_user(role=Role.COORDINATOR))
    response = client.get(
        reverse("scheduling:staff_day"),
        {"location": live_clinic["location"].pk, "date": _soon().date().isoformat()},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert 'id="day"' in body and "<html" not in body
    assert "Chair 1" in body and "monitors 3" in body
    assert "<td>2</td>" in body  # one of three monitored places taken at 10:00
    assert 'value="check_in"' not in body  # only clinicians mark sessions


def test_day_view_rows_are_labelled_in_the_locations_own_zone(client, make_user):
    # The rows were labelled in the server's zone (New York): a Pasadena day that opens at
    # 7:00 started at "10:00 AM" beside sessions shown at 7:00 AM PST.
    pasadena = LocationFactory(time_zone=ZoneInfo("America/Los_Angeles"))
    ChairFactory(location=pasadena)
    open_every_day(pasadena, opens=dt.time(7), closes=dt.time(9))
    client.force_login(make_user(role=Role.COORDINATOR))
    body = client.get(
        reverse("scheduling:staff_day"),
        {"location": pasadena.pk, "date": _soon().date().isoformat()},
        headers={"HX-Request": "true"},
    ).content.decode()
    rows = [line.split("</th>")[0] for line in body.split('<th scope="row">')[1:]]
    assert rows == ["7:00 AM", "7:30 AM", "8:00 AM", "8:30 AM"]


def test_coordinator_changes_the_planned_count_on_the_course_page(client, make_user, make_course):
    course = make_course(planned=4)
    client.force_login(make_user(role=Role.COORDINATOR))
    url = reverse("scheduling:coordinator_course", args=[course.pk])
    page = client.get(url).content.decode()
    assert reverse("scheduling:coordinator_course_plan", args=[course.pk]) in page
    response = client.post(
        reverse("scheduling:coordinator_course_plan", args=[course.pk]),
        {"count": "3", "reason": "Clinician advised three"},
        follow=True,
    )
    course.refresh_from_db()
    assert course.planned_sessions == 3
    history = " ".join(response.content.decode().split())
    assert "Planned infusions: 4 → 3" in history and "Clinician advised three" in history


@pytest.mark.parametrize(
    "data",
    [
        {"count": "٣", "reason": "x"},
        {"count": "9", "reason": "x"},
        {"count": "abc", "reason": "x"},
        {"count": "3", "reason": ""},
        {"count": "3", "reason": "a\x00b"},
        {},
    ],
)
def test_a_bad_planned_count_form_changes_nothing(client, make_user, make_course, data):
    course = make_course(planned=4)
    client.force_login(make_user(role=Role.COORDINATOR))
    response = client.post(reverse("scheduling:coordinator_course_plan", args=[course.pk]), data)
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.planned_sessions == 4
    assert course.status_changes.count() == 1


def test_only_staff_change_a_course(client, make_course):
    course = make_course(planned=4)
    client.force_login(course.patient)
    for name in ("scheduling:coordinator_course_plan", "scheduling:coordinator_course_cancel"):
        response = client.post(reverse(name, args=[course.pk]), {"count": "3", "reason": "x"})
        assert response.status_code == 403
    course.refresh_from_db()
    assert (course.planned_sessions, course.status) == (4, CourseStatus.ACTIVE)
