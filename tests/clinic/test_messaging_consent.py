"""Consent to texts and calls and its revocation, through the webhooks Twilio calls (signed as
Twilio signs them) and the services behind them."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from twilio.request_validator import RequestValidator

from clinic.messaging import defaults
from clinic.messaging.models import ContactConsent, InboundReply, MessageStatus, MessageTemplate
from clinic.messaging.services import (
    consent_allows,
    consent_record,
    message_schedule,
    messages_dispatch_due,
)
from clinic.models import Role
from intake import services as intake
from intake.models import ChecklistItem
from tests.factories.intake import submit_referral
from tests.factories.messaging import make_patient
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db
TOKEN = "test-auth-token"
PHONE = "+16175550142"


@pytest.fixture
def signed(settings, message_defaults):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.CALLING_HOURS_START, settings.CALLING_HOURS_END = 0, 24


def _post(client, path, params):
    signature = RequestValidator(TOKEN).compute_signature(f"http://testserver{path}", params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature).content.decode()


def _text(client, body, sid="SM-1", number=PHONE):
    return _post(
        client, "/messaging/twilio/sms/", {"From": number, "Body": body, "MessageSid": sid}
    )


OPT_OUT_KEYWORDS = [
    "STOP", "stopall", "Unsubscribe", "END", "quit", "Revoke", "OPT OUT", "opt-out", "Stop.",
    "ALTO", "alto", "Parar", "PARA", "basta!", "NO MÁS", "no mas", "Detener", "baja",
]  # fmt: skip
OPT_OUT_FREE_TEXT = [
    "please stop texting me",
    "Don't text me anymore",
    "no me manden más mensajes",
    "Ya no quiero mensajes",
    "NO QUIERO RECIBIR MÁS MENSAJES",
    "dejen de escribirme por favor",
    "Denme de baja",
    "wrong number",
]


@pytest.mark.parametrize("body", OPT_OUT_KEYWORDS)
def test_opt_out_keywords_in_english_and_spanish_stop_texts_and_calls_at_once(signed, client, body):
    """FCC 24-24 (Report and Order, 2024), 47 CFR 64.1200(a)(10): consent may be revoked in any
    reasonable manner; the words STOP, QUIT, END, REVOKE, OPT OUT, CANCEL and UNSUBSCRIBE, and
    their equivalents in the language the patient uses with us, must be honoured. ALTO, PARA,
    BASTA and NO MÁS were read as "other" and texting went on."""
    make_patient()
    answer = _text(client, body)
    reply = InboundReply.objects.get()
    assert (reply.action, reply.needs_attention) == ("opt_out", False)
    assert not consent_allows(address=PHONE, channel="sms")
    assert not consent_allows(address=PHONE, channel="voice")
    assert "<Message>" in answer


@pytest.mark.parametrize("body", OPT_OUT_FREE_TEXT)
def test_free_text_that_asks_to_stop_stops_and_is_flagged(signed, client, body):
    """FCC 24-24, 47 CFR 64.1200(a)(10): a revocation in the patient's own words counts."""
    make_patient()
    _text(client, body)
    reply = InboundReply.objects.get()
    assert (reply.action, reply.needs_attention) == ("opt_out", True)
    assert not consent_allows(address=PHONE, channel="sms")


@pytest.mark.parametrize("body", ["stop calling so early", "no", "No.", "CANCEL", "cancelar"])
def test_an_ambiguous_reply_stops_texting_and_is_flagged_for_coordinators(signed, client, body):
    """FCC 24-24, 47 CFR 64.1200(a)(10): when it is unclear whether a reply revokes consent,
    the portal takes it as a revocation (texting stops) and a coordinator looks at it."""
    make_patient()
    _text(client, body)
    reply = InboundReply.objects.get()
    assert (reply.action, reply.needs_attention) == ("opt_out", True)
    assert not consent_allows(address=PHONE, channel="sms")


