"""The referring provider's e-mails. They are rendered here, in the provider's language, and
stored in the messaging outbox inside the caller's transaction, so the database, not the broker,
holds what must be sent. They carry the reference and the status, nothing clinical (e-mail is not
a secure channel)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from clinic.messaging.models import Message
from clinic.messaging.services import email_queue

from .models import Referral, ReferralStatusChange


def _context(referral: Referral) -> dict:
    user = referral.provider.user
    return {"referral": referral, "provider": user, "clinic_name": settings.CLINIC_NAME}


def referral_received_email_queue(*, referral: Referral) -> Message:
    """Tells the referring provider their referral arrived. Once per referral."""
    user = referral.provider.user
    with translation.override(user.preferred_language or "en"):
        return email_queue(
            recipient=user,
            kind="referral_received",
            subject=f"Referral {referral.reference} received",
            body=render_to_string("intake/email/referral_received.txt", _context(referral)),
            dedupe_key=f"referral:{referral.pk}:received",
            topic=f"referral:{referral.pk}",
        )


def referral_status_email_queue(*, referral: Referral) -> Message:
    """Tells the referring provider the referral's current status (intake ended, scheduled,
    course complete). Status only: the details are behind the portal's sign-in. Once per status
    change."""
    user = referral.provider.user
    change = ReferralStatusChange.objects.filter(referral=referral).order_by("-pk").first()
    once_per = change.pk if change else referral.status
    with translation.override(user.preferred_language or "en"):
        return email_queue(
            recipient=user,
            kind="referral_status",
            subject=f"Referral {referral.reference}: {referral.get_status_display()}",
            body=render_to_string("intake/email/referral_status.txt", _context(referral)),
            dedupe_key=f"referral:{referral.pk}:status:{once_per}",
            topic=f"referral:{referral.pk}",
        )
