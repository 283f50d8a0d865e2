"""When the clinic owes a patient a Good Faith Estimate (45 CFR 149.610): obligations recorded as
courses are scheduled, changed or cancelled and as patients ask, met by the estimates issued for
them; and paper copies on request."""

import logging
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from clinic.errors import ApplicationError
from clinic.models import PatientProfile, Role, User
from scheduling.models import Course, Location, SessionStatus

from ..business_days import add_business_days, business_day_before, business_days_between
from ..models import Estimate, GfeObligation, GfePaperRequest, GfeTrigger
from .estimates import _estimate_prepare, _estimate_write, _lock_patient

# The rule's timing (45 CFR 149.610): a course scheduled at least 3 business days ahead needs a
# GFE within 1 business day; at least 10 ahead, within 3; a patient's request, within 3.
GFE_MIN_NOTICE = 3
GFE_LONG_NOTICE = 10

# Why a course's GFE is closed when its last booked session goes (stored in English).
NO_SESSION_LEFT = "No session booked any more"

# The estimate's reason when nothing recorded one (an obligation owed before reasons were kept).
SCHEDULE_CHANGED = "Sessions booked"

logger = logging.getLogger(__name__)


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
    return _record_scheduling(
        patient=patient,
        location=location,
        first_session_start=first_session_start,
        scheduled_at=scheduled_at,
        infusion_count=infusion_count,
        scheduled_starts=scheduled_starts,
        course=course,
    )


def _record_scheduling(
    *,
    patient: User,
    location: Location,
    first_session_start: datetime,
    scheduled_at: datetime | None = None,
    infusion_count: int | None = None,
    scheduled_starts: list[datetime] | None = None,
    course=None,
    profile: PatientProfile | None = None,
    owed_now: list[GfeObligation] | None = None,
    reason: str = "",
    changed_by: User | None = None,
) -> GfeObligation | None:
    """gfe_record_scheduling inside the caller's transaction, without a savepoint of its own: a
    booking's handler, where any error undoes the booking whole (two statements fewer).
    `profile`: the patient's, already locked by the caller. `owed_now`: every GFE still owed to
    the patient (read under that lock): the one owed for the course is taken from it,
    and one created here is added to it, for the estimate that follows to meet. `reason` and
    `changed_by`: the change that owes it, kept on the row for the estimate issued after the
    commit (a reason from ESTIMATE_REASONS)."""
    scheduled_at = scheduled_at or timezone.now()
    if timezone.is_naive(first_session_start) or timezone.is_naive(scheduled_at):
        raise ApplicationError("Times must carry a time zone.")
    _lock_patient(patient, profile)
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
    if reason:
        # The last attempt's error was about the course as it was; the estimate for this shape
        # is still to be tried (after the commit, or by beat's sweep).
        shape.update(reason=reason[:200], changed_by=changed_by, issue_error="")
    if owed_now is None:
        owed = (
            GfeObligation.objects.owed()
            .filter(patient=patient, trigger=GfeTrigger.SCHEDULED)
            .first()
        )
    else:
        owed = next((o for o in owed_now if o.trigger == GfeTrigger.SCHEDULED), None)
    if owed is not None:
        for field, value in shape.items():
            setattr(owed, field, value)
        if due is not None:
            owed.due_on = min(owed.due_on, due)
        owed.save()
        if owed_now is not None:
            owed_now.sort(key=_owed_order)  # its due day may be earlier now
        return owed
    if due is None:
        return None
    created = GfeObligation.objects.create(
        patient=patient,
        trigger=GfeTrigger.SCHEDULED,
        triggered_at=scheduled_at,
        due_on=due,
        **shape,
    )
    if owed_now is not None:
        owed_now.append(created)
        owed_now.sort(key=_owed_order)
    return created


