"""Patient invitations: the single-use link sent at intake, checking it, accepting it, and
sending a new one."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic.errors import ApplicationError
from clinic.messaging.services import message_schedule
from clinic.models import Role, User

from ..models import PatientInvitation

INVITATION_SALT = "intake.invitation"


def invitation_send(*, patient: User, created_by: User | None, now=None) -> PatientInvitation:
    """Creates a single-use, expiring invitation and enqueues its text and e-mail after commit.
    Any earlier unused invitation of this patient stops working."""
    now = now or timezone.now()
    nonce = secrets.token_urlsafe(16)
    PatientInvitation.objects.filter(patient=patient, used_at__isnull=True).update(revoked_at=now)
    invitation = PatientInvitation.objects.create(
        patient=patient,
        nonce_hash=hashlib.sha256(nonce.encode()).hexdigest(),
        expires_at=now + dt.timedelta(hours=settings.INVITATION_VALID_HOURS),
        created_by=created_by,
    )
    token = signing.dumps({"i": invitation.pk, "n": nonce}, salt=INVITATION_SALT)
    link = settings.SITE_URL.rstrip("/") + reverse("intake:invitation", args=[token])
    # The messages are rows in this transaction: the database, not the broker, holds what must
    # be sent, and the dispatcher sends them within calling hours.
    channels = ["sms"] + (["email"] if patient.email else [])
    for channel in channels:
        message_schedule(
            recipient=patient,
            kind="portal_invitation",
            send_after=now,
            context={"link": link},
            topic=f"invitation:{invitation.pk}",
            dedupe_key=f"invitation:{invitation.pk}:{channel}",
            channel=channel,
        )
    return invitation


def invitation_resolve(token: str, *, now: dt.datetime | None = None) -> PatientInvitation:
    """The invitation behind a link, if it is still usable; ApplicationError otherwise."""
    now = now or timezone.now()
    try:
        data = signing.loads(token, salt=INVITATION_SALT)
        invitation = PatientInvitation.objects.select_related("patient").get(pk=data["i"])
    except (signing.BadSignature, PatientInvitation.DoesNotExist, KeyError, TypeError) as exc:
        raise ApplicationError("This link is not valid.") from exc
    if not secrets.compare_digest(
        invitation.nonce_hash, hashlib.sha256(str(data["n"]).encode()).hexdigest()
    ):
        raise ApplicationError("This link is not valid.")
    if invitation.used_at or invitation.revoked_at:
        raise ApplicationError(
            "This link was already used. Sign in, or ask the clinic for a new one."
        )
    if invitation.expires_at <= now:
        raise ApplicationError("This link has expired. Call the clinic for a new one.")
    return invitation


def invitation_accept(*, token: str, password: str) -> User:
    """Sets the patient's password, activates the account and spends the invitation."""
    with transaction.atomic():
        invitation = invitation_resolve(token)
        # Row lock: a double-click must not spend the invitation twice.
        invitation = PatientInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.used_at:
            raise ApplicationError("This link was already used. Sign in instead.")
        patient = invitation.patient
        patient.set_password(password)
        patient.is_active = True
        patient.save(update_fields=["password", "is_active"])
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at"])
    return patient


def invitation_resend(*, patient: User, by: User) -> PatientInvitation:
    """A new single-use link by text (and e-mail when the patient has one), for a patient who
    has not set a password yet; any earlier link stops working. Raises ApplicationError for an
    account already in use."""
    with transaction.atomic():
        # FOR UPDATE: two coordinators pressing at once send one link each, never two at once.
        patient = User.objects.select_for_update().get(pk=patient.pk)
        if patient.role != Role.PATIENT:
            raise ApplicationError("Only a patient is invited.")
        if patient.is_active:
            raise ApplicationError(
                "The patient has already set a password: they sign in, or use "
                "'Forgot your password?'."
            )
        return invitation_send(patient=patient, created_by=by)
