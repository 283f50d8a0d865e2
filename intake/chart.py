"""The patient chart: everything the clinic holds about one person, gathered for one page.

A read across every app (intake, scheduling, billing, messaging), so it lives in intake, the
highest domain app, and only reads. A fixed number of queries whatever the history: each
relation is fetched once, the long lists as values() rows with the fields the page shows
(pinned in tests/intake/test_query_counts.py)."""

from dataclasses import dataclass, field

from django.db.models import F
from django.http import Http404
from django.utils import timezone

from billing.models import Estimate, GfeObligation
from billing.payments.selectors import Ledger, ledger_for_patient
from clinic.messaging.models import ContactConsent, InboundReply, Message
from clinic.models import PatientProfile, Role, User
from outcomes.selectors import OutcomeSummary, outcome_summary, plan_for_patient
from scheduling.models import Course, CourseStatusChange, InfusionSession, SessionStatusChange

from .models import (
    CallAttempt,
    PatientInvitation,
    PossibleDuplicate,
    Referral,
    ReferralAttachment,
    ReferralStatusChange,
)
from .selectors import reference_possible

# The chart shows the newest messages and replies; the Outbox holds the rest.
CHART_MESSAGES = 30
CHART_REPLIES = 20


@dataclass
class Chart:
    """One person: a patient account, or a referral before intake made one.

    The lists a page shows many rows of (histories, calls, sessions, consents, messages) are
    plain rows (dicts) with their labels already made: the chart read every one as a model
    instance, and each get_FOO_display() translated the field's every choice again."""

    patient: User | None
    profile: PatientProfile | None
    referrals: list[Referral]
    courses: list[Course] = field(default_factory=list)
    estimates: list[Estimate] = field(default_factory=list)
    obligations: list[GfeObligation] = field(default_factory=list)
    consents: list[dict] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    replies: list[dict] = field(default_factory=list)
    invitations: list[dict] = field(default_factory=list)
    outcomes: OutcomeSummary | None = None
    payments: Ledger | None = None

    @property
    def referral(self) -> Referral | None:
        """The newest referral: its contact details head the page."""
        return self.referrals[0] if self.referrals else None

    @property
    def name(self) -> str:
        if self.patient is not None:
            return self.patient.get_full_name() or str(self.patient)
        return self.referral.patient_name if self.referral else ""

    @property
    def language(self) -> str:
        if self.patient is not None:
            return self.patient.preferred_language
        return self.referral.preferred_language if self.referral else "en"

    @property
    def current_consents(self) -> list[dict]:
        """The newest answer for each address and channel (the rows come newest first)."""
        seen, current = set(), []
        for consent in self.consents:
            key = (consent["address"], consent["channel"])
            if key not in seen:
                seen.add(key)
                current.append(consent)
        return current


def _labels(model, name: str) -> dict[str, str]:
    """A choice field's labels in the active language, each translated once for the page."""
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


def _full_name(first: str | None, last: str | None) -> str:
    """User.get_full_name() of a row read as values()."""
    return f"{first or ''} {last or ''}".strip()


