import hashlib
import json
import logging
import secrets
from datetime import timedelta

import zipcodes
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from clinic.db import one_or_none
from clinic.errors import ApplicationError
from clinic.models import Role, User
from clinic.validators import is_ascii_digits

from ..models import (
    REFERRAL_TRANSITIONS,
    STATUSES_NEEDING_REASON,
    ApiToken,
    IntakeCase,
    PossibleDuplicate,
    Referral,
    ReferralAttachment,
    ReferralStatus,
    ReferralStatusChange,
    ReferringProvider,
    normalise_name,
)
from ..notifications import referral_received_email_queue, referral_status_email_queue
from ..validators import display_file_name, sha256_of, validate_attachments

logger = logging.getLogger(__name__)

DUPLICATE_WINDOW = timedelta(days=365)


def time_zone_for_zip(zip_code: str, fallback):
    """The patient's zone from their ZIP code; the preferred location's when the ZIP is unknown."""
    # The zipcodes library panics (a BaseException no handler catches) on anything but ASCII.
    if not is_ascii_digits(str(zip_code or "")[:5]):
        return fallback
    try:
        matches = zipcodes.matching(zip_code[:5])
    except (TypeError, ValueError):
        matches = []
    name = matches[0].get("timezone") if matches else None
    if name:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    return fallback


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def provider_sign_up(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    practice_name: str,
    npi: str,
    phone,
    fax=None,
) -> ReferringProvider:
    """Creates an unverified provider account; a clinic admin verifies it later.
    Raises ApplicationError when the e-mail or NPI is already registered."""
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise ApplicationError("An account with this e-mail already exists.", field="email")
        if ReferringProvider.objects.filter(npi=npi).exists():
            raise ApplicationError("This NPI is already registered. Sign in instead.", field="npi")
        user = User.objects.create_user(
            email=email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            role=Role.PROVIDER,
        )
        return ReferringProvider.objects.create(
            user=user,
            practice_name=practice_name,
            npi=npi,
            phone=phone,
            fax=fax or "",
        )


def providers_verify(*, providers, verified_by: User) -> int:
    """Marks providers as verified (admin action). Returns how many changed."""
    return providers.filter(verified_at__isnull=True).update(
        verified_at=timezone.now(), verified_by=verified_by
    )


def api_token_create(*, provider: ReferringProvider, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and the plain key, which is shown once and never stored."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        provider=provider,
        name=name or "EHR",
        prefix=key[:8],
        key_hash=hashlib.sha256(key.encode()).hexdigest(),
    )
    return token, key


