from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import attrgetter

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from clinic.errors import ApplicationError
from clinic.models import STAFF_ROLES, Role, User

from .models import Channel, ContactConsent, InboundReply, Message, MessageStatus
from .services import consent_allows, message_text

OUTBOX_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})


def outbox_list(*, user: User, status: str = "", channel: str = "") -> QuerySet[Message]:
    """Messages for the outbox page (coordinators and admins), newest first, filtered."""
    if user.role not in OUTBOX_ROLES:
        raise PermissionDenied
    messages = Message.objects.select_related("recipient", "recipient__patient_profile")
    if status in MessageStatus.values:
        messages = messages.filter(status=status)
    if channel in Channel.values:
        messages = messages.filter(channel=channel)
    return messages.order_by("-send_after", "-pk")


def messages_show_text(messages: list[Message]) -> list[Message]:
    """Messages not written yet (a booking's reminders and e-mail are written when they are sent)
    filled in, unsaved, with their text as it reads at their sending time, for a page to show.
    Each template is read once; recipients should come with their profiles."""
    templates: dict = {}
    for message in messages:
        if message.render_context is None:
            continue
        try:
            message.subject, message.body, message.attachments = message_text(
                message, sent_at=message.send_after, templates=templates
            )
        except ApplicationError:
            continue  # shown without its text; the dispatcher fails it and says why
    return messages


def outbox_unknown_count(*, user: User) -> int:
    """How many messages may or may not have gone (a worker stopped mid-send and the gateway
    could not say): a coordinator must check each before anything is sent again."""
    if user.role not in OUTBOX_ROLES:
        raise PermissionDenied
    return Message.objects.filter(status=MessageStatus.UNKNOWN).count()


# Scheduling names the messages about an infusion session "session:<id>" (their topic).
SESSION_TOPIC_PREFIX = "session:"


@dataclass(frozen=True)
class SessionReminders:
    """The messages about one session (its start, in UTC), in send order."""

    event_start: datetime
    messages: list[Message]

    @property
    def moved(self) -> bool:
        """Every message was cancelled because the session moved (its new time has its own)."""
        return all(m.replaced_by_move for m in self.messages)

    @property
    def cancelled(self) -> bool:
        """Nothing about this session will be sent any more (it was cancelled or moved): the
        page folds it away and leaves the upcoming sessions open."""
        return all(m.status == MessageStatus.CANCELLED for m in self.messages)


def reminders_for_patient(*, user: User, now: datetime | None = None) -> list[SessionReminders]:
    """The asking patient's own messages about their sessions still ahead (confirmations,
    reminders, change and cancellation notices, whatever their status), grouped by session in
    time order. Never another person's rows; one query however many there are."""
    if user.role != Role.PATIENT:
        raise PermissionDenied
    now = now or timezone.now()
    messages = list(
        Message.objects.filter(
            recipient=user, topic__startswith=SESSION_TOPIC_PREFIX, not_after__gt=now
        ).order_by("not_after", "send_after", "pk")
    )
    for message in messages:
        message.recipient = user  # the asking patient: their zone without a query a message
    messages_show_text(messages)
    return [
        SessionReminders(event_start=start, messages=list(group))
        for start, group in groupby(messages, key=attrgetter("not_after"))
    ]


def replies_needing_attention(*, user: User) -> QuerySet[InboundReply]:
    """Replies a person must read (free text, possible opt-outs, callback requests), oldest
    first: the longest waiting is answered first."""
    if user.role not in STAFF_ROLES:
        raise PermissionDenied
    return (
        InboundReply.objects.filter(needs_attention=True)
        .select_related("user__patient_profile", "message")
        .order_by("at", "pk")
    )


@dataclass(frozen=True)
class ContactState:
    """What a coordinator sees of one patient's consent: may we text, call, e-mail, and the
    latest history rows (with who recorded them)."""

    patient: User
    phone: str
    texts: bool
    calls: bool
    email: bool
    history: list[ContactConsent]


def patient_for_staff(*, user: User, patient_id: int) -> User:
    """A patient, for coordinators and admins; anyone else's id (or a missing one) is 404."""
    if user.role not in OUTBOX_ROLES:
        raise PermissionDenied
    patient = User.objects.filter(pk=patient_id, role=Role.PATIENT).first()
    if patient is None:
        raise Http404
    return patient


def contact_state(*, user: User, patient: User) -> ContactState:
    if user.role not in OUTBOX_ROLES:
        raise PermissionDenied
    phone = patient.phone.as_e164 if patient.phone else ""
    addresses = [a for a in (phone, patient.email or "") if a]
    history = list(
        ContactConsent.objects.filter(address__in=addresses).select_related("recorded_by")[:10]
    )
    return ContactState(
        patient=patient,
        phone=phone,
        texts=bool(phone) and consent_allows(address=phone, channel=Channel.SMS),
        calls=bool(phone) and consent_allows(address=phone, channel=Channel.VOICE),
        email=bool(patient.email) and consent_allows(address=patient.email, channel=Channel.EMAIL),
        history=history,
    )


def reminder_preferences(*, user: User) -> dict:
    """What the patient's preferences page shows for `user` (their own data only)."""
    profile = getattr(user, "patient_profile", None)
    phone = user.phone.as_e164 if user.phone else ""
    return {
        "has_profile": profile is not None,
        "preferred_channel": profile.preferred_channel if profile else Channel.SMS,
        "language": user.preferred_language,
        "texts": bool(phone) and consent_allows(address=phone, channel=Channel.SMS),
        "calls": bool(phone) and consent_allows(address=phone, channel=Channel.VOICE),
        "has_phone": bool(phone),
    }
