"""The patient's own choices about reminders."""

from __future__ import annotations

from django.db import transaction

from clinic.errors import ApplicationError
from clinic.models import PatientProfile, User

from ..models import (
    Channel,
    ConsentSource,
)
from .addressing import CALLED_CHANNELS
from .consent import consent_allows, consent_record

# --- the patient's own choices ---------------------------------------------------------------


def reminder_preferences_update(
    *, user: User, preferred_channel: str, language: str, texts: bool, calls: bool
) -> None:
    """The patient sets how reminders reach them. Consent rows are written only for changes."""
    with transaction.atomic():
        profile = PatientProfile.objects.select_for_update().filter(user=user).first()
        if profile is None:
            raise ApplicationError("Your clinic has not finished setting up your record yet.")
        if preferred_channel in CALLED_CHANNELS and not user.phone:
            raise ApplicationError(
                "We have no mobile number for you; call the clinic to add one.",
                field="preferred_channel",
            )
        if preferred_channel == Channel.EMAIL and not user.email:
            raise ApplicationError("We have no e-mail for you.", field="preferred_channel")
        profile.preferred_channel = preferred_channel
        profile.save(update_fields=["preferred_channel", "updated_at"])
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
        if user.phone:
            phone = user.phone.as_e164
            for channel, wanted in ((Channel.SMS, texts), (Channel.VOICE, calls)):
                if consent_allows(address=phone, channel=channel) != wanted:
                    consent_record(
                        address=phone,
                        channels=[channel],
                        granted=wanted,
                        source=ConsentSource.PATIENT_PAGE,
                        user=user,
                    )