def _owed_order(obligation: GfeObligation):
    return (obligation.due_on, obligation.triggered_at)


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
    *,
    course,
    issued_by: User,
    reason: str,
    raise_errors: bool = False,
    starts: list[datetime] | None = None,
    profile: PatientProfile | None = None,
    document_after_commit: bool = False,
    owed_now: list[GfeObligation] | None = None,
) -> Estimate | None:
    """Issues the next estimate version from a course as it stands now: its location, planned
    infusions and the dates booked so far (a coordinator's "Issue GFE now", at once). When it
    cannot be issued (no fee schedule, no billing identity, no diagnosis code...), the reason is
    written on every GFE still owed to the patient, where coordinators see it, and None is
    returned (or, with raise_errors, the ApplicationError is raised after the reason is
    recorded). The diagnosis codes are the course's own, copied from its referral when intake
    opened it. `starts` (the course's booked starts) and `profile` (locked) are passed by a
    caller that has them; `document_after_commit` stores the document after the caller's
    commit; `owed_now`, the GFEs still owed to the patient as the caller holds them under the
    patient's lock."""
    return _issue_for_course(
        course=course,
        location=course.location,
        infusion_count=course.planned_sessions,
        starts=_course_starts(course) if starts is None else starts,
        issued_by=issued_by,
        reason=reason,
        raise_errors=raise_errors,
        profile=profile,
        document_after_commit=document_after_commit,
        owed_now=owed_now,
    )


def _issue_for_course(
    *,
    course,
    location: Location,
    infusion_count: int,
    starts: list[datetime],
    issued_by: User,
    reason: str,
    raise_errors: bool = False,
    profile: PatientProfile | None = None,
    document_after_commit: bool = False,
    owed_now: list[GfeObligation] | None = None,
) -> Estimate | None:
    # No savepoint: every refusal comes from the checks and reads before anything is written
    # (_estimate_prepare), so catching one leaves nothing to undo.
    with transaction.atomic(savepoint=False):
        try:
            issue = _estimate_prepare(
                patient=course.patient,
                location=location,
                infusion_count=infusion_count,
                scheduled_starts=starts,
                diagnosis_codes=list(course.diagnosis_codes),
                issued_by=issued_by,
                reason=reason,
                profile=profile,
            )
        except ApplicationError as exc:
            error = exc
        else:
            return _estimate_write(
                issue, document_after_commit=document_after_commit, owed_now=owed_now
            )
        logger.warning("no estimate issued for course %s: %s", course.pk, error.message)
        GfeObligation.objects.owed().filter(patient=course.patient).update(
            issue_error=str(error.message)[:300], updated_at=timezone.now()
        )
    if raise_errors:
        raise error
    return None


def gfe_record_course_change(
    *,
    course,
    issued_by: User,
    reason: str,
    starts: list[datetime] | None = None,
    profile: PatientProfile | None = None,
) -> GfeObligation | None:
    """The course changed (sessions booked, moved or cancelled, or a different number of
    infusions planned): the clinic owes a GFE that matches it, recorded here with its deadline
    (the obligation row, with `reason` and `issued_by` as the change that owes it). When no
    session is booked any more, the GFE owed for the dates there were is no longer required.
    Call inside the transaction that changes the course; `starts` (its booked starts, as the
    event tells them) and `profile` (the patient's, locked) save reading them again.

    The estimate itself is issued after the commit: the caller (billing.handlers) enqueues
    billing.tasks.issue_course_estimate (estimate_issue_after_course_change), and beat's
    issue-owed-estimates issues any whose task was lost. Seconds after scheduling is well inside
    the 1 or 3 business days that 45 CFR 149.610(b)(1)(vi) allows. Returns the obligation owed
    for the course, if any."""
    starts = _course_starts(course) if starts is None else sorted(starts)
    owed = None
    if not starts:
        _close_owed_for_course(course=course, closed_by=issued_by, reason=NO_SESSION_LEFT)
    else:
        owed = _record_scheduling(
            patient=course.patient,
            location=course.location,
            first_session_start=starts[0],
            infusion_count=course.planned_sessions,
            scheduled_starts=starts,
            course=course,
            profile=profile,
            reason=reason,
            changed_by=issued_by,
        )
    return owed


