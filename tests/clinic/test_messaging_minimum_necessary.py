"""Minimum necessary (HIPAA, 45 CFR 164.502(b)): what leaves the portal (texts, calls, e-mails with
their subjects and footers, calendar files) names no drug, diagnosis or treatment and uses the
neutral sender name; the clinic's full name, which says what it treats, stays inside the
signed-in portal. Every template is rendered in English and Spanish."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.template.loader import render_to_string
from django.utils import translation

from clinic.messaging.models import Message, MessageTemplate
from clinic.messaging.services import (
    _VOICE_ANSWERS,
    _standard_context,
    message_text,
    template_render,
)
from clinic.messaging.wording import forbidden_words_in
from clinic.models import Role
from intake.models import ReferralStatus
from scheduling.calendar import session_ics
from scheduling.notifications import booking_email_queue
from scheduling.services import course_create, session_book
from tests.factories.intake import submit_referral
from tests.factories.messaging import make_patient
from tests.factories.scheduling import (
    ChairFactory,
    LocationFactory,
    PatientFactory,
    SessionTypeFactory,
    StaffShiftFactory,
    open_every_day,
)
from tests.scheduling.conftest import NOW, NY, at

pytestmark = pytest.mark.django_db
LANGUAGES = ("en", "es")


def _check(where: str, text: str) -> None:
    assert not forbidden_words_in(text), (where, forbidden_words_in(text), text)
    assert settings.CLINIC_NAME not in text, (where, text)


def test_the_default_list_names_the_spanish_words_and_treatment():
    words = {w.casefold() for w in settings.MESSAGING_FORBIDDEN_WORDS}
    for needed in ("ketamina", "migraña", "jaqueca", "cefalea", "depresión", "tratamiento"):
        assert needed in words
    assert {"treatment", "infusion", "infusión", "ketamine", "migraine"} <= words


@pytest.mark.parametrize(
    "text",
    ["Su TRATAMIENTO empieza", "sus migranas", "MIGRAÑAS", "la Cefalea", "infusiones", "Ketamine"],
)
def test_forbidden_words_are_found_whatever_the_case_accents_or_plural(text):
    assert forbidden_words_in(text)


def test_everyday_words_are_not_mistaken_for_forbidden_ones():
    assert not forbidden_words_in("Your appointment is on Wed at 9:00 AM; bring a driver. Día 4")


def test_every_database_template_in_both_languages(message_defaults):
    patient = make_patient(zone="America/Los_Angeles")
    start = dt.datetime(2026, 9, 30, 12, 45, tzinfo=ZoneInfo("America/Los_Angeles"))
    templates = list(MessageTemplate.objects.all())
    assert {t.language for t in templates} == set(LANGUAGES)
    for template in templates:
        context = _standard_context(
            patient, template.language, {"event_start": start, "link": "https://x.test/i/abc/"}
        )
        subject, body = template_render(
            key=template.key, channel=template.channel, language=template.language, context=context
        )
        _check(str(template), subject)
        _check(str(template), body)
        assert settings.MESSAGING_SENDER_NAME in body, template
    assert not forbidden_words_in(settings.MESSAGING_SENDER_NAME)


def test_what_a_call_says_back_after_a_keypress():
    for answers in _VOICE_ANSWERS.values():
        for words in answers:
            _check("keypress answer", words.format(phone=settings.CLINIC_PHONE))


@pytest.fixture
def booked(message_defaults):
    """A patient's course at a Boston location open every day, one session booked in 2027."""
    location = LocationFactory(time_zone=NY)
    open_every_day(location)
    ChairFactory(location=location)
    StaffShiftFactory(location=location)
    SessionTypeFactory()

    def book(language):
        patient = PatientFactory(preferred_language=language)
        course = course_create(
            patient=patient,
            location=location,
            planned_sessions=2,
            needs_clinician_review=False,
            created_by=None,
        )
        return session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)

    return book


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("change", ["booked", "rescheduled", "cancelled"])
def test_the_booking_email_its_subject_and_calendar_files(booked, language, change):
    """The Spanish booking e-mail said "su tratamiento"; every booking e-mail ended "Questions?
    Call Harbor Headache & Infusion Clinic"."""
    session = booked(language)
    ids = [] if change == "cancelled" else [session.pk]
    cancelled = [session.pk] if change == "cancelled" else []
    message = booking_email_queue(booked_ids=ids, cancelled_ids=cancelled, change=change)
    assert message is not None and message.language == language
    # What the dispatcher writes when it claims the e-mail (it is stored unwritten).
    subject, body, attachments = message_text(message, sent_at=NOW)
    assert subject == message.subject
    _check(f"booking e-mail {change} {language} subject", subject)
    _check(f"booking e-mail {change} {language}", body)
    assert settings.MESSAGING_SENDER_NAME in body
    assert len(attachments) == 1
    for attachment in attachments:
        _check(attachment["filename"], attachment["content"])
    with translation.override(language):
        _check("ics", session_ics(session))
        _check("ics cancelled", session_ics(session, cancelled=True))


def test_the_spanish_booking_email_names_no_treatment(booked):
    session = booked("es")
    message = Message.objects.filter(kind="booking_booked", recipient=session.patient).get()
    _subject, body, _files = message_text(message, sent_at=NOW)
    assert "Llegue 15 minutos antes" in body
    assert not re.search(r"tratamiento|treatment", body, re.IGNORECASE), body


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_referring_providers_emails(message_defaults, language):
    """E-mails to the referring provider carry the reference and the status only; they use the
    neutral sender name too (an office inbox is read by many)."""
    referral = submit_referral(location=LocationFactory())
    provider = referral.provider.user
    context = {"referral": referral, "provider": provider}
    with translation.override(language):
        received = render_to_string("intake/email/referral_received.txt", context | _names())
        _check("referral received", received)
        referral.status = ReferralStatus.SCHEDULED
        status = render_to_string("intake/email/referral_status.txt", context | _names())
        _check("referral status", status)
    sent = Message.objects.get(kind="referral_received")
    _check("referral received as sent", sent.body)
    assert settings.MESSAGING_SENDER_NAME in sent.body


def _names():
    return {"sender_name": settings.MESSAGING_SENDER_NAME}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_password_reset_email(client, make_user, language):
    user = make_user(role=Role.PATIENT, email="reset@example.test", preferred_language=language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.post("/accounts/password-reset/", {"email": user.email})
    assert default_token_generator  # the link is made with it
    (email,) = mail.outbox
    _check("password reset subject", email.subject)
    _check("password reset", email.body)


def test_the_sign_in_page_shows_the_neutral_name_and_signed_in_pages_the_full_one(
    client, make_user
):
    page = client.get("/accounts/login/").content.decode()
    assert settings.CLINIC_NAME.replace("&", "&amp;") not in page
    assert settings.MESSAGING_SENDER_NAME in page
    client.force_login(make_user(role=Role.COORDINATOR))
    inside = client.get("/messaging/outbox/").content.decode()
    assert settings.CLINIC_NAME.replace("&", "&amp;") in inside
