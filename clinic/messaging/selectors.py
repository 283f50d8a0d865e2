from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from clinic.models import STAFF_ROLES, Role, User

from .models import Channel, InboundReply, Message, MessageStatus
from .services import consent_allows

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


def replies_needing_attention(*, user: User) -> QuerySet[InboundReply]:
    if user.role not in STAFF_ROLES:
        raise PermissionDenied
    return InboundReply.objects.filter(needs_attention=True).select_related("user")


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
