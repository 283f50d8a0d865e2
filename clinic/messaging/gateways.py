"""Gateways: how a message leaves the building. One small interface, chosen by the
MESSAGING_GATEWAY setting:

- OutboxGateway (default): sends no text or call; the message simply shows as sent on the
  Outbox page. E-mail goes through Django's configured e-mail back-end (the console in
  development), as with every gateway.
- TwilioGateway (production): texts and calls through the official twilio library; e-mail through
  Django's configured e-mail back-end.

Faxes (to a referring practice) go through the fax adapter MESSAGING_FAX_GATEWAY names, with
every gateway (clinic.messaging.fax).

Besides `send`, each gateway answers `find_sent`: after a worker died in the middle of a send, did
the provider receive that message? The dispatcher asks before it sends again (exactly once at the
provider's edge, clinic.messaging.services.messages_claim_due).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.module_loading import import_string

from .fax import get_fax_gateway

if TYPE_CHECKING:
    from .models import Message


class GatewayError(Exception):
    """The gateway did not take the message. `permanent` means retrying cannot help
    (an invalid number, an opted-out recipient)."""

    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class OutcomeUnknown(Exception):
    """Whether the provider received a message cannot be known: it must not be sent again
    automatically, and a person has to look."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Gateway(Protocol):
    def send(self, message: Message) -> str:
        """Hand the message over; return the provider's id for it. Raise GatewayError."""

    def find_sent(self, message: Message, *, since: datetime) -> str | None:
        """Whether the provider received `message` at or after `since` (when it was claimed):
        the provider's id for it, or None when it certainly did not. Raise OutcomeUnknown when
        that cannot be known, GatewayError when the provider cannot be asked right now."""


def get_gateway() -> Gateway:
    return import_string(settings.MESSAGING_GATEWAY)()


class OutboxGateway:
    def send(self, message: Message) -> str:
        if message.channel == "email":
            return send_email(message)
        if message.channel == "fax":
            return get_fax_gateway().send(message)
        return f"outbox-{uuid.uuid4().hex[:20]}"

    def find_sent(self, message: Message, *, since: datetime) -> str | None:
        if message.channel == "email":
            return find_sent_email(message)
        if message.channel == "fax":
            return get_fax_gateway().find_sent(message, since=since)
        return None  # texts and calls never leave: an abandoned one was not sent


def email_message_id(message: Message) -> str:
    """The Message-ID header, derived from our id: the same message always carries the same one,
    so a mail server's log (or a receiver that de-duplicates) can tell whether it went."""
    domain = settings.MESSAGING_EMAIL_FROM.rpartition("@")[2].strip("> ") or "localhost"
    return f"<clinic-message-{message.pk}@{domain}>"


def find_sent_email(message: Message) -> str | None:
    """Django's e-mail back-ends (SMTP included) cannot be asked what they accepted. A claim that
    never started the hand-over (no handed_over_at for this claim) certainly sent nothing; one
    that did may have been taken just before the worker died, and nobody here can tell."""
    if message.handed_over_at is None or message.handed_over_at < message.claimed_at:
        return None
    raise OutcomeUnknown("the e-mail server cannot be asked; look for " + email_message_id(message))


def send_email(message: Message) -> str:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.MESSAGING_EMAIL_FROM,
        to=[message.to_address],
        headers={"X-Clinic-Message": str(message.pk), "Message-ID": email_message_id(message)},
    )
    for attachment in message.attachments:
        email.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    try:
        email.send(fail_silently=False)
    except OSError as exc:  # SMTP and socket errors: the server may answer next time
        raise GatewayError(f"e-mail server: {exc.__class__.__name__}", permanent=False) from exc
    return f"email-{message.pk}"


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


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


def status_callback_url(message: Message) -> str:
    """Twilio's delivery reports for this message come here: our id in the address lets a report
    name the message even when the worker that sent it died before recording Twilio's id."""
    return _absolute(reverse("messaging:twilio_status")) + f"?message={message.pk}"


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
        if message.channel == "fax":
            return get_fax_gateway().send(message)
        status_callback = status_callback_url(message)
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

    # How far before the claim a provider's record may be dated and still be ours (the two clocks
    # disagree a little), and how many of the recipient's latest records are read.
    LOOKUP_SLACK = timedelta(minutes=2)
    LOOKUP_PAGE = 50

    def find_sent(self, message: Message, *, since: datetime) -> str | None:
        """Asks Twilio's list of messages (or calls) to this number from our number. Filtered
        by creation time here, not with DateSent/StartTime there: a text still queued at Twilio
        has no date_sent yet, and would be missed. A text is ours when its body is ours; a call
        (no body) when no other message of ours already names it."""
        from twilio.base.exceptions import TwilioException

        from .models import Message

        if message.channel == "email":
            return find_sent_email(message)
        if message.channel == "fax":
            return get_fax_gateway().find_sent(message, since=since)
        listing = self.client.messages if message.channel == "sms" else self.client.calls
        try:
            records = listing.list(
                to=message.to_address,
                from_=settings.TWILIO_FROM_NUMBER,
                page_size=self.LOOKUP_PAGE,
                limit=self.LOOKUP_PAGE,
            )
        except (TwilioException, OSError) as exc:
            raise GatewayError(f"twilio lookup: {exc.__class__.__name__}", permanent=False) from exc
        earliest = since - self.LOOKUP_SLACK
        recent = [r for r in records if r.date_created and r.date_created >= earliest]
        if message.channel == "sms":
            candidates = [r.sid for r in recent if r.body == message.body]
        else:
            candidates = [r.sid for r in recent]
        if candidates:
            taken = set(
                Message.objects.filter(gateway_id__in=candidates)
                .exclude(pk=message.pk)
                .values_list("gateway_id", flat=True)
            )
            # Oldest first: Twilio lists newest first.
            for sid in reversed(candidates):
                if sid not in taken:
                    return sid
        if len(records) >= self.LOOKUP_PAGE and len(recent) == len(records):
            raise OutcomeUnknown("twilio lists more records since the claim than were read")
        return None
