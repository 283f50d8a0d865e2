"""A freed chair offered in rounds: who it fits, in what order, when texts may go, and what
accepting does (all or nothing, the cascade of an earlier time)."""

import datetime as dt

import pytest
from django.conf import settings

from clinic.messaging import defaults
from clinic.messaging.models import Channel, ConsentSource, Message
from clinic.messaging.services import consent_record
from clinic.messaging.wording import forbidden_words_in
from reporting.operations import page_reads
from scheduling.models import InfusionSession, SessionStatus
from scheduling.services import session_book, session_cancel, session_check_in
from tests.factories.users import UserFactory
from waitlist.matching import next_group
from waitlist.models import EntryStatus, FreedSlot, OfferStatus, SlotStatus, WaitlistRules
from waitlist.services import (
    OfferGone,
    entry_join,
    offer_accept,
    slot_free,
    slot_offer_next_round,
)

from .conftest import NOW, at

# Offers go inside calling hours: noon in Boston on the test clock's day.
NOON = at(2027, 3, 1, 12)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def _cancelled_slot(make_course, starts_at):
    """Someone books starts_at and cancels: the freed slot the waitlist gets."""
    session = session_book(course=make_course(), starts_at=starts_at, by=None, now=NOW)
    session_cancel(session=session, by=None, now=NOW)
    return FreedSlot.objects.get(source_session=session)


def _offered(slot):
    return [o.entry for o in slot.offers.order_by("id")]


def test_a_cancellation_frees_the_time_and_the_first_round_goes_to_the_best_three(
    clinic, make_course, waiting
):
    first, second, third, fourth = (waiting() for _ in range(4))
    slot = _cancelled_slot(make_course, at(2027, 3, 10, 9))
    assert slot.status == SlotStatus.OFFERING and slot.starts_at == at(2027, 3, 10, 9)

    assert slot_offer_next_round(slot_id=slot.pk, now=NOON) == 3
    assert _offered(slot) == [first, second, third]
    texts = Message.objects.filter(kind="waitlist_offer").order_by("id")
    assert [m.recipient_id for m in texts] == [e.patient_id for e in (first, second, third)]
    assert all(m.channel == Channel.SMS and "/w/" in m.body for m in texts)
    assert "Wed, Mar 10" in texts[0].body and "9:00 AM EST" in texts[0].body
    # Safe twice: the round is still running, nobody else is offered it.
    assert slot_offer_next_round(slot_id=slot.pk, now=NOON + dt.timedelta(minutes=5)) == 0


def test_a_course_under_way_goes_first_then_the_longest_waiting(clinic, make_course, waiting):
    newcomer = waiting()
    under_way = waiting()
    given = session_book(course=under_way.course, starts_at=at(2027, 3, 2, 9), by=None, now=NOW)
    session_check_in(session=given, by=UserFactory(role="clinician"))
    WaitlistRules.objects.create(location=clinic["location"], group_size=2)
    slot = _cancelled_slot(make_course, at(2027, 3, 10, 9))
    slot_offer_next_round(slot_id=slot.pk, now=NOON)
    assert _offered(slot) == [under_way, newcomer]


def test_windows_are_days_times_and_dates_in_the_locations_zone(clinic, make_course, waiting):
    wednesday = at(2027, 3, 10, 14)  # a Wednesday afternoon in New York
    fits = waiting(weekdays=[2], parts_of_day=["afternoon"])
    waiting(weekdays=[3], parts_of_day=["afternoon"])  # Thursdays only
    waiting(weekdays=[2], parts_of_day=["morning"])
    waiting(weekdays=[2], parts_of_day=["afternoon"], earliest_date=dt.date(2027, 3, 11))
    waiting(weekdays=[2], parts_of_day=["afternoon"], latest_date=dt.date(2027, 3, 9))
    # Lives in Los Angeles (11 AM there): the windows are the clinic's wall clock.
    far = waiting(weekdays=[2], parts_of_day=["afternoon"], zone="America/Los_Angeles")
    slot = _cancelled_slot(make_course, wednesday)
    group, _ = next_group(slot, size=10, now=NOON)
    assert group == [fits, far]


def test_on_the_day_clocks_spring_forward_a_morning_is_still_a_morning(
    clinic, make_course, waiting
):
    sunday = at(2027, 3, 14, 9)  # 9:00 EDT, 13:00 UTC: the first hours of daylight time
    assert sunday.astimezone(dt.UTC).hour == 13
    morning = waiting(weekdays=[6], parts_of_day=["morning"])
    waiting(weekdays=[6], parts_of_day=["afternoon"])
    waiting(weekdays=[5], parts_of_day=["morning"])
    slot = _cancelled_slot(make_course, sunday)
    assert next_group(slot, size=10, now=NOON)[0] == [morning]


