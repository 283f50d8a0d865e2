"""Reads for billing, already limited to what the asking user may see."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from clinic.errors import ApplicationError
from clinic.models import Role, User
from scheduling.models import Location

from .models import (
    Estimate,
    EstimateLine,
    FeeSchedule,
    GfeObligation,
    GfePaperRequest,
    GfeTrigger,
)
from .pricing import PriceItem, PriceList


def location_today(location: Location) -> date:
    return timezone.localdate(timezone.now(), location.time_zone)


def fee_schedule_in_effect(*, location: Location, on_date: date) -> FeeSchedule | None:
    """The version of the location's fee schedule in effect on `on_date` (its latest effective
    date on or before it), with items and packages fetched."""
    return (
        FeeSchedule.objects.filter(location=location, effective_date__lte=on_date)
        .prefetch_related("items", "packages")
        .order_by("-effective_date")
        .first()
    )


# The version in effect with its items (in FeeItem's order) and packages, in one statement:
# a booking prices its course inside its transaction, where each round trip counts.
_PRICE_LIST_SQL = """
SELECT s.id, s.effective_date,
  (SELECT json_agg(json_build_array(i.kind, i.service_code, i.description, i.unit_price::text,
                                    i.per_infusion, i.description_es) ORDER BY i.position, i.id)
     FROM billing_feeitem i WHERE i.schedule_id = s.id),
  (SELECT json_agg(json_build_array(p.infusion_count, p.price::text) ORDER BY p.infusion_count)
     FROM billing_packageprice p WHERE p.schedule_id = s.id)
