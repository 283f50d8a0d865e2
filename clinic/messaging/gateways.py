"""Gateways: how a message leaves the building. One small interface, chosen by the
MESSAGING_GATEWAY setting:

- OutboxGateway (default): sends no text or call; the message simply shows as sent on the
  Outbox page. E-mail goes through Django's configured e-mail back-end (the console in
  development), as with every gateway.
- TwilioGateway (production): texts and calls through the official twilio library; e-mail through
  Django's configured e-mail back-end.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import Message


class GatewayError(Exception):
    """The gateway did not take the message. `permanent` means retrying cannot help
    (an invalid number, an opted-out recipient)."""

    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Gateway(Protocol):
    def send(self, message: Message) -> str:
        """Hand the message over; return the provider's id for it. Raise GatewayError."""


def get_gateway() -> Gateway:
    return import_string(settings.MESSAGING_GATEWAY)()


class OutboxGateway:
    def send(self, message: Message) -> str:
        if message.channel == "email":
            return send_email(message)
        return f"outbox-{uuid.uuid4().hex[:20]}"


def send_email(message: Message) -> str:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.MESSAGING_EMAIL_FROM,
        to=[message.to_address],
        headers={"X-Clinic-Message": str(message.pk)},
    )
    for attachment in message.attachments:
        email.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    try:
        email.send(fail_silently=False)
    except OSError as exc:  # SMTP and socket errors: the server may answer next time
        raise GatewayError(f"e-mail server: {exc.__class__.__name__}", permanent=False) from exc
    return f"email-{message.pk}"


def _absolute(path: str) -> str:
    return settings.MESSAGING_PUBLIC_BASE_URL.rstrip("/") + path


def voice_twiml(message: Message) -> str:
    """A short spoken message inside a one-digit Gather: 1 confirms, 2 asks for a callback."""
    from twilio.twiml.voice_response import Gather, VoiceResponse

    language = "es-US" if message.language == "es" else "en-US"
    response = VoiceResponse()
    gather = Gather(
        num_digits=1,
        action=_absolute(reverse("messaging:twilio_voice_keypress", args=[message.pk])),
        method="POST",
        timeout=6,
    )
    gather.say(message.body, language=language)
    response.append(gather)
    return str(response)


# Twilio REST error codes that no retry will fix.
_PERMANENT_TWILIO_CODES = {21211, 21214, 21217, 21407, 21408, 21421, 21610, 21612, 21614}


class TwilioGateway:
    def __init__(self):
        from twilio.rest import Client

        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        # The REST base is a setting so tests (and a regional edge) can point it elsewhere.
        self.client.api.base_url = settings.TWILIO_API_BASE_URL

    def send(self, message: Message) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        if message.channel == "email":
            return send_email(message)
        status_callback = _absolute(reverse("messaging:twilio_status"))
        try:
            if message.channel == "sms":
                created = self.client.messages.create(
                    to=message.to_address,
                    from_=settings.TWILIO_FROM_NUMBER,
                    body=message.body,
                    status_callback=status_callback,
                )
            else:
                created = self.client.calls.create(
                    to=message.to_address,
                    from_=settings.TWILIO_FROM_NUMBER,
                    twiml=voice_twiml(message),
                    status_callback=status_callback,
                )
        except TwilioRestException as exc:
            permanent = exc.code in _PERMANENT_TWILIO_CODES or (
                400 <= exc.status < 500 and exc.status != 429
            )
            raise GatewayError(f"twilio {exc.status} code {exc.code}", permanent=permanent) from exc
        except (TwilioException, OSError) as exc:
            raise GatewayError(f"twilio: {exc.__class__.__name__}", permanent=False) from exc
        return created.sid
