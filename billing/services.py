"""Writes for billing: issuing estimates (Good Faith Estimates), acknowledging them, and
recording when the clinic comes to owe one."""

import hashlib
import logging
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from clinic.errors import ApplicationError
from clinic.messaging.services import message_schedule
from clinic.models import PatientProfile, Role, User
from scheduling.models import Location, SessionStatus

from .business_days import add_business_days, business_day_before, business_days_between
from .models import (
    Estimate,
    EstimateAcknowledgement,
    EstimateDocument,
    EstimateLine,
    FacilityBillingIdentity,
    GfeObligation,
    GfePaperRequest,
    GfeTrigger,
    validate_icd10,
)
from .pricing import INFUSION, MAX_INFUSIONS, PACKAGE_DISCOUNT, Line, Quote, price_course
from .selectors import location_today, price_list_for

# The rule's timing (45 CFR 149.610): a course scheduled at least 3 business days ahead needs a
# GFE within 1 business day; at least 10 ahead, within 3; a patient's request, within 3.
GFE_MIN_NOTICE = 3
GFE_LONG_NOTICE = 10

# The reasons the portal gives for a new version (stored in English, like every copied field);
# listed here so the catalogue has them and the GFE shows them in its reader's language.
ESTIMATE_REASONS = (
    gettext_noop("Intake complete"),
    gettext_noop("Sessions booked"),
    gettext_noop("Sessions rescheduled"),
    gettext_noop("Sessions cancelled"),
    gettext_noop("Planned infusions changed"),
    gettext_noop("Issued by a coordinator"),
)

# Why a course's GFE is closed when its last booked session goes (stored in English).
NO_SESSION_LEFT = "No session booked any more"

logger = logging.getLogger(__name__)


def estimate_quote(
    *, location: Location, infusion_count: int, on_date: date | None = None
) -> Quote:
    """Prices a course without issuing anything, with the fee schedule in effect on `on_date`
    (default: today at the location). Raises ApplicationError when there is no schedule or the
    count is not 1 to 6."""
    on_date = on_date or location_today(location)
    return price_course(price_list_for(location=location, on_date=on_date), infusion_count)


def _clean_diagnosis_codes(codes: list[str]) -> list[str]:
    cleaned = []
    for code in codes:
        code = code.strip().upper()
        if not code:
            continue
        try:
            validate_icd10(code)
        except ValidationError as exc:
            raise ApplicationError(exc.messages[0], field="diagnosis_codes") from exc
        if code not in cleaned:
            cleaned.append(code)
    if not cleaned:
        raise ApplicationError(
            "A Good Faith Estimate needs at least one diagnosis code.", field="diagnosis_codes"
        )
    return cleaned


def _allocate_number(year: int) -> str:
    # One statement, so two issues at once can never get the same number.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_estimatenumbercounter (year, last_number) VALUES (%s, 1) "
            "ON CONFLICT (year) DO UPDATE SET last_number = "
            "billing_estimatenumbercounter.last_number + 1 RETURNING last_number",
            [year],
        )
        (number,) = cursor.fetchone()
    return f"E-{year}-{number:05d}"


def _lock_patient(patient: User) -> PatientProfile:
    if patient.role != Role.PATIENT:
        raise ApplicationError("Estimates are issued to patients only.")
    # Row lock on the profile serialises everything billing writes for one patient (versions,
    # obligations), so two coordinators issuing at once get v2 and v3, not a clash.
    profile = PatientProfile.objects.select_for_update().filter(user=patient).first()
    if profile is None:
        raise ApplicationError(
            "This patient has no profile (date of birth) yet; complete intake first."
        )
    return profile


def _line_description(line: Line, *, language: str, quote: Quote) -> str:
    """A line's words as the patient reads them, copied at issue like every other value."""
    if line.kind == PACKAGE_DISCOUNT:
        infusions = next(x.amount for x in quote.lines if x.kind == INFUSION)
        with translation.override(language):
            return gettext("Prepaid package discount (%(n)s infusions for %(price)s)") % {
                "n": quote.infusion_count,
                "price": f"${infusions - quote.package_discount:,}",
            }
    if language == "es" and line.description_es:
        return line.description_es[:200]
    return line.description[:200]