def test_the_courses_spacing_and_notice_rules_decide_as_scheduling_would(
    clinic, make_course, waiting
):
    spaced = waiting()
    session_book(course=spaced.course, starts_at=at(2027, 3, 9, 12), by=None, now=NOW)
    free = waiting()
    slot = _cancelled_slot(make_course, at(2027, 3, 10, 9))  # 21 hours after spaced's session
    assert next_group(slot, size=10, now=NOON)[0] == [free]
    # Inside the booking notice (24 hours), nobody fits: the slot is left unfilled.
    soon = _cancelled_slot(make_course, at(2027, 3, 2, 9))
    assert slot_offer_next_round(slot_id=soon.pk, now=at(2027, 3, 1, 12)) == 0
    soon.refresh_from_db()
    assert soon.status == SlotStatus.UNFILLED


def test_never_after_an_opt_out_and_only_inside_the_patients_calling_hours(
    clinic, make_course, waiting
):
    opted_out = waiting()
    consent_record(
        address=opted_out.patient.phone.as_e164,
        channels=[Channel.SMS],
        granted=False,
        source=ConsentSource.INBOUND_TEXT,
        user=opted_out.patient,
    )
    pacific = waiting(zone="America/Los_Angeles")
    boston = waiting()
    slot = _cancelled_slot(make_course, at(2027, 3, 10, 9))
    early = at(2027, 3, 2, 9, 30)  # 9:30 in Boston, 6:30 in Los Angeles
    assert slot_offer_next_round(slot_id=slot.pk, now=early) == 1
    assert _offered(slot) == [boston]
    # Nobody is left who can be reached now, but the Pacific patient fits: the slot waits.
    slot_offer_next_round(slot_id=slot.pk, now=early + dt.timedelta(minutes=16))
    slot.refresh_from_db()
    assert slot.status == SlotStatus.OFFERING and len(_offered(slot)) == 1
    later = at(2027, 3, 2, 11, 30)  # 8:30 in Los Angeles
    assert slot_offer_next_round(slot_id=slot.pk, now=later) == 1
    assert _offered(slot) == [boston, pacific]
    assert not Message.objects.filter(recipient=opted_out.patient, kind="waitlist_offer").exists()


def test_when_the_round_runs_out_the_next_group_is_offered_and_late_answers_are_refused(
    clinic, make_course, waiting
):
    WaitlistRules.objects.create(location=clinic["location"], group_size=1, offer_minutes=15)
    first, second = waiting(), waiting()
    slot = _cancelled_slot(make_course, at(2027, 3, 10, 9))
    slot_offer_next_round(slot_id=slot.pk, now=NOON)
    offer = slot.offers.get()
    assert offer.expires_at == NOON + dt.timedelta(minutes=15)
    later = NOON + dt.timedelta(minutes=15)
    assert slot_offer_next_round(slot_id=slot.pk, now=later) == 1
    assert _offered(slot) == [first, second]
    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    # The patient answers a minute late: refused kindly, nothing booked, still waiting.
    with pytest.raises(OfferGone):
        offer_accept(offer=offer, now=later + dt.timedelta(minutes=1))
    first.refresh_from_db()
    assert first.status == EntryStatus.WAITING
    assert not InfusionSession.objects.filter(course=first.course).exists()


def test_accepting_books_it_and_the_others_are_told_by_their_page(clinic, make_course, waiting):
    winner, loser, _third = waiting(), waiting(), waiting()
    slot = _cancelled_slot(make_course, at(2027, 3, 10, 9))
    slot_offer_next_round(slot_id=slot.pk, now=NOON)
    offers = {o.entry_id: o for o in slot.offers.all()}
    session = offer_accept(offer=offers[winner.pk], now=NOON + dt.timedelta(minutes=3))
    assert session.course == winner.course and session.starts_at == at(2027, 3, 10, 9)
    slot.refresh_from_db()
    winner.refresh_from_db()
    assert slot.status == SlotStatus.FILLED and slot.filled_at == NOON + dt.timedelta(minutes=3)
    assert winner.status == EntryStatus.BOOKED
    with pytest.raises(OfferGone):
        offer_accept(offer=offers[loser.pk], now=NOON + dt.timedelta(minutes=4))
    assert offers[loser.pk].entry.status == EntryStatus.WAITING
    assert InfusionSession.objects.filter(starts_at=at(2027, 3, 10, 9), status="booked").count()


