"""The one time picker on every booking page (issue 21): the page a patient reaches from a
'move' link in a text or e-mail and the coordinator's booking on a patient's behalf show the
same earliest time, strip of days, chips and no-times reasons as the patient's booking page,
and swap a day in as an HTMX fragment (a plain link without JavaScript). And the whole course is
cancelled only through a page that names what goes and asks why (issue 20)."""

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import Role
from scheduling.models import CourseStatus, InfusionSession, SessionStatus
from scheduling.services import session_action_url, session_book
from tests.scheduling import test_views
from tests.scheduling.test_views import _soon

live_clinic = test_views.live_clinic  # the fixture: a shift around today, for the real clock

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def _today():
    return timezone.now().astimezone(NY).date()


def _first_chip(body: str) -> str:
    return body.split('class="day"')[1].split('name="starts_at" value="')[1].split('"')[0]


def _assert_picker(body: str) -> None:
    assert "Earliest:" in body
    assert body.count("day-strip") == 1 and body.count('aria-current="date"') == 1
    assert re.search(r"<small>\d+ times</small>", body)
    assert "Morning" in body and "M EST</button>" in body or "M EDT</button>" in body
    assert "Another day or location" in body
    # Not the old column of times, each with its own form.
    assert "Free times at" not in body


@pytest.fixture
def coordinator_course(client, make_user, make_course, live_clinic):
    course = make_course(planned=3)
    client.force_login(make_user(role=Role.COORDINATOR))
    return client, course, reverse("scheduling:coordinator_course", args=[course.pk])


def test_the_coordinator_books_on_behalf_with_the_patients_picker(coordinator_course):
    client, course, url = coordinator_course
    body = client.get(url).content.decode()
    _assert_picker(body)
    assert "Plan my" not in body  # a coordinator books one session at a time
    start = _first_chip(body)
    response = client.post(url, {"starts_at": start, "location": course.location_id})
    assert response.status_code == 302
    session = InfusionSession.objects.get(course=course)
    assert session.starts_at == dt.datetime.strptime(start, "%Y-%m-%dT%H:%M:%S%z")


