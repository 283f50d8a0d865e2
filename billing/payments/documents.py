"""The superbill of a course (what a patient sends their insurer to claim out-of-network
reimbursement) and its reconciliation against the Good Faith Estimate in effect.

45 CFR 149.620 lets a self-pay patient dispute a bill "substantially in excess" of their GFE.
Its definition, 149.620(a)(2)(ii): "Substantially in excess means, with respect to the total
billed charges by a provider or facility, an amount that is at least $400 more than the total
amount of expected charges listed on the good faith estimate for the provider or facility." The
clinic is the one facility (and provider) on its GFE, so the course's billed total is compared
with the estimate's total; the upper total counts (it includes the optional items the GFE lists).
CMS tells patients to start the process within 120 calendar days of the date on the initial bill
(cms.gov/nosurprises/consumers): the patient's page and superbill give that date.
When a course's billed total reaches the threshold, the coordinators are alerted and the patient
is told of the right.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from clinic.models import PatientProfile
from scheduling.models import Course

from .. import pricing
from ..models import Estimate, FacilityBillingIdentity
from ..selectors import estimate_current
from .models import PaymentKind, PaymentStatus
from .selectors import Ledger, ledger_for_course

DISPUTE_THRESHOLD = Decimal("400.00")
DISPUTE_WINDOW_DAYS = 120
CODED_KINDS = (pricing.CONSULTATION, pricing.INFUSION, pricing.DRUG)


@dataclass(frozen=True)
class Reconciliation:
    estimate: Estimate | None
    billed: Decimal
    # The date on the initial bill: the day of the course's first billed charge, in the
    # location's zone.
    first_billed_on: dt.date | None = None

    @property
    def excess(self) -> Decimal:
        return self.billed - self.estimate.total_high if self.estimate else Decimal("0.00")

    @property
    def may_dispute(self) -> bool:
        """Billed at least $400 over the estimate's total (45 CFR 149.620(a), "substantially in
        excess"); the estimate's upper total counts, so optional items never trigger it."""
        return self.estimate is not None and self.excess >= DISPUTE_THRESHOLD

    @property
    def dispute_by(self) -> dt.date | None:
        """The last of the 120 calendar days from the date on the initial bill."""
        if self.first_billed_on is None:
            return None
        return self.first_billed_on + dt.timedelta(days=DISPUTE_WINDOW_DAYS)


def course_reconciliation(*, course: Course, ledger: Ledger | None = None) -> Reconciliation:
    ledger = ledger or ledger_for_course(course_id=course.pk)
    first = ledger.first_billed_at
    return Reconciliation(
        estimate=estimate_current(patient=course.patient),
        billed=ledger.billed,
        first_billed_on=first.astimezone(course.location.time_zone).date() if first else None,
    )


@dataclass(frozen=True)
class SuperbillLine:
    day: object
    codes: tuple[str, ...]
    description: str
    charge: Decimal


def superbill_context(*, course: Course) -> dict:
    ledger = ledger_for_course(course_id=course.pk)
    estimate = estimate_current(patient=course.patient)
    identity = FacilityBillingIdentity.objects.filter(location=course.location).first()
    codes = ()
    if estimate is not None:
        codes = tuple(
            dict.fromkeys(
                line.service_code
                for line in estimate.lines.all()
                if line.kind in CODED_KINDS and line.service_code
            )
        )
    lines = []
    for p in ledger.rows:
        if p.kind in (PaymentKind.REFUND, PaymentKind.WRITE_OFF, PaymentKind.DEPOSIT):
            continue
        if p.status == PaymentStatus.CANCELLED:
            continue
        day = p.session.local_date if p.session else p.created_at.date()
        is_visit = p.kind == PaymentKind.INFUSION
        lines.append(
            SuperbillLine(
                day=day,
                codes=codes if is_visit else (),
                description=p.get_kind_display(),
                charge=Decimal(p.amount_cents + p.credit_cents) / 100,
            )
        )
    return {
        "course": course,
        "patient": course.patient,
        "profile": PatientProfile.objects.filter(user_id=course.patient_id).first(),
        "identity": identity,
        "estimate": estimate,
        "diagnosis_codes": list(course.diagnosis_codes),
        "lines": lines,
        "ledger": ledger,
        "reconciliation": course_reconciliation(course=course, ledger=ledger),
    }


def courses_billed_over_gfe() -> list[tuple[int, int, Decimal]]:
    """(course id, patient id, excess) for every course billed at least $400 over the GFE in
    effect (the patient's newest estimate): the coordinators' alert. Two queries, however many."""
    from django.db.models import F, Q, Sum

    from .models import Payment

    billed = (
        Payment.objects.exclude(status=PaymentStatus.CANCELLED)
        .filter(kind__in=[PaymentKind.INFUSION, PaymentKind.LATE_CANCELLATION, PaymentKind.NO_SHOW])
        .values("course_id", "patient_id")
        .annotate(cents=Sum(F("amount_cents") + F("credit_cents")))
        .filter(~Q(cents=0))
    )
    rows = list(billed)
    newest = {}
    for patient_id, total in (
        Estimate.objects.filter(patient_id__in={r["patient_id"] for r in rows})
        .order_by("patient_id", "-version")
        .distinct("patient_id")
        .values_list("patient_id", "total_high")
    ):
        newest[patient_id] = total
    over = []
    for r in rows:
        gfe = newest.get(r["patient_id"])
        excess = Decimal(r["cents"]) / 100 - gfe if gfe is not None else None
        if excess is not None and excess >= DISPUTE_THRESHOLD:
            over.append((r["course_id"], r["patient_id"], excess))
    return over
