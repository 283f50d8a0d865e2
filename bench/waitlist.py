"""Benchmark: a cancellation at a location where thousands wait (issue 24).

Builds, inside one transaction that is rolled back at the end (nothing stays), a location open
07:00-22:00 with four chairs and a clinician on shift, `patients` patients waiting there (user,
profile, consent to texts, an active course, a waitlist entry with windows that hold the freed
time), and one booked session. It then times what a patient's cancel request does (the session
cancelled, its freed slot recorded by the waitlist's handler) and what the task enqueued on
commit does (rank the waiting, check the best against the booking rules, store the first
round's offers and their texts), with the queries each takes. Run it with
`manage.py bench_waitlist [--patients 5000]`; bench/RESULTS.md keeps the figure in its notes."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from zoneinfo import ZoneInfo

from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.messaging.models import Channel, ConsentSource, ContactConsent
from clinic.models import PatientProfile, Role, User
from scheduling.models import (
    Chair,
    Course,
    CourseStatus,
    Location,
    OpeningHours,
    StaffShift,
)
from scheduling.services import course_create, default_session_type, session_book, session_cancel
from waitlist.models import FreedSlot, Offer, WaitlistEntry
from waitlist.services import offer_url, slot_offer_next_round

ZONE = ZoneInfo("America/New_York")


class _RollBack(Exception):
    pass


def _clinic(now: dt.datetime) -> Location:
    location = Location.objects.create(
        name="Bench waitlist",
        slug="bench-waitlist",
        time_zone=ZONE,
        address_line="1 Bench Street",
        city="Boston",
        state="MA",
        zip_code="02116",
    )
    for weekday in range(7):
        OpeningHours.objects.create(
            location=location, weekday=weekday, opens_at=dt.time(7), closes_at=dt.time(22)
        )
    Chair.objects.bulk_create([Chair(location=location, name=f"Chair {n}") for n in range(4)])
    clinician = User.objects.create_user(
        email="bench-waitlist-nurse@bench.example", password=None, role=Role.CLINICIAN
    )
    StaffShift.objects.create(
        location=location,
        clinician=clinician,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=30),
        monitoring_capacity=4,
    )
    return location


def _waiting(location: Location, patients: int, now: dt.datetime) -> None:
    """`patients` waiting, longest waiting first, written in bulk."""
    session_type = default_session_type()
    users = User.objects.bulk_create(
        User(
            email=f"bench-wait-{n}@bench.example",
            phone=f"+1617{n:07d}",
            role=Role.PATIENT,
            first_name="Bench",
            last_name=f"Waiting {n}",
        )
        for n in range(patients)
    )
    PatientProfile.objects.bulk_create(
        PatientProfile(
            user=u,
            date_of_birth=dt.date(1980, 1, 1),
            sex="female",
            zip_code="02116",
            time_zone=ZONE,
            preferred_channel=Channel.SMS,
        )
        for u in users
    )
    ContactConsent.objects.bulk_create(
        ContactConsent(
            address=u.phone.as_e164 if hasattr(u.phone, "as_e164") else str(u.phone),
            channel=Channel.SMS,
            user=u,
            granted=True,
            source=ConsentSource.INTAKE,
        )
        for u in users
    )
    courses = Course.objects.bulk_create(
        Course(
            patient=u,
            location=location,
            session_type=session_type,
            planned_sessions=3,
            status=CourseStatus.ACTIVE,
        )
        for u in users
    )
    WaitlistEntry.objects.bulk_create(
        WaitlistEntry(
            patient_id=c.patient_id,
            course=c,
            location=location,
            weekdays=list(range(7)),
            parts_of_day=["morning", "afternoon", "evening"],
            created_at=now - dt.timedelta(days=30, minutes=-n),
        )
        for n, c in enumerate(courses)
    )


def _timed(step):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = step()
        elapsed = (time.perf_counter() - started) * 1000
    return result, round(elapsed, 1), len(queries)


def _page_ms(client: Client, path: str, requests: int = 20) -> tuple[float, int]:
    """The median of `requests` GETs in process (after one to warm up), and the queries of one."""
    assert client.get(path).status_code == 200, path
    # A request empties the connection's query log as it starts: count from an empty one.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    count = len(queries)  # now: the captured list is read from the log the next request empties
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1), count


def _offer_page(slot: FreedSlot, location: Location) -> dict:
    """The offer link's page (GET: the time and a button), as the first offered patient opens
    it, in process, with the floor view the same way beside it. The offers were made at noon:
    they are kept open for the wall clock the page reads (in this rolled-back transaction)."""
    offer = Offer.objects.filter(slot=slot).order_by("pk").first()
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() + dt.timedelta(minutes=30))
    client = Client(HTTP_HOST="127.0.0.1")
    page_ms, page_queries = _page_ms(client, offer_url(offer))
    floor_ms, _ = _page_ms(client, f"/bench/floor/{location.pk}/")
    return {
        "offer_page_ms": page_ms,
        "offer_page_queries": page_queries,
        "offer_page_floor_ms": floor_ms,
    }


def measure(*, patients: int = 5000, offer_page: bool = False) -> dict:
    """Timings (ms) and query counts of the cancel and of the first round; rolls back."""
    figures: dict = {"patients": patients}
    try:
        with transaction.atomic():
            today = timezone.localdate(timezone.now(), ZONE)
            noon = dt.datetime.combine(today, dt.time(12), tzinfo=ZONE)
            location = _clinic(noon)
            _waiting(location, patients, noon)
            canceller = course_create(
                patient=User.objects.create_user(
                    email="bench-cancels@bench.example", password=None, role=Role.PATIENT
                ),
                location=location,
                planned_sessions=1,
                needs_clinician_review=False,
                created_by=None,
            )
            day = today + dt.timedelta(days=3)
            starts = dt.datetime.combine(day, dt.time(10), tzinfo=ZONE)
            session = session_book(course=canceller, starts_at=starts, by=None, now=noon)
            _, figures["cancel_ms"], figures["cancel_queries"] = _timed(
                lambda: session_cancel(session=session, by=None, now=noon)
            )
            slot = FreedSlot.objects.get(source_session=session)
            offers, figures["first_round_ms"], figures["first_round_queries"] = _timed(
                lambda: slot_offer_next_round(slot_id=slot.pk, now=noon)
            )
            figures["offers_sent"] = offers
            if offer_page:
                figures.update(_offer_page(slot, location))
            raise _RollBack
    except _RollBack:
        pass
    return figures
