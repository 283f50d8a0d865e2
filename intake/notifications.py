"""The referring provider's e-mails. They are rendered here, in the provider's language, and
stored in the messaging outbox inside the caller's transaction, so the database, not the broker,
holds what must be sent. They carry the reference and the status, nothing clinical (e-mail is not
a secure channel)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from clinic.formatting import format_date
from clinic.messaging.models import Message
from clinic.messaging.services import email_queue, fax_queue

from .models import Referral, ReferralStatusChange


def _provider_email_queue(
    *, referral: Referral, kind: str, subject: Callable[[], str], template: str, once_per: str
) -> Message:
    """`subject` is called inside the provider's language, so a status reads in it."""
    user = referral.provider.user
    # The neutral sender name: e-mails are read by others than their addressee.
    context = {
        "referral": referral,
        "provider": user,
        "sender_name": settings.MESSAGING_SENDER_NAME,
    }
    with translation.override(user.preferred_language or "en"):
        return email_queue(
            recipient=user,
            kind=kind,
            subject=subject(),
            body=render_to_string(template, context),
            dedupe_key=f"referral:{referral.pk}:{once_per}",
            topic=f"referral:{referral.pk}",
        )


def referral_received_email_queue(*, referral: Referral) -> Message:
    """Tells the referring provider their referral arrived. Once per referral."""
    return _provider_email_queue(
        referral=referral,
        kind="referral_received",
        subject=lambda: _("Referral %(reference)s received") % {"reference": referral.reference},
        template="intake/email/referral_received.txt",
        once_per="received",
    )


def referral_status_email_queue(
    *, referral: Referral, change: ReferralStatusChange | None = None
) -> Message:
    """Tells the referring provider the referral's current status (intake ended, scheduled,
    course complete). Status only: the details are behind the portal's sign-in. Once per status
    change: `change`, the history row of the move just made (read when not given)."""
    if change is None:
        change = ReferralStatusChange.objects.filter(referral=referral).order_by("-pk").first()
    return _provider_email_queue(
        referral=referral,
        kind="referral_status",
        subject=lambda: (
            _("Referral %(reference)s: %(status)s")
            % {"reference": referral.reference, "status": referral.get_status_display()}
        ),
        template="intake/email/referral_status.txt",
        once_per=f"status:{change.pk if change else referral.status}",
    )


def referral_received_fax_queue(*, referral: Referral, to_number: str, received_at) -> Message:
    """Faxes the referring practice back that its faxed referral arrived, when the provider has
    no e-mail address to be told by, in the provider's language. The page names the provider,
    the reference and the day the fax came, nothing about the patient. Once per referral."""
    provider = referral.provider
    with translation.override(provider.user.preferred_language or "en"):
        context = {
            "referral": referral,
            "provider": provider.user,
            "practice": provider.practice_name,
            "received_on": format_date(
                received_at,
                pgettext("date format", "l j F Y"),
                referral.preferred_location.time_zone,
            ),
            "sender_name": settings.MESSAGING_SENDER_NAME,
            "clinic_phone": settings.CLINIC_PHONE,
        }
        body = render_to_string("intake/fax/referral_received.txt", context)
        subject = _("Referral %(reference)s received") % {"reference": referral.reference}
    return fax_queue(
        recipient=provider.user,
        to_number=to_number,
        kind="referral_received",
        subject=subject,
        body=body,
        dedupe_key=f"referral:{referral.pk}:received-fax",
        topic=f"referral:{referral.pk}",
    )
