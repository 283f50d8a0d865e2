"""Issuing estimates (Good Faith Estimates) and acknowledging them: the priced, copied document
the patient reads."""

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from clinic.db import compiled_insert
from clinic.errors import ApplicationError
from clinic.messaging.services import message_schedule
from clinic.models import PatientProfile, Role, User
from scheduling.models import Location

from ..models import (
    Estimate,
    EstimateAcknowledgement,
    EstimateDocument,
    FacilityBillingIdentity,
    GfeObligation,
    validate_icd10,
)
from ..pricing import INFUSION, MAX_INFUSIONS, PACKAGE_DISCOUNT, Line, Quote, price_course
from ..selectors import location_today, price_list_for

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


def _lock_patient(patient: User, profile: PatientProfile | None = None) -> PatientProfile:
    """The patient's profile, locked. `profile`: the caller locked it already in this
    transaction (a handler of a booking locks it once for all billing does)."""
    if patient.role != Role.PATIENT:
        raise ApplicationError("Estimates are issued to patients only.")
    if profile is not None:
        return profile
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
    patient was given is what every later page and PDF shows. The caller holds the estimate
    (just created, or locked with no document yet)."""
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
    # No savepoint: message_schedule refuses a missing template while rendering, before it
    # writes anything, so there is nothing to undo when its ApplicationError is caught.
    try:
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
    return _estimate_write(
        _estimate_prepare(
            patient=patient,
            location=location,
            infusion_count=infusion_count,
            scheduled_starts=scheduled_starts,
            diagnosis_codes=diagnosis_codes,
            issued_by=issued_by,
            reason=reason,
        )
    )


@dataclass(frozen=True)
class _Issue:
    """Everything an estimate is made from, read and checked before anything is written."""

    patient: User
    profile: PatientProfile
    location: Location
    identity: FacilityBillingIdentity
    schedule_id: int
    quote: Quote
    now: datetime
    issued_by: User
    reason: str
    infusion_count: int
    starts: list[datetime]
    codes: list[str]


def _estimate_prepare(
    *,
    patient: User,
    location: Location,
    infusion_count: int,
    scheduled_starts: list[datetime],
    diagnosis_codes: list[str],
    issued_by: User,
    reason: str,
    profile: PatientProfile | None = None,
) -> _Issue:
    """estimate_issue's checks and reads: every ApplicationError it can give comes from here,
    before anything is written (the patient's profile is locked). `profile`: already locked by
    the caller."""
    _check_issue(infusion_count=infusion_count, scheduled_starts=scheduled_starts, reason=reason)
    codes = _clean_diagnosis_codes(diagnosis_codes)
    starts = sorted(scheduled_starts)
    profile = _lock_patient(patient, profile)
    identity = _billing_identity(location)
    now = timezone.now()
    tz = location.time_zone
    pricing_day = timezone.localdate(starts[0], tz) if starts else timezone.localdate(now, tz)
    prices = price_list_for(location=location, on_date=pricing_day)
    return _Issue(
        patient=patient,
        profile=profile,
        location=location,
        identity=identity,
        schedule_id=prices.schedule_id,
        quote=price_course(prices, infusion_count),
        now=now,
        issued_by=issued_by,
        reason=reason,
        infusion_count=infusion_count,
        starts=starts,
        codes=codes,
    )


def _estimate_write(
    issue: _Issue,
    *,
    document_after_commit: bool = False,
    owed_now: list[GfeObligation] | None = None,
) -> Estimate:
    """The estimate prepared: its row and lines, the obligations it meets (from `owed_now`, the
    patient's owed GFEs the caller read under the patient's lock, else read here), the
    patient's notice, and its document, rendered now or, with `document_after_commit`, by a
    task enqueued when the caller's transaction commits (estimate_document_store; beat stores
    any still missing)."""
    now, tz = issue.now, issue.location.time_zone
    number, version = _next_number(issue.patient, year=timezone.localdate(now, tz).year)
    estimate = _estimate_create(issue, number=number, version=version)
    if document_after_commit:
        _document_enqueue(estimate)
    else:
        _document_store(estimate, now=now)
    _obligations_meet(estimate, now=now, owed_now=owed_now)
    _notify_patient(estimate)
    return estimate


def _document_enqueue(estimate: Estimate) -> None:
    # Imported here: tasks.py calls these services (a cycle inside billing, not between floors).
    from ..tasks import store_estimate_document

    store_estimate_document.delay_on_commit(estimate.pk)


@transaction.atomic
def estimate_document_store(*, estimate_id: int) -> EstimateDocument:
    """Stores the document of an estimate issued without one (a booking defers it to after its
    commit), exactly once: the estimate's row lock serialises two stores and the one-to-one
    refuses a second document. Returns the document, the existing one if it was stored."""
    # FOR UPDATE: two workers (the task and beat's sweep) must not both render and insert.
    estimate = Estimate.objects.select_for_update().get(pk=estimate_id)
    existing = EstimateDocument.objects.filter(estimate=estimate).first()
    if existing is not None:
        return existing
    return _document_store(estimate, now=timezone.now())


# How far back beat looks for a document still to store. Older estimates without one were
# issued before documents were kept; pages render those from their copied values.
DOCUMENT_SWEEP = timedelta(days=7)


def estimates_without_document(*, now: datetime | None = None) -> list[int]:
    """Estimates issued lately whose document is still to be stored (its task lost, or not run
    yet), oldest first: the row without a document is the truth, the task only a wake-up."""
    since = (now or timezone.now()) - DOCUMENT_SWEEP
    return list(
        Estimate.objects.filter(document__isnull=True, issued_at__gte=since)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _next_number(patient: User, *, year: int) -> tuple[str, int]:
    """The patient's next (number, version): a new number the first time, then the same number
    one version up. The caller holds the patient's lock."""
    previous = Estimate.objects.filter(patient=patient).order_by("-version").first()
    if previous is None:
        return _allocate_number(year), 1
    return previous.number, previous.version + 1


