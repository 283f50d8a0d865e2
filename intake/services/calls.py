"""The coordinators' calls: logging an attempt, what each outcome does (OUTCOME_HANDLERS), the
cadence of retries and the hand-off to a patient account and a treatment course. Claiming a case
is in claims.py, the patient's invitation in invitations.py."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.services import estimate_issue
from clinic.calling_hours import calling_hours
from clinic.errors import ApplicationError
from clinic.messaging.models import ConsentSource
from clinic.messaging.services import consent_record
from clinic.models import PatientProfile, Role, User
from outcomes.services import plan_start
from scheduling.services import course_create

from ..models import (
    UNANSWERED_OUTCOMES,
    CallAttempt,
    CallOutcome,
    IntakeCase,
    Referral,
    ReferralStatus,
)
from ..notifications import referral_status_email_queue
from ..queue import within_calling_hours
from .claims import (
    _lock_for,
    case_claim,
    case_claim_next,
    case_release,
    case_set_checklist_item,
)
from .invitations import invitation_accept, invitation_resolve, invitation_send
from .referrals import referral_set_status

logger = logging.getLogger(__name__)

# The claims and invitations are still imported from here by code written before they had
# modules of their own.
__all__ = [
    "call_log",
    "case_claim",
    "case_claim_next",
    "case_release",
    "case_set_checklist_item",
    "invitation_accept",
    "invitation_resolve",
    "invitation_send",
    "next_business_morning",
]


def next_business_morning(after: dt.datetime, zone) -> dt.datetime:
    """09:00 on the next weekday in the patient's zone."""
    local = after.astimezone(zone).date() + dt.timedelta(days=1)
    while local.weekday() >= 5:
        local += dt.timedelta(days=1)
    return dt.datetime.combine(local, dt.time(9, 0), tzinfo=zone)


def _retry_at(now: dt.datetime, zone) -> dt.datetime:
    hours = settings.INTAKE_RETRY_DELAY_HOURS
    if hours is None:
        return next_business_morning(now, zone)
    moment = now + dt.timedelta(hours=hours)
    if within_calling_hours(moment, zone):
        return moment
    local = moment.astimezone(zone)
    start = dt.datetime.combine(local.date(), dt.time(calling_hours()[0]), tzinfo=zone)
    return start if local < start else start + dt.timedelta(days=1)


def call_log(
    *,
    case: IntakeCase,
    coordinator: User,
    outcome: str,
    notes: str = "",
    callback_at: dt.datetime | None = None,
    reason: str = "",
    planned_sessions: int | None = None,
    now: dt.datetime | None = None,
) -> CallAttempt:
    """Appends one call attempt and applies its consequences, in one transaction:

    - the referral moves to 'contacting' on the first attempt;
    - no answer / voicemail: back to the queue after the retry delay; after INTAKE_MAX_ATTEMPTS
      unanswered attempts within INTAKE_ATTEMPT_WINDOW_DAYS the case closes as unreachable;
    - callback: back to the queue at the patient's chosen time, first in line once due;
    - wrong number, declined, not eligible: the case closes and the referral says why;
    - intake complete (checklist fully ticked): patient account, invitation, course.
    Each outcome's handler is listed in OUTCOME_HANDLERS. The claim is released. Raises
    ApplicationError for a refused step."""
    now = now or timezone.now()
    _check_outcome(outcome=outcome, callback_at=callback_at, reason=reason, now=now)
    with transaction.atomic():
        locked = _lock_for(case, coordinator, now)
        referral = locked.referral
        attempt = _attempt_record(
            locked,
            coordinator=coordinator,
            outcome=outcome,
            notes=notes,
            callback_at=callback_at,
            reason=reason,
            now=now,
        )
        if referral.status == ReferralStatus.RECEIVED:
            referral_set_status(
                referral=referral, status=ReferralStatus.CONTACTING, changed_by=coordinator
            )
        OUTCOME_HANDLERS[outcome](
            _Call(
                case=locked,
                referral=referral,
                coordinator=coordinator,
                outcome=outcome,
                now=now,
                callback_at=callback_at,
                reason=reason.strip(),
                planned_sessions=planned_sessions,
            )
        )
        locked.save()
        if locked.status == IntakeCase.Status.CLOSED:
            referral_status_email_queue(referral=referral)
    logger.info("call attempt %s logged on case %s: %s", attempt.pk, locked.pk, outcome)
    return attempt


