import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from clinic.messaging.models import MessageTemplate
from clinic.messaging.services import _standard_context, template_render
from tests.factories.messaging import make_patient

pytestmark = pytest.mark.django_db


def _rendered_defaults():
    patient = make_patient(zone="America/Los_Angeles")
    # A long date and time (Wednesday, September, two-digit hour) to test the length limits.
    start = datetime(2026, 9, 30, 12, 45, tzinfo=ZoneInfo("America/Los_Angeles"))
    for template in MessageTemplate.objects.all():
        # Sent the day before: "tomorrow, <date>" is the longest way a reminder names the day.
        context = _standard_context(
            patient,
            template.language,
            {"event_start": start},
            sent_at=start - timedelta(days=1),
        )
        yield (
            template,
            *template_render(
                key=template.key,
                channel=template.channel,
                language=template.language,
                context=context,
            ),
        )


def test_every_default_template_exists_in_english_and_spanish():
    pairs = {(t.key, t.channel, t.language) for t in MessageTemplate.objects.all()}
    assert pairs
    for key, channel, _language in pairs:
        assert {(key, channel, "en"), (key, channel, "es")} <= pairs


def test_no_text_voicemail_or_subject_names_a_drug_diagnosis_or_treatment():
    words = settings.MESSAGING_FORBIDDEN_WORDS
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
    for template, subject, body in _rendered_defaults():
        assert not pattern.search(subject), (template, subject)
        assert not pattern.search(body), (template, body)
    assert not pattern.search(settings.MESSAGING_SENDER_NAME)


def test_the_forbidden_word_check_catches_a_bad_template():
    MessageTemplate.objects.create(
        key="bad", channel="sms", language="en", body="Your ketamine infusion is at {{ time }}"
    )
    words = "|".join(settings.MESSAGING_FORBIDDEN_WORDS)
    bad = [b for t, _s, b in _rendered_defaults() if re.search(rf"\b({words})\b", b, re.I)]
    assert len(bad) == 1


def test_texts_fit_in_160_characters_and_calls_in_under_a_minute():
    for template, _subject, body in _rendered_defaults():
        if template.channel == "sms":
            assert len(body) <= 160, (template, len(body), body)
        if template.channel == "voice":
            assert len(body.split()) <= 130, (template, body)  # about 150 spoken words a minute


def test_a_spanish_text_writes_the_day_and_month_in_lower_case():
    patient = make_patient(zone="America/New_York", language="es")
    start = datetime(2026, 12, 4, 8, 0, tzinfo=ZoneInfo("America/New_York"))
    context = _standard_context(
        patient, "es", {"event_start": start}, sent_at=start - timedelta(days=3)
    )
    _, body = template_render(key="reminder_24h", channel="sms", language="es", context=context)
    # As Spanish writes it, and as the portal's pages show it ("vie 4 dic"), never "Dic".
    assert "vie 4 dic" in body and "Dic" not in body
    english = _standard_context(patient, "en", {"event_start": start}, sent_at=start)
    assert english["date"] == "Fri, Dec 4"
