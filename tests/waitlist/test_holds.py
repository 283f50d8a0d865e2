"""A round holds the freed time for its group alone: the public picker neither shows nor books
it while the round runs, one of the group can take it, and the next round holds it again for
its own group."""

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.availability import free_start_times
from scheduling.models import InfusionSession, SessionStatus, SlotHold
from scheduling.services import SlotTaken, session_book, session_cancel, slot_hold
from waitlist.models import FreedSlot, OfferStatus, SlotStatus, WaitlistRules
from waitlist.services import offer_accept, offer_url, slot_offer_next_round

from .conftest import NOW, at

NOON = at(2027, 3, 1, 12)
NINE = at(2027, 3, 10, 9)
ROUND = dt.timedelta(minutes=15)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def _freed_with_one_chair_left(make_course):
    """Both chairs booked at 9:00, then one cancelled: exactly one place is free, the slot's."""
    session_book(course=make_course(), starts_at=NINE, by=None, now=NOW)
    session = session_book(course=make_course(), starts_at=NINE, by=None, now=NOW)
    session_cancel(session=session, by=None, now=NOW)
    return FreedSlot.objects.get(source_session=session)


def _public_sees_nine(course, now):
    day = NINE.date()
    times = free_start_times(
        course=course, location=course.location, first_day=day, last_day=day, now=now
    )
    return NINE in times.get(day, [])


def test_while_a_round_runs_nobody_else_can_see_or_book_the_time(clinic, make_course, waiting):
    offered = waiting()
    outsider = make_course()
    slot = _freed_with_one_chair_left(make_course)
    assert _public_sees_nine(outsider, NOON)  # freed, not yet offered

    slot_offer_next_round(slot_id=slot.pk, now=NOON)
    slot.refresh_from_db()
    hold = SlotHold.objects.get(pk=slot.hold_id)
    assert hold.course is None and hold.for_courses == [offered.course_id]
    assert hold.expires_at == NOON + ROUND

    during = NOON + dt.timedelta(minutes=5)
    assert not _public_sees_nine(outsider, during)
    with pytest.raises(SlotTaken):
        session_book(course=outsider, starts_at=NINE, by=None, now=during)
    with pytest.raises(SlotTaken):
        slot_hold(course=outsider, starts_at=NINE, now=during)
    # The offered patient still sees it and takes it; the hold goes with the booking.
    assert _public_sees_nine(offered.course, during)
    session = offer_accept(offer=slot.offers.get(), now=during)
    assert session.starts_at == NINE and session.status == SessionStatus.BOOKED
    assert not SlotHold.objects.exists()


def test_the_hold_ends_with_the_round_and_the_next_round_holds_it_for_its_group(
    clinic, make_course, waiting
):
    WaitlistRules.objects.create(location=clinic["location"], group_size=1)
    first, second = waiting(), waiting()
    outsider = make_course()
    slot = _freed_with_one_chair_left(make_course)
    slot_offer_next_round(slot_id=slot.pk, now=NOON)

    slot_offer_next_round(slot_id=slot.pk, now=NOON + ROUND)
    slot.refresh_from_db()
    assert slot.round == 2
    assert list(SlotHold.objects.values_list("for_courses", flat=True)) == [[second.course_id]]
    later = NOON + ROUND + dt.timedelta(minutes=3)
    assert not _public_sees_nine(outsider, later)
    assert not _public_sees_nine(first.course, later)  # their round is over
    assert _public_sees_nine(second.course, later)

    # Nobody else waits: after the last round the time is everyone's again.
    slot_offer_next_round(slot_id=slot.pk, now=NOON + 2 * ROUND)
    slot.refresh_from_db()
    assert slot.status == SlotStatus.UNFILLED and slot.hold_id is None
    assert not SlotHold.objects.exists()
    assert _public_sees_nine(outsider, NOON + 2 * ROUND)


def test_a_time_booked_between_two_rounds_is_not_offered_again(clinic, make_course, waiting):
    WaitlistRules.objects.create(location=clinic["location"], group_size=1)
    _first, second = waiting(), waiting()
    slot = _freed_with_one_chair_left(make_course)
    slot_offer_next_round(slot_id=slot.pk, now=NOON)
    # The round ran out; before the next one starts, someone books it on the public page.
    session_book(course=make_course(), starts_at=NINE, by=None, now=NOON + ROUND)

    assert slot_offer_next_round(slot_id=slot.pk, now=NOON + ROUND) == 0
    slot.refresh_from_db()
    assert slot.status == SlotStatus.UNFILLED
    assert not slot.offers.filter(entry=second).exists()
    assert slot.offers.get().status == OfferStatus.EXPIRED


def test_over_http_the_public_page_hides_and_refuses_the_held_time_and_the_offer_books_it(
    client, clock, clinic, make_course, waiting
):
    offered = waiting()
    outsider = make_course()
    slot = _freed_with_one_chair_left(make_course)
    slot_offer_next_round(slot_id=slot.pk, now=NOON)
    clock.travel(NOON + dt.timedelta(minutes=4))

    client.force_login(outsider.patient)
    day_page = client.get(
        reverse("scheduling:patient_book"),
        {"location": clinic["location"].pk, "date": NINE.date().isoformat()},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert 'id="times"' in day_page and "9:00 AM E" not in day_page
    assert "11:00 AM E" in day_page  # the day is open; only the held time is gone
    refused = client.post(
        reverse("scheduling:patient_hold"),
        {
            "starts_at": NINE.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "location": clinic["location"].pk,
        },
    )
    assert refused.status_code == 409 and "just taken" in refused.content.decode()
    assert not InfusionSession.objects.filter(course=outsider).exists()

    client.logout()
    taken = client.post(offer_url(slot.offers.get(entry=offered)))
    assert taken.status_code == 200
    assert InfusionSession.objects.get(course=offered.course, status="booked").starts_at == NINE
