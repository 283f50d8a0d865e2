"""Races against the real PostgreSQL, with real threads and committed transactions."""

import threading

import pytest
from django.db import connection

from clinic.errors import ApplicationError
from scheduling.models import InfusionSession
from scheduling.services import SlotTaken, session_book
from tests.factories.scheduling import ChairFactory

from .conftest import NOW, at

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.usefixtures("at_now"),
]


def _race(courses, start):
    """Every course tries to book `start` at the same moment; returns (booked, refusals)."""
    barrier = threading.Barrier(len(courses))
    booked, refused, crashed = [], [], []

    def attempt(course):
        try:
            barrier.wait()
            booked.append(session_book(course=course, starts_at=start, by=None, now=NOW))
        except SlotTaken as exc:
            refused.append(exc)
        except ApplicationError as exc:  # pragma: no cover - would fail the test below
            crashed.append(exc)
        except Exception as exc:  # pragma: no cover
            crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in courses]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not crashed, crashed
    return booked, refused


def test_fifty_threads_booking_the_last_free_chair_exactly_one_wins(clinic, make_course):
    clinic["chairs"][1].is_active = False
    clinic["chairs"][1].save()
    courses = [make_course() for _ in range(50)]
    booked, refused = _race(courses, at(2027, 3, 10, 9))
    assert len(booked) == 1
    assert len(refused) == 49
    assert all(r.message == "Sorry, that time was just taken." for r in refused)
    assert InfusionSession.objects.count() == 1


def test_monitoring_capacity_holds_under_concurrent_bookings(clinic, make_course):
    for n in range(3, 7):
        ChairFactory(location=clinic["location"], name=f"Chair {n}")
    courses = [make_course() for _ in range(6)]  # six free chairs, one nurse monitoring 3
    booked, refused = _race(courses, at(2027, 3, 10, 9))
    assert (len(booked), len(refused)) == (3, 3)
