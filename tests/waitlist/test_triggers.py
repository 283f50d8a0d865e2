"""Every way a chair frees up reaches the waitlist: a cancellation, a move, a cancelled course, a
no-show marked ahead, a closed day opened again and a new shift (by the services and through
the admin pages staff use)."""

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.models import Closure, StaffShift
from scheduling.services import (
    closure_lift,
    course_cancel,
    session_book,
    session_cancel,
    session_mark_no_show,
    session_reschedule,
    shift_add,
)
from tests.factories.scheduling import ClinicianFactory
from waitlist.models import FreedSlot
from waitlist.services import slot_offer_next_round

from .conftest import NOW, at

NOON = at(2027, 3, 1, 12)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def _freed(location):
    return [
        s.astimezone(location.time_zone).strftime("%a %H:%M")
        for s in FreedSlot.objects.filter(location=location)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    ]


def test_a_cancellation_a_move_and_a_cancelled_course_free_their_times(clinic, make_course):
    location = clinic["location"]
    course = make_course()
    cancelled = session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    moved = session_book(course=course, starts_at=at(2027, 3, 12, 9), by=None, now=NOW)
    session_cancel(session=cancelled, by=None, now=NOW)
    session_reschedule(session=moved, new_starts_at=at(2027, 3, 16, 11), by=None, now=NOW)
    assert _freed(location) == ["Wed 09:00", "Fri 09:00"]
    other = make_course()
    session_book(course=other, starts_at=at(2027, 3, 18, 14), by=None, now=NOW)
    course_cancel(course=other, by=ClinicianFactory(), reason="moved away")
    assert _freed(location) == ["Wed 09:00", "Fri 09:00", "Thu 14:00"]


def test_a_no_show_marked_before_its_time_releases_the_chair_but_a_past_one_does_not(
    clinic, make_course, clock
):
    location = clinic["location"]
    ahead = session_book(course=make_course(), starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    session_mark_no_show(session=ahead, by=ClinicianFactory())
    assert _freed(location) == ["Wed 09:00"]

    gone = session_book(course=make_course(), starts_at=at(2027, 3, 11, 9), by=None, now=NOW)
    clock.travel(at(2027, 3, 11, 9, 20))  # twenty minutes late: nobody can use that time now
    session_mark_no_show(session=gone, by=ClinicianFactory())
    assert _freed(location) == ["Wed 09:00"]


def test_a_lifted_closure_offers_the_days_hours_session_after_session(clinic, make_course, waiting):
    location = clinic["location"]
    closure = Closure.objects.create(location=location, date=dt.date(2027, 3, 10))
    entry = waiting()
    closure_lift(closure=closure, by=None)
    # Open 8:00-18:00, sessions of 90 minutes back to back: six fit, in the location's zone.
    assert _freed(location) == [
        f"Wed {t}" for t in ("08:00", "09:30", "11:00", "12:30", "14:00", "15:30")
    ]
    first = FreedSlot.objects.filter(location=location).earliest("starts_at")
    assert slot_offer_next_round(slot_id=first.pk, now=NOON) == 1
    assert first.offers.get().entry == entry
    closure_lift(closure=closure, by=None)  # already lifted: nothing more
    assert FreedSlot.objects.count() == 6


def test_on_the_day_clocks_spring_forward_a_lifted_closure_keeps_wall_clock_times(clinic):
    location = clinic["location"]
    closure = Closure.objects.create(location=location, date=dt.date(2027, 3, 14))
    closure_lift(closure=closure, by=None)
    assert _freed(location)[:2] == ["Sun 08:00", "Sun 09:30"]
    assert _freed(location)[-1] == "Sun 15:30"


def test_a_new_shift_offers_its_hours(clinic):
    location = clinic["location"]
    shift_add(
        location=location,
        clinician=ClinicianFactory(),
        starts_at=at(2027, 3, 10, 13),
        ends_at=at(2027, 3, 10, 16),
        monitoring_capacity=2,
        by=None,
    )
    assert _freed(location) == ["Wed 13:00", "Wed 14:30"]


def test_staff_lifting_a_closure_or_adding_a_shift_in_the_admin_reach_the_waitlist(
    admin_client, clinic
):
    location = clinic["location"]
    closure = Closure.objects.create(location=location, date=dt.date(2027, 3, 10))
    page = admin_client.post(
        reverse("admin:scheduling_closure_delete", args=[closure.pk]), {"post": "yes"}
    )
    assert page.status_code == 302 and not Closure.objects.exists()
    assert len(_freed(location)) == 6

    clinician = ClinicianFactory()
    page = admin_client.post(
        reverse("admin:scheduling_staffshift_add"),
        {
            "location": location.pk,
            "clinician": clinician.pk,
            "starts_at_0": "2027-03-11",
            "starts_at_1": "13:00",
            "ends_at_0": "2027-03-11",
            "ends_at_1": "16:00",
            "monitoring_capacity": 2,
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    shift = StaffShift.objects.get(clinician=clinician)
    assert FreedSlot.objects.filter(starts_at__gte=shift.starts_at).count() == 2
