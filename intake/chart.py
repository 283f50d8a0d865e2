"""The patient chart: everything the clinic holds about one person, gathered for one page.

A read across every app (intake, scheduling, billing, messaging, outcomes), so it lives in
intake, the highest domain app, and only reads. One statement of plain values whatever the
history: the person, and each section a JSON array of its rows in the page's order (scalar
subqueries, as intake.referral_page reads a referral); the payments, shown through billing's
ledger partial, are read only for a patient who has any. What the page prints is made here
once: labels translated once per language and process, each distinct date or time formatted
once a page, links built from a path kept per process. The same page read through the ORM
(20 reads, a model instance per referral, course, estimate and plan) spent most of its
time compiling queries (bench: 9.3 times the floor; issue 19 allows 2). Pinned in
tests/intake/test_query_counts.py; its text in tests/intake/test_chart_page.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.http import Http404
from django.utils import translation
from phonenumber_field.phonenumber import to_python

from billing.models import GfeObligation
from billing.payments.selectors import Ledger, ledger_for_patient
from clinic.db import execute_prepared
from clinic.formatting import date_formatter
from clinic.messaging.models import ContactConsent, InboundReply, Message
from clinic.models import PatientProfile, Role, User
from clinic.paths import path_with
from outcomes.models import InstrumentResponse, OutcomePlan
from outcomes.selectors import MIDAS_KEY, OutcomeSummary, outcome_summary_of
from scheduling.models import Course, InfusionSession

from .clinical import DIAGNOSIS_DESCRIPTIONS, Contraindication, Preventive
from .models import (
    CallAttempt,
    PatientInvitation,
    PossibleDuplicate,
    Referral,
    referral_status_label,
)
from .selectors import reference_possible

# The chart shows the newest messages and replies; the Outbox holds the rest.
CHART_MESSAGES = 30
CHART_REPLIES = 20

# Each referral, as one JSON array (its documents, history, possible duplicates and call
# attempts nested): the columns _referral() reads, in its order.
_REFERRAL = """json_build_array(
    r.id, r.reference, r.status, r.status_reason, r.created_at,
    (SELECT json_build_array(pu.first_name, pu.last_name, pr.practice_name,
                             pr.verified_at IS NOT NULL)
       FROM intake_referringprovider pr JOIN clinic_user pu ON pu.id = pr.user_id
      WHERE pr.id = r.provider_id),
    r.urgency, r.contraindications, r.no_contraindications, r.diagnosis_code,
    r.headache_days_per_month, r.preventives_tried, r.preventives_other, r.current_medications,
    r.blood_pressure, r.recommended_infusions,
    (SELECT l.name FROM scheduling_location l WHERE l.id = r.preferred_location_id),
    r.notes, r.date_of_birth, r.mobile_phone, r.email, r.zip_code, r.patient_time_zone,
    r.preferred_language, r.patient_first_name, r.patient_last_name,
    (SELECT json_agg(json_build_array(a.id, a.original_name, a.size) ORDER BY a.id)
       FROM intake_referralattachment a WHERE a.referral_id = r.id),
    (SELECT json_agg(json_build_array(h.to_status, h.changed_at, h.reason)
                     ORDER BY h.changed_at, h.id)
       FROM intake_referralstatuschange h WHERE h.referral_id = r.id),
    (SELECT json_agg(json_build_array(o.reference, d.reason) ORDER BY d.id)
       FROM intake_possibleduplicate d JOIN intake_referral o ON o.id = d.other_id
      WHERE d.referral_id = r.id),
    (SELECT json_build_array(
              ic.id, ic.status, ic.time_zone,
              (SELECT json_agg(json_build_array(
                        c.outcome, c.created_at, c.callback_at, c.reason, c.notes,
                        cu.first_name, cu.last_name) ORDER BY c.created_at DESC, c.id DESC)
                 FROM intake_callattempt c LEFT JOIN clinic_user cu ON cu.id = c.coordinator_id
                WHERE c.case_id = ic.id))
       FROM intake_intakecase ic WHERE ic.referral_id = r.id))"""

_REFERRAL_SQL = f"""
SELECT {_REFERRAL}
  FROM intake_referral r
 WHERE r.reference = %(reference)s
