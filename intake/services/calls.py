"""The coordinators' call queue: claiming the next call, logging attempts, the cadence of retries
and the hand-off to a patient account and a treatment course."""

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from billing.services import estimate_issue
from clinic.calling_hours import calling_hours
from clinic.errors import ApplicationError
from clinic.messaging.models import ConsentSource
from clinic.messaging.services import consent_record, message_schedule
from clinic.models import PatientProfile, Role, User
from outcomes.services import plan_start
from scheduling.services import course_create

from ..models import (
    UNANSWERED_OUTCOMES,
    CallAttempt,
    CallOutcome,
    ChecklistItem,
    IntakeCase,
    PatientInvitation,
    Referral,
    ReferralStatus,
)
from ..notifications import referral_status_email_queue
from ..queue import callable_sql, free_sql, held_by_other, within_calling_hours
from .referrals import referral_set_status

logger = logging.getLogger(__name__)

INVITATION_SALT = "intake.invitation"


def _claim_minutes() -> int:
    return settings.INTAKE_CLAIM_MINUTES


# Claim-next is the queue's one contention point and its hottest path: one statement, written
# out, so that twenty coordinators pressing 'Next call' at once each wait for one round trip
# and nothing is compiled per call. Three probes, tried in order, each walking an index and
# stopping at the first free row (FOR UPDATE SKIP LOCKED: a row another claimer has just
# locked is skipped, never waited for): this coordinator's live claim, then due callbacks
# (intake_open_callback_idx), then the rest, urgent first, then the oldest
# (intake_open_order_idx). A CTE is read only as far as its reader asks, and an Append over
# CTE scans is never parallel, so a held case comes back as it is and nothing else is locked.
def _claim_next_sql(*, me: int, now: dt.datetime, expires: dt.datetime) -> tuple[str, list]:
    callable_now, callable_params = callable_sql(now)
    free, free_params = free_sql(now)
    open_ = IntakeCase.Status.OPEN.value
    sql = f"""
    WITH held(id) AS (
        SELECT id FROM intake_intakecase
        WHERE status = %s AND claimed_by_id = %s AND claim_expires_at > %s
        LIMIT 1 FOR UPDATE
    ), due(id) AS (
        SELECT id FROM intake_intakecase
        WHERE status = %s AND callback_at <= %s AND {callable_now} AND {free}
        ORDER BY urgent DESC, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
    ), rest(id) AS (
        SELECT id FROM intake_intakecase
        WHERE status = %s AND (callback_at IS NULL OR callback_at > %s) AND {callable_now}
            AND {free}
        ORDER BY urgent DESC, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
    ), pick(id, held) AS (
        SELECT id, true FROM held
        UNION ALL SELECT id, false FROM due
        UNION ALL SELECT id, false FROM rest
        LIMIT 1
    )
    UPDATE intake_intakecase AS c
    SET claimed_by_id = %s,
        claim_expires_at = CASE WHEN pick.held THEN c.claim_expires_at ELSE %s END,
        updated_at = CASE WHEN pick.held THEN c.updated_at ELSE %s END
    FROM pick WHERE c.id = pick.id
    RETURNING c.*"""  # noqa: S608 - the fragments are intake.queue's, every value a parameter
    params = [
        *(open_, me, now),
        *(open_, now, *callable_params, *free_params),
        *(open_, now, *callable_params, *free_params),
        *(me, expires, now),
    ]
    return sql, params


def case_claim_next(*, coordinator: User, now: dt.datetime | None = None) -> IntakeCase | None:
    """Gives the coordinator the top callable case (due callbacks, then urgent referrals, then
    the oldest; not waiting for a retry, inside the patient's calling hours), held for
    INTAKE_CLAIM_MINUTES.

    A coordinator who still holds a live claim gets that case back. Two coordinators pressing
    'Next call' at the same moment never get the same case: the candidate row is locked with
    FOR UPDATE SKIP LOCKED, so a concurrent claimer skips it and takes the next one. A lapsed
    claim needs no job to free it: the query treats it as unclaimed. Returns None when nothing
    is callable."""
    now = now or timezone.now()
    sql, params = _claim_next_sql(
        me=coordinator.pk, now=now, expires=now + dt.timedelta(minutes=_claim_minutes())
    )
    with transaction.atomic():
        # A claim is a soft hold that lapses by itself. Were the server to crash in the
        # instant after this commit, losing it would only put the case back in the queue, so
        # the commit need not wait for the disk (call logs and audit rows still do).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        claimed = list(IntakeCase.objects.raw(sql, params))
    return claimed[0] if claimed else None


def case_claim(
    *, case: IntakeCase, coordinator: User, now: dt.datetime | None = None
) -> IntakeCase:
    """Takes one particular case (a patient calling back, say), releasing any other case this
    coordinator held. Refused while another coordinator's claim is live."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_for(case, coordinator, now)
        IntakeCase.objects.filter(claimed_by=coordinator).exclude(pk=locked.pk).update(
            claimed_by=None, claim_expires_at=None
        )
        locked.claimed_by = coordinator
        locked.claim_expires_at = now + dt.timedelta(minutes=_claim_minutes())
        locked.save(update_fields=["claimed_by", "claim_expires_at", "updated_at"])
    return locked


def _lock_for(case: IntakeCase, coordinator: User, now: dt.datetime) -> IntakeCase:
    locked = IntakeCase.objects.select_for_update().select_related("referral").get(pk=case.pk)
    if locked.status != IntakeCase.Status.OPEN:
        raise ApplicationError("This case is already closed.")
    if held_by_other(locked, coordinator_id=coordinator.pk, now=now):
        raise ApplicationError("Another coordinator is on this call right now.")
    return locked


def case_release(*, case: IntakeCase, coordinator: User) -> None:
    """Hands a claimed case back to the queue without logging a call."""
    IntakeCase.objects.filter(pk=case.pk, claimed_by=coordinator).update(
        claimed_by=None, claim_expires_at=None, updated_at=timezone.now()
    )


def case_set_checklist_item(
    *, case: IntakeCase, coordinator: User, item: str, ticked: bool
) -> IntakeCase:
    """Ticks or unticks one talking point; the call must be this coordinator's."""
    if item not in ChecklistItem.values:
        raise ApplicationError("Unknown checklist item.")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_for(case, coordinator, now)
        points = set(locked.checklist)
        points.add(item) if ticked else points.discard(item)
        locked.checklist = [value for value in ChecklistItem.values if value in points]
        locked.save(update_fields=["checklist", "updated_at"])
    return locked


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
        if outcome == CallOutcome.INTAKE_COMPLETE and not locked.checklist_complete:
            raise ApplicationError(
                "Go over every talking point with the patient and tick it before completing "
                "intake.",
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
