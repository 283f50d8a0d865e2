"""Messaging writes: schedule, cancel and retime messages, queue e-mails rendered elsewhere, the
reminder plan, dispatch, consent and what inbound texts and keypresses change. Nothing here logs
message text or addresses."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template import Context, Template
from django.utils import formats, timezone, translation
from django.utils.module_loading import import_string

from clinic.calling_hours import calling_hours
from clinic.errors import ApplicationError
from clinic.models import PatientProfile, User

from .gateways import GatewayError, OutcomeUnknown, get_gateway
from .models import (
    MOVED_REASON,
    Channel,
    ConsentSource,
    ContactConsent,
    InboundReply,
    Message,
    MessageEvent,
    MessageStatus,
    MessageTemplate,
    PlanChannel,
    ReminderPlanEntry,
    ReplyAction,
)
from .replies import classify_reply

logger = logging.getLogger(__name__)

CALLED_CHANNELS = frozenset({Channel.SMS, Channel.VOICE})


# --- who, where, when ---------------------------------------------------------------------


def recipient_zone(user: User | None) -> ZoneInfo:
    if user is None:
        return ZoneInfo(settings.TIME_ZONE)
    try:
        return ZoneInfo(str(user.patient_profile.time_zone))
    except PatientProfile.DoesNotExist:
        return ZoneInfo(settings.TIME_ZONE)


def recipient_channel(user: User) -> str:
    try:
        return user.patient_profile.preferred_channel
    except PatientProfile.DoesNotExist:
        return Channel.SMS if user.phone else Channel.EMAIL


def address_for(user: User, channel: str) -> str:
    if channel == Channel.EMAIL:
        return user.email or ""
    return user.phone.as_e164 if user.phone else ""


def calling_time(*, when: datetime, zone: ZoneInfo, before: datetime | None) -> datetime | None:
    """When a text or call due at `when` may go: `when` itself inside calling hours; else the next
    opening if that is still before `before` (the event); else the last minute of the previous
    evening if that has not passed yet; else None (no allowed time is left)."""
    start_hour, end_hour = calling_hours()
    local = when.astimezone(zone)
    if start_hour <= local.hour < end_hour:
        return when
    day = local.date() if local.hour < start_hour else local.date() + timedelta(days=1)
    next_open = datetime.combine(day, time(start_hour), tzinfo=zone)
    if before is None or next_open < before:
        return next_open
    last_close = datetime.combine(day - timedelta(days=1), time(0), tzinfo=zone) + timedelta(
        hours=end_hour
    )
    last_minute = last_close - timedelta(minutes=1)
    if last_minute >= timezone.now():
        return last_minute
    return None


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
            values["date"] = formats.date_format(local, "D j M" if language == "es" else "D, M j")
            clock = formats.date_format(local, "H:i" if language == "es" else "g:i A")
        values["time"] = f"{clock} {local.tzname()}"
        days_ahead = (local.date() - (sent_at or timezone.now()).astimezone(zone).date()).days
        words = _DAY_WORDS.get(language, _DAY_WORDS["en"])
        values["day"] = words[min(max(days_ahead, 0), 2)].format(date=values["date"])
    return values


def template_render(*, key: str, channel: str, language: str, context: dict) -> tuple[str, str]:
    template = (
        MessageTemplate.objects.filter(key=key, channel=channel, language=language).first()
        or MessageTemplate.objects.filter(key=key, channel=channel, language="en").first()
    )
    if template is None:
        raise ApplicationError(f"There is no '{key}' message template for {channel}.")
    ctx = Context(context, autoescape=False)
    subject = Template(template.subject).render(ctx).strip()
    body = Template(template.body).render(ctx).strip()
    return subject, body


# --- state changes --------------------------------------------------------------------------


def _move(message: Message, status: str, *, note: str = "", **fields) -> None:
    """Change status by the declared transitions and write the history row. Caller holds the
    row (locked or just created)."""
    if not message.can_move_to(status):
        raise ApplicationError(f"A {message.status} message cannot become {status}.")
    previous = message.status
    message.status = status
    if status in (
        MessageStatus.SUPPRESSED,
        MessageStatus.FAILED,
        MessageStatus.CANCELLED,
        MessageStatus.UNKNOWN,
    ):
        message.status_reason = note[:200]
    for name, value in fields.items():
        setattr(message, name, value)
    message.save(update_fields=["status", "status_reason", "updated_at", *fields])
    MessageEvent.objects.create(message=message, from_status=previous, to_status=status, note=note)


def _wake_dispatcher() -> None:
    from .tasks import dispatch_due_messages

    dispatch_due_messages.enqueue_or_log()


def _enqueue_dispatch() -> None:
    """Wake the dispatcher after commit, once per transaction (and savepoint) however many due
    messages it stored: a booking stores a confirmation and an e-mail, a course several. A
    wake-up registered inside a savepoint that is rolled back goes with it, so one is added
    again whenever the savepoints differ."""
    here = set(connection.savepoint_ids)
    registered = connection.run_on_commit
    if not any(func is _wake_dispatcher and sids == here for sids, func, _r in registered):
        transaction.on_commit(_wake_dispatcher)


def message_schedule(
    *,
    recipient: User,
    kind: str,
    send_after: datetime,
    context: dict,
    topic: str = "",
    dedupe_key: str,
    channel: str | None = None,
    not_after: datetime | None = None,
) -> Message:
    """Create the message to `recipient` (rendered now, in their language) unless one with this
    dedupe_key already exists, which is then returned unchanged. `channel` defaults to the
    recipient's preferred one. A context `event_start` (aware datetime) becomes `date`, `time`
    and `day` ("today", "tomorrow, <date>" or "on <date>", from the day it is sent) in the
    recipient's zone. Texts and calls move into calling hours, never past `not_after`.
    With no address or no allowed time, the row is stored as suppressed with the reason.
    Enqueues the dispatcher on commit when the message is already due. Raises ApplicationError
    when no template exists for the kind and channel."""
    if timezone.is_naive(send_after):
        raise ApplicationError("send_after must be an aware datetime.")
    channel = channel or recipient_channel(recipient)
    language = recipient.preferred_language or "en"
    address = address_for(recipient, channel)
    reason = ""
    if not address:
        reason = "no address on file for this channel"
    elif channel in CALLED_CHANNELS:
        when = calling_time(when=send_after, zone=recipient_zone(recipient), before=not_after)
        if when is None:
            reason = "no time inside calling hours before the event"
        else:
            send_after = when
    # Rendered once the sending time is known, so "today" or "tomorrow" is right for it.
    subject, body = template_render(
        key=kind,
        channel=channel,
        language=language,
        context=_standard_context(recipient, language, context, sent_at=send_after),
    )
    return _message_store(
        suppress_reason=reason,
        recipient=recipient,
        channel=channel,
        to_address=address,
        kind=kind,
        language=language,
        subject=subject,
        body=body,
        send_after=send_after,
        not_after=not_after,
        topic=topic,
        dedupe_key=dedupe_key,
    )


def _message_store(*, suppress_reason: str, **fields) -> Message:
    """Insert one message (its first event too) unless its dedupe_key exists, then return that
    one unchanged. Suppressed at once with `suppress_reason`; otherwise the dispatcher is woken
    on commit when the message is already due."""
    # No savepoint of its own inside a caller's transaction (a booking stores five messages):
    # the inner one is what catches the duplicate key, and anything else aborts the caller.
    with transaction.atomic(savepoint=False):
        try:
            with transaction.atomic():
                message = Message.objects.create(**fields)
        except IntegrityError:
            # The dedupe key is taken: this message was already created (perhaps just now, by a
            # concurrent caller); the unique constraint decided, we return the winner.
            return Message.objects.get(dedupe_key=fields["dedupe_key"])
        MessageEvent.objects.create(message=message, to_status=MessageStatus.SCHEDULED)
        if suppress_reason:
            _move(message, MessageStatus.SUPPRESSED, note=suppress_reason)
        elif message.send_after <= timezone.now():
            _enqueue_dispatch()
    return message


def email_queue(
    *,
    recipient: User,
    kind: str,
    subject: str,
    body: str,
    dedupe_key: str,
    topic: str = "",
    attachments: list[dict] | tuple = (),
) -> Message:
    """Store an e-mail its caller already rendered (from Django templates, in the recipient's
    language) so the dispatcher sends it once, through the gateway, even if the broker is down
    now. Call it inside the transaction that makes it true: rolled back, nothing is sent.
    `attachments` are {"filename", "content" (text), "mimetype"} dicts. Returns the existing
    message, unchanged, when one with this dedupe_key exists. With no e-mail address on file the
    row is stored as suppressed with the reason."""
    files = []
    for attachment in attachments:
        try:
            files.append(
                {
                    "filename": str(attachment["filename"]),
                    "content": str(attachment["content"]),
                    "mimetype": str(attachment["mimetype"]),
                }
            )
        except (KeyError, TypeError) as exc:
            raise ApplicationError(
                "An attachment needs a filename, a content and a mimetype."
            ) from exc
    address = address_for(recipient, Channel.EMAIL)
    return _message_store(
        suppress_reason="" if address else "no address on file for this channel",
        recipient=recipient,
        channel=Channel.EMAIL,
        to_address=address,
        kind=kind,
        language=recipient.preferred_language or "en",
        subject=subject[:150],
        body=body,
        attachments=files,
        send_after=timezone.now(),
        topic=topic,
        dedupe_key=dedupe_key,
    )


def reminders_plan(
    *,
    recipient: User,
    event_start: datetime,
    topic: str,
    context: dict | None = None,
    rescheduled: bool = False,
) -> list[Message]:
    """Create the reminder plan's messages for one event (call it inside the transaction that
    books it): the at-booking line at once (as 'appointment_changed' when rescheduled), and each
    'before' line that is still in the future. Idempotent per (topic, line, event_start)."""
    now = timezone.now()
    if event_start <= now:
        return []
    context = {**(context or {}), "event_start": event_start}
    created = []
    for entry in ReminderPlanEntry.objects.filter(is_active=True):
        if entry.offset is None:
            send_after = now
            kind = "appointment_changed" if rescheduled else entry.template_key
        else:
            send_after = event_start - entry.offset
            kind = entry.template_key
            if send_after <= now:
                continue  # booked too late for this one; the confirmation covers it
        channel = None if entry.channel == PlanChannel.PREFERRED else entry.channel
        created.append(
            message_schedule(
                recipient=recipient,
                kind=kind,
                send_after=send_after,
                context=context,
                topic=topic,
                dedupe_key=f"{topic}:{entry.name}:{event_start.isoformat()}",
                channel=channel,
                not_after=event_start,
            )
        )
    return created


def messages_cancel(*, topic: str, reason: str = "cancelled") -> int:
    """Cancel every message of `topic` that has not been handed to a gateway yet. Returns how
    many. Rows being sent right now (status sending) are left to finish."""
    with transaction.atomic():
        # Locks the topic's scheduled rows so a dispatcher cannot claim one while we cancel it.
        messages = list(
            Message.objects.select_for_update()
            .filter(topic=topic, status=MessageStatus.SCHEDULED)
            .order_by("pk")
        )
        for message in messages:
            _move(message, MessageStatus.CANCELLED, note=reason)
    return len(messages)


def messages_retime(
    *, topic: str, recipient: User, event_start: datetime, context: dict | None = None
) -> list[Message]:
    """The event of `topic` moved to `event_start`: cancel what is still scheduled and plan
    again, with an 'appointment changed' notice instead of the booking confirmation."""
    with transaction.atomic():
        messages_cancel(topic=topic, reason=MOVED_REASON)
        return reminders_plan(
            recipient=recipient,
            event_start=event_start,
            topic=topic,
            context=context,
            rescheduled=True,
        )


# --- consent --------------------------------------------------------------------------------


def consent_allows(*, address: str, channel: str) -> bool:
    """Texts and calls need a recorded consent that was not withdrawn since; e-mail goes unless
    withdrawn."""
    latest = (
        ContactConsent.objects.filter(address=address, channel=channel)
        .values_list("granted", flat=True)
        .first()
    )
    if latest is None:
        return channel == Channel.EMAIL
    return latest


def consent_record(
    *,
    address: str,
    channels: list[str],
    granted: bool,
    source: str,
    user: User | None = None,
    recorded_by: User | None = None,
    note: str = "",
) -> list[ContactConsent]:
    """Append a consent grant or withdrawal for `address` on each channel (history is never
    edited); `recorded_by` is the staff member who took it or wrote it down. Returns the rows
    written. Raises ApplicationError for a missing address or a source that is not one of
    ConsentSource (the database refuses one too)."""
    if not address:
        raise ApplicationError("There is no address to record consent for.")
    if source not in ConsentSource.values:
        raise ApplicationError(f"'{source}' is not a consent source.")
    with transaction.atomic():
        return [
            ContactConsent.objects.create(
                address=address,
                channel=channel,
                granted=granted,
                source=source,
                user=user,
                recorded_by=recorded_by,
                note=note[:200],
            )
            for channel in channels
        ]


# --- dispatch -------------------------------------------------------------------------------


# How many abandoned claims one dispatcher batch settles: each may cost a call to the gateway.
ABANDONED_PER_BATCH = 20


def messages_settle_abandoned(*, now: datetime | None = None) -> int:
    """Settle claims whose worker died (still 'sending' after MESSAGING_CLAIM_TIMEOUT; a live
    sender keeps its row locked, so only abandoned claims are visible here) by asking the gateway
    whether it received the message since the claim: yes, it is recorded sent with the gateway's
    id; no, it goes back to 'scheduled' and is sent again; undecidable (an e-mail), it becomes
    'unknown', shown to coordinators and never sent again automatically. A gateway that cannot be
    asked now leaves the claim for a later run. Returns how many were settled."""
    now = now or timezone.now()
    stale_before = now - settings.MESSAGING_CLAIM_TIMEOUT
    stale = list(
        Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=stale_before)
        .order_by("pk")
        .values_list("pk", flat=True)[:ABANDONED_PER_BATCH]
    )
    settled = 0
    gateway = get_gateway() if stale else None
    for message_id in stale:
        with transaction.atomic():
            # skip_locked: a row locked by a live sender (or another settler) is not abandoned.
            # The lock is held across the gateway's answer so nobody sends it meanwhile.
            message = (
                Message.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, status=MessageStatus.SENDING, claimed_at__lt=stale_before)
                .first()
            )
            if message is None:
                continue
            try:
                gateway_id = gateway.find_sent(message, since=message.claimed_at)
            except OutcomeUnknown as exc:
                logger.warning("message %s: abandoned claim, outcome unknown", message.pk)
                _move(message, MessageStatus.UNKNOWN, note=f"worker stopped mid-send; {exc.reason}")
            except GatewayError as exc:
                logger.warning(
                    "message %s: abandoned claim, gateway not answering (%s)",
                    message.pk,
                    exc.reason,
                )
                continue
            else:
                if gateway_id:
                    _move(
                        message,
                        MessageStatus.SENT,
                        note="worker stopped mid-send; the gateway had received it",
                        gateway_id=gateway_id[:64],
                        sent_at=timezone.now(),
                    )
                else:
                    _move(
                        message,
                        MessageStatus.SCHEDULED,
                        note="claim expired; the gateway never received it",
                    )
            settled += 1
    return settled


def messages_claim_due(*, now: datetime | None = None, limit: int = 50) -> list[int]:
    """Claim up to `limit` due messages for sending (status sending, committed) and return
    their ids, after settling abandoned claims (messages_settle_abandoned)."""
    now = now or timezone.now()
    messages_settle_abandoned(now=now)
    with transaction.atomic():
        # skip_locked: concurrent dispatchers each take different rows instead of waiting.
        ids = list(
            Message.objects.due(now)
            .select_for_update(skip_locked=True)
            .order_by("send_after")
            .values_list("pk", flat=True)[:limit]
        )
        # scheduled -> sending, the one move due rows can make: one UPDATE and one INSERT for
        # the whole batch instead of two statements a message.
        Message.objects.filter(pk__in=ids).update(
            status=MessageStatus.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            updated_at=timezone.now(),
        )
        MessageEvent.objects.bulk_create(
            MessageEvent(
                message_id=pk, from_status=MessageStatus.SCHEDULED, to_status=MessageStatus.SENDING
            )
            for pk in ids
        )
    return ids


def _retry_delay(attempts: int) -> timedelta:
    return settings.MESSAGING_RETRY_BASE * (2 ** max(attempts - 1, 0))


def _email_handover_mark(message: Message) -> None:
    """Record, committed before the e-mail server is called, that this claim is about to hand
    its e-mail over. The e-mail server cannot be asked afterwards, so this mark is what tells an
    abandoned claim that never reached it (sent again) from one that may have (outcome unknown):
    without it, every e-mail of a dead worker's batch would be unknown."""
    Message.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claimed_at=message.claimed_at
    ).update(handed_over_at=timezone.now())


