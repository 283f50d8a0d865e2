"""Delivery reports, inbound texts and call keypresses, and what they change."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from clinic.models import User

from ..models import (
    Channel,
    ConsentSource,
    ContactConsent,
    InboundReply,
    Message,
    MessageStatus,
    ReplyAction,
)
from ..replies import accepts_offer, classify_reply
from .consent import consent_allows, consent_record
from .outbox import _move
from .rendering import VOICE_OPT_OUT_DIGIT, _standard_context, template_render

# --- delivery reports and inbound -----------------------------------------------------------

_FAILED_PROVIDER_STATUSES = {"failed", "undelivered", "busy", "no-answer", "canceled"}


def _reported_message(gateway_id: str, message_id: int | None) -> Message | None:
    """The message a delivery report is about, locked. A report that names our id (the status
    callback's address carries it) records the gateway's id on a message whose sender died
    before it could: that message went, and is never sent again."""
    if message_id is not None:
        # Locked by id, not by gateway_id: a live sender may not have committed the id yet, and
        # this waits for it.
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is not None:
            if message.gateway_id == gateway_id:
                return message
            if not message.gateway_id and message.status in (
                MessageStatus.SENDING,
                MessageStatus.UNKNOWN,
            ):
                _move(
                    message,
                    MessageStatus.SENT,
                    note="the gateway's delivery report names it",
                    gateway_id=gateway_id[:64],
                    sent_at=timezone.now(),
                )
                return message
    return Message.objects.select_for_update().filter(gateway_id=gateway_id).first()


def message_delivery_update(
    *, gateway_id: str, provider_status: str, error_code: str = "", message_id: int | None = None
) -> None:
    """A delivery report from the gateway, about `gateway_id` (and our `message_id`, when the
    report carries it). Failed deliveries mark the message failed (shown to coordinators); a
    carrier-level opt-out (Twilio 21610) is recorded as a withdrawal."""
    with transaction.atomic():
        message = _reported_message(gateway_id, message_id)
        if message is None:
            return
        message.provider_status = provider_status[:20]
        message.save(update_fields=["provider_status", "updated_at"])
        if provider_status in _FAILED_PROVIDER_STATUSES and message.can_move_to(
            MessageStatus.FAILED
        ):
            note = f"delivery {provider_status}" + (f" (code {error_code})" if error_code else "")
            _move(message, MessageStatus.FAILED, note=note)
        if error_code == "21610":
            consent_record(
                address=message.to_address,
                channels=[Channel.SMS],
                granted=False,
                source=ConsentSource.INBOUND_TEXT,
                user=message.recipient,
                note="carrier reports the number unsubscribed",
            )


def confirmation_record_only(*, user: User | None, reply: InboundReply) -> bool:
    """Default MESSAGING_CONFIRM_HOOK: the reply row is the record; scheduling will point the
    setting at its confirm service. Returns whether something was confirmed."""
    return False


def _sms_reply(key: str, language: str) -> str:
    context = _standard_context(None, language, {})
    return template_render(key=key, channel=Channel.SMS, language=language, context=context)[1]


def inbound_text_receive(*, from_number: str, body: str, provider_id: str = "") -> str | None:
    """An inbound text (read by clinic.messaging.replies.classify_reply). An opt-out, in English
    or Spanish, by keyword or in free text, stops texts and calls to that number at once and is
    answered with one confirmation in the patient's language (none for a repeat); what may not
    be an opt-out is treated as one and flagged for coordinators. START opts back in; HELP
    answers with the clinic's phone; C confirms through MESSAGING_CONFIRM_HOOK; R (reschedule,
    cambiar) answers with a signed link to move the next session (MESSAGING_RESCHEDULE_HOOK);
    an accept word (YES, SI, ACEPTO) takes a time offered from the waitlist when one waits for
    an answer (MESSAGING_OFFER_ACCEPT_HOOK; otherwise YES and SI opt back in). Everything is
    kept as an InboundReply; what cannot be read or acted on needs a coordinator's attention.
    Returns the text to answer with, or None."""
    # PostgreSQL cannot store a NUL character: a text carrying one would fail to be kept.
    body, from_number = body.replace("\x00", ""), from_number.replace("\x00", "")
    reading = classify_reply(body)
    action = reading.action
    with transaction.atomic():
        # Two texts from one number at once (a double tap on STOP) must not both see "not yet
        # opted out" and both be confirmed: one transaction at a time per number.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"inbound:{from_number}"])
        user = User.objects.filter(phone=from_number).first() if from_number else None
        language = (user.preferred_language if user else "") or reading.language or "en"
        try:
            with transaction.atomic():
                reply = InboundReply.objects.create(
                    channel=Channel.SMS,
                    from_address=from_number,
                    user=user,
                    body=body[:1600],
                    action=action,
                    needs_attention=reading.needs_attention
                    or (user is None and action == ReplyAction.CONFIRM),
                    provider_id=provider_id[:64],
                )
        except IntegrityError:
            return None  # the provider retried a webhook we already handled
        if user is not None and accepts_offer(body):
            answer = import_string(settings.MESSAGING_OFFER_ACCEPT_HOOK)(user=user, reply=reply)
            if answer is not None:
                _reply_mark(reply, ReplyAction.ACCEPT, needs_attention=False)
                return answer
        if action == ReplyAction.RESCHEDULE:
            answer = None
            if user is not None:
                answer = import_string(settings.MESSAGING_RESCHEDULE_HOOK)(user=user, reply=reply)
            if answer is None:  # nothing booked to move (or a stranger): a person looks
                _reply_mark(reply, action, needs_attention=True)
            return answer
        if action == ReplyAction.ACCEPT:
            # An accept word with no offer waiting for an answer: a person looks.
            _reply_mark(reply, action, needs_attention=True)
            return None
        if action == ReplyAction.OPT_OUT:
            already_out = not consent_allows(address=from_number, channel=Channel.SMS)
            had_history = ContactConsent.objects.filter(
                address=from_number, channel=Channel.SMS
            ).exists()
            consent_record(
                address=from_number,
                channels=[Channel.SMS, Channel.VOICE],
                granted=False,
                source=ConsentSource.INBOUND_TEXT,
                user=user,
                note="free text or unclear: flagged" if reading.needs_attention else "keyword",
            )
            if already_out and had_history:
                return None  # one confirmation only
            return _sms_reply("opt_out_confirmation", language)
        if action == ReplyAction.OPT_IN:
            consent_record(
                address=from_number,
                channels=[Channel.SMS, Channel.VOICE],
                granted=True,
                source=ConsentSource.INBOUND_TEXT,
                user=user,
                note="keyword",
            )
            return _sms_reply("opt_in_confirmation", language)
        if action == ReplyAction.HELP:
            return _sms_reply("help_reply", language)
        if action == ReplyAction.CONFIRM and user is not None:
            import_string(settings.MESSAGING_CONFIRM_HOOK)(user=user, reply=reply)
            return _sms_reply("confirmation_received", language)
        return None


def _reply_mark(reply: InboundReply, action: str, *, needs_attention: bool) -> None:
    reply.action = action
    reply.needs_attention = needs_attention
    reply.save(update_fields=["action", "needs_attention"])


def offer_accept_none(*, user: User, reply: InboundReply) -> str | None:
    """Default MESSAGING_OFFER_ACCEPT_HOOK: no offers to take (the waitlist points the setting
    at its own service). Returns the answer to text back, or None when nothing was offered."""
    return None


# What a call says back after a keypress: {case: (English, Spanish)}.
_VOICE_ANSWERS = {
    "confirm": ("Thank you, you are confirmed.", "Gracias, su cita está confirmada."),
    "callback": ("Thank you, we will call you back soon.", "Gracias, le llamaremos pronto."),
    "opt_out": (
        "You will get no more calls from us. To change this, call {phone}. Goodbye.",
        "No recibirá más llamadas nuestras. Para cambiarlo, llame al {phone}. Adiós.",
    ),
    "other": ("Thank you. Goodbye.", "Gracias. Adiós."),
}


def voice_keypress_receive(*, message_id: int, digits: str, call_id: str = "") -> str:
    """A keypress during a reminder call: 1 confirms (MESSAGING_CONFIRM_HOOK), 2 asks for a
    callback (flagged for a coordinator), VOICE_OPT_OUT_DIGIT withdraws consent to calls to
    that number at once (texts are not changed). Returns the words to say back."""
    message = Message.objects.select_related("recipient").filter(pk=message_id).first()
    user = message.recipient if message else None
    digit = (digits or "").strip()[:1]
    action = {
        "1": ReplyAction.CONFIRM,
        "2": ReplyAction.CALLBACK,
        VOICE_OPT_OUT_DIGIT: ReplyAction.OPT_OUT,
    }.get(digit, ReplyAction.OTHER)
    spanish = bool(user and user.preferred_language == "es")
    address = message.to_address if message else ""
    with transaction.atomic():
        reply = InboundReply.objects.create(
            channel=Channel.VOICE,
            from_address=address,
            user=user,
            message=message,
            body=digit,
            action=action,
            needs_attention=action not in (ReplyAction.CONFIRM, ReplyAction.OPT_OUT)
            or user is None,
            provider_id="",
        )
        if action == ReplyAction.OPT_OUT and address:
            consent_record(
                address=address,
                channels=[Channel.VOICE],
                granted=False,
                source=ConsentSource.VOICE_KEYPRESS,
                user=user,
                note="opt-out key on a reminder call",
            )
            return _VOICE_ANSWERS["opt_out"][spanish].format(phone=settings.CLINIC_PHONE)
        if action == ReplyAction.CONFIRM and user is not None:
            import_string(settings.MESSAGING_CONFIRM_HOOK)(user=user, reply=reply)
            return _VOICE_ANSWERS["confirm"][spanish]
    return _VOICE_ANSWERS["callback" if action == ReplyAction.CALLBACK else "other"][spanish]