"""  # noqa: S608 (_REFERRAL is a constant, never input)

# The patient, their profile, and every section of the page. Sessions, their changes that give
# a reason, and each course's history are nested in their course.
_PATIENT_SQL = f"""
SELECT u.id, u.first_name, u.last_name, u.email, u.phone, u.is_active, u.preferred_language,
       pp.id IS NOT NULL, pp.date_of_birth, pp.zip_code, pp.time_zone, pp.preferred_channel,
       (SELECT json_agg({_REFERRAL} ORDER BY r.created_at DESC, r.id DESC)
          FROM intake_referral r WHERE r.patient_id = u.id),
       (SELECT json_agg(json_build_array(
                 c.id, c.status, c.planned_sessions, l.name, l.time_zone,
                 (SELECT json_agg(json_build_array(
                           s.slot, s.starts_at, (SELECT ch.name FROM scheduling_chair ch
                                                  WHERE ch.id = s.chair_id),
                           s.status, s.confirmed_at IS NOT NULL, s.late_change,
                           (SELECT json_agg(json_build_array(
                                     x.to_status, x.changed_at, x.changed_by_id,
                                     xu.first_name, xu.last_name, x.reason)
                                     ORDER BY x.changed_at, x.id)
                              FROM scheduling_sessionstatuschange x
                              LEFT JOIN clinic_user xu ON xu.id = x.changed_by_id
                             WHERE x.session_id = s.id AND x.reason <> ''))
                           ORDER BY s.starts_at, s.id)
                    FROM scheduling_infusionsession s WHERE s.course_id = c.id),
                 (SELECT json_agg(json_build_array(
                           h.to_status, h.planned_from, h.planned_to, h.changed_at, h.reason,
                           h.changed_by_id, hu.first_name, hu.last_name)
                           ORDER BY h.changed_at, h.id)
                    FROM scheduling_coursestatuschange h
                    LEFT JOIN clinic_user hu ON hu.id = h.changed_by_id
                   WHERE h.course_id = c.id))
                 ORDER BY c.created_at DESC, c.id DESC)
          FROM scheduling_course c JOIN scheduling_location l ON l.id = c.location_id
         WHERE c.patient_id = u.id),
       (SELECT json_agg(json_build_array(
                 e.id, e.number, e.version, e.issued_at, e.total_low::text, e.total_high::text,
                 e.reason, EXISTS (SELECT 1 FROM billing_estimateacknowledgement k
                                    WHERE k.estimate_id = e.id))
                 ORDER BY e.version DESC)
          FROM billing_estimate e WHERE e.patient_id = u.id),
       (SELECT json_agg(json_build_array(
                 o.trigger, o.due_on, m.number, m.version, o.closed_at IS NOT NULL,
                 o.closed_reason, o.issue_error)
                 ORDER BY o.triggered_at DESC, o.id DESC)
          FROM billing_gfeobligation o LEFT JOIN billing_estimate m ON m.id = o.met_by_id
         WHERE o.patient_id = u.id),
       (SELECT json_agg(json_build_array(
                 k.address, k.channel, k.granted, k.source, k.note, k.at, k.recorded_by_id,
                 ku.first_name, ku.last_name)
                 ORDER BY k.at DESC, k.id DESC)
          FROM clinic_contactconsent k LEFT JOIN clinic_user ku ON ku.id = k.recorded_by_id
         WHERE k.user_id = u.id),
       (SELECT json_agg(json_build_array(
                 m.channel, translate(m.kind, '_-', '  '), m.status, m.status_reason,
                 COALESCE(m.sent_at, m.send_after))
                 ORDER BY m.send_after DESC, m.id DESC)
          FROM (SELECT * FROM clinic_message WHERE recipient_id = u.id
                 ORDER BY send_after DESC, id DESC LIMIT %(messages)s) m),
       (SELECT json_agg(json_build_array(
                 i.at, i.action, i.body, i.needs_attention, i.handled_at IS NOT NULL,
                 i.handled_by_id, iu.first_name, iu.last_name)
                 ORDER BY i.at DESC, i.id DESC)
          FROM (SELECT * FROM clinic_inboundreply WHERE user_id = u.id
                 ORDER BY at DESC, id DESC LIMIT %(replies)s) i
          LEFT JOIN clinic_user iu ON iu.id = i.handled_by_id),
       (SELECT json_agg(json_build_array(v.created_at, v.used_at, v.revoked_at, v.expires_at)
                        ORDER BY v.created_at DESC, v.id DESC)
          FROM intake_patientinvitation v WHERE v.patient_id = u.id),
       (SELECT json_build_array(
                 p.id, p.status, p.diary_starts_on, p.first_session_on, p.diary_ends_on,
                 (SELECT json_agg(json_build_array(d.day, d.headache, d.migraine,
                                                   d.acute_medication) ORDER BY d.day)
                    FROM outcomes_diaryday d WHERE d.plan_id = p.id),
                 (SELECT json_agg(json_build_array(q.id, q.time_point, q.score, q.grade))
                    FROM outcomes_instrumentresponse q
                   WHERE q.plan_id = p.id AND q.instrument = %(midas)s))
          FROM outcomes_outcomeplan p WHERE p.patient_id = u.id
         ORDER BY p.created_at DESC, p.id DESC LIMIT 1),
       EXISTS (SELECT 1 FROM billing_payment y WHERE y.patient_id = u.id)
  FROM clinic_user u LEFT JOIN clinic_patientprofile pp ON pp.user_id = u.id
 WHERE u.id = %(pk)s AND u.role = %(role)s
