"""An accept word by text (YES, SI, ACEPTO) takes the patient's newest open offer:
MESSAGING_OFFER_ACCEPT_HOOK points here."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from clinic.messaging.models import Channel
from clinic.messaging.services import _standard_context, template_render
from clinic.models import User

from .selectors import patient_latest_offer
from .services import OfferGone, offer_accept


def offer_accept_by_reply(*, user: User, reply=None, now: dt.datetime | None = None) -> str | None:
    """Take the patient's newest offer of the last day; the answer to text back says booked,
    or taken (they stay on the list). None when nothing was offered (YES then opts in)."""
    now = now or timezone.now()
    offer = patient_latest_offer(patient=user, now=now)
    if offer is None:
        return None
    key, context = "waitlist_offer_booked", {"event_start": offer.slot.starts_at}
    try:
        offer_accept(offer=offer, now=now)
    except OfferGone as exc:
        ran_out = exc.code == "offer_ran_out"
        key, context = ("waitlist_offer_ran_out" if ran_out else "waitlist_offer_gone"), {}
    language = user.preferred_language or "en"
    values = _standard_context(user, language, context, sent_at=now)
    return template_render(key=key, channel=Channel.SMS, language=language, context=values)[1]