def message_send(
    *, message_id: int, now: datetime | None = None, loaded: Message | None = None
) -> str | None:
    """Send one claimed message through the gateway, at most once. Checks, in order: the event
    has not started, consent (texts and calls), calling hours (may put it back to wait). Then
    records sent with the provider's id, or a retry with backoff (transient error), or failed
    (permanent error or too many attempts). Returns the new status, or None when the message is
    not ours to send (another worker holds it, or it is no longer 'sending')."""
    now = now or timezone.now()
    # What a claimed message is sent with never changes once it is claimed (a moved event
    # cancels it and plans new ones), so a copy read with its batch will do.
    message = loaded or (
        Message.objects.select_related("recipient", "recipient__patient_profile")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return None
    if message.channel == Channel.EMAIL:
        _email_handover_mark(message)
    with transaction.atomic():
        # The claim that put this row in 'sending' was committed durably, so a worker that dies
        # from here on leaves a claim that messages_settle_abandoned resolves by asking the
        # gateway, never by sending blindly. This commit only records the outcome, and it need
        # not wait for the disk: only a crash of the database server itself could lose it, and
        # the row is then back in 'sending', settled the same way.
        # One disk flush per message was most of a dispatcher's time (10,000 messages).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # The row lock is held across the gateway call on purpose: it tells the claim reaper
        # this claim is alive, and a second sender of the same id skips it. The status is read
        # under the lock, so a message already sent by another run is never sent again.
        # The claim must still be the one the copy saw: a claim this run held so long that it
        # was settled and claimed again belongs to the new claimer.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM clinic_message WHERE id = %s AND status = %s AND claimed_at = %s"
                " FOR UPDATE SKIP LOCKED",
                [message_id, MessageStatus.SENDING, message.claimed_at],
            )
            if cursor.fetchone() is None:
                return None
        message.status = MessageStatus.SENDING  # as the lock just read it
        if message.not_after and now >= message.not_after:
            _move(message, MessageStatus.SUPPRESSED, note="the event has already started")
            return message.status
        if message.channel in CALLED_CHANNELS:
            if not consent_allows(address=message.to_address, channel=message.channel):
                _move(message, MessageStatus.SUPPRESSED, note="no consent for this channel")
                return message.status
            when = calling_time(
                when=now, zone=recipient_zone(message.recipient), before=message.not_after
            )
            if when is None:
                _move(message, MessageStatus.SUPPRESSED, note="outside calling hours")
                return message.status
            if when > now:
                _move(
                    message,
                    MessageStatus.SCHEDULED,
                    note="waiting for calling hours",
                    send_after=when,
                    attempts=message.attempts - 1,
                )
                return message.status
        elif not consent_allows(address=message.to_address, channel=message.channel):
            _move(message, MessageStatus.SUPPRESSED, note="opted out of e-mail")
            return message.status
        try:
            gateway_id = get_gateway().send(message)
        except GatewayError as exc:
            logger.warning("message %s: gateway refused (%s)", message.pk, exc.reason)
            if exc.permanent or message.attempts >= settings.MESSAGING_MAX_ATTEMPTS:
                _move(message, MessageStatus.FAILED, note=exc.reason)
            else:
                _move(
                    message,
                    MessageStatus.SCHEDULED,
                    note=f"retry: {exc.reason}",
                    send_after=now + _retry_delay(message.attempts),
                )
            return message.status
        _move(message, MessageStatus.SENT, gateway_id=gateway_id[:64], sent_at=timezone.now())
        return message.status