def _document_store(estimate: Estimate, *, now: datetime) -> EstimateDocument:
    """Renders the GFE once, in the patient's language, and keeps it with its SHA-256: what the
    patient was given is what every later page and PDF shows."""
    with translation.override(estimate.language):
        html = render_to_string("billing/partials/_gfe_document.html", {"estimate": estimate})
    return EstimateDocument.objects.create(
        estimate=estimate,
        language=estimate.language,
        html=html,
        sha256=hashlib.sha256(html.encode()).hexdigest(),
        created_at=now,
    )


def _notify_patient(estimate: Estimate) -> None:
    """Tells the patient, by their own channel, that a new estimate is in the portal: a link to
    sign in, never an amount or a code. A patient who cannot sign in yet (intake just finished)
    learns of it from their invitation instead."""
    patient = estimate.patient
    if not patient.is_active or not patient.has_usable_password():
        return
    try:
        with transaction.atomic():
            message_schedule(
                recipient=patient,
                kind="estimate_ready",
                send_after=estimate.issued_at,
                context={"link": settings.SITE_URL.rstrip("/") + reverse("billing:my_estimate")},
                topic=f"estimate:{estimate.number}",
                dedupe_key=f"estimate:{estimate.pk}:ready",
            )
    except ApplicationError as exc:
        # A missing message template must not hold back the estimate the law requires; the
        # estimate is on the patient's page either way.
        logger.warning("estimate %s issued; its notice was not queued: %s", estimate.pk, exc)


@transaction.atomic
def estimate_issue(
    *,
    patient: User,
    location: Location,
    infusion_count: int,
    scheduled_starts: list[datetime],
    diagnosis_codes: list[str],
    issued_by: User,
    reason: str,
) -> Estimate:
    """Issues the patient's next estimate version (their Good Faith Estimate) from the location's
    fee schedule in effect on the first scheduled day (or today when nothing is scheduled yet),
    copying every price, code, name and date used. The previous version stays readable and is
    superseded. Meets every open GFE obligation for the patient. Enqueues nothing.

    Raises ApplicationError when the patient has no profile, the location has no billing identity
    or fee schedule, the count is not 1 to 6, there are more dates than infusions, a date is
    naive, or a diagnosis code is not ICD-10-CM."""
    _check_issue(infusion_count=infusion_count, scheduled_starts=scheduled_starts, reason=reason)
    codes = _clean_diagnosis_codes(diagnosis_codes)
    starts = sorted(scheduled_starts)

    profile = _lock_patient(patient)
    identity = _billing_identity(location)
    now = timezone.now()
    tz = location.time_zone
    pricing_day = timezone.localdate(starts[0], tz) if starts else timezone.localdate(now, tz)
    prices = price_list_for(location=location, on_date=pricing_day)
    quote = price_course(prices, infusion_count)

    previous = Estimate.objects.filter(patient=patient).order_by("-version").first()
    if previous is None:
        number, version = _allocate_number(timezone.localdate(now, tz).year), 1
    else:
        number, version = previous.number, previous.version + 1

    try:
        estimate = Estimate.objects.create(
            patient=patient,
            location=location,
            fee_schedule_id=prices.schedule_id,
            number=number,
            version=version,
            issued_at=now,
            issued_by=issued_by,
            reason=reason.strip()[:200],
            language=patient.preferred_language,
            patient_name=patient.get_full_name() or str(patient),
            patient_date_of_birth=profile.date_of_birth,
            location_name=location.name,
            location_address=f"{location.address_line}, {location.city}, "
            f"{location.state} {location.zip_code}",
            location_time_zone=str(tz),
            facility_legal_name=identity.legal_name,
            facility_npi=identity.npi,
            facility_tin=identity.tin,
            provider_name=identity.provider_name,
            provider_npi=identity.provider_npi,
            fee_schedule_effective_date=quote.effective_date,
            primary_service=_line_description(
                next(line for line in quote.lines if line.kind == INFUSION),
                language=patient.preferred_language,
                quote=quote,
            ),
            primary_service_code=quote.primary_service_code,
            infusion_count=infusion_count,
            scheduled_starts=starts,
            diagnosis_codes=codes,
            total_low=quote.total_low,
            total_high=quote.total_high,
            package_discount=quote.package_discount,
            deposit_due=quote.deposit_due,
            late_cancellation_fee=quote.late_cancellation_fee,
        )
    except IntegrityError as exc:  # pragma: no cover - the profile lock makes this unreachable
        raise ApplicationError(
            "Another estimate was issued at the same moment; try again."
        ) from exc
    _lines_store(estimate, quote=quote)
    _document_store(estimate, now=now)
    _obligations_meet(estimate, now=now)
    _notify_patient(estimate)
    return estimate


