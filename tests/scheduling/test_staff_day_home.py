"""Clinicians' day view opens where they work, today; names open the chart; buttons say what
they do; a review decision says what was decided."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.services import session_book
from tests.factories.scheduling import (
    ClinicianFactory,
    LocationFactory,
    StaffShiftFactory,
    open_every_day,
)

pytestmark = pytest.mark.django_db


def test_the_day_view_opens_on_the_clinicians_own_location_and_today(client, clinic):
    # "Aardvark" sorts first: without a shift elsewhere the page would open there.
    LocationFactory(name="Aardvark", slug="aardvark", time_zone=ZoneInfo("America/Chicago"))
    pasadena = LocationFactory(
        name="Pasadena", slug="pasadena", time_zone=ZoneInfo("America/Los_Angeles")
    )
    open_every_day(pasadena)
    clinician = ClinicianFactory()
    StaffShiftFactory(
        location=pasadena,
        clinician=clinician,
        starts_at=timezone.now() + dt.timedelta(hours=1),
        ends_at=timezone.now() + dt.timedelta(hours=9),
    )
    client.force_login(clinician)
    response = client.get(reverse("scheduling:clinician_home"))
    day = response.context["day"]
    assert day.location.pk == pasadena.pk  # the page's plain values (scheduling.day_page)
    assert day.day == timezone.now().astimezone(pasadena.time_zone).date()

    # A clinician without shifts starts on the first location, as everyone else does.
    client.force_login(ClinicianFactory())
    assert client.get(reverse("scheduling:clinician_home")).context["day"].location.name == (
        "Aardvark"
    )


def test_names_open_the_chart_and_buttons_say_what_they_do(client, make_course, clinic):
    shift = clinic["shift"]  # on duty for the days ahead, so the session can be booked
    shift.starts_at = timezone.now() - dt.timedelta(days=1)
    shift.ends_at = timezone.now() + dt.timedelta(days=90)
    shift.save()
    course = make_course(planned=1)
    tz = clinic["location"].time_zone
    day = timezone.now().astimezone(tz).date() + dt.timedelta(days=3)
    session = session_book(
        course=course, starts_at=dt.datetime(day.year, day.month, day.day, 10, tzinfo=tz), by=None
    )
    client.force_login(ClinicianFactory())
    location = session.location
    page = client.get(
        reverse("scheduling:clinician_home"), {"location": location.pk, "date": day.isoformat()}
    ).content.decode()
    assert reverse("intake:patient_chart", args=[course.patient_id]) in page
    assert ">Check in</button>" in page and "Checked in</button>" not in page


@pytest.mark.parametrize(
    ("decision", "said"),
    [("approve", "Approved: "), ("decline", "Declined: ")],
)
def test_a_review_decision_says_what_was_decided(client, make_course, decision, said):
    course = make_course(needs_clinician_review=True)
    client.force_login(ClinicianFactory(prescriber="physician"))
    response = client.post(
        reverse("scheduling:clinician_review", args=[course.pk]),
        {"decision": decision, "reason": "Screen reviewed"},
        follow=True,
    )
    assert said in response.content.decode()
