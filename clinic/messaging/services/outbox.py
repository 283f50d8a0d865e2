"""Creating, cancelling and retiming messages: the outbox rows every text, call and e-mail
starts as, and the reminder plan."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

from clinic.db import compiled_insert
from clinic.errors import ApplicationError
from clinic.models import User

from ..models import (
    MOVED_REASON,
    Channel,
    Message,
    MessageEvent,
    MessageStatus,
    MessageTemplate,
    PlanChannel,
    ReminderPlanEntry,
)
from .addressing import (
    CALLED_CHANNELS,
    address_for,
    calling_time,
    recipient_channel,
    recipient_zone,
)
from .rendering import _standard_context, template_context, template_render

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
    # Imported here: tasks.py calls these services (a cycle inside messaging, not between floors).
    from ..tasks import dispatch_due_messages

    dispatch_due_messages.enqueue_or_log()


def _enqueue_dispatch() -> None:
    """Wake the dispatcher after commit, once per transaction (and savepoint) however many due
    messages it stored: a booking stores a confirmation and an e-mail, a course several. A
    wake-up registered inside a savepoint that is rolled back goes with it, so one is added
    again whenever the savepoints differ."""
    # None stands for an atomic block without a savepoint of its own: not a savepoint.
    here = set(connection.savepoint_ids) - {None}
    registered = connection.run_on_commit
    if not any(func is _wake_dispatcher and sids - {None} == here for sids, func, _r in registered):
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


def _insert_unless_taken(
    messages: list[Message], events: dict[str, list[tuple[str, str, str]]]
) -> list[Message]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the messages whose dedupe_key is free are
    stored and given their ids, with their first history rows (`events`: dedupe_key ->
    [(from_status, to_status, note)], in order), in one statement that cannot fail on a taken
    key (so no savepoint is needed to catch that) and stores a message and its history together
    or not at all. Returns those inserted, in the order given; the others' keys were taken
    (perhaps just now, by a concurrent caller: the unique constraint decides, after waiting for
    that caller's commit), and no history is written for them."""
    insert_sql, insert_params = compiled_insert(
        messages, returning=("pk", "dedupe_key"), on_conflict=OnConflict.IGNORE
    )
    history = [
        (key, *event)
        for key in dict.fromkeys(m.dedupe_key for m in messages)
        for event in events.get(key, ())
    ]
    # The history rows join the messages just inserted by their keys (a taken key inserts
    # none), in the order given (WITH ORDINALITY), so their ids follow the order of events.
    # insert_sql is Django's compiled INSERT (its values are parameters), never input.
    sql = (
        f"WITH stored AS ({insert_sql}), history AS ("  # noqa: S608
        "INSERT INTO clinic_messageevent (message_id, from_status, to_status, note, at) "
        "SELECT stored.id, e.from_status, e.to_status, e.note, %s FROM UNNEST("
        "%s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[]) WITH ORDINALITY "
        "AS e(dedupe_key, from_status, to_status, note, n) "
        "JOIN stored ON stored.dedupe_key = e.dedupe_key ORDER BY e.n) "
        "SELECT id, dedupe_key FROM stored"
    )
    params = (
        *insert_params,
        timezone.now(),
        [h[0] for h in history],
        [h[1] for h in history],
        [h[2] for h in history],
        [h[3][:200] for h in history],
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = {key: pk for pk, key in cursor.fetchall()}
    inserted = []
    for message in messages:
        pk = ids.pop(message.dedupe_key, None)
        if pk is not None:
            message.pk = pk
            message._state.adding, message._state.db = False, connection.alias
            inserted.append(message)
    return inserted


def _message_store(*, suppress_reason: str, **fields) -> Message:
    """Insert one message (its first event too, and its suppression at once with
    `suppress_reason`) unless its dedupe_key exists, then return that one unchanged; the
    dispatcher is woken on commit when the message is already due (_messages_store_bulk)."""
    return _messages_store_bulk([(suppress_reason, fields)])[0]


def email_queue(
    *,
    recipient: User,
    kind: str,
    subject: str,
    body: str,
    dedupe_key: str,
    topic: str = "",
    attachments: list[dict] | tuple = (),
    render_context: dict | None = None,
) -> Message:
    """Store an e-mail its caller already rendered (from Django templates, in the recipient's
    language) so the dispatcher sends it once, through the gateway, even if the broker is down
    now. Call it inside the transaction that makes it true: rolled back, nothing is sent.
    `attachments` are {"filename", "content" (text), "mimetype"} dicts. With `render_context`
    (JSON naming a registered renderer, rendering.renderer_register) the body and attachments
    are written by the dispatcher when it claims the message instead (`body` is then "").
    Returns the existing message, unchanged, when one with this dedupe_key exists. With no
    e-mail address on file the row is stored as suppressed with the reason."""
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
        render_context=render_context,
        send_after=timezone.now(),
        topic=topic,
        dedupe_key=dedupe_key,
    )