def _attempt_record(
    locked: IntakeCase,
    *,
    coordinator: User,
    outcome: str,
    notes: str,
    callback_at: dt.datetime | None,
    reason: str,
    now: dt.datetime,
) -> CallAttempt:
    """The attempt's row, and the locked case's counters and claim (saved by call_log)."""
    if outcome == CallOutcome.INTAKE_COMPLETE and not locked.checklist_complete:
        raise ApplicationError(
            "Go over every talking point with the patient and tick it before completing intake.",
            field="checklist",
        )
    attempt = CallAttempt.objects.create(
        case=locked,
        coordinator=coordinator,
        outcome=outcome,
        notes=notes.strip(),
        callback_at=callback_at if outcome == CallOutcome.CALLBACK else None,
        reason=reason.strip(),
    )
    locked.attempt_count += 1
    locked.first_attempt_at = locked.first_attempt_at or now
    if outcome not in UNANSWERED_OUTCOMES and outcome != CallOutcome.WRONG_NUMBER:
        locked.first_contact_at = locked.first_contact_at or now
    locked.claimed_by = None
    locked.claim_expires_at = None
    return attempt


def _check_outcome(
    *, outcome: str, callback_at: dt.datetime | None, reason: str, now: dt.datetime
) -> None:
    """What the form must give for the outcome, checked before anything is locked."""
    if outcome not in CallOutcome.values:
        raise ApplicationError("Choose an outcome.", field="outcome")
    if outcome == CallOutcome.CALLBACK:
        if callback_at is None:
            raise ApplicationError("Give the date and time the patient chose.", field="callback_at")
        if callback_at <= now:
            raise ApplicationError("The callback time must be in the future.", field="callback_at")
    if outcome == CallOutcome.NOT_ELIGIBLE and not reason.strip():
        raise ApplicationError("Say why the patient is not eligible.", field="reason")


# --- what each outcome does to the case and the referral --------------------------------------


@dataclass(frozen=True)
class _Call:
    """One logged call, as its outcome handler needs it (inside call_log's transaction; the
    case is locked and saved by call_log afterwards)."""

    case: IntakeCase
    referral: Referral
    coordinator: User
    outcome: str
    now: dt.datetime
    callback_at: dt.datetime | None
    reason: str
    planned_sessions: int | None


def _after_unanswered(call: _Call) -> None:
    """Back to the queue after the retry delay; unreachable after too many unanswered calls."""
    case = call.case
    window_start = call.now - dt.timedelta(days=settings.INTAKE_ATTEMPT_WINDOW_DAYS)
    unanswered = case.attempts.filter(
        outcome__in=UNANSWERED_OUTCOMES, created_at__gte=window_start
    ).count()
    if unanswered >= settings.INTAKE_MAX_ATTEMPTS:
        _close(case, call.now, outcome="unreachable")
        referral_set_status(
            referral=call.referral,
            status=ReferralStatus.UNREACHABLE,
            changed_by=call.coordinator,
            reason=f"No answer after {unanswered} calls.",
        )
    else:
        case.next_attempt_at = _retry_at(call.now, case.time_zone)
        case.callback_at = None


def _after_callback(call: _Call) -> None:
    """Back to the queue at the time the patient chose, first in line once it is due."""
    call.case.callback_at = call.callback_at
    call.case.next_attempt_at = call.callback_at


def _closing(status: str, *, reason: str = "", default_reason: str = ""):
    """The case closes with the outcome, and the referral takes `status` and says why: `reason`
    when given, else the coordinator's words, else `default_reason`."""

    def close(call: _Call) -> None:
        _close(call.case, call.now, outcome=call.outcome)
        referral_set_status(
            referral=call.referral,
            status=status,
            changed_by=call.coordinator,
            reason=reason or call.reason or default_reason,
        )

    return close


def _after_intake_complete(call: _Call) -> None:
    """The patient's account, invitation, course and first estimate (_complete_intake)."""
    _complete_intake(
        case=call.case,
        coordinator=call.coordinator,
        now=call.now,
        planned_sessions=call.planned_sessions or call.referral.recommended_infusions,
    )