FROM billing_feeschedule s
WHERE s.location_id = %s AND s.effective_date <= %s
ORDER BY s.effective_date DESC
LIMIT 1"""


def price_list_for(*, location: Location, on_date: date) -> PriceList:
    """The fee schedule in effect on `on_date` (fee_schedule_in_effect) as plain data. Raises
    ApplicationError when the location has none."""
    with connection.cursor() as cursor:
        cursor.execute(_PRICE_LIST_SQL, [location.pk, on_date])
        row = cursor.fetchone()
    if row is None:
        raise ApplicationError(
            f"{location} has no fee schedule in effect on {on_date:%Y-%m-%d}. "
            "An admin adds one under Settings → Fee schedules."
        )
    schedule_id, effective_date, items, packages = row
    return PriceList(
        effective_date=effective_date,
        schedule_id=schedule_id,
        items=tuple(
            PriceItem(
                kind=kind,
                service_code=code,
                description=description,
                unit_price=Decimal(unit_price),
                per_infusion=per_infusion,
                description_es=description_es,
            )
            for kind, code, description, unit_price, per_infusion, description_es in items or ()
        ),
        packages={count: Decimal(price) for count, price in packages or ()},
    )


def estimates_visible_to(user: User) -> QuerySet[Estimate]:
    """Patients see only their own estimates; coordinators and admins see all; others none."""
    qs = Estimate.objects.select_related(
        "acknowledgement", "location", "document"
    ).prefetch_related(Prefetch("lines", queryset=EstimateLine.objects.order_by("position")))
    if not user.is_authenticated:
        return qs.none()
    if user.role == Role.PATIENT:
        return qs.filter(patient=user)
    if user.role in (Role.COORDINATOR, Role.ADMIN):
        return qs
    return qs.none()


def estimate_document_html(estimate: Estimate) -> SafeString:
    """The GFE as it was issued (stored just after issue, escaped when it was rendered). Until
    it is stored (a booking's is stored after its commit), and for estimates issued before
    documents were stored, it is rendered from the estimate's copied values."""
    document = getattr(estimate, "document", None)
    if document is not None:
        return mark_safe(document.html)  # noqa: S308 - our own template's output, kept verbatim
    with translation.override(estimate.language):
        html = render_to_string("billing/partials/_gfe_document.html", {"estimate": estimate})
    return mark_safe(html)  # noqa: S308 - our own template's output, escaped as it rendered


def estimate_reading_copy_html(estimate: Estimate, language: str) -> SafeString | None:
    """The GFE rendered again from its copied values in the reader's language, for reading
    beside the document as issued (which stays the one that counts); None when the document
    is already in that language."""
    if (language or "en")[:2] == (estimate.language or "en")[:2]:
        return None
    with translation.override(language):
        html = render_to_string("billing/partials/_gfe_document.html", {"estimate": estimate})
    return mark_safe(html)  # noqa: S308 - our own template's output, escaped as it rendered


def gfe_paper_requests_open() -> list[GfePaperRequest]:
    """Paper copies patients asked for and nobody has printed yet, oldest first."""
    return list(
        GfePaperRequest.objects.filter(printed_at__isnull=True)
        .select_related("estimate", "estimate__patient")
        .order_by("requested_at")
    )


def estimates_for_patient(*, patient: User) -> list[Estimate]:
    """The patient's estimates, newest version first (the first one is the current one)."""
    return list(estimates_visible_to(patient).filter(patient=patient).order_by("-version"))


def estimate_being_prepared(*, patient: User) -> bool:
    """A change to the patient's course owes a new estimate not issued yet: it is issued just
    after the change commits (billing.tasks), so the patient's page says it is on its way."""
    return (
        GfeObligation.objects.owed().filter(patient=patient, trigger=GfeTrigger.SCHEDULED).exists()
    )


def estimate_current(*, patient: User) -> Estimate | None:
    return Estimate.objects.filter(patient=patient).order_by("-version").first()


@dataclass(frozen=True)
class ObligationRow:
    obligation: GfeObligation
    status: str  # "due", "overdue", "met", "met_late", "closed"
    today: date

    @property
    def is_overdue(self) -> bool:
        return self.status == "overdue"

    @property
    def closed_after_due(self) -> bool:
        """Closed as no longer required, but only once its deadline had passed: the miss stays
        visible."""
        o = self.obligation
        if o.closed_at is None:
            return False
        return timezone.localdate(o.closed_at, o.location.time_zone) > o.due_on


def _status(obligation: GfeObligation, today: date) -> str:
    if obligation.closed_at is not None:
        return "closed"
    if obligation.met_at is None:
        return "overdue" if today > obligation.due_on else "due"
    met_day = timezone.localdate(obligation.met_at, obligation.location.time_zone)
    return "met" if met_day <= obligation.due_on else "met_late"


def gfe_obligation_status(obligation: GfeObligation) -> str:
    return _status(obligation, location_today(obligation.location))


def gfe_obligations_open() -> list[ObligationRow]:
    """Good Faith Estimates still owed, overdue first, then by due date. For coordinators."""
    rows = []
    qs = GfeObligation.objects.owed().select_related("patient", "location")
    for obligation in qs.order_by("due_on", "triggered_at"):
        today = location_today(obligation.location)
        rows.append(ObligationRow(obligation, _status(obligation, today), today))
    rows.sort(key=lambda r: (not r.is_overdue, r.obligation.due_on))
    return rows


def gfe_obligations_recently_met(*, limit: int = 20) -> list[ObligationRow]:
    qs = (
        GfeObligation.objects.filter(met_by__isnull=False)
        .select_related("patient", "location", "met_by")
        .order_by("-met_at")[:limit]
    )
    return [
        ObligationRow(o, _status(o, location_today(o.location)), location_today(o.location))
        for o in qs
    ]


def gfe_obligations_recently_closed(*, limit: int = 20) -> list[ObligationRow]:
    """GFEs closed as no longer required (their course was cancelled), newest first."""
    qs = (
        GfeObligation.objects.filter(closed_at__isnull=False)
        .select_related("patient", "location", "closed_by")
        .order_by("-closed_at")[:limit]
    )
    return [ObligationRow(o, "closed", location_today(o.location)) for o in qs]


def gfe_obligations_closed_for_course(*, course_id: int) -> list[GfeObligation]:
    """The course's GFEs closed as no longer required, for its history."""
    return list(
        GfeObligation.objects.filter(course_id=course_id, closed_at__isnull=False)
        .select_related("closed_by")
        .order_by("closed_at")
    )