@pytest.mark.parametrize(
    ("body", "action"),
    [
        ("START", "opt_in"), ("unstop", "opt_in"), ("Yes", "opt_in"),
        ("COMENZAR", "opt_in"), ("reanudar", "opt_in"), ("Sí", "opt_in"), ("SI", "opt_in"),
        ("ayuda", "help"), ("Confirmar", "confirm"),
    ],
)  # fmt: skip
def test_opt_in_help_and_confirm_words_in_both_languages(signed, client, body, action):
    make_patient()
    consent_record(address=PHONE, channels=["sms", "voice"], granted=False, source="inbound_text")
    _text(client, body)
    reply = InboundReply.objects.get()
    assert (reply.action, reply.needs_attention) == (action, False)
    if action == "opt_in":
        assert consent_allows(address=PHONE, channel="sms")


def test_everyday_spanish_that_is_not_an_opt_out_leaves_texting_on(signed, client):
    make_patient(language="es")
    _text(client, "Gracias, ¿hay estacionamiento para mañana?")
    reply = InboundReply.objects.get()
    assert (reply.action, reply.needs_attention) == ("other", True)
    assert consent_allows(address=PHONE, channel="sms")


def test_exactly_one_confirmation_in_the_patients_language(signed, client):
    """FCC 24-24, 47 CFR 64.1200(a)(11): one confirmation text may be sent, which only confirms
    the opt-out; repeats get nothing more."""
    make_patient(language="es")
    first = _text(client, "ALTO", sid="SM-1")
    again = _text(client, "no me manden más mensajes", sid="SM-2")
    stop = _text(client, "STOP", sid="SM-3")
    expected = MessageTemplate.objects.get(key="opt_out_confirmation", language="es").body
    assert expected.split(":", 1)[1].strip()[:20] in first
    assert "<Message>" not in again and "<Message>" not in stop
    assert InboundReply.objects.count() == 3


def test_a_number_we_do_not_know_is_answered_in_the_language_it_wrote_in(signed, client):
    answer = _text(client, "ya no quiero mensajes", number="+16175550199")
    assert "no recibira mas mensajes" in answer
    assert not consent_allows(address="+16175550199", channel="sms")


def test_a_reminder_due_after_a_spanish_opt_out_is_not_sent(signed, client):
    patient = make_patient(language="es")
    message = message_schedule(
        recipient=patient,
        kind="reminder_24h",
        send_after=timezone.now(),
        context={"event_start": timezone.now() + timedelta(days=1)},
        dedupe_key="after-alto",
    )
    _text(client, "BASTA")
    messages_dispatch_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SUPPRESSED


# --- calls: 47 CFR 64.1200(b) -------------------------------------------------------------


def _voice_bodies():
    patient = make_patient(channel="voice")
    for language in ("en", "es"):
        patient.preferred_language = language
        patient.save(update_fields=["preferred_language"])
        keys = set(MessageTemplate.objects.filter(channel="voice").values_list("key", flat=True))
        for key in sorted(keys):
            message = message_schedule(
                recipient=patient,
                kind=key,
                channel="voice",
                send_after=timezone.now(),
                context={"event_start": timezone.now() + timedelta(days=2)},
                dedupe_key=f"voice:{key}:{language}",
            )
            yield language, key, message.body


def test_every_call_says_who_calls_then_how_to_stop_calls_and_the_number_to_call_back(
    signed, settings
):
    """47 CFR 64.1200(b): a prerecorded call states the caller's identity at the beginning
    (b)(1), the caller's telephone number during or after the message (b)(2), and offers a
    key-press opt-out within two seconds of the identification (b)(3). 10 of 12 scripts gave
    no number and none offered a key."""
    bodies = list(_voice_bodies())
    voice_keys = [key for key, channels in defaults.TEMPLATES.items() if "voice" in channels]
    assert len(bodies) == 2 * len(voice_keys) >= 12
    for language, key, body in bodies:
        sentences = body.split(". ")
        assert settings.MESSAGING_SENDER_NAME in sentences[0], (key, language, body)
        assert ("press 9" if language == "en" else "oprima 9") in sentences[1], (key, body)
        assert settings.CLINIC_PHONE in body, (key, language, body)


