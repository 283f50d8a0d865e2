"""The referral page (GET /referrals/<reference>/): the referral as its provider or the clinic
reads it, with its status history and documents (and, for the clinic, its possible duplicates),
and the provider's outcome report once the course is complete (issue 22).

Read in one statement of plain values: the referral's shown columns, its history, documents and
duplicates as arrays, and what the report is computed from (the plan's days, the infusions
given, the MIDAS answers); then one more for the diary's figures when there is a report to show.
The same page read through the ORM (the referral's 36 columns with select_related, two
prefetches, the plan with its patient and course, two more reads) spent most of its time
compiling queries and building model instances (bench: 3.7 times the floor; issue 22 allows 2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db import connection
from django.http import Http404

from clinic.formatting import national_phone
from clinic.messaging.services import recipient_zone
from clinic.models import STAFF_ROLES, Role, User
from outcomes.report import MidasAnswer, OutcomeReport, ReportPlan, report_from
from outcomes.selectors import MIDAS_KEY
from scheduling.models import SessionStatus

from .clinical import DIAGNOSIS_DESCRIPTIONS, Contraindication, Language, Preventive, Urgency
from .models import PossibleDuplicate, Referral, ReferralStatus
from .selectors import reference_possible

_STATUS_LABELS = dict(ReferralStatus.choices)
_LANGUAGE_LABELS = dict(Language.choices)
_URGENCY_LABELS = dict(Urgency.choices)
_REASON_LABELS = dict(PossibleDuplicate.Reason.choices)


def _label(labels: dict, value: str) -> str:
    """get_FOO_display() of one value, translated once (Django's translates every choice)."""
    return str(labels.get(value, value))


@dataclass(frozen=True)
class HistoryEntry:
    status_label: str
    changed_at: dt.datetime
    reason: str


@dataclass(frozen=True)
class Document:
    pk: int
    original_name: str
    size: int


@dataclass(frozen=True)
class Duplicate:
    reference: str
    reason_label: str


@dataclass(frozen=True)
class ReferralPage:
    """What the page shows of a referral, labels already made."""

    pk: int
    reference: str
    patient_id: int | None
    patient_name: str
    status_label: str
    status_reason: str
    provider_verified: bool
    history: tuple[HistoryEntry, ...]
    documents: tuple[Document, ...]
    duplicates: tuple[Duplicate, ...]  # read for the clinic only
    date_of_birth: dt.date
    mobile_phone: str  # as the country writes it: (617) 555-0123
    email: str
    language_label: str
    preferred_location: str
    patient_time_zone: str
    diagnosis_code: str
    diagnosis_description: str
    headache_days_per_month: int
    years_with_migraine: int
    preventive_labels: tuple[str, ...]
    preventives_other: str
    current_medications: str
    blood_pressure: str
    contraindications_screened: bool
    contraindication_labels: tuple[str, ...]
    recommended_infusions: int
    urgency_label: str
    notes: str

    def audited(self) -> Referral:
        """The referral as the audit trail records it (its id and its patient's)."""
        return Referral(pk=self.pk, patient_id=self.patient_id)


# The referral, who may see it, and what its report is computed from, in one statement of
# scalar subqueries (the planner's time grows with every join and every subquery: three arrays
# per list, or the plan joined to its course and patient, took it from 0.6 to 1 ms a request):
# each list one JSON array in its order. The clinic's statement adds the possible duplicates.
_SQL = """
SELECT r.id, r.reference, r.patient_id, r.patient_first_name, r.patient_last_name, r.status,
       r.status_reason,
       (SELECT pr.verified_at IS NOT NULL FROM intake_referringprovider pr
         WHERE pr.id = r.provider_id),
       r.date_of_birth, r.mobile_phone, r.email, r.preferred_language,
       (SELECT l.name FROM scheduling_location l WHERE l.id = r.preferred_location_id),
       r.patient_time_zone, r.diagnosis_code, r.headache_days_per_month, r.years_with_migraine,
       r.preventives_tried, r.preventives_other, r.current_medications, r.blood_pressure,
       r.contraindications, r.no_contraindications, r.recommended_infusions, r.urgency, r.notes,
       (SELECT json_agg(json_build_array(h.to_status, h.changed_at, h.reason)
                        ORDER BY h.changed_at, h.id)
          FROM intake_referralstatuschange h WHERE h.referral_id = r.id),
       (SELECT json_agg(json_build_array(a.id, a.original_name, a.size) ORDER BY a.id)
          FROM intake_referralattachment a WHERE a.referral_id = r.id),
       (SELECT json_build_array(
                 p.id, p.diary_starts_on, p.first_session_on, p.course_completed_on,
                 (SELECT c.planned_sessions FROM scheduling_course c WHERE c.id = p.course_id),
                 (SELECT pp.time_zone FROM clinic_patientprofile pp
                   WHERE pp.user_id = p.patient_id),
                 (SELECT json_agg(s.local_date ORDER BY s.starts_at)
                    FROM scheduling_infusionsession s
                   WHERE s.course_id = p.course_id AND s.status = %(completed)s),
                 (SELECT json_agg(json_build_array(i.time_point, i.score, i.grade))
                    FROM outcomes_instrumentresponse i
                   WHERE i.plan_id = p.id AND i.instrument = %(midas)s))
          FROM outcomes_outcomeplan p WHERE p.course_id = r.course_id){duplicates}
  FROM intake_referral r
 WHERE r.reference = %(reference)s{provider_only}
"""
_DUPLICATES = """,
       (SELECT json_agg(json_build_array(o.reference, d.reason) ORDER BY d.id)
          FROM intake_possibleduplicate d JOIN intake_referral o ON o.id = d.other_id
         WHERE d.referral_id = r.id)"""
# Providers see the referrals they submitted (intake.selectors.referrals_visible_to); clinic
# staff see every referral, with its possible duplicates.
_PROVIDER_SQL = _SQL.format(
    duplicates="",
    provider_only="""
   AND r.provider_id = (SELECT pr.id FROM intake_referringprovider pr
                         WHERE pr.user_id = %(user)s)""",
)
_STAFF_SQL = _SQL.format(duplicates=_DUPLICATES, provider_only="")


def referral_page_for(
    *, user: User, reference: str, now: dt.datetime
) -> tuple[ReferralPage, OutcomeReport | None]:
    """The referral `user` may see, as the page shows it, and its outcome report when the
    course is complete (None before). 404 for a referral that does not exist or is not theirs
    (the same answer). Two queries with a report, one without."""
    if not reference_possible(reference) or (
        user.role != Role.PROVIDER and user.role not in STAFF_ROLES
    ):
        raise Http404("No such referral")
    staff = user.role in STAFF_ROLES
    with connection.cursor() as cursor:
        cursor.execute(
            _STAFF_SQL if staff else _PROVIDER_SQL,
            {
                "reference": reference,
                "user": user.pk,
                "completed": SessionStatus.COMPLETED.value,
                "midas": MIDAS_KEY,
            },
        )
        row = cursor.fetchone()
    if row is None:
        # The same answer whether it does not exist or belongs to someone else.
        raise Http404("No such referral")
    referral = _Referral(*row)
    return _page(referral), _report(referral.plan, now)


class _Referral(NamedTuple):
    """The statement's columns, in order."""

    pk: int
    reference: str
    patient_id: int | None
    first_name: str
    last_name: str
    status: str
    status_reason: str
    verified: bool
    date_of_birth: dt.date
    mobile_phone: str
    email: str
    language: str
    location: str
    time_zone: str
    diagnosis: str
    headache_days: int
    years: int
    preventives: list[str]
    preventives_other: str
    medications: str
    blood_pressure: str
    contraindications: list[str]
    no_contraindications: bool
    recommended: int
    urgency: str
    notes: str
    history: list[list] | None  # [to_status, changed_at (ISO 8601), reason]
    documents: list[list] | None  # [pk, original_name, size]
    plan: list | None  # the report's inputs: _report()
    duplicates: list[list] | None = None  # [other reference, reason]; the clinic's only


def _page(r: _Referral) -> ReferralPage:
    return ReferralPage(
        pk=r.pk,
        reference=r.reference,
        patient_id=r.patient_id,
        patient_name=f"{r.first_name} {r.last_name}",  # Referral.patient_name
        status_label=_label(_STATUS_LABELS, r.status),
        status_reason=r.status_reason,
        provider_verified=r.verified,
        history=tuple(
            HistoryEntry(_label(_STATUS_LABELS, to_status), _instant(at), reason)
            for to_status, at, reason in r.history or ()
        ),
        documents=tuple(Document(*document) for document in r.documents or ()),
        duplicates=tuple(
            Duplicate(other, _label(_REASON_LABELS, reason)) for other, reason in r.duplicates or ()
        ),
        date_of_birth=r.date_of_birth,
        mobile_phone=national_phone(r.mobile_phone),
        email=r.email,
        language_label=_label(_LANGUAGE_LABELS, r.language),
        preferred_location=r.location,
        patient_time_zone=r.time_zone,
        diagnosis_code=r.diagnosis,
        diagnosis_description=DIAGNOSIS_DESCRIPTIONS.get(r.diagnosis, ""),
        headache_days_per_month=r.headache_days,
        years_with_migraine=r.years,
        preventive_labels=tuple(str(Preventive(p).label) for p in r.preventives),
        preventives_other=r.preventives_other,
        current_medications=r.medications,
        blood_pressure=r.blood_pressure,
        contraindications_screened=bool(r.contraindications) or r.no_contraindications,
        contraindication_labels=tuple(str(Contraindication(c).label) for c in r.contraindications),
        recommended_infusions=r.recommended,
        urgency_label=_label(_URGENCY_LABELS, r.urgency),
        notes=r.notes,
    )


def _instant(text: str) -> dt.datetime:
    """A timestamptz as PostgreSQL writes it in JSON ('2026-12-01T15:00:00.5+00:00')."""
    return dt.datetime.fromisoformat(text)


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text is not None else None


def _report(plan: list | None, now: dt.datetime) -> OutcomeReport | None:
    """The outcome report, once the course is complete: the page shows none before."""
    if plan is None:
        return None
    plan_id, starts_on, first_on, completed_on, planned, zone, dates, answers = plan
    if completed_on is None:
        return None
    inputs = ReportPlan(
        pk=plan_id,
        diary_starts_on=dt.date.fromisoformat(starts_on),
        first_session_on=_day(first_on),
        course_completed_on=dt.date.fromisoformat(completed_on),
        planned_infusions=planned,
        # outcomes' rule: the patient's zone, the clinic's for a patient without a profile.
        zone=ZoneInfo(zone) if zone else recipient_zone(None),
    )
    midas = {point: MidasAnswer(score, grade) for point, score, grade in answers or ()}
    infusion_dates = tuple(dt.date.fromisoformat(day) for day in dates or ())
    return report_from(plan=inputs, infusion_dates=infusion_dates, midas=midas, now=now)
