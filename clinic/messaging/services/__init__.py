"""Messaging writes: schedule, cancel and retime messages, queue e-mails rendered elsewhere, the
reminder plan, dispatch, consent and what inbound texts and keypresses change. Nothing here logs
message text or addresses.

One module per topic (addressing, rendering, outbox, consent, dispatch, inbound, choices,
staff); everyone imports from here (a test that changes DISPATCH_RUN_SECONDS sets it on
.dispatch)."""

from .addressing import (
    CALLED_CHANNELS,
    address_for,
    calling_time,
    recipient_channel,
    recipient_zone,
)
from .choices import reminder_preferences_update
from .consent import consent_allows, consent_record
from .dispatch import (
    ABANDONED_PER_BATCH,
    _email_handover_mark,
    message_send,
    messages_claim_due,
    messages_dispatch_due,
    messages_settle_abandoned,
)
from .inbound import (
    _VOICE_ANSWERS,
    confirmation_record_only,
    inbound_text_receive,
    message_delivery_update,
    voice_keypress_receive,
)
from .outbox import (
    email_queue,
    fax_queue,
    message_schedule,
    messages_cancel,
    messages_retime,
    reminders_plan,
    reminders_plan_many,
)
from .rendering import (
    VOICE_OPT_OUT_DIGIT,
    _standard_context,
    message_text,
    renderer_register,
    template_render,
)
from .staff import consent_withdraw_by_staff, reply_mark_handled, template_test_send

__all__ = [
    "ABANDONED_PER_BATCH",
    "CALLED_CHANNELS",
    "VOICE_OPT_OUT_DIGIT",
    "_VOICE_ANSWERS",
    "_email_handover_mark",
    "_standard_context",
    "address_for",
    "calling_time",
    "confirmation_record_only",
    "consent_allows",
    "consent_record",
    "consent_withdraw_by_staff",
    "email_queue",
    "fax_queue",
    "inbound_text_receive",
    "message_delivery_update",
    "message_schedule",
    "message_send",
    "message_text",
    "messages_cancel",
    "messages_claim_due",
    "messages_dispatch_due",
    "messages_retime",
    "messages_settle_abandoned",
    "recipient_channel",
    "recipient_zone",
    "reminder_preferences_update",
    "reminders_plan",
    "reminders_plan_many",
    "renderer_register",
    "reply_mark_handled",
    "template_render",
    "template_test_send",
    "voice_keypress_receive",
]