OUTCOME_HANDLERS = {
    CallOutcome.NO_ANSWER: _after_unanswered,
    CallOutcome.VOICEMAIL: _after_unanswered,
    CallOutcome.CALLBACK: _after_callback,
    CallOutcome.WRONG_NUMBER: _closing(
        ReferralStatus.UNREACHABLE,
        reason="The phone number on the referral is wrong. Please send a new referral with a "
        "working number.",
    ),
    CallOutcome.DECLINED: _closing(
        ReferralStatus.DECLINED, default_reason="The patient decided not to go ahead."
    ),
    CallOutcome.NOT_ELIGIBLE: _closing(ReferralStatus.NOT_ELIGIBLE),
    CallOutcome.INTAKE_COMPLETE: _after_intake_complete,
}


def _close(case: IntakeCase, now: dt.datetime, *, outcome: str) -> None:
    case.status = IntakeCase.Status.CLOSED
    case.closed_at = now
    case.closed_outcome = outcome
    case.next_attempt_at = None
    case.callback_at = None


def _complete_intake(
    *, case: IntakeCase, coordinator: User, now: dt.datetime, planned_sessions: int
) -> None:
    referral: Referral = case.referral
    if not 1 <= planned_sessions <= 6:
        raise ApplicationError("A course is 1 to 6 infusions.", field="planned_sessions")
    if referral.email and User.objects.filter(email__iexact=referral.email).exists():
        raise ApplicationError(
            "An account already uses this patient's e-mail. Check the possible duplicates.",
            field="outcome",
        )
    if User.objects.filter(phone=referral.mobile_phone).exists():
        raise ApplicationError(
            "An account already uses this patient's mobile number. Check the possible duplicates.",
            field="outcome",
        )
    patient = User.objects.create_user(
        email=referral.email or None,
        phone=referral.mobile_phone,
        first_name=referral.patient_first_name,
        last_name=referral.patient_last_name,
        role=Role.PATIENT,
        preferred_language=referral.preferred_language,
        is_active=False,  # until the patient sets a password through the invitation
    )
    PatientProfile.objects.create(
        user=patient,
        date_of_birth=referral.date_of_birth,
        sex=referral.sex,
        zip_code=referral.zip_code,
        time_zone=referral.patient_time_zone,
    )
    course = course_create(
        patient=patient,
        location=referral.preferred_location,
        planned_sessions=planned_sessions,
        # Flagged, or never screened (referrals from before the "none" box): a clinician decides.
        needs_clinician_review=not referral.no_contraindications,
        created_by=coordinator,
        diagnosis_codes=[referral.diagnosis_code],
    )
    referral.patient = patient
    referral.course = course
    referral.save(update_fields=["patient", "course", "updated_at"])
    # The patient agreed to reminder calls and texts on this call (a ticked talking point).
    consent_record(
        address=patient.phone.as_e164,
        channels=["sms", "voice"],
        granted=True,
        source=ConsentSource.INTAKE,
        user=patient,
        recorded_by=coordinator,
        note="agreed on the intake call",
    )
    invitation_send(patient=patient, created_by=coordinator, now=now)
    # The baseline starts now: the diary from today and MIDAS asked at once (outcomes).
    plan_start(course=course, now=now)
    _issue_first_estimate(referral=referral, course=course, coordinator=coordinator)
    case.completed_at = now
    _close(case, now, outcome=CallOutcome.INTAKE_COMPLETE)
    referral_set_status(
        referral=referral, status=ReferralStatus.INTAKE_COMPLETE, changed_by=coordinator
    )


def _issue_first_estimate(*, referral: Referral, course, coordinator: User) -> None:
    """The patient's self-pay estimate, so it is on their course page from the start. A location
    whose fees are not set up yet must not block intake: coordinators see GFEs due instead."""
    try:
        with transaction.atomic():
            estimate_issue(
                patient=course.patient,
                location=course.location,
                infusion_count=course.planned_sessions,
                scheduled_starts=[],
                diagnosis_codes=[referral.diagnosis_code],
                issued_by=coordinator,
                reason="Intake complete",
            )
    except ApplicationError as exc:
        logger.warning("no estimate issued for course %s: %s", course.pk, exc.message)