def _lines_store(estimate: Estimate, *, quote: Quote) -> None:
    """The estimate's priced lines, each described in the patient's language."""
    EstimateLine.objects.bulk_create(
        EstimateLine(
            estimate=estimate,
            position=i,
            kind=line.kind,
            service_code=line.service_code,
            description=_line_description(line, language=estimate.language, quote=quote),
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            optional=line.optional,
        )
        for i, line in enumerate(quote.lines, start=1)
    )


def _check_issue(*, infusion_count: int, scheduled_starts: list[datetime], reason: str) -> None:
    if not 1 <= infusion_count <= MAX_INFUSIONS:
        raise ApplicationError(
            f"A course has 1 to {MAX_INFUSIONS} infusions.", field="infusion_count"
        )
    if any(timezone.is_naive(start) for start in scheduled_starts):
        raise ApplicationError("Scheduled times must carry a time zone.", field="scheduled_starts")
    if len(scheduled_starts) > infusion_count:
        raise ApplicationError(
            "There are more scheduled dates than infusions.", field="scheduled_starts"
        )
    if not reason.strip():
        raise ApplicationError("Say why this estimate is issued.", field="reason")


def _billing_identity(location: Location) -> FacilityBillingIdentity:
    identity = FacilityBillingIdentity.objects.filter(location=location).first()
    if identity is None:
        raise ApplicationError(
            f"{location} has no billing identity (legal name, NPI, TIN) yet. "
            "An admin adds it under Settings → Facility billing identities."
        )
    return identity


def _obligations_meet(estimate: Estimate, *, now: datetime) -> None:
    """Every GFE still owed to the patient that this version satisfies is met by it."""
    for obligation in GfeObligation.objects.owed().filter(
        patient=estimate.patient, triggered_at__lte=now
    ):
        if obligation.is_met_by(estimate):
            obligation.met_by, obligation.met_at, obligation.issue_error = estimate, now, ""
            obligation.save(update_fields=["met_by", "met_at", "issue_error", "updated_at"])


@transaction.atomic
def estimate_acknowledge(*, estimate: Estimate, patient: User) -> EstimateAcknowledgement:
    """Records, with the time, that the patient received their Good Faith Estimate. Saying it
    twice keeps the first time. Raises ApplicationError when it is not the patient's estimate."""
    if estimate.patient_id != patient.pk:
        raise ApplicationError("Only the patient can acknowledge their estimate.")
    ack, _ = EstimateAcknowledgement.objects.get_or_create(
        estimate=estimate,
        defaults={"acknowledged_at": timezone.now(), "acknowledged_by": patient},
    )
    return ack


def gfe_due_after_scheduling(*, scheduled_on: date, first_session_on: date) -> date | None:
    """The last day to issue a GFE for a course scheduled on `scheduled_on` whose first session is
    on `first_session_on`, or None when less than 3 business days' notice (the rule sets no
    deadline then)."""
    notice = business_days_between(scheduled_on, first_session_on)
    if notice < GFE_MIN_NOTICE:
        return None
    return add_business_days(scheduled_on, 1 if notice < GFE_LONG_NOTICE else 3)


def gfe_due_after_request(*, requested_on: date) -> date:
    return add_business_days(requested_on, 3)