def fax_queue(
    *,
    recipient: User,
    to_number: str,
    kind: str,
    subject: str,
    body: str,
    dedupe_key: str,
    topic: str = "",
) -> Message:
    """Store a fax its caller already rendered (a page to a referring practice, never to a
    patient) so the dispatcher sends it once through the fax adapter (clinic.messaging.fax),
    as texts are sent. Call it inside the transaction that makes it true. Returns the existing
    message, unchanged, when one with this dedupe_key exists. With no number it is stored as
    suppressed with the reason."""
    return _message_store(
        suppress_reason="" if to_number else "no fax number on file",
        recipient=recipient,
        channel=Channel.FAX,
        to_address=to_number,
        kind=kind,
        language=recipient.preferred_language or "en",
        subject=subject[:150],
        body=body,
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
    'before' line that is still in the future. Idempotent per (topic, line, event_start).
    The messages are stored unrendered, in one INSERT: the dispatcher writes each text when it
    claims it (rendering.message_text), so "today" and "tomorrow" are said from the day it goes.
    Raises ApplicationError when a line has no template for its kind and channel."""
    return reminders_plan_many(
        recipient=recipient,
        events=[(event_start, topic)],
        context=context,
        rescheduled=rescheduled,
    )


def reminders_plan_many(
    *,
    recipient: User,
    events: list[tuple[datetime, str]],
    context: dict | None = None,
    rescheduled: bool = False,
) -> list[Message]:
    """reminders_plan for several events of one recipient, each (event_start, topic): the plan
    read once and every message stored in one INSERT (a course of three booked in one step).
    Returns the messages in the order of `events`, then of the plan's lines."""
    now = timezone.now()
    events = [(start, topic) for start, topic in events if start > now]
    if not events:
        return []
    language = recipient.preferred_language or "en"
    entries = list(ReminderPlanEntry.objects.filter(is_active=True))
    rows = []
    for event_start, topic in events:
        stored = template_context({**(context or {}), "event_start": event_start})
        for entry in entries:
            if entry.offset is None:
                send_after = now
                kind = "appointment_changed" if rescheduled else entry.template_key
            else:
                send_after = event_start - entry.offset
                kind = entry.template_key
                if send_after <= now:
                    continue  # booked too late for this one; the confirmation covers it
            preferred = entry.channel == PlanChannel.PREFERRED
            channel = recipient_channel(recipient) if preferred else entry.channel
            address = address_for(recipient, channel)
            reason = "" if address else "no address on file for this channel"
            if address and channel in CALLED_CHANNELS:
                when = calling_time(
                    when=send_after, zone=recipient_zone(recipient), before=event_start
                )
                if when is None:
                    reason = "no time inside calling hours before the event"
                else:
                    send_after = when
            fields = {
                "recipient": recipient,
                "channel": channel,
                "to_address": address,
                "kind": kind,
                "language": language,
                "subject": "",
                "body": "",
                "render_context": stored,
                "send_after": send_after,
                "not_after": event_start,
                "topic": topic,
                "dedupe_key": f"{topic}:{entry.name}:{event_start.isoformat()}",
            }
            rows.append((reason, fields))
    _check_templates_exist({(f["kind"], f["channel"]) for _r, f in rows})
    return _messages_store_bulk(rows)


def _check_templates_exist(needed: set[tuple[str, str]]) -> None:
    """The error message_schedule gives when rendering, given at booking time although the
    text is written later: one query for the whole plan."""
    found = set(
        MessageTemplate.objects.filter(
            key__in={k for k, _c in needed}, channel__in={c for _k, c in needed}
        ).values_list("key", "channel")
    )
    for kind, channel in sorted(needed - found):
        raise ApplicationError(f"There is no '{kind}' message template for {channel}.")


def _messages_store_bulk(rows: list[tuple[str, dict]]) -> list[Message]:
    """Store messages (reason, fields) unless their dedupe_key exists, each with its first
    event, and one whose reason is not empty suppressed at once with that reason (its second
    event): one statement (_insert_unless_taken), and a second reading the messages whose keys
    were taken, only then. No savepoint inside a caller's transaction (a booking stores
    several): a taken key is no error, and anything else aborts the caller. Wakes the
    dispatcher on commit when a message stored is already due. Returns the messages in the
    order of `rows`, those already stored unchanged."""
    keys = [fields["dedupe_key"] for _reason, fields in rows]
    existing: dict[str, Message] = {}
    if rows:
        events = {}
        for reason, fields in rows:
            events[fields["dedupe_key"]] = [("", MessageStatus.SCHEDULED, "")] + (
                [(MessageStatus.SCHEDULED, MessageStatus.SUPPRESSED, reason)] if reason else []
            )
        created = _insert_unless_taken(
            [
                Message(
                    **fields,
                    status=MessageStatus.SUPPRESSED if reason else MessageStatus.SCHEDULED,
                    status_reason=reason[:200],
                )
                for reason, fields in rows
            ],
            events,
        )
        taken = set(keys) - {m.dedupe_key for m in created}
        if taken:
            existing = {m.dedupe_key: m for m in Message.objects.filter(dedupe_key__in=taken)}
        existing.update({m.dedupe_key: m for m in created})
        now = timezone.now()
        if any(m.status == MessageStatus.SCHEDULED and m.send_after <= now for m in created):
            _enqueue_dispatch()
    return [existing[key] for key in keys]


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