def test_pressing_9_on_a_call_stops_calls_at_once_and_says_so(signed, client, settings):
    """47 CFR 64.1200(b)(2)-(3): the key-press opt-out takes effect at once; texts are not
    touched (the patient only asked about calls)."""
    patient = make_patient(channel="voice")
    call = message_schedule(
        recipient=patient,
        kind="reminder_24h",
        send_after=timezone.now(),
        context={"event_start": timezone.now() + timedelta(days=1)},
        dedupe_key="call-1",
    )
    later = message_schedule(
        recipient=patient,
        kind="reminder_2h",
        channel="voice",
        send_after=timezone.now(),
        context={"event_start": timezone.now() + timedelta(hours=3)},
        dedupe_key="call-2",
    )
    answer = _post(client, f"/messaging/twilio/voice/{call.pk}/keypress/", {"Digits": "9"})
    assert "no more calls" in answer and settings.CLINIC_PHONE in answer
    assert not consent_allows(address=PHONE, channel="voice")
    assert consent_allows(address=PHONE, channel="sms")
    row = ContactConsent.objects.filter(channel="voice").first()
    assert (row.granted, row.source) == (False, "voice_keypress")
    messages_dispatch_due()
    later.refresh_from_db()
    assert later.status == MessageStatus.SUPPRESSED


def test_the_opt_out_answer_on_a_call_is_in_spanish_for_a_spanish_speaker(signed, client):
    patient = make_patient(channel="voice", language="es")
    call = message_schedule(
        recipient=patient,
        kind="reminder_24h",
        send_after=timezone.now(),
        context={"event_start": timezone.now() + timedelta(days=1)},
        dedupe_key="call-es",
    )
    answer = _post(client, f"/messaging/twilio/voice/{call.pk}/keypress/", {"Digits": "9"})
    assert "No recibirá más llamadas" in answer


# --- who took the consent -----------------------------------------------------------------


def test_intake_records_consent_as_intake_with_the_coordinator_who_took_it(message_defaults):
    coordinator = UserFactory(role=Role.COORDINATOR)
    location = LocationFactory(slug="boston", name="Boston")
    case = submit_referral(location=location).intake_case
    intake.case_claim(case=case, coordinator=coordinator)
    for item in ChecklistItem.values:
        intake.case_set_checklist_item(case=case, coordinator=coordinator, item=item, ticked=True)
    intake.call_log(case=case, coordinator=coordinator, outcome="intake_complete")
    rows = ContactConsent.objects.filter(user__referrals_as_patient__intake_case=case)
    assert sorted(rows.values_list("channel", flat=True)) == ["sms", "voice"]
    for row in rows:
        assert (row.granted, row.source, row.recorded_by) == (True, "intake", coordinator)


def test_the_database_refuses_a_consent_source_that_is_not_a_choice():
    with pytest.raises(IntegrityError, match="consent_source_valid"), transaction.atomic():
        ContactConsent.objects.create(
            address=PHONE, channel="sms", granted=True, source="intake call"
        )


def test_the_migration_turns_intake_call_rows_into_intake():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("clinic.migrations.0012_consent_recorded_by_consent")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE clinic_contactconsent DROP CONSTRAINT consent_source_valid")
    old = ContactConsent.objects.create(address=PHONE, channel="sms", granted=True, source="x")
    ContactConsent.objects.filter(pk=old.pk).update(source="intake call")
    odd = ContactConsent.objects.create(address=PHONE, channel="voice", granted=True, source="x")
    migration.fix_sources(apps, None)
    old.refresh_from_db()
    odd.refresh_from_db()
    assert old.source == "intake"
    assert (odd.source, odd.note) == ("staff", "source was: x; ")
