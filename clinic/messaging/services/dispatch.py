"""Dispatch: claiming due messages under row locks, sending each once, settling the abandoned
ones."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from clinic.errors import ApplicationError

from ..gateways import Gateway, GatewayError, OutcomeUnknown, get_gateway
from ..models import (
    Channel,
    Message,
    MessageEvent,
    MessageStatus,
)
from .addressing import CALLED_CHANNELS, calling_time, recipient_zone
from .consent import CONSENT_LATEST_OF_MESSAGE_SQL, consent_allows_latest
from .outbox import _move
from .rendering import message_text

logger = logging.getLogger("clinic.messaging.services")  # one name for the whole package


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
    """Send one claimed message through the gateway, at most once, in a transaction of its own
    (the dispatcher sends e-mails this way; texts, calls and faxes in chunks, _send_chunk).
    Checks, in order: the event has not started, consent (texts and calls), calling hours (may
    put it back to wait). Then records sent with the provider's id, or a retry with backoff
    (transient error), or failed (permanent error or too many attempts). Returns the new status,
    or None when the message is no longer ours to send (not 'sending' under the claim its copy
    saw: another run sent or settled it)."""
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
    if message.render_context is not None and not _write_claimed([message], now):
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
        locked = _lock_claimed([message])
        if message.pk not in locked:
            return None
        message.status = MessageStatus.SENDING  # as the lock just read it
        if not _may_send_now(message, now, latest_consent=locked[message.pk]):
            return message.status
        gateway_id = _gateway_call(get_gateway(), message, now)
        if gateway_id is not None:
            _record_sent([(message, gateway_id, timezone.now())])
        return message.status


def _write_claimed(messages: list[Message], now: datetime) -> list[Message]:
    """Write the texts of claimed messages stored unrendered (a booking's reminders and e-mail),
    once, committed before anything is handed to a gateway: a message a gateway received always
    has its text stored, and a retry sends the same words. "Today" is said from when it goes
    out: now, or for a text or call outside calling hours, the next calling time. A batch is
    written in one transaction and one statement (one commit, which waits for the disk, instead
    of one a message), each template read once. Returns the messages still ours to send: not
    those whose claim was lost, nor those whose text cannot be written (then failed)."""
    unwritten = [message for message in messages if message.render_context is not None]
    if not unwritten:
        return messages
    templates: dict = {}
    texts: list[tuple[Message, str, str, list[dict]]] = []
    with transaction.atomic():
        for message in unwritten:
            sent_at = now
            if message.channel in CALLED_CHANNELS:
                zone = recipient_zone(message.recipient)
                sent_at = calling_time(when=now, zone=zone, before=message.not_after) or now
            try:
                subject, body, attachments = message_text(
                    message, sent_at=sent_at, templates=templates
                )
            except ApplicationError as exc:
                logger.warning("message %s: cannot be written (%s)", message.pk, exc.message)
                with transaction.atomic():
                    if _claim_still_ours(message.pk, message):
                        _move(message, MessageStatus.FAILED, note=exc.message)
                continue
            texts.append((message, subject[:150], body, attachments))
        written = _store_texts(texts)
    for message, subject, body, attachments in texts:
        message.subject, message.body, message.attachments = subject, body, attachments
        message.render_context = None
    unwritten_ids = {message.pk for message in unwritten}
    return [m for m in messages if m.pk not in unwritten_ids or m.pk in written]


def _store_texts(texts: list[tuple[Message, str, str, list[dict]]]) -> set[int]:
    """The UPDATE of _write_claimed, for every message at once, each only while its claim is
    still the one its copy saw and it is still unwritten. Returns the ids written."""
    if not texts:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clinic_message m SET subject = w.subject, body = w.body,"
            " attachments = w.attachments::jsonb, render_context = NULL, updated_at = %s"
            " FROM unnest(%s::bigint[], %s::timestamptz[], %s::varchar[], %s::text[], %s::text[])"
            " AS w(id, claimed_at, subject, body, attachments)"
            " WHERE m.id = w.id AND m.status = %s AND m.claimed_at = w.claimed_at"
            " AND m.render_context IS NOT NULL"
            " RETURNING m.id",
            [
                timezone.now(),
                [message.pk for message, *_text in texts],
                [message.claimed_at for message, *_text in texts],
                [subject for _message, subject, _body, _attachments in texts],
                [body for _message, _subject, body, _attachments in texts],
                [json.dumps(attachments) for *_text, attachments in texts],
                MessageStatus.SENDING,
            ],
        )
        return {message_id for (message_id,) in cursor.fetchall()}


def _claim_still_ours(message_id: int, message: Message) -> bool:
    """Locks the message row, inside the sender's transaction, if it is still ours to send."""
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
        return cursor.fetchone() is not None


_LOCK_CLAIMED_SQL = (
    "SELECT m.id, set_config('synchronous_commit', 'off', true), "  # noqa: S608 - constant SQL, values are parameters
    + CONSENT_LATEST_OF_MESSAGE_SQL
    + " FROM clinic_message m"
    " JOIN unnest(%s::bigint[], %s::timestamptz[]) AS claim(id, claimed_at)"
    " ON m.id = claim.id AND m.claimed_at = claim.claimed_at"
    " WHERE m.status = %s"
    " ORDER BY m.id FOR UPDATE OF m"
)


def _lock_claimed(messages: list[Message]) -> dict[int, bool | None]:
    """_claim_still_ours for a sender of one message or a chunk, in one statement with what it
    needs next (one round trip instead of three a message): the row locks of those still ours
    (still 'sending' under the claim each copy saw), the latest consent record for each one's
    address and channel (read under the lock, as consent_allows reads it), and
    synchronous_commit off for this transaction only (the outcomes' commit, message_send and
    _send_chunk). Returns {id: the latest consent's `granted` or None} for the rows locked."""
    # Waits for a lock held elsewhere instead of skipping the row (in id order, as
    # messages_cancel locks): only a claim still ours is locked, and who else holds one holds it
    # briefly: another dispatcher's claim statement keeps the lock of a row it found claimed
    # already until its own commit (PostgreSQL locks the newest version, then re-checks it).
    # Skipped, the row was left 'sending', an e-mail with its hand-over mark: settled two
    # minutes later as 'unknown' though never sent. A settler holds a claim only once it is
    # older than MESSAGING_CLAIM_TIMEOUT; the lock then re-reads what it decided.
    with connection.cursor() as cursor:
        cursor.execute(
            _LOCK_CLAIMED_SQL,
            [
                [message.pk for message in messages],
                [message.claimed_at for message in messages],
                MessageStatus.SENDING,
            ],
        )
        return {message_id: latest for message_id, _off, latest in cursor.fetchall()}


def _may_send_now(message: Message, now: datetime, *, latest_consent: bool | None) -> bool:
    """The checks before the gateway, in order: the event has not started, consent (from the
    latest record, read with the row's lock), calling hours. A message that may not go now is
    moved (suppressed, or back to wait for calling hours) and False is returned."""
    allowed = consent_allows_latest(latest_consent, channel=message.channel)
    if message.not_after and now >= message.not_after:
        _move(message, MessageStatus.SUPPRESSED, note="the event has already started")
        return False
    if message.channel in CALLED_CHANNELS:
        if not allowed:
            _move(message, MessageStatus.SUPPRESSED, note="no consent for this channel")
            return False
        when = calling_time(
            when=now, zone=recipient_zone(message.recipient), before=message.not_after
        )
        if when is None:
            _move(message, MessageStatus.SUPPRESSED, note="outside calling hours")
            return False
        if when > now:
            _move(
                message,
                MessageStatus.SCHEDULED,
                note="waiting for calling hours",
                send_after=when,
                attempts=message.attempts - 1,
            )
            return False
    elif not allowed:
        what = "e-mail" if message.channel == Channel.EMAIL else "fax"
        _move(message, MessageStatus.SUPPRESSED, note=f"opted out of {what}")
        return False
    return True


def _gateway_call(gateway: Gateway, message: Message, now: datetime) -> str | None:
    """Hands the message to the gateway. Returns the provider's id, for the caller to record
    (_record_sent); on a refusal records a retry with backoff (transient error) or failed
    (permanent error or too many attempts) and returns None."""
    try:
        return gateway.send(message)[:64]
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
        return None


def _record_sent(sent: list[tuple[Message, str, datetime]]) -> None:
    """_move(message, SENT, ...) for each (message, gateway id, sent at) in one statement
    instead of two a message (the outcome of every message sent): the rows' status and their
    history rows, written together by a data-modifying CTE inside the sender's transaction,
    which holds the rows' locks."""
    if not sent:
        return
    for message, _gateway_id, _sent_at in sent:
        if not message.can_move_to(MessageStatus.SENT):
            raise ApplicationError(f"A {message.status} message cannot become sent.")
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH moved AS (UPDATE clinic_message m SET status = %s,"
            " gateway_id = sent.gateway_id, sent_at = sent.sent_at, updated_at = %s"
            " FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[], %s::varchar[])"
            " AS sent(id, gateway_id, sent_at, from_status)"
            " WHERE m.id = sent.id RETURNING m.id, sent.from_status)"
            " INSERT INTO clinic_messageevent (message_id, from_status, to_status, note, at)"
            " SELECT id, from_status, %s, '', %s FROM moved",
            [
                MessageStatus.SENT,
                now,
                [message.pk for message, _id, _at in sent],
                [gateway_id for _message, gateway_id, _at in sent],
                [sent_at for _message, _id, sent_at in sent],
                [message.status for message, _id, _at in sent],
                MessageStatus.SENT,
                now,
            ],
        )
    for message, gateway_id, sent_at in sent:
        message.status, message.gateway_id = MessageStatus.SENT, gateway_id
        message.sent_at, message.updated_at = sent_at, now


# A chunk of a batch's texts, calls and faxes is sent in one transaction that holds the rows'
# locks from the consent read to the recorded outcomes (_send_chunk). It stops taking messages
# once this long has passed since its locks were taken, so with a slow gateway (Twilio, a
# fax provider) a consent withdrawn meanwhile is read by the next chunk, a delivery report
# waits for a row's lock, and a dead worker leaves unrecorded sends to settle, for this long at
# most (and one gateway call). The outbox gateway sends a batch of 50 in one chunk.
CHUNK_SECONDS = 0.25


def _send_chunk(messages: list[Message], now: datetime) -> tuple[int, list[Message]]:
    """Send claimed texts, calls and faxes in one transaction (two statements and a commit
    for the chunk instead of four a message): lock those still ours and read their consent
    (_lock_claimed), check each (_may_send_now) and hand it to the gateway, then record every
    one sent in one statement and commit. The claim was committed before, so a worker that dies
    here leaves claims that messages_settle_abandoned resolves by asking the gateway, as for a
    single message. Returns how many were sent and the messages left for the next chunk."""
    gateway = get_gateway()
    sent: list[tuple[Message, str, datetime]] = []
    error: Exception | None = None
    taken = 0
    with transaction.atomic():
        locked = _lock_claimed(messages)
        started = time.monotonic()
        for message in messages:
            if taken and time.monotonic() - started >= CHUNK_SECONDS:
                break
            taken += 1
            if message.pk not in locked:
                continue  # not ours any more (another run sent or settled it)
            message.status = MessageStatus.SENDING  # as the lock just read it
            if not _may_send_now(message, now, latest_consent=locked[message.pk]):
                continue
            try:
                gateway_id = _gateway_call(gateway, message, now)
            except DatabaseError:
                raise  # the transaction cannot record anything more: settled as below
            except Exception as exc:  # noqa: BLE001 - re-raised below, after the commit
                # What the gateway took before this one is recorded; this one stays
                # 'sending' and is settled by asking the gateway, as if the worker had died.
                error = exc
                break
            if gateway_id is not None:
                sent.append((message, gateway_id, timezone.now()))
        _record_sent(sent)
    if error is not None:
        raise error
    return len(sent), messages[taken:]


def _send_claimed(messages: list[Message], *, now: datetime | None) -> int:
    """Send a claimed batch: write the texts of those stored unrendered, all in one commit
    (_write_claimed), then send texts, calls and faxes in chunks (_send_chunk), then
    e-mails one at a time (message_send: each e-mail's hand-over mark must be committed just
    before the e-mail server is called, which ends any transaction). Returns how many were
    sent."""
    messages = _write_claimed(messages, now or timezone.now())
    sent = 0
    chunked = [message for message in messages if message.channel != Channel.EMAIL]
    while chunked:
        chunk_sent, chunked = _send_chunk(chunked, now or timezone.now())
        sent += chunk_sent
    for message in messages:
        if message.channel == Channel.EMAIL:
            status = message_send(message_id=message.pk, now=now, loaded=message)
            sent += status == MessageStatus.SENT
    return sent


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
        # One read for the batch instead of one a message; each is still locked, and its status
        # and consent read again under the lock, just before it is sent (_send_claimed).
        loaded = Message.objects.select_related("recipient", "recipient__patient_profile").in_bulk(
            ids
        )
        sent += _send_claimed([loaded[pk] for pk in ids if pk in loaded], now=now)
    return sent