# One dispatcher run stops after this long, so a worker is never held for long; the task then
# enqueues the next run itself if messages are still due (clinic.messaging.tasks).
DISPATCH_RUN_SECONDS = 50


def messages_dispatch_due(*, now: datetime | None = None, batch: int = 50) -> int:
    """Claim and send due messages until none are left (or a run's worth is done). Safe to run
    many times at once: each message is claimed by one run only. Returns how many were sent."""
    sent = 0
    deadline = timezone.now() + timedelta(seconds=DISPATCH_RUN_SECONDS)
    while timezone.now() < deadline:
        ids = messages_claim_due(now=now, limit=batch)
        if not ids:
            break
        # One read for the batch instead of one a message; each is still locked and checked
        # on its own just before it is sent (message_send).
        loaded = Message.objects.select_related("recipient", "recipient__patient_profile").in_bulk(
            ids
        )
        for message_id in ids:
            status = message_send(message_id=message_id, now=now, loaded=loaded.get(message_id))
            sent += status == MessageStatus.SENT
    return sent


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
    answers with the clinic's phone; C confirms through MESSAGING_CONFIRM_HOOK. Everything is
    kept as an InboundReply. Returns the text to answer with, or None."""
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


# --- the patient's own choices ---------------------------------------------------------------


def reminder_preferences_update(
    *, user: User, preferred_channel: str, language: str, texts: bool, calls: bool
) -> None:
    """The patient sets how reminders reach them. Consent rows are written only for changes."""
    with transaction.atomic():
        profile = PatientProfile.objects.select_for_update().filter(user=user).first()
        if profile is None:
            raise ApplicationError("Your clinic has not finished setting up your record yet.")
        if preferred_channel in CALLED_CHANNELS and not user.phone:
            raise ApplicationError(
                "We have no mobile number for you; call the clinic to add one.",
                field="preferred_channel",
            )
        if preferred_channel == Channel.EMAIL and not user.email:
            raise ApplicationError("We have no e-mail for you.", field="preferred_channel")
        profile.preferred_channel = preferred_channel
        profile.save(update_fields=["preferred_channel", "updated_at"])
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
        if user.phone:
            phone = user.phone.as_e164
            for channel, wanted in ((Channel.SMS, texts), (Channel.VOICE, calls)):
                if consent_allows(address=phone, channel=channel) != wanted:
                    consent_record(
                        address=phone,
                        channels=[channel],
                        granted=wanted,
                        source=ConsentSource.PATIENT_PAGE,
                        user=user,
                    )


# --- coordinators: revocations told to a person, replies read ------------------------------


def consent_withdraw_by_staff(
    *, patient: User, channels: list[str], recorded_by: User, how: str, note: str = ""
) -> list[ContactConsent]:
    """Record that the patient revoked consent by phone or in person (FCC 24-24: any reasonable
    manner counts). Texts and calls to their number stop at once; e-mail, when chosen, too.
    Raises ApplicationError when the patient has no address for a chosen channel."""
    rows = []
    with transaction.atomic():
        for channel in channels:
            address = address_for(patient, channel)
            if not address:
                raise ApplicationError(
                    "This patient has no address on file for that channel.", field="channels"
                )
            rows += consent_record(
                address=address,
                channels=[channel],
                granted=False,
                source=ConsentSource.STAFF,
                user=patient,
                recorded_by=recorded_by,
                note=f"{how}: {note}" if note else how,
            )
    logger.info("consent withdrawn for user %s by staff %s", patient.pk, recorded_by.pk)
    return rows


def reply_mark_handled(*, reply_id: int, user: User, now: datetime | None = None) -> InboundReply:
    """Take a reply off the coordinators' list, keeping who did it and when. Marking one that
    is already handled changes nothing. Raises ApplicationError for an unknown reply."""
    with transaction.atomic():
        reply = InboundReply.objects.select_for_update().filter(pk=reply_id).first()
        if reply is None:
            raise ApplicationError("That reply does not exist.")
        if reply.needs_attention:
            reply.needs_attention = False
            reply.handled_by = user
            reply.handled_at = now or timezone.now()
            reply.save(update_fields=["needs_attention", "handled_by", "handled_at"])
    return reply


def template_test_send(*, template: MessageTemplate, user: User) -> Message:
    """Put a sample of `template` (rendered as a real message would be, in its own language)
    in the Outbox, addressed to `user`'s own e-mail or phone. It follows every rule a real
    message does: a text or call goes only to a number that agreed to them, in calling hours."""
    from .wording import render_sample

    subject, body = render_sample(
        key=template.key, language=template.language, subject=template.subject, body=template.body
    )
    address = address_for(user, template.channel)
    return _message_store(
        suppress_reason="" if address else "no address on file for this channel",
        recipient=user,
        channel=template.channel,
        to_address=address,
        kind=f"test_{template.key}"[:60],
        language=template.language,
        subject=subject[:150],
        body=body,
        send_after=timezone.now(),
        topic=f"template-test:{template.pk}",
        dedupe_key=f"template-test:{template.pk}:{uuid.uuid4().hex}",
    )
