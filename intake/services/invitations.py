"""Sending a patient a new invitation link (the first one went at intake, from calls.py)."""

from django.db import transaction

from clinic.errors import ApplicationError
from clinic.models import Role, User

from ..models import PatientInvitation
from .calls import invitation_send


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