def test_an_earlier_time_moves_the_session_and_its_old_time_is_offered_in_turn(
    clinic, make_course, waiting
):
    mover = waiting()
    booked = session_book(course=mover.course, starts_at=at(2027, 3, 20, 9), by=None, now=NOW)
    again = entry_join(
        course=mover.course,
        weekdays=mover.weekdays,
        parts_of_day=mover.parts_of_day,
        earlier_than=booked,
        by=mover.patient,
    )
    assert again.pk == mover.pk  # the same entry, now for an earlier time
    mover = again
    behind = waiting()
    slot = _cancelled_slot(make_course, at(2027, 3, 10, 9))
    slot_offer_next_round(slot_id=slot.pk, now=NOON)
    offer = slot.offers.get(entry=mover)
    moved = offer_accept(offer=offer, now=NOON)
    booked.refresh_from_db()
    assert booked.status == SessionStatus.RESCHEDULED
    assert moved.starts_at == at(2027, 3, 10, 9) and moved.rescheduled_from == booked
    # The old time is a freed slot of its own, offered to whoever waits behind.
    cascade = FreedSlot.objects.get(source_session=booked)
    assert cascade.starts_at == at(2027, 3, 20, 9)
    assert slot_offer_next_round(slot_id=cascade.pk, now=NOON) >= 1
    assert behind in _offered(cascade)


def test_a_time_already_past_is_not_offered(clinic):
    assert slot_free(location=clinic["location"], starts_at=NOW - dt.timedelta(hours=1)) is None
    assert not FreedSlot.objects.exists()


def test_the_operations_dashboard_counts_refilled_times_and_the_time_to_refill(
    clinic, make_course, waiting
):

    first, _second = waiting(), waiting()
    filled = _cancelled_slot(make_course, at(2027, 3, 10, 9))
    _cancelled_slot(make_course, at(2027, 3, 11, 9))  # nobody takes this one
    slot_offer_next_round(slot_id=filled.pk, now=NOON)
    offer_accept(offer=filled.offers.get(entry=first), now=NOON + dt.timedelta(minutes=10))
    reads = page_reads(location_id=clinic["location"].pk, now=NOON + dt.timedelta(hours=1))
    figures = reads.refills
    assert (figures.freed, figures.refilled) == (2, 1)
    assert str(figures.refilled_rate) == "50.0"
    # Freed at NOW (the cancellation), refilled at noon in Boston plus 10 minutes.
    assert figures.median_minutes == (NOON - NOW).total_seconds() / 60 + 10


@pytest.mark.parametrize(
    ("language", "first_time", "earlier"),
    [
        ("en", "a time opened", "an earlier time opened"),
        ("es", "se abrio un horario,", "se abrio un horario mas temprano"),
    ],
)
def test_the_offer_speaks_of_an_earlier_time_only_to_a_patient_with_a_booked_session(
    clinic, make_course, waiting, language, first_time, earlier
):

    new = waiting(language=language)
    mover = waiting(language=language)
    booked = session_book(course=mover.course, starts_at=at(2027, 3, 20, 9), by=None, now=NOW)
    entry_join(
        course=mover.course,
        weekdays=mover.weekdays,
        parts_of_day=mover.parts_of_day,
        earlier_than=booked,
        by=mover.patient,
    )
    slot = _cancelled_slot(make_course, at(2027, 3, 10, 9))
    slot_offer_next_round(slot_id=slot.pk, now=NOON)
    to_new = Message.objects.get(recipient=new.patient)
    to_mover = Message.objects.get(recipient=mover.patient, kind="waitlist_offer_earlier")
    assert to_new.kind == "waitlist_offer"
    assert first_time in to_new.body.lower() and "earlier" not in to_new.body.lower()
    assert "temprano" not in to_new.body.lower()
    assert earlier in to_mover.body.lower()
    for message in (to_new, to_mover):
        assert len(message.body) <= 160 + len(settings.SITE_URL) + 120  # one text, a long link
        assert not forbidden_words_in(message.body), message.body


def test_the_offer_emails_name_no_treatment_in_either_language(clinic, make_course):

    for key in ("waitlist_offer", "waitlist_offer_earlier", "waitlist_offer_ran_out"):
        for channel in defaults.TEMPLATES[key].values():
            for subject, body in channel.values():
                assert not forbidden_words_in(subject + " " + body), (key, body)
