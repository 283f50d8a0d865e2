"""Texts that do what they say, in English and Spanish: an accept word takes a waiting offer, R
(or "cambiar") answers with a link to move the next session, and what cannot be read waits for
a coordinator."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from clinic.messaging.models import InboundReply, Message, ReplyAction
from clinic.messaging.replies import accepts_offer
from clinic.messaging.services import consent_allows, inbound_text_receive
from scheduling.models import InfusionSession, SessionActionLink
from scheduling.services import session_book, session_cancel
from waitlist.models import EntryStatus, FreedSlot
from waitlist.services import slot_offer_next_round

from .conftest import NOW, at

NOON = at(2027, 3, 1, 12)
pytestmark = pytest.mark.django_db


@pytest.fixture
def offered(clinic, make_course, waiting, clock):
    """offered(language) -> the entry of a patient with an open offer for Wed 10 Mar, 9:00."""

    def make(language="en", **kwargs):
        entry = waiting(language=language, **kwargs)
        session = session_book(course=make_course(), starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
        session_cancel(session=session, by=None, now=NOW)
        slot = FreedSlot.objects.get(source_session=session)
        slot_offer_next_round(slot_id=slot.pk, now=NOON)
        clock.travel(NOON + dt.timedelta(minutes=2))
        return entry

    return make


def _text(entry, body):
    return inbound_text_receive(from_number=entry.patient.phone.as_e164, body=body)


@pytest.mark.parametrize(
    ("language", "word", "answer"),
    [("en", "YES", "it is yours"), ("es", "Sí", "es suyo"), ("es", "acepto", "es suyo")],
)
def test_an_accept_word_takes_the_waiting_offer(offered, language, word, answer):
    entry = offered(language)
    assert answer in _text(entry, word)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.BOOKED
    assert InfusionSession.objects.get(course=entry.course).starts_at == at(2027, 3, 10, 9)
    reply = InboundReply.objects.get()
    assert reply.action == ReplyAction.ACCEPT and not reply.needs_attention


def test_an_accept_word_after_someone_else_took_it_is_answered_kindly(offered, waiting):
    waiting()  # also offered the time
    first = offered("es")
    from waitlist.models import Offer
    from waitlist.services import offer_accept

    second = Offer.objects.exclude(entry=first).first()
    offer_accept(offer=second, now=NOON + dt.timedelta(minutes=1))
    assert "ya fue tomado" in _text(first, "si")
    first.refresh_from_db()
    assert first.status == EntryStatus.WAITING


def test_yes_without_an_offer_still_opts_back_in(waiting):
    entry = waiting()
    assert "opted" in _text(entry, "YES").lower() or consent_allows(
        address=entry.patient.phone.as_e164, channel="sms"
    )
    assert InboundReply.objects.get().action == ReplyAction.OPT_IN


@pytest.mark.parametrize(
    ("language", "word", "answer"),
    [
        ("en", "R", "to move your appointment"),
        ("en", "Reschedule", "to move"),
        ("es", "cambiar", "para cambiar su cita"),
        ("es", "Reprogramar", "para cambiar"),
    ],
)
def test_r_answers_with_a_signed_link_to_move_the_next_session(
    clinic, waiting, clock, language, word, answer
):
    entry = waiting(language=language)
    clock.travel(NOW)
    session_book(course=entry.course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    text = _text(entry, word)
    assert answer in text and "/s/" in text
    link = SessionActionLink.objects.order_by("-id").first()  # the answer's own link
    assert link.kind == "reschedule" and link.session.course == entry.course
    assert InboundReply.objects.get().action == ReplyAction.RESCHEDULE


def test_r_with_nothing_booked_and_unreadable_texts_wait_for_a_coordinator(waiting):
    entry = waiting()
    assert _text(entry, "R") is None
    assert _text(entry, "maybe thursday?? ١٢٣") is None
    assert _text(entry, "ACEPTO") is None  # no offer waits for an answer
    replies = InboundReply.objects.order_by("id")
    assert [r.needs_attention for r in replies] == [True, True, True]


@pytest.mark.parametrize(("language", "answer"), [("en", "ran out"), ("es", "vencio")])
def test_an_accept_word_after_the_hold_ran_out_says_so_and_books_nothing(
    offered, clock, language, answer
):
    entry = offered(language)
    clock.travel(NOON + dt.timedelta(minutes=16))  # the 15 minutes held ran out meanwhile
    assert answer in _text(entry, "YES" if language == "en" else "ACEPTO")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WAITING
    assert not InfusionSession.objects.filter(course=entry.course).exists()


@pytest.mark.parametrize(("language", "word"), [("en", "STOP"), ("es", "PARAR"), ("es", "baja")])
def test_a_patient_who_texted_stop_is_never_offered_a_time(
    clinic, make_course, waiting, language, word
):
    quitter = waiting(language=language)
    stays = waiting(language=language)
    _text(quitter, word)
    assert not consent_allows(address=quitter.patient.phone.as_e164, channel="sms")
    session = session_book(course=make_course(), starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    session_cancel(session=session, by=None, now=NOW)
    slot = FreedSlot.objects.get(source_session=session)
    assert slot_offer_next_round(slot_id=slot.pk, now=NOON) == 1
    assert [o.entry for o in slot.offers.all()] == [stays]
    assert not Message.objects.filter(recipient=quitter.patient, kind="waitlist_offer").exists()


HOSTILE = st.one_of(
    st.sampled_from(
        ["\x00", "YES\x00", "y\u0301es", "ＹＥＳ", "Sí!!", "٣", "R\u202e", "x" * 5000, " ", "\t\n"]
    ),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=400),
)


@hyp_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=HOSTILE)
def test_any_reply_text_is_answered_or_queued_and_only_an_accept_word_books(offered, body):
    with transaction.atomic():  # every example starts from the same open offer
        entry = offered()
        _text(entry, body)  # never raises
        booked = InfusionSession.objects.filter(course=entry.course).exists()
        assert booked == accepts_offer(body)
        transaction.set_rollback(True)
