"""Coordinators: consent revoked by a person, replies read, a template's test send."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from clinic.errors import ApplicationError
from clinic.models import User

from ..models import (
    ConsentSource,
    ContactConsent,
    InboundReply,
    Message,
    MessageTemplate,
)
from ..wording import render_sample
from .addressing import address_for
from .consent import consent_record
from .outbox import _message_store

logger = logging.getLogger("clinic.messaging.services")  # one name for the whole package


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