def _matches(estimate: Estimate | None, course, starts: list[datetime]) -> bool:
    return (
        estimate is not None
        and estimate.location_id == course.location_id
        and estimate.infusion_count == course.planned_sessions
        and sorted(estimate.scheduled_starts) == starts
    )


def estimate_issue_after_course_change(
    *, course_id: int, reason: str = "", issued_by_id: int | None = None
) -> Estimate | None:
    """After a course change commits (billing.tasks.issue_course_estimate, or beat's sweep when
    that task was lost): issues the patient's next estimate version, in its own transaction
    under the patient's profile lock (the lock every billing write for the patient and every
    course change's handler take, so it sees the course as last committed).

    When a GFE is owed for the course, the version issued is the course as that obligation
    records it (its last change: location, infusions, dates), with the reason and author
    recorded there, so it meets it; two changes before this runs give one version covering
    both. With none owed (a change less than 3 business days ahead, or every session
    cancelled), a version from the course as it stands, with `reason` and `issued_by_id`,
    unless the patient's latest estimate already matches it. So running twice, or after the
    sweep, issues nothing more. Its document is stored in the same transaction (no request
    waits on it here). A refusal (no fee schedule...) is written on what is owed, for
    coordinators, and None returned."""
    with transaction.atomic():
        course = Course.objects.select_related("patient", "location").filter(pk=course_id).first()
        if course is None:
            return None
        profile = (
            PatientProfile.objects.select_for_update().filter(user_id=course.patient_id).first()
        )
        if profile is None:
            return None
        owed_now = list(
            GfeObligation.objects.owed()
            .filter(patient_id=course.patient_id)
            .select_related("location", "changed_by")
        )
        owed = next(
            (o for o in owed_now if o.trigger == GfeTrigger.SCHEDULED and o.course_id == course.pk),
            None,
        )
        if owed is not None:
            estimate = _issue_for_course(
                course=course,
                location=owed.location,
                infusion_count=owed.infusion_count or course.planned_sessions,
                starts=sorted(owed.scheduled_starts or []),
                issued_by=owed.changed_by or course.patient,
                reason=owed.reason or reason or SCHEDULE_CHANGED,
                profile=profile,
                owed_now=owed_now,
            )
            if estimate is not None and owed.met_by_id is None:
                # Never expected (it was made to meet it); said on the row, so that beat's
                # sweep does not issue a version a minute for it.
                owed.issue_error = f"Estimate {estimate} does not meet it; issue it by hand."
                owed.save(update_fields=["issue_error", "updated_at"])
            return estimate
        starts = _course_starts(course)
        latest = Estimate.objects.filter(patient_id=course.patient_id).order_by("-version").first()
        if _matches(latest, course, starts):
            return None
        issued_by = User.objects.filter(pk=issued_by_id).first() if issued_by_id else None
        return _issue_for_course(
            course=course,
            location=course.location,
            infusion_count=course.planned_sessions,
            starts=starts,
            issued_by=issued_by or course.patient,
            reason=reason or SCHEDULE_CHANGED,
            profile=profile,
            owed_now=owed_now,
        )


def courses_owed_an_estimate() -> list[int]:
    """Courses whose GFE is owed and was not tried since their last change (its task lost:
    Redis down, a worker died), oldest deadline first: the obligation row is the truth of what
    must be issued, the task only a wake-up. Beat's issue-owed-estimates issues them."""
    return list(
        dict.fromkeys(
            GfeObligation.objects.owed()
            .filter(trigger=GfeTrigger.SCHEDULED, course__isnull=False, issue_error="")
            .order_by("due_on", "triggered_at")
            .values_list("course_id", flat=True)
        )
    )


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
