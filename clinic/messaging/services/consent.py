"""Consent to texts and calls: what the history allows, and recording a change."""

from __future__ import annotations

from django.db import transaction

from clinic.errors import ApplicationError
from clinic.models import User

from ..models import (
    Channel,
    ConsentSource,
    ContactConsent,
)

# --- consent --------------------------------------------------------------------------------


def consent_allows(*, address: str, channel: str) -> bool:
    """Texts and calls need a recorded consent that was not withdrawn since; e-mail (and a fax to
    a practice, about a referral it sent) goes unless withdrawn."""
    latest = (
        ContactConsent.objects.filter(address=address, channel=channel)
        .values_list("granted", flat=True)
        .first()
    )
    return consent_allows_latest(latest, channel=channel)


def consent_allows_latest(latest: bool | None, *, channel: str) -> bool:
    """consent_allows from the latest record's `granted` (None: nothing recorded), for a caller
    that read it in a statement of its own (CONSENT_LATEST_OF_MESSAGE_SQL)."""
    if latest is None:
        return channel in (Channel.EMAIL, Channel.FAX)
    return latest


# The same latest record as consent_allows reads (the model's ordering, newest first), as a
# scalar subquery: the dispatcher reads it in the statement that locks the messages it is about
# to send, for the address and channel of each locked row (`m`, the clinic_message row).
CONSENT_LATEST_OF_MESSAGE_SQL = (
    "(SELECT c.granted FROM clinic_contactconsent c"
    " WHERE c.address = m.to_address AND c.channel = m.channel"
    " ORDER BY c.at DESC, c.id DESC LIMIT 1)"
)


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