@transaction.atomic
def gfe_record_scheduling(
    *,
    patient: User,
    location: Location,
    first_session_start: datetime,
    scheduled_at: datetime | None = None,
    infusion_count: int | None = None,
    scheduled_starts: list[datetime] | None = None,
    course=None,
) -> GfeObligation | None:
    """Notes that a course was scheduled (or its schedule changed), so the clinic owes the
    patient a GFE matching it (`infusion_count` infusions on `scheduled_starts` at `location`)
    by a deadline counted in the location's business days. A GFE still owed for an earlier shape
    of the course now owes this one, by the earlier of the two deadlines (keeping its own when
    the change sets none: an estimate of the old shape would be wrong now). A change to a `course`
    that already owed a GFE, less than 3 business days before its first session, owes a new one
    by the business day before that session (149.610(b)(1)(vii)). Otherwise returns None (and
    records nothing) when the first session is less than 3 business days away."""
    scheduled_at = scheduled_at or timezone.now()
    if timezone.is_naive(first_session_start) or timezone.is_naive(scheduled_at):
        raise ApplicationError("Times must carry a time zone.")
    _lock_patient(patient)
    tz = location.time_zone
    scheduled_on = timezone.localdate(scheduled_at, tz)
    first_session_on = timezone.localdate(first_session_start, tz)
    due = gfe_due_after_scheduling(scheduled_on=scheduled_on, first_session_on=first_session_on)
    if (
        due is None
        and course is not None
        and GfeObligation.objects.filter(course=course, trigger=GfeTrigger.SCHEDULED).exists()
    ):
        due = max(scheduled_on, business_day_before(first_session_on))
    shape = {
        "location": location,
        "first_session_start": first_session_start,
        "infusion_count": infusion_count,
        "scheduled_starts": sorted(scheduled_starts) if scheduled_starts is not None else None,
    }
    if course is not None:
        shape["course"] = course
    owed = (
        GfeObligation.objects.owed().filter(patient=patient, trigger=GfeTrigger.SCHEDULED).first()
    )
    if owed is not None:
        for field, value in shape.items():
            setattr(owed, field, value)
        if due is not None:
            owed.due_on = min(owed.due_on, due)
        owed.save()
        return owed
    if due is None:
        return None
    return GfeObligation.objects.create(
        patient=patient,
        trigger=GfeTrigger.SCHEDULED,
        triggered_at=scheduled_at,
        due_on=due,
        **shape,
    )


@transaction.atomic
def gfe_record_request(
    *, patient: User, location: Location, requested_at: datetime | None = None
) -> GfeObligation:
    """Notes that the patient asked for a Good Faith Estimate: due within 3 business days. Asking
    again while one is still owed returns the open request instead of adding another."""
    requested_at = requested_at or timezone.now()
    _lock_patient(patient)
    open_request = (
        GfeObligation.objects.owed().filter(patient=patient, trigger=GfeTrigger.REQUESTED).first()
    )
    if open_request is not None:
        return open_request
    return GfeObligation.objects.create(
        patient=patient,
        location=location,
        trigger=GfeTrigger.REQUESTED,
        triggered_at=requested_at,
        due_on=gfe_due_after_request(
            requested_on=timezone.localdate(requested_at, location.time_zone)
        ),
    )


def _course_starts(course) -> list[datetime]:
    return sorted(
        course.sessions.filter(
            status__in=[SessionStatus.BOOKED, SessionStatus.CHECKED_IN, SessionStatus.COMPLETED]
        ).values_list("starts_at", flat=True)
    )