"""  # noqa: S608 (_REFERRAL is a constant, never input)


# A choice field's labels as the active language writes them, translated once per language
# and process (get_FOO_display() translates every choice of the field on each call).
_LABELS: dict[tuple, dict[str, str]] = {}


def _labels(model, name: str) -> dict[str, str]:
    key = (translation.get_language(), model._meta.label, name)
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {
            value: str(label) for value, label in model._meta.get_field(name).flatchoices
        }
    return labels


class _Dates:
    """Each distinct instant or day formatted once a page (the chart repeats many: a booking
    writes its history line, its reminders and its estimate at the same instant), each format
    prepared once. Values come as PostgreSQL writes them in JSON: '2026-12-01T15:00:00.5+00:00',
    '2026-12-01'."""

    def __init__(self) -> None:
        self._done: dict[tuple, str] = {}
        self._formats: dict[str, Callable] = {}

    def __call__(self, value: str | None, fmt: str, zone: str | None = None) -> str:
        if value is None:
            return ""
        key = (value, fmt, zone)
        text = self._done.get(key)
        if text is None:
            formatted = self._formats.get(fmt)
            if formatted is None:
                formatted = self._formats[fmt] = date_formatter(fmt)
            parsed = (
                dt.date.fromisoformat(value)
                if len(value) == 10
                else dt.datetime.fromisoformat(value)
            )
            text = self._done[key] = formatted(parsed, zone)
        return text


def _full_name(first: str | None, last: str | None) -> str:
    """User.get_full_name() of a row's two columns."""
    return f"{first or ''} {last or ''}".strip()


def _by(user_id: int | None, first: str | None, last: str | None) -> str | None:
    """Who made a change, by name (None: nobody, the system did)."""
    return None if user_id is None else _full_name(first, last)


def _national(phone: str | None) -> str:
    """PhoneNumber.as_national of a stored number ('(617) 555-0123')."""
    return getattr(to_python(phone), "as_national", "") if phone else ""


class _Referral(NamedTuple):
    """_REFERRAL's columns, in order (dates and instants as ISO 8601 text)."""

    pk: int
    reference: str
    status: str
    status_reason: str
    created_at: str
    provider: list  # [first name, last name, practice, verified]
    urgency: str
    contraindications: list[str]
    no_contraindications: bool
    diagnosis: str
    headache_days: int
    preventives: list[str]
    preventives_other: str
    medications: str
    blood_pressure: str
    recommended: int
    location: str
    notes: str
    date_of_birth: str
    mobile_phone: str
    email: str
    zip_code: str
    time_zone: str
    language: str
    first_name: str
    last_name: str
    documents: list | None  # [id, name, size]
    history: list | None  # [to_status, changed_at, reason]
    duplicates: list | None  # [other reference, reason]
    case: list | None  # [id, status, time zone, attempts: [outcome, at, callback, ...]]


