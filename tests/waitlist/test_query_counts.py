"""The waitlist's key pages cost the same however many wait (see DEVELOPING.md, Tests)."""

import datetime as dt

import pytest
from django.urls import reverse

from clinic.models import Role
from scheduling.services import session_book, session_cancel
from tests.factories.users import UserFactory
from waitlist.models import FreedSlot, WaitlistRules
from waitlist.services import offer_url, slot_offer_next_round

from .conftest import NOW, at

NOON = at(2027, 3, 1, 12)
COORDINATOR_LIST = 7
# 7 before the course came with its patient, the signed-in user (and their profile).
PATIENT_JOIN = 5
OFFER_PAGE = 1  # the offer with its slot, location, entry, course and patient, in one query

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


@pytest.mark.parametrize("n", [1, 50])
def test_the_coordinators_waitlist_costs_the_same_with_50_waiting(
    n, client, clinic, make_course, waiting, django_assert_num_queries
):
    WaitlistRules.objects.create(location=clinic["location"], group_size=20)
    for _ in range(n):
        waiting()
    session = session_book(course=make_course(), starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    session_cancel(session=session, by=None, now=NOW)
    slot_offer_next_round(slot_id=FreedSlot.objects.get().pk, now=NOON)
    client.force_login(UserFactory(role=Role.COORDINATOR))
    url = reverse("waitlist:coordinator_list")
    client.get(url)
    with django_assert_num_queries(COORDINATOR_LIST):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("Waiting for an answer") == min(n, 20)


@pytest.mark.parametrize("n", [1, 4])
def test_the_patients_waitlist_page_costs_the_same_with_more_sessions(
    n, client, clinic, make_course, waiting, django_assert_num_queries
):
    entry = waiting()
    for day in range(n):
        session_book(course=entry.course, starts_at=at(2027, 3, 3 + 3 * day, 9), by=None, now=NOW)
    client.force_login(entry.patient)
    url = reverse("waitlist:patient_join")
    client.get(url)
    with django_assert_num_queries(PATIENT_JOIN):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("n", [1, 50])
def test_the_offer_link_page_costs_the_same_with_50_waiting(
    n, client, clock, clinic, make_course, waiting, django_assert_num_queries
):
    # A round offers 20 at most.
    WaitlistRules.objects.create(location=clinic["location"], group_size=min(n, 20))
    first = waiting()
    for _ in range(n - 1):
        waiting()
    session = session_book(course=make_course(), starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    session_cancel(session=session, by=None, now=NOW)
    slot = FreedSlot.objects.get()
    slot_offer_next_round(slot_id=slot.pk, now=NOON)
    clock.travel(NOON + dt.timedelta(minutes=2))
    url = offer_url(slot.offers.get(entry=first))
    client.get(url)
    with django_assert_num_queries(OFFER_PAGE):
        response = client.get(url)
    assert response.status_code == 200
    assert "Wed 10 Mar 2027, 9:00 AM EST" in response.content.decode()
