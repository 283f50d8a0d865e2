"""Rendering a message from its template, in the recipient's language, with the standard context."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template import Context, Template
from django.utils import formats, timezone, translation

from clinic.errors import ApplicationError
from clinic.formatting import format_date
from clinic.models import User

from ..models import (
    Message,
    MessageTemplate,
)
from .addressing import recipient_zone

# --- rendering ------------------------------------------------------------------------------


# How a message names the day of its event, seen from the day it is sent: "today" only when it
# really goes out that day (a 2-hour reminder moved into calling hours leaves the evening before).
_DAY_WORDS = {
    "en": ("today", "tomorrow, {date}", "on {date}"),
    "es": ("hoy", "mañana, {date}", "el {date}"),
}


# Every prerecorded call offers a key that stops calls, right after saying who is calling, and
# gives a number to call back (47 CFR 64.1200(b)); voice templates say it with {{ opt_out }}.
VOICE_OPT_OUT_DIGIT = "9"
_VOICE_OPT_OUT = {
    "en": "To stop these calls, press {digit} at any time.",
    "es": "Para no recibir más llamadas, oprima {digit} en cualquier momento.",
}


def _standard_context(
    user: User | None,
    language: str,
    context: dict,
    *,
    sent_at: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> dict:
    values = {
        "sender_name": settings.MESSAGING_SENDER_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        "opt_out": _VOICE_OPT_OUT.get(language, _VOICE_OPT_OUT["en"]).format(
            digit=VOICE_OPT_OUT_DIGIT
        ),
        **context,
    }
    event_start = context.get("event_start")
    if isinstance(event_start, datetime):
        zone = zone or recipient_zone(user)
        local = event_start.astimezone(zone)
        with translation.override(language):
            # The portal's formatter: Spanish abbreviations are lower-case ("vie 4 dic"), where
            # Django's `M` would write "Dic".
            values["date"] = format_date(local, "D j M" if language == "es" else "D, M j")
            clock = formats.date_format(local, "H:i" if language == "es" else "g:i A")
        values["time"] = f"{clock} {local.tzname()}"
        days_ahead = (local.date() - (sent_at or timezone.now()).astimezone(zone).date()).days
        words = _DAY_WORDS.get(language, _DAY_WORDS["en"])
        values["day"] = words[min(max(days_ahead, 0), 2)].format(date=values["date"])
    return values


def template_render(
    *, key: str, channel: str, language: str, context: dict, templates: dict | None = None
) -> tuple[str, str]:
    """`templates`, when given, keeps the templates read by earlier calls (a page that shows many
    messages reads each template once)."""
    if templates is not None and (key, channel, language) in templates:
        template = templates[key, channel, language]
    else:
        template = (
            MessageTemplate.objects.filter(key=key, channel=channel, language=language).first()
            or MessageTemplate.objects.filter(key=key, channel=channel, language="en").first()
        )
        if templates is not None:
            templates[key, channel, language] = template
    if template is None:
        raise ApplicationError(f"There is no '{key}' message template for {channel}.")
    ctx = Context(context, autoescape=False)
    subject = Template(template.subject).render(ctx).strip()
    body = Template(template.body).render(ctx).strip()
    return subject, body


# --- messages written when they are sent --------------------------------------------------------

# A message stored unrendered names what writes it: "template" (the message's template, here)
# or a renderer another app registered (wiring/subscribers.py), such as scheduling's booking
# e-mail. A renderer takes the message, its render_context and the time it is sent, and returns
# (subject, body, attachments); it reads, never writes.
TEMPLATE = "template"
Renderer = Callable[..., tuple[str, str, list[dict]]]
_RENDERERS: dict[str, Renderer] = {}


def renderer_register(name: str, renderer: Renderer) -> None:
    _RENDERERS[name] = renderer


def template_context(context: dict) -> dict:
    """A message context as stored with the message (JSON): event_start as ISO 8601."""
    event_start = context.get("event_start")
    if isinstance(event_start, datetime):
        context = {**context, "event_start": event_start.isoformat()}
    return {"renderer": TEMPLATE, "context": context}


def message_text(
    message: Message, *, sent_at: datetime, templates: dict | None = None
) -> tuple[str, str, list[dict]]:
    """The subject, body and attachments of a message stored unrendered, as they read when sent
    at `sent_at` ("today" or "tomorrow" depend on it). The recipient should be loaded with its
    patient profile (the zone). Raises ApplicationError when no template or renderer exists."""
    stored = message.render_context or {}
    name = stored.get("renderer", TEMPLATE)
    if name != TEMPLATE:
        renderer = _RENDERERS.get(name)
        if renderer is None:
            raise ApplicationError(f"Nothing writes '{name}' messages.")
        return renderer(message=message, context=stored, sent_at=sent_at)
    context = dict(stored.get("context", {}))
    if isinstance(context.get("event_start"), str):
        context["event_start"] = datetime.fromisoformat(context["event_start"])
    subject, body = template_render(
        key=message.kind,
        channel=message.channel,
        language=message.language,
        context=_standard_context(message.recipient, message.language, context, sent_at=sent_at),
        templates=templates,
    )
    return subject, body, list(message.attachments)