def _grouped(rows, key: str) -> dict[int, list[dict]]:
    groups: dict[int, list[dict]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return groups


def _referrals():
    return Referral.objects.select_related("provider__user", "preferred_location", "intake_case")


def _referral_rows(referrals: list[Referral]) -> list[Referral]:
    """Each referral's documents, status history, possible duplicates and call attempts (newest
    first), as plain rows on the referral: four queries whatever their number."""
    ids = [r.pk for r in referrals]
    attachments = _grouped(
        ReferralAttachment.objects.filter(referral_id__in=ids)
        .order_by("pk")
        .values("pk", "referral_id", "original_name", "size"),
        "referral_id",
    )
    statuses = _labels(ReferralStatusChange, "to_status")
    history = _grouped(
        ReferralStatusChange.objects.filter(referral_id__in=ids)
        .order_by("changed_at", "pk")
        .values("referral_id", "to_status", "changed_at", "reason"),
        "referral_id",
    )
    reasons = _labels(PossibleDuplicate, "reason")
    duplicates = _grouped(
        PossibleDuplicate.objects.filter(referral_id__in=ids)
        .order_by("pk")
        .values("referral_id", "reason", other_reference=F("other__reference")),
        "referral_id",
    )
    outcomes = _labels(CallAttempt, "outcome")
    cases = [r.intake_case.pk for r in referrals if r.intake_case is not None]
    attempts = _grouped(
        CallAttempt.objects.filter(case_id__in=cases)
        .order_by("-created_at", "-pk")
        .values(
            *("case_id", "outcome", "created_at", "callback_at", "reason", "notes"),
            *("coordinator__first_name", "coordinator__last_name"),
        ),
        "case_id",
    )
    for r in referrals:
        r.attachment_rows = attachments.get(r.pk, [])
        r.history_rows = history.get(r.pk, [])
        for row in r.history_rows:
            row["label"] = statuses.get(row["to_status"], row["to_status"])
        r.duplicate_rows = duplicates.get(r.pk, [])
        for row in r.duplicate_rows:
            row["label"] = reasons.get(row["reason"], row["reason"])
        r.attempt_rows = attempts.get(r.intake_case.pk, []) if r.intake_case else []
        for row in r.attempt_rows:
            row["label"] = outcomes.get(row["outcome"], row["outcome"])
            row["coordinator"] = _full_name(
                row["coordinator__first_name"], row["coordinator__last_name"]
            )
    return referrals


def chart_for_patient(*, pk: int) -> Chart:
    """A patient's whole chart; 404 for anyone who is not a patient."""
    patient = (
        User.objects.select_related("patient_profile").filter(pk=pk, role=Role.PATIENT).first()
    )
    if patient is None:
        raise Http404("No such patient")
    try:
        profile = patient.patient_profile
    except PatientProfile.DoesNotExist:
        profile = None
    referrals = list(_referrals().filter(patient=patient).order_by("-created_at", "-pk"))
    return Chart(
        patient=patient,
        profile=profile,
        referrals=_referral_rows(referrals),
        courses=_courses(patient),
        estimates=list(
            Estimate.objects.filter(patient=patient)
            .select_related("acknowledgement")
            .order_by("-version")
        ),
        obligations=list(
            GfeObligation.objects.filter(patient=patient)
            .select_related("met_by")
            .order_by("-triggered_at", "-pk")
        ),
        consents=_consents(patient),
        messages=_messages(patient),
        replies=_replies(patient),
        invitations=list(
            PatientInvitation.objects.filter(patient=patient)
            .order_by("-created_at", "-pk")
            .values("created_at", "used_at", "revoked_at", "expires_at")
        ),
        outcomes=_outcomes(patient),
        payments=ledger_for_patient(patient=patient),
    )


def _consents(patient: User) -> list[dict]:
    channels, sources = _labels(ContactConsent, "channel"), _labels(ContactConsent, "source")
    rows = list(
        ContactConsent.objects.filter(user=patient)
        .order_by("-at", "-pk")
        .values(
            *("address", "channel", "granted", "source", "note", "at"),
            *("recorded_by_id", "recorded_by__first_name", "recorded_by__last_name"),
        )
    )
    for row in rows:
        row["channel_label"] = channels.get(row["channel"], row["channel"])
        row["source_label"] = sources.get(row["source"], row["source"])
        row["recorded_by"] = _full_name(
            row["recorded_by__first_name"], row["recorded_by__last_name"]
        )
    return rows


def _messages(patient: User) -> list[dict]:
    channels, statuses = _labels(Message, "channel"), _labels(Message, "status")
    rows = list(
        Message.objects.filter(recipient=patient)
        .order_by("-send_after", "-pk")
        .values("channel", "kind", "status", "status_reason", "sent_at", "send_after")[
            :CHART_MESSAGES
        ]
    )
    for row in rows:
        row["channel_label"] = channels.get(row["channel"], row["channel"])
        row["status_label"] = statuses.get(row["status"], row["status"])
        row["what"] = row["kind"].replace("_", " ").replace("-", " ")
    return rows


def _replies(patient: User) -> list[dict]:
    actions = _labels(InboundReply, "action")
    rows = list(
        InboundReply.objects.filter(user=patient)
        .order_by("-at", "-pk")
        .values(
            *("at", "action", "body", "needs_attention", "handled_at", "handled_by_id"),
            *("handled_by__first_name", "handled_by__last_name"),
        )[:CHART_REPLIES]
    )
    for row in rows:
        row["action_label"] = actions.get(row["action"], row["action"])
        row["handled_by"] = _full_name(row["handled_by__first_name"], row["handled_by__last_name"])
    return rows


def _outcomes(patient: User) -> OutcomeSummary | None:
    plan = plan_for_patient(patient=patient)
    return outcome_summary(plan=plan, now=timezone.now()) if plan else None


def _courses(patient: User) -> list[Course]:
    """The patient's courses, newest first, each with its sessions (and, under each, the changes
    that give a reason) and its own history, as plain rows: four queries."""
    courses = list(
        Course.objects.filter(patient=patient)
        .select_related("location")
        .only(
            *("patient_id", "location_id", "status", "planned_sessions", "created_at"),
            *("location__name", "location__time_zone"),
        )
        .order_by("-created_at", "-pk")
    )
    sessions = list(
        InfusionSession.objects.filter(course__patient=patient)
        .order_by("starts_at", "pk")
        .values(
            *("pk", "course_id", "slot", "starts_at", "status", "confirmed_at", "late_change"),
            chair_name=F("chair__name"),
        )
    )
    session_statuses = _labels(InfusionSession, "status")
    changes = _grouped(
        SessionStatusChange.objects.filter(session__course__patient=patient)
        .exclude(reason="")
        .order_by("changed_at", "pk")
        .values(
            *("session_id", "to_status", "changed_at", "reason", "changed_by_id"),
            *("changed_by__first_name", "changed_by__last_name"),
        ),
        "session_id",
    )
    for s in sessions:
        s["status_label"] = session_statuses.get(s["status"], s["status"])
        s["changes"] = changes.get(s["pk"], [])
        for ch in s["changes"]:
            ch["label"] = session_statuses.get(ch["to_status"], ch["to_status"])
            ch["changed_by"] = _full_name(ch["changed_by__first_name"], ch["changed_by__last_name"])
    course_statuses = _labels(Course, "status")
    history = _grouped(
        CourseStatusChange.objects.filter(course__patient=patient)
        .order_by("changed_at", "pk")
        .values(
            *("course_id", "to_status", "planned_from", "planned_to", "changed_at", "reason"),
            *("changed_by_id", "changed_by__first_name", "changed_by__last_name"),
        ),
        "course_id",
    )
    by_course = _grouped(sessions, "course_id")
    for course in courses:
        course.status_text = course_statuses.get(course.status, course.status)
        course.session_rows = by_course.get(course.pk, [])
        course.history_rows = history.get(course.pk, [])
        for ch in course.history_rows:
            ch["label"] = course_statuses.get(ch["to_status"], "") if ch["to_status"] else ""
            ch["changed_by"] = _full_name(ch["changed_by__first_name"], ch["changed_by__last_name"])
    return courses


def chart_for_referral(*, reference: str) -> Chart:
    """The chart of a referral whose patient has no account yet (a referral that has one
    belongs to its patient's chart: the view sends the reader there)."""
    if not reference_possible(reference):
        raise Http404("No such referral")
    referral = _referrals().filter(reference=reference).first()
    if referral is None:
        raise Http404("No such referral")
    return Chart(patient=None, profile=None, referrals=_referral_rows([referral]))


def referral_patient_id(*, reference: str) -> int | None:
    """Whose chart a referral belongs to, if intake made the patient an account."""
    if not reference_possible(reference):
        return None
    return Referral.objects.filter(reference=reference).values_list("patient_id", flat=True).first()


@dataclass
class IntakeOutcome:
    """What completing intake did, for the coordinator to read at once."""

    patient: User
    invitation_channels: list[tuple[str, str]]  # (channel label, address)
    course: Course | None
    awaits_review: bool


def intake_outcome(*, referral_pk: int) -> IntakeOutcome | None:
    referral = (
        Referral.objects.select_related("patient", "course__location")
        .filter(pk=referral_pk, patient__isnull=False)
        .first()
    )
    if referral is None:
        return None
    invitation = (
        PatientInvitation.objects.filter(patient=referral.patient).order_by("-created_at").first()
    )
    sent = []
    if invitation is not None:
        sent = [
            (m.get_channel_display(), m.to_address)
            for m in Message.objects.filter(
                recipient=referral.patient, topic=f"invitation:{invitation.pk}"
            ).order_by("channel")
        ]
    course = referral.course
    return IntakeOutcome(
        patient=referral.patient,
        invitation_channels=sent,
        course=course,
        awaits_review=bool(course and course.status == "awaiting_review"),
    )