def test_the_coordinators_days_swap_in_as_a_fragment_and_say_why_a_day_has_none(
    coordinator_course,
):
    client, course, url = coordinator_course
    query = {"location": course.location_id, "date": _today().isoformat()}
    fragment = client.get(url, query, headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<div id="times"') and "<html" not in fragment
    assert "Too soon: bookings need 24 hours' notice" in fragment
    page = client.get(url, query).content.decode()
    assert "<html" in page and "Too soon" in page


def test_moving_a_session_for_the_patient_keeps_the_session_in_every_day_link(
    coordinator_course,
):
    client, course, url = coordinator_course
    first = session_book(course=course, starts_at=_soon(days=3), by=None)
    body = client.get(url, {"session": first.pk}).content.decode()
    _assert_picker(body)
    assert "Move the session of" in body
    days = re.findall(r'class="day-strip".*?</div>', body, re.S)[0]
    assert len(re.findall(rf'<li><a href="\?session={first.pk}&amp;', days)) == 14
    assert f'name="replaces" value="{first.pk}"' in body
    assert f'<input type="hidden" name="session" value="{first.pk}">' in body
    # Days close to the session being moved are not 'too close to the patient's other
    # sessions': its own time does not count against it.
    near = client.get(
        url, {"session": first.pk, "location": course.location_id, "date": _soon(4).date()}
    ).content.decode()
    assert "too close" not in near


def test_a_day_too_close_to_the_patients_sessions_says_so_to_the_coordinator(coordinator_course):
    client, course, url = coordinator_course
    session_book(course=course, starts_at=_soon(days=5), by=None)
    body = client.get(
        url, {"location": course.location_id, "date": _soon(days=6).date().isoformat()}
    ).content.decode()
    assert "too close to the patient's other sessions" in html.unescape(" ".join(body.split()))
    assert "your other sessions" not in body


def test_the_move_link_from_a_text_shows_the_picker_and_moves_the_session(
    client,
    make_course,
    live_clinic,
):
    course = make_course(planned=3)
    session = session_book(course=course, starts_at=_soon(days=5), by=None)
    url = session_action_url(session=session, kind="reschedule")
    body = client.get(url).content.decode()  # no sign-in: the signed link is the key
    _assert_picker(body)
    assert "Move this session" in body and "Plan my" not in body
    day = _soon(days=8).date()
    fragment = client.get(
        url,
        {"location": course.location_id, "date": day.isoformat()},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert fragment.startswith('<div id="times"')
    start = _first_chip(fragment)
    assert client.post(url, {"starts_at": start, "location": course.location_id}).status_code == 200
    session.refresh_from_db()
    assert session.status == SessionStatus.RESCHEDULED
    moved = InfusionSession.objects.get(rescheduled_from=session)
    assert moved.starts_at == dt.datetime.strptime(start, "%Y-%m-%dT%H:%M:%S%z")


@pytest.mark.parametrize("day", ["٢٠٢٧-٠١-٠٤", "2027-13-40", "\x00", "1800-01-01", "x" * 5000])
def test_the_move_links_picker_refuses_a_bad_day_without_an_error(
    client,
    make_course,
    live_clinic,
    day,
):
    course = make_course(planned=3)
    session = session_book(course=course, starts_at=_soon(days=5), by=None)
    url = session_action_url(session=session, kind="reschedule")
    response = client.get(url, {"location": course.location_id, "date": day})
    assert response.status_code == 200
    assert "Earliest:" in response.content.decode()


# --- cancelling the whole course asks first ----------------------------------------------------


def test_cancelling_the_course_names_every_session_that_goes_and_needs_a_reason(
    coordinator_course,
):
    client, course, url = coordinator_course
    booked = [session_book(course=course, starts_at=_soon(days=d), by=None) for d in (3, 6)]
    page = client.get(url).content.decode()
    cancel_url = reverse("scheduling:coordinator_course_cancel", args=[course.pk])
    assert f'href="{cancel_url}"' in page and "Cancel the whole course…" in page
    confirm = " ".join(client.get(cancel_url).content.decode().split())
    assert "Cancel the whole course?" in confirm
    assert course.patient.get_full_name() in confirm
    assert "These 2 sessions still to come will be cancelled" in confirm
    assert "Session 1 of 3" in confirm and "Session 2 of 3" in confirm
    assert "10:00 AM E" in confirm  # each with its time and zone

    refused = client.post(cancel_url, {"reason": " "})
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.content.decode()
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE
    assert {s.status for s in InfusionSession.objects.filter(course=course)} == {"booked"}

    done = client.post(cancel_url, {"reason": "Moved to Ohio"}, follow=True)
    course.refresh_from_db()
    assert course.status == CourseStatus.CANCELLED
    assert all(
        s.status == SessionStatus.CANCELLED
        for s in InfusionSession.objects.filter(pk__in=[b.pk for b in booked])
    )
    history = " ".join(done.content.decode().split())
    assert "The course is cancelled." in history and "Moved to Ohio" in history
    assert course.status_changes.filter(reason="Moved to Ohio").exists()
    changes = course.status_changes.count()
    # Once cancelled there is nothing to cancel: no page, no second change.
    again = client.get(cancel_url, follow=True)
    assert "nothing to cancel" in again.content.decode()
    assert course.status_changes.count() == changes


def test_only_coordinators_and_admins_open_the_course_cancel_page(client, make_course):
    from tests.factories.scheduling import ClinicianFactory

    course = make_course()
    for user in (course.patient, ClinicianFactory()):
        client.force_login(user)
        url = reverse("scheduling:coordinator_course_cancel", args=[course.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": "x"}).status_code == 403
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_moving_never_offers_the_sessions_own_time(coordinator_course):
    """Its own time is free for it (it does not block itself) but moving there changes
    nothing: neither the earliest offer nor that day's chips propose it."""
    client, course, url = coordinator_course
    session = session_book(course=course, starts_at=_soon(days=3, hour=8), by=None)
    own = session.starts_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
    day = _soon(days=3).date().isoformat()
    for query in ({"session": session.pk}, {"session": session.pk, "date": day}):
        body = client.get(url, {"location": course.location_id, **query}).content.decode()
        assert f'value="{own}"' not in body
        assert "Earliest:" in body and 'name="starts_at" value="' in body