def api_token_revoke(*, provider: ReferringProvider, token_id: int) -> None:
    updated = ApiToken.objects.filter(
        provider=provider, pk=token_id, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:
        raise ApplicationError("That key does not exist or is already revoked.")


def _next_reference() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('intake_referral_reference_seq')")
        (number,) = cursor.fetchone()
    return f"R-{timezone.localdate().year}-{number:05d}"


def _link_possible_duplicates(referral: Referral) -> None:
    since = timezone.now() - DUPLICATE_WINDOW
    candidates = (
        Referral.objects.filter(created_at__gte=since, date_of_birth=referral.date_of_birth)
        .filter(
            Q(mobile_phone=referral.mobile_phone)
            | Q(patient_name_normalised=referral.patient_name_normalised)
        )
        .exclude(pk=referral.pk)
    )
    for other in candidates:
        reason = (
            PossibleDuplicate.Reason.DOB_AND_PHONE
            if other.mobile_phone == referral.mobile_phone
            else PossibleDuplicate.Reason.DOB_AND_NAME
        )
        PossibleDuplicate.objects.create(referral=referral, other=other, reason=reason)
        PossibleDuplicate.objects.get_or_create(
            referral=other, other=referral, defaults={"reason": reason}
        )


def referral_submit(
    *,
    provider: ReferringProvider,
    data: dict,
    attachments: list | None = None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> tuple[Referral, bool]:
    """Records a referral with its attachments, its first history entry and an open intake case,
    all in one transaction (the database counts it in the provider's referral_count: intake
    0018), and links possible duplicates for the coordinator.

    `data` is already validated (ReferralForm or the API serializer, which share the rules).
    Returns (referral, created). With an idempotency key already used by this provider, returns
    the first referral and created=False; raises ApplicationError if that key came with a
    different request. The provider's confirmation e-mail is queued in the same transaction.
    """
    attachments = attachments or []
    if idempotency_key:
        existing = Referral.objects.filter(
            provider=provider, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            return _replayed(existing, fingerprint), False
    try:
        validate_attachments(attachments)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), field="attachments") from exc

    try:
        with transaction.atomic():
            referral = _referral_record(
                provider=provider,
                data=data,
                attachments=attachments,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
            )
    except IntegrityError:
        # Two retries with the same key raced each other; the first one won.
        if idempotency_key:
            existing = Referral.objects.filter(
                provider=provider, idempotency_key=idempotency_key
            ).first()
            if existing is not None:
                return _replayed(existing, fingerprint), False
        raise
    except ValidationError as exc:
        raise ApplicationError("; ".join(exc.messages)) from exc

    logger.info("referral %s received from provider %s", referral.pk, provider.pk)
    return referral, True


def _referral_record(
    *,
    provider: ReferringProvider,
    data: dict,
    attachments: list,
    idempotency_key: str | None,
    fingerprint: str,
) -> Referral:
    """The writes of referral_submit, inside its transaction: the referral, its first history
    entry, its attachments, its open intake case, its possible duplicates and the provider's
    confirmation e-mail."""
    location = data["preferred_location"]
    referral = Referral(
        provider=provider,
        reference=_next_reference(),
        patient_name_normalised=normalise_name(
            data["patient_first_name"], data["patient_last_name"]
        ),
        patient_time_zone=time_zone_for_zip(data["zip_code"], location.time_zone),
        idempotency_key=idempotency_key or None,
        request_fingerprint=fingerprint,
        **data,
    )
    referral.full_clean(exclude=["patient_time_zone"])
    referral.save()
    ReferralStatusChange.objects.create(
        referral=referral, to_status=ReferralStatus.RECEIVED, changed_by=provider.user
    )
    for upload in attachments:
        content_type = validate_attachments([upload])[0]
        ReferralAttachment.objects.create(
            referral=referral,
            file=upload,
            original_name=display_file_name(upload.name, content_type),
            content_type=content_type,
            size=upload.size,
            sha256=sha256_of(upload),
        )
    IntakeCase.objects.create(
        referral=referral,
        time_zone=referral.patient_time_zone,
        urgent=referral.urgency == "urgent",
        next_attempt_at=referral.created_at,
    )
    _link_possible_duplicates(referral)
    referral_received_email_queue(referral=referral)
    return referral


def _replayed(existing: Referral, fingerprint: str) -> Referral:
    if fingerprint and existing.request_fingerprint and fingerprint != existing.request_fingerprint:
        raise ApplicationError(
            "This Idempotency-Key was already used for a different referral. "
            "Use a new key for a new referral.",
            code="idempotency_conflict",
        )
    return existing


def referral_set_status(
    *, referral: Referral, status: str, reason: str = "", changed_by: User | None = None
) -> Referral:
    """Moves a referral along its pipeline and records the change in its history.
    Raises ApplicationError for a move the pipeline does not allow or a missing reason."""
    with transaction.atomic():
        # Row lock: intake and scheduling may both move the same referral at once.
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        _referral_move(locked, status=status, reason=reason, changed_by=changed_by)
    referral.status, referral.status_reason = locked.status, locked.status_reason
    return locked


def _referral_move(
    locked: Referral, *, status: str, reason: str = "", changed_by: User | None = None
) -> ReferralStatusChange | None:
    """referral_set_status on a referral the caller has locked (FOR UPDATE). Returns the
    history row written, or None when it already had that status."""
    if status == locked.status:
        return None
    if status not in REFERRAL_TRANSITIONS[locked.status]:
        raise ApplicationError(
            f"A referral that is '{locked.get_status_display()}' cannot become "
            f"'{ReferralStatus(status).label}'."
        )
    if status in STATUSES_NEEDING_REASON and not reason.strip():
        raise ApplicationError("Give a reason for this status.", field="reason")
    change = ReferralStatusChange.objects.create(
        referral=locked,
        from_status=locked.status,
        to_status=status,
        reason=reason.strip(),
        changed_by=changed_by,
    )
    locked.status = status
    locked.status_reason = reason.strip()
    locked.save(update_fields=["status", "status_reason", "updated_at"])
    return change


def referral_follow_course(
    *, course, status: ReferralStatus, changed_by: User | None = None
) -> None:
    """The referral of a course moves along with it (scheduled, in treatment, course complete),
    so the referring provider can follow it; they are e-mailed when it is scheduled and when it
    is complete. Nothing changes when the referral is already there or further along (a second
    booking, say), or when the course has no referral (made by hand). Called by intake's
    handlers of scheduling's events (intake/handlers.py)."""
    # Row lock, as referral_set_status takes it (intake and scheduling may both move the same
    # referral), at the first read: the provider and their user come along for the e-mail.
    referral = one_or_none(  # one referral per course at most
        Referral.objects.select_related("provider__user")
        .select_for_update(of=("self",))
        .filter(course=course)
    )
    if referral is None:
        return
    if status == referral.status or status not in REFERRAL_TRANSITIONS[referral.status]:
        return
    # Moved here without referral_set_status's savepoint: the move was just checked under the
    # lock, and any error undoes the whole booking anyway.
    change = _referral_move(referral, status=status, changed_by=changed_by)
    if status in (ReferralStatus.SCHEDULED, ReferralStatus.COURSE_COMPLETE):
        referral_status_email_queue(referral=referral, change=change)
