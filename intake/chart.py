"""The patient chart: everything the clinic holds about one person, gathered for one page.

A read across every app (intake, scheduling, billing, messaging), so it lives in intake, the
highest domain app, and only reads. A fixed number of queries whatever the history: each
relation is fetched once with select_related/prefetch_related (pinned in
tests/intake/test_query_counts.py)."""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone

from billing.models import Estimate, GfeObligation
from billing.payments.selectors import Ledger, ledger_for_patient
from clinic.messaging.models import ContactConsent, InboundReply, Message
from clinic.models import PatientProfile, Role, User
from outcomes.selectors import OutcomeSummary, outcome_summary, plan_for_patient
from scheduling.models import Course, CourseStatusChange, InfusionSession, SessionStatusChange

from .models import CallAttempt, PatientInvitation, Referral
from .selectors import reference_possible

# The chart shows the newest messages and replies; the Outbox holds the rest.
CHART_MESSAGES = 30
CHART_REPLIES = 20


@dataclass
class Chart:
    """One person: a patient account, or a referral before intake made one."""

    patient: User | None
    profile: PatientProfile | None
    referrals: list[Referral]
    courses: list[Course] = field(default_factory=list)
    estimates: list[Estimate] = field(default_factory=list)
    obligations: list[GfeObligation] = field(default_factory=list)
    consents: list[ContactConsent] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    replies: list[InboundReply] = field(default_factory=list)
    invitations: list[PatientInvitation] = field(default_factory=list)
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
    def current_consents(self) -> list[ContactConsent]:
        """The newest answer for each address and channel (the rows come newest first)."""
        seen, current = set(), []
        for consent in self.consents:
            key = (consent.address, consent.channel)
            if key not in seen:
                seen.add(key)
                current.append(consent)
        return current


def _referrals():
    return Referral.objects.select_related(
        "provider__user", "preferred_location", "intake_case"
    ).prefetch_related(
        "attachments",
        "history",
        "duplicate_links__other",
        Prefetch(
            "intake_case__attempts",
            queryset=CallAttempt.objects.select_related("coordinator").order_by("-created_at"),
        ),
    )


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
    return Chart(
        patient=patient,
        profile=profile,
        referrals=list(_referrals().filter(patient=patient).order_by("-created_at", "-pk")),
        courses=list(_courses(patient)),
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
        consents=list(
            ContactConsent.objects.filter(user=patient)
            .select_related("recorded_by")
            .order_by("-at", "-pk")
        ),
        messages=list(
            Message.objects.filter(recipient=patient)
            .defer("body", "attachments")
            .order_by("-send_after", "-pk")[:CHART_MESSAGES]
        ),
        replies=list(
            InboundReply.objects.filter(user=patient)
            .select_related("handled_by")
            .order_by("-at", "-pk")[:CHART_REPLIES]
        ),
        invitations=list(
            PatientInvitation.objects.filter(patient=patient).order_by("-created_at", "-pk")
        ),
        outcomes=_outcomes(patient),
        payments=ledger_for_patient(patient=patient),
    )


def _outcomes(patient: User) -> OutcomeSummary | None:
    plan = plan_for_patient(patient=patient)
    return outcome_summary(plan=plan, now=timezone.now()) if plan else None


def _courses(patient: User):
    """The patient's courses, newest first, with their sessions and both histories."""
    return (
        Course.objects.filter(patient=patient)
        .select_related("location", "session_type")
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=InfusionSession.objects.select_related("chair")
                .prefetch_related(
                    Prefetch(
                        "status_changes",
                        queryset=SessionStatusChange.objects.select_related("changed_by"),
                    )
                )
                .order_by("starts_at", "pk"),
            ),
            Prefetch(
                "status_changes",
                queryset=CourseStatusChange.objects.select_related("changed_by"),
            ),
        )
        .order_by("-created_at", "-pk")
    )


def chart_for_referral(*, reference: str) -> Chart:
    """The chart of a referral whose patient has no account yet (a referral that has one
    belongs to its patient's chart: the view sends the reader there)."""
    if not reference_possible(reference):
        raise Http404("No such referral")
    referral = _referrals().filter(reference=reference).first()
    if referral is None:
        raise Http404("No such referral")
    return Chart(patient=None, profile=None, referrals=[referral])


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