class _Patient(NamedTuple):
    """_PATIENT_SQL's columns, in order."""

    pk: int
    first_name: str
    last_name: str
    email: str
    phone: str | None
    is_active: bool
    language: str
    has_profile: bool
    date_of_birth: dt.date | None
    zip_code: str | None
    time_zone: str | None
    channel: str | None
    referrals: list | None
    courses: list | None
    estimates: list | None
    obligations: list | None
    consents: list | None
    messages: list | None
    replies: list | None
    invitations: list | None
    plan: list | None
    has_payments: bool


@dataclass(frozen=True, slots=True)
class ReferralRow:
    """A referral as the chart shows it: every text ready."""

    pk: int
    reference: str
    status_label: str
    status_reason: str
    created_on: str  # in the page's zone
    provider_name: str
    practice_name: str
    provider_verified: bool
    urgent: bool
    contraindication_labels: tuple[str, ...]
    contraindications_screened: bool
    diagnosis_code: str
    diagnosis_description: str
    headache_days_per_month: int
    preventive_labels: tuple[str, ...]
    preventives_other: str
    current_medications: str
    blood_pressure: str
    recommended_infusions: int
    preferred_location: str
    notes: str
    page_url: str
    documents: tuple[tuple[str, str, int], ...]  # (link, name, size)
    history: tuple[tuple[str, str, str], ...]  # (label, when, reason)
    duplicates: tuple[tuple[str, str, str], ...]  # (chart link, reference, reason label)
    case_open: bool  # an intake case still open: the call screen is offered
    call_screen_url: str
    attempts: tuple[dict, ...]


@dataclass
class Chart:
    """One person: a patient account, or a referral before intake made one. Plain values: the
    template prints them as they are."""

    patient_id: int | None
    name: str
    language: str  # "en" or "es"
    referrals: list[ReferralRow]
    zone: str  # the page's times: the patient's zone, else the referral's, else UTC
    date_of_birth: str = ""
    phone: str = "—"
    email: str = "—"
    zip_code: str = ""
    reminders_by: str = ""  # "" without a profile
    is_active: bool = False
    invitations: list[dict] = field(default_factory=list)
    courses: list[dict] = field(default_factory=list)
    estimates: list[dict] = field(default_factory=list)
    obligations: list[dict] = field(default_factory=list)
    consents: list[dict] = field(default_factory=list)  # newest first
    current_consents: list[dict] = field(default_factory=list)  # the newest per address, channel
    messages: list[tuple] = field(default_factory=list)  # (when, channel, what, status, reason)
    replies: list[dict] = field(default_factory=list)
    outcomes: OutcomeSummary | None = None
    payments: Ledger | None = None
    invitation_resend_url: str = ""

    @property
    def referral(self) -> ReferralRow | None:
        """The newest referral: its contact details head the page."""
        return self.referrals[0] if self.referrals else None

    def audited(self) -> User:
        """The patient as the audit trail records them (their id)."""
        return User(pk=self.patient_id, role=Role.PATIENT)