def estimate_issue_for_course(
    *, course, issued_by: User, reason: str, raise_errors: bool = False
) -> Estimate | None:
    """Issues the next estimate version from a course as it stands now: its location, planned
    infusions and the dates booked so far. Called when the booked dates change, so the Good Faith
    Estimate always lists the scheduled dates. When it cannot be issued (no fee schedule, no
    billing identity, no diagnosis code...), the booking still goes ahead: the reason is written
    on every GFE still owed to the patient, where coordinators see it, and None is returned (or,
    with raise_errors, the ApplicationError is raised after the reason is recorded). The
    diagnosis codes are the course's own, copied from its referral when intake opened it."""
    try:
        with transaction.atomic():
            return estimate_issue(
                patient=course.patient,
                location=course.location,
                infusion_count=course.planned_sessions,
                scheduled_starts=_course_starts(course),
                diagnosis_codes=list(course.diagnosis_codes),
                issued_by=issued_by,
                reason=reason,
            )
    except ApplicationError as exc:
        logger.warning("no estimate issued for course %s: %s", course.pk, exc.message)
        GfeObligation.objects.owed().filter(patient=course.patient).update(
            issue_error=str(exc.message)[:300], updated_at=timezone.now()
        )
        if raise_errors:
            raise
        return None


def gfe_record_course_change(*, course, issued_by: User, reason: str) -> Estimate | None:
    """The course changed (sessions booked, moved or cancelled, or a different number of
    infusions planned): the clinic owes a GFE that matches it, and issues one at once when it
    can. When no session is booked any more, the GFE owed for the dates there were is no longer
    required. Call inside the transaction that changes the course."""
    starts = _course_starts(course)
    if not starts:
        _close_owed_for_course(course=course, closed_by=issued_by, reason=NO_SESSION_LEFT)
    else:
        gfe_record_scheduling(
            patient=course.patient,
            location=course.location,
            first_session_start=starts[0],
            infusion_count=course.planned_sessions,
            scheduled_starts=starts,
            course=course,
        )
    return estimate_issue_for_course(course=course, issued_by=issued_by, reason=reason)


@transaction.atomic
def gfe_close_for_cancelled_course(*, course, closed_by: User, reason: str) -> list[GfeObligation]:
    """The course was cancelled: the GFE still owed for it (as scheduled) is no longer required.
    It is closed, not deleted, with who closed it and why, and stays on the Estimates page and in
    the course history. A GFE the patient asked for stays owed: the right to one does not depend
    on a course. Call inside the cancelling transaction. Returns the obligations closed."""
    text = f"Course cancelled: {reason.strip()}" if reason.strip() else "Course cancelled"
    return _close_owed_for_course(course=course, closed_by=closed_by, reason=text)


def _close_owed_for_course(*, course, closed_by: User, reason: str) -> list[GfeObligation]:
    # The same row lock as every other billing write for this patient (none without a profile).
    PatientProfile.objects.select_for_update().filter(user_id=course.patient_id).first()
    owed = list(
        GfeObligation.objects.owed().filter(
            patient_id=course.patient_id, trigger=GfeTrigger.SCHEDULED
        )
    )
    now = timezone.now()
    for obligation in owed:
        obligation.closed_at, obligation.closed_by = now, closed_by
        obligation.closed_reason, obligation.course = reason[:300], course
        obligation.save(
            update_fields=["closed_at", "closed_by", "closed_reason", "course", "updated_at"]
        )
    return owed


@transaction.atomic
def gfe_request_paper(*, estimate: Estimate, patient: User) -> GfePaperRequest:
    """The patient asks for their GFE on paper; staff see the request on the estimates page.
    Asking again before it is printed returns the open request."""
    if estimate.patient_id != patient.pk:
        raise ApplicationError("Only the patient can ask for a paper copy of their estimate.")
    open_request = GfePaperRequest.objects.filter(
        estimate=estimate, printed_at__isnull=True
    ).first()
    if open_request is not None:
        return open_request
    return GfePaperRequest.objects.create(
        estimate=estimate, requested_by=patient, requested_at=timezone.now()
    )


@transaction.atomic
def gfe_paper_mark_printed(*, request: GfePaperRequest, by: User) -> GfePaperRequest:
    """Staff printed and posted the paper copy."""
    if by.role not in (Role.COORDINATOR, Role.ADMIN):
        raise ApplicationError("Only clinic staff print estimates.")
    request = GfePaperRequest.objects.select_for_update().get(pk=request.pk)
    if request.printed_at is None:
        request.printed_at, request.printed_by = timezone.now(), by
        request.save(update_fields=["printed_at", "printed_by"])
    return request
