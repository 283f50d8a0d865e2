import datetime

from clinic.messaging.models import Channel, ConsentSource
from clinic.messaging.services import consent_record
from clinic.models import PatientProfile, Role
from tests.factories.users import UserFactory


def make_patient(
    *,
    phone: str | None = "+16175550142",
    email: str | None = None,
    zone: str = "America/New_York",
    channel: str = "sms",
    language: str = "en",
    consent: bool = True,
):
    """A patient with a profile; with `consent`, texts and calls to the phone are allowed."""
    extra = {"email": email} if email else {}
    user = UserFactory(role=Role.PATIENT, phone=phone, preferred_language=language, **extra)
    PatientProfile.objects.create(
        user=user,
        date_of_birth=datetime.date(1985, 4, 2),
        sex="female",
        zip_code="02116",
        time_zone=zone,
        preferred_channel=channel,
    )
    if consent and phone:
        consent_record(
            address=user.phone.as_e164,
            channels=[Channel.SMS, Channel.VOICE],
            granted=True,
            source=ConsentSource.INTAKE,
            user=user,
        )
    return user