def chart_for_patient(*, pk: int, now: dt.datetime) -> Chart:
    """A patient's whole chart; 404 for anyone who is not a patient. One statement (two for a
    patient with payments)."""
    with connection.cursor() as cursor:
        # Prepared: planning this statement cost more than running it (1.4 + 1.1 ms on the
        # bench data); its generic plan, keyed by the patient, runs as fast as a custom one.
        execute_prepared(
            cursor,
            _PATIENT_SQL,
            {
                "pk": pk,
                "role": Role.PATIENT.value,
                "messages": CHART_MESSAGES,
                "replies": CHART_REPLIES,
                "midas": MIDAS_KEY,
            },
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such patient")
    p = _Patient(*row)
    dates = _Dates()
    referrals = [_Referral(*r) for r in p.referrals or ()]
    newest = referrals[0] if referrals else None
    # The page's zone: the patient's own, else the newest referral's, else UTC.
    zone = p.time_zone if p.has_profile else (newest.time_zone if newest else "UTC")
    # User.__str__ when the name is empty.
    name = _full_name(p.first_name, p.last_name) or p.email or str(to_python(p.phone))
    chart = Chart(
        patient_id=p.pk,
        name=name,
        language=p.language,
        referrals=[_referral(r, dates, zone) for r in referrals],
        zone=zone,
        phone=_national(p.phone) or (_national(newest.mobile_phone) if newest else "") or "—",
        email=p.email or "—",
        is_active=p.is_active,
        invitations=_invitations(p.invitations, dates, zone),
        courses=_courses(p.courses, dates),
        estimates=_estimates(p.estimates, dates, zone),
        obligations=_obligations(p.obligations, dates),
        consents=_consents(p.consents, dates, zone),
        messages=_messages(p.messages, dates, zone),
        replies=_replies(p.replies, dates, zone),
        invitation_resend_url=path_with("intake:invitation_resend", p.pk),
    )
    if newest is not None:  # shown with a referral only, as they were
        born = p.date_of_birth.isoformat() if p.has_profile else newest.date_of_birth
        chart.date_of_birth = dates(born, "M j, Y")
        chart.zip_code = p.zip_code if p.has_profile else newest.zip_code
    if p.has_profile:
        channels = _labels(PatientProfile, "preferred_channel")
        chart.reminders_by = channels.get(p.channel, p.channel)
    seen: set[tuple[str, str]] = set()
    for consent in chart.consents:
        key = (consent["address"], consent["channel"])
        if key not in seen:
            seen.add(key)
            chart.current_consents.append(consent)
    if p.plan is not None:
        # outcomes' rule (recipient_zone): the patient's zone, the clinic's without a profile.
        own_zone = ZoneInfo(p.time_zone if p.has_profile else settings.TIME_ZONE)
        chart.outcomes = _outcomes(p.plan, p.pk, now, own_zone)
    if p.has_payments:
        chart.payments = ledger_for_patient(patient=User(pk=p.pk))
    return chart


def chart_for_referral(*, reference: str) -> Chart:
    """The chart of a referral whose patient has no account yet (a referral that has one
    belongs to its patient's chart: the view sends the reader there). One statement."""
    if not reference_possible(reference):
        raise Http404("No such referral")
    with connection.cursor() as cursor:
        cursor.execute(_REFERRAL_SQL, {"reference": reference})
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such referral")
    r = _Referral(*row[0])
    dates = _Dates()
    return Chart(
        patient_id=None,
        name=f"{r.first_name} {r.last_name}",  # Referral.patient_name
        language=r.language,
        referrals=[_referral(r, dates, r.time_zone)],
        zone=r.time_zone,
        date_of_birth=dates(r.date_of_birth, "M j, Y"),
        phone=_national(r.mobile_phone),
        email=r.email or "—",
        zip_code=r.zip_code,
    )


def _referral(r: _Referral, dates: _Dates, zone: str) -> ReferralRow:
    provider_first, provider_last, practice, verified = r.provider
    reasons = _labels(PossibleDuplicate, "reason")
    attempts: tuple[dict, ...] = ()
    case_open, call_screen_url = False, ""
    if r.case is not None:
        case_id, case_status, case_zone, case_attempts = r.case
        case_open = case_status == "open"
        call_screen_url = path_with("intake:call_screen", case_id)
        outcomes = _labels(CallAttempt, "outcome")
        attempts = tuple(
            {
                "label": outcomes.get(outcome, outcome),
                "when": dates(at, "D M j, Y, g:i A T", case_zone),
                "coordinator": _full_name(first, last),
                "callback": dates(callback, "D M j, g:i A T", case_zone),
                "reason": reason,
                "notes": notes,
            }
            for outcome, at, callback, reason, notes, first, last in case_attempts or ()
        )
    return ReferralRow(
        pk=r.pk,
        reference=r.reference,
        status_label=referral_status_label(r.status),
        status_reason=r.status_reason,
        created_on=dates(r.created_at, "M j, Y", zone),
        provider_name=_full_name(provider_first, provider_last),
        practice_name=practice,
        provider_verified=verified,
        urgent=r.urgency == "urgent",
        contraindication_labels=tuple(str(Contraindication(c).label) for c in r.contraindications),
        contraindications_screened=bool(r.contraindications) or r.no_contraindications,
        diagnosis_code=r.diagnosis,
        diagnosis_description=DIAGNOSIS_DESCRIPTIONS.get(r.diagnosis, ""),
        headache_days_per_month=r.headache_days,
        preventive_labels=tuple(str(Preventive(p).label) for p in r.preventives),
        preventives_other=r.preventives_other,
        current_medications=r.medications,
        blood_pressure=r.blood_pressure,
        recommended_infusions=r.recommended,
        preferred_location=r.location,
        notes=r.notes,
        page_url=path_with("intake:referral_detail", r.reference),
        documents=tuple(
            (path_with("intake:attachment_download", doc_id), doc_name, size)
            for doc_id, doc_name, size in r.documents or ()
        ),
        history=tuple(
            (referral_status_label(to_status), dates(at, "M j, Y, g:i A T", zone), why)
            for to_status, at, why in r.history or ()
        ),
        duplicates=tuple(
            (path_with("intake:referral_chart", other), other, reasons.get(why, why))
            for other, why in r.duplicates or ()
        ),
        case_open=case_open,
        call_screen_url=call_screen_url,
        attempts=attempts,
    )


def _invitations(rows: list | None, dates: _Dates, zone: str) -> list[dict]:
    return [
        {
            "sent": dates(created, "M j, Y, g:i A T", zone),
            "used": dates(used, "M j, g:i A T", zone),
            "revoked": revoked is not None,
            "expires": dates(expires, "M j, g:i A T", zone),
        }
        for created, used, revoked, expires in rows or ()
    ]


def _courses(rows: list | None, dates: _Dates) -> list[dict]:
    """Each course, newest first, with its sessions (and under each the changes that give a
    reason) and its history, in the course's location's zone."""
    statuses = _labels(Course, "status")
    session_statuses = _labels(InfusionSession, "status")
    courses = []
    for pk, status, planned, location, zone, sessions, history in rows or ():
        courses.append(
            {
                "pk": pk,
                "status": status,
                "status_label": statuses.get(status, status),
                "planned": planned,
                "location": location,
                "book_url": path_with("scheduling:coordinator_course", pk),
                "superbill_url": path_with("billing:superbill", pk),
                "sessions": [
                    {
                        "slot": slot,
                        "when": dates(starts_at, "D M j, Y, g:i A T", zone),
                        "chair": chair,
                        "status_label": session_statuses.get(s_status, s_status),
                        "confirmed": confirmed,
                        "late": late,
                        "changes": [
                            (
                                session_statuses.get(to_status, to_status),
                                dates(at, "M j, g:i A T", zone),
                                _by(by_id, first, last),
                                reason,
                            )
                            for to_status, at, by_id, first, last, reason in changes or ()
                        ],
                    }
                    for slot, starts_at, chair, s_status, confirmed, late, changes in sessions or ()
                ],
                "history": [
                    {
                        "when": dates(at, "M j, Y, g:i A T", zone),
                        "planned_from": planned_from,
                        "planned_to": planned_to,
                        "label": statuses.get(to_status, "") if to_status else "",
                        "by": _by(by_id, first, last),
                        "reason": reason,
                    }
                    for to_status, planned_from, planned_to, at, reason, by_id, first, last in (
                        history or ()
                    )
                ],
            }
        )
    return courses


def _estimates(rows: list | None, dates: _Dates, zone: str) -> list[dict]:
    estimates = []
    for pk, number, version, issued_at, low, high, reason, acknowledged in rows or ():
        estimates.append(
            {
                "label": f"{number} v{version}",  # Estimate.label
                "url": path_with("billing:gfe", pk),
                "issued_on": dates(issued_at, "M j, Y", zone),
                "low": Decimal(low),
                "high": Decimal(high),
                "has_range": Decimal(high) != Decimal(low),  # Estimate.has_range
                "reason": reason,
                "acknowledged": acknowledged,
            }
        )
    return estimates


def _obligations(rows: list | None, dates: _Dates) -> list[dict]:
    triggers = _labels(GfeObligation, "trigger")
    return [
        {
            "trigger": triggers.get(trigger, trigger),
            "due_on": dates(due_on, "M j, Y"),
            "met_by": f"{number} v{version}" if number is not None else "",
            "closed": closed,
            "closed_reason": closed_reason,
            "issue_error": issue_error,
        }
        for trigger, due_on, number, version, closed, closed_reason, issue_error in rows or ()
    ]


def _consents(rows: list | None, dates: _Dates, zone: str) -> list[dict]:
    channels, sources = _labels(ContactConsent, "channel"), _labels(ContactConsent, "source")
    return [
        {
            "address": address,
            "channel": channel,
            "channel_label": channels.get(channel, channel),
            "granted": granted,
            "source_label": sources.get(source, source),
            "note": note,
            "when": dates(at, "M j, Y, g:i A T", zone),
            "recorded_by": _by(by_id, first, last),
        }
        for address, channel, granted, source, note, at, by_id, first, last in rows or ()
    ]


def _messages(rows: list | None, dates: _Dates, zone: str) -> list[tuple]:
    """(when, channel, what, status, status reason), newest first."""
    channels, statuses = _labels(Message, "channel"), _labels(Message, "status")
    return [
        (
            dates(at, "M j, Y, g:i A T", zone),
            channels.get(channel, channel),
            what,
            statuses.get(status, status),
            reason,
        )
        for channel, what, status, reason, at in rows or ()
    ]


def _replies(rows: list | None, dates: _Dates, zone: str) -> list[dict]:
    actions = _labels(InboundReply, "action")
    return [
        {
            "when": dates(at, "M j, Y, g:i A T", zone),
            "action_label": actions.get(action, action),
            "body": body,
            "needs_attention": needs_attention and not handled,
            "handled_by": _by(by_id, first, last),
        }
        for at, action, body, needs_attention, handled, by_id, first, last in rows or ()
    ]


class _Day:
    """A diary day's answers (outcomes.scoring.DayAnswer)."""

    __slots__ = ("day", "headache", "migraine", "acute_medication")

    def __init__(self, day: str, headache: bool, migraine: bool, acute_medication: bool):
        self.day = dt.date.fromisoformat(day)
        self.headache = headache
        self.migraine = migraine
        self.acute_medication = acute_medication


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text is not None else None


def _outcomes(plan: list, patient_id: int, now: dt.datetime, zone: ZoneInfo) -> OutcomeSummary:
    """The outcome figures of the patient's latest plan, as outcomes.selectors computes them."""
    plan_id, status, starts_on, first_on, ends_on, days, answers = plan
    return outcome_summary_of(
        plan=OutcomePlan(
            pk=plan_id,
            patient_id=patient_id,
            status=status,
            diary_starts_on=dt.date.fromisoformat(starts_on),
            first_session_on=_day(first_on),
            diary_ends_on=_day(ends_on),
        ),
        days=[_Day(*day) for day in days or ()],
        responses=[
            InstrumentResponse(
                pk=pk,
                plan_id=plan_id,
                instrument=MIDAS_KEY,
                time_point=point,
                score=score,
                grade=grade,
            )
            for pk, point, score, grade in answers or ()
        ],
        now=now,
        zone=zone,
    )


def patient_or_404(*, pk: int) -> User:
    """The patient account `pk` (for a change made from the chart); 404 for anyone else."""
    patient = (
        User.objects.select_related("patient_profile").filter(pk=pk, role=Role.PATIENT).first()
    )
    if patient is None:
        raise Http404("No such patient")
    return patient


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