def _estimate_create(issue: _Issue, *, number: str, version: int) -> Estimate:
    """The estimate row, with a copy of every name, address, identifier and price it shows."""
    patient, location, identity, quote = issue.patient, issue.location, issue.identity, issue.quote
    tz = location.time_zone
    estimate = Estimate(
        patient=patient,
        location=location,
        fee_schedule_id=issue.schedule_id,
        number=number,
        version=version,
        issued_at=issue.now,
        issued_by=issue.issued_by,
        reason=issue.reason.strip()[:200],
        language=patient.preferred_language,
        patient_name=patient.get_full_name() or str(patient),
        patient_date_of_birth=issue.profile.date_of_birth,
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
        infusion_count=issue.infusion_count,
        scheduled_starts=issue.starts,
        diagnosis_codes=issue.codes,
        total_low=quote.total_low,
        total_high=quote.total_high,
        package_discount=quote.package_discount,
        deposit_due=quote.deposit_due,
        late_cancellation_fee=quote.late_cancellation_fee,
    )
    try:
        _insert_with_lines(estimate, quote=quote)
    except IntegrityError as exc:  # pragma: no cover - the profile lock makes this unreachable
        raise ApplicationError(
            "Another estimate was issued at the same moment; try again."
        ) from exc
    return estimate


# The estimate's priced lines join the row just inserted (data-modifying CTEs): one statement,
# all of it or nothing. {insert} is Django's compiled INSERT of the estimate, its values
# parameters.
_WITH_LINES_SQL = """WITH issued AS ({insert}), lines AS (
  INSERT INTO billing_estimateline
    (estimate_id, position, kind, service_code, description, quantity, unit_price, amount, optional)
  SELECT issued.id, l.position, l.kind, l.service_code, l.description, l.quantity, l.unit_price,
         l.amount, l.optional
  FROM issued, UNNEST(%s::smallint[], %s::varchar[], %s::varchar[], %s::varchar[], %s::smallint[],
                      %s::numeric[], %s::numeric[], %s::boolean[])
       AS l(position, kind, service_code, description, quantity, unit_price, amount, optional)
)
SELECT id FROM issued"""


def _insert_with_lines(estimate: Estimate, *, quote: Quote) -> None:
    """INSERT the estimate and its priced lines (each described in the patient's language) in
    one statement; gives `estimate` its id, as Model.save() would."""
    insert_sql, params = compiled_insert([estimate])
    lines = quote.lines
    columns = [
        list(range(1, len(lines) + 1)),
        [line.kind for line in lines],
        [line.service_code for line in lines],
        [_line_description(line, language=estimate.language, quote=quote) for line in lines],
        [line.quantity for line in lines],
        [line.unit_price for line in lines],
        [line.amount for line in lines],
        [line.optional for line in lines],
    ]
    with connection.cursor() as cursor:
        cursor.execute(_WITH_LINES_SQL.format(insert=insert_sql), [*params, *columns])
        (estimate.pk,) = cursor.fetchone()
    estimate._state.adding, estimate._state.db = False, connection.alias


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


def _obligations_meet(
    estimate: Estimate, *, now: datetime, owed_now: list[GfeObligation] | None = None
) -> None:
    """Every GFE still owed to the patient that this version satisfies is met by it.
    `owed_now`: all of them, as the caller holds them under the patient's lock."""
    if owed_now is None:
        owed = GfeObligation.objects.owed().filter(patient=estimate.patient, triggered_at__lte=now)
    else:
        owed = [o for o in owed_now if o.triggered_at <= now]
    for obligation in owed:
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
