import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property

from clinic.formatting import format_date
from clinic.models import STAFF_ROLES, Role, User

from .models import (
    ApiToken,
    CallAttempt,
    IntakeCase,
    PossibleDuplicate,
    Referral,
    ReferralAttachment,
    ReferringProvider,
    referral_status_label,
)
from .queue import (
    QUEUE_TIEBREAK,
    held_by_other,
    queue_order,
    ready_expression,
    within_calling_hours,
)


def provider_for_user(user: User) -> ReferringProvider:
    try:
        return user.provider_profile
    except ReferringProvider.DoesNotExist as exc:
        # A provider user made by hand in the admin, without the provider details.
        raise PermissionDenied("This account has no provider details; call the clinic.") from exc


def api_token_for(*, provider: ReferringProvider, pk: int) -> ApiToken:
    """One of the provider's own API keys; 404 for another provider's (or a missing) key."""
    token = ApiToken.objects.filter(provider=provider, pk=pk).first()
    if token is None:
        raise Http404("No such key")
    return token


class ProviderReferralRow(NamedTuple):
    """One line of a provider's list: the five columns it shows, read as a plain row (a model
    instance per row cost more than the row's cells)."""

    reference: str
    patient_first_name: str
    patient_last_name: str
    status: str
    created_at: dt.datetime

    @property
    def patient_name(self) -> str:
        return f"{self.patient_first_name} {self.patient_last_name}"

    @property
    def status_label(self) -> str:
        return referral_status_label(self.status)


PROVIDER_LIST_PAGE_SIZE = 20


def referrals_for_provider(
    *, provider: ReferringProvider, status: str = "", q: str = ""
) -> QuerySet:
    """The provider's own referrals, newest first, as ProviderReferralRow's fields (tuples)."""
    referrals = Referral.objects.for_provider(provider)
    if status:
        referrals = referrals.filter(status=status)
    return (
        referrals.search(q).order_by("-created_at", "-pk").values_list(*ProviderReferralRow._fields)
    )


class _CountedPaginator(Paginator):
    """Django's Paginator with the number of rows already known (no COUNT query)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def referral_page_for_provider(
    *, provider: ReferringProvider, status: str = "", q: str = "", number: str | None = None
) -> Page:
    """One page of the provider's list (Paginator.get_page: page 1 for a number that is not
    one, the last page past the end), its rows ProviderReferralRow. The whole list's length is
    the provider's referral_count; a filtered one is counted."""
    referrals = referrals_for_provider(provider=provider, status=status, q=q)
    if status or q.strip():
        paginator = Paginator(referrals, PROVIDER_LIST_PAGE_SIZE)
    else:
        paginator = _CountedPaginator(
            referrals, PROVIDER_LIST_PAGE_SIZE, count=provider.referral_count
        )
    page = paginator.get_page(number)
    page.object_list = [ProviderReferralRow._make(row) for row in page.object_list]
    return page


def referrals_visible_to(user: User) -> QuerySet[Referral]:
    """Providers see the referrals they submitted; clinic staff see all; anyone else nothing."""
    base = Referral.objects.select_related("provider__user", "preferred_location")
    if user.role == Role.PROVIDER:
        return base.filter(provider__user=user)
    if user.role in STAFF_ROLES:
        return base
    return base.none()


def reference_possible(reference: str) -> bool:
    """Whether `reference` could name a referral at all. An address may carry anything (a NUL,
    which PostgreSQL refuses in a query, or a megabyte): those are answered as not found without
    asking the database."""
    return 0 < len(reference) <= REFERENCE_MAX_LENGTH and "\x00" not in reference


def referral_detail_for(*, user: User, reference: str) -> Referral:
    if not reference_possible(reference):
        raise Http404("No such referral")
    related = ["history", "attachments"]
    if user.is_clinic_staff:  # possible duplicates are shown to the clinic, not to providers
        related.append("duplicate_links__other")
    referral = (
        referrals_visible_to(user).prefetch_related(*related).filter(reference=reference).first()
    )
    if referral is None:
        # The same answer whether it does not exist or belongs to someone else.
        raise Http404("No such referral")
    return referral


REFERENCE_MAX_LENGTH = Referral._meta.get_field("reference").max_length


def attachment_for(*, user: User, pk: int) -> ReferralAttachment:
    attachment = (
        ReferralAttachment.objects.select_related("referral")
        .filter(referral__in=referrals_visible_to(user), pk=pk)
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment")
    return attachment


def open_intake_cases() -> QuerySet[IntakeCase]:
    return (
        IntakeCase.objects.filter(status=IntakeCase.Status.OPEN)
        .select_related("referral__provider__user", "referral__preferred_location")
        .prefetch_related("referral__duplicate_links")
        .order_by("created_at")
    )


@dataclass(frozen=True)
class QueueCase:
    """An open case as the queue lists it, in plain values: fifty rows of a case with its
    referral, provider and claimer as model instances were most of the page's work."""

    pk: int
    urgent: bool
    time_zone: ZoneInfo
    attempt_count: int
    next_attempt_at: dt.datetime | None
    callback_at: dt.datetime | None
    claimed_by_id: int | None
    claim_expires_at: dt.datetime | None
    claimed_by_first_name: str | None
    duplicates: bool
    reference: str
    patient_name: str
    preferred_language: str
    provider_verified: bool
    has_contraindications: bool
    received_at: dt.datetime  # the referral's


@dataclass
class QueueRow:
    case: QueueCase
    local_time: dt.datetime
    local_clock: str  # local_time as the page shows it ('Tue 9:00 AM')
    local_zone: str  # and its zone's abbreviation ('EST')
    in_calling_hours: bool
    callback_due: bool
    waiting_until: dt.datetime | None
    claimed_by_other: bool


QUEUE_PAGE_ROWS = 50

# What a queue row reads: the case's own columns, and its referral's, provider's and claimer's.
_CASE_FIELDS = (
    *("pk", "urgent", "time_zone", "attempt_count", "next_attempt_at", "callback_at"),
    *("claimed_by_id", "claim_expires_at"),
)
_RELATED_FIELDS = {
    "claimed_by_first_name": F("claimed_by__first_name"),
    "reference": F("referral__reference"),
    "first_name": F("referral__patient_first_name"),
    "last_name": F("referral__patient_last_name"),
    "preferred_language": F("referral__preferred_language"),
    "verified_at": F("referral__provider__verified_at"),
    "contraindications": F("referral__contraindications"),
    "received_at": F("referral__created_at"),
    "duplicates": Exists(PossibleDuplicate.objects.filter(referral_id=OuterRef("referral_id"))),
}


def _queue_case(row: dict) -> QueueCase:
    return QueueCase(
        pk=row["pk"],
        urgent=row["urgent"],
        time_zone=row["time_zone"],
        attempt_count=row["attempt_count"],
        next_attempt_at=row["next_attempt_at"],
        callback_at=row["callback_at"],
        claimed_by_id=row["claimed_by_id"],
        claim_expires_at=row["claim_expires_at"],
        claimed_by_first_name=row["claimed_by_first_name"],
        duplicates=row["duplicates"],
        reference=row["reference"],
        patient_name=f"{row['first_name']} {row['last_name']}",  # Referral.patient_name
        preferred_language=row["preferred_language"],
        provider_verified=row["verified_at"] is not None,
        has_contraindications=bool(row["contraindications"]),
        received_at=row["received_at"],
    )


def queue_rows(
    *, coordinator: User, now: dt.datetime | None = None, limit: int | None = None
) -> list[QueueRow]:
    """Open cases in the order 'Next call' takes them, with the patient's local time: first
    those that can be called now (due callbacks, then urgent, then the oldest; including those
    on another coordinator's call), then those that must wait (a retry time, or outside calling
    hours) in the same order. `limit` keeps the first so many: the callable ones come from two
    index walks (as in case_claim_next), so the page costs the same with 50 or 50,000 open."""
    now = now or timezone.now()
    cases_qs = IntakeCase.objects.open().alias(ready=ready_expression(now))
    ready = Q(ready=True)  # the rule Next call applies too (intake.queue)

    def first(queryset, order, taken: int) -> list[int]:
        ids = queryset.order_by(*order).values_list("pk", flat=True)
        return list(ids if limit is None else ids[: max(limit - taken, 0)])

    callable_now = cases_qs.filter(ready)
    ids = first(callable_now.filter(callback_at__lte=now), QUEUE_TIEBREAK, 0)
    ids += first(callable_now.exclude(callback_at__lte=now), QUEUE_TIEBREAK, len(ids))
    if limit is None or len(ids) < limit:
        ids += first(cases_qs.exclude(ready), queue_order(now), len(ids))
    # The cases are chosen and ordered on the case table alone (above), and only the ones
    # shown are then joined to their referral, provider and claimer, in one more query: the
    # planner cannot tell how many cases the calling-hours test keeps, and in one statement
    # it joined all 476 due callbacks of the benchmark's queue before sorting them.
    found = {
        row["pk"]: row
        for row in IntakeCase.objects.filter(pk__in=ids).values(*_CASE_FIELDS, **_RELATED_FIELDS)
    }
    cases = [_queue_case(found[pk]) for pk in ids if pk in found]
    rows = []
    # Every row in one zone shows the same 'now': each zone's is formatted once.
    clocks: dict[str, tuple[str, str]] = {}
    for case in cases:
        waiting = (
            case.next_attempt_at if case.next_attempt_at and case.next_attempt_at > now else None
        )
        local_time = now.astimezone(case.time_zone)
        zone = str(case.time_zone)
        if zone not in clocks:
            clocks[zone] = (
                format_date(now, "D g:i A", case.time_zone),
                format_date(now, "T", case.time_zone),
            )
        rows.append(
            QueueRow(
                case=case,
                local_time=local_time,
                local_clock=clocks[zone][0],
                local_zone=clocks[zone][1],
                in_calling_hours=within_calling_hours(now, case.time_zone),
                callback_due=bool(case.callback_at and case.callback_at <= now),
                waiting_until=waiting,
                claimed_by_other=held_by_other(case, coordinator_id=coordinator.pk, now=now),
            )
        )
    return rows


def case_for_call_screen(*, pk: int) -> IntakeCase:
    case = (
        IntakeCase.objects.select_related(
            "referral__provider__user", "referral__preferred_location", "claimed_by"
        )
        .prefetch_related(
            Prefetch("attempts", queryset=CallAttempt.objects.select_related("coordinator")),
            "referral__duplicate_links__other",
            "referral__attachments",
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404("No such case")
    return case


def _median_hours(sql: str, params: list) -> float | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (value,) = cursor.fetchone()
    return round(value / 3600, 1) if value is not None else None


def intake_metrics(*, now: dt.datetime | None = None) -> dict:
    """The coordinator dashboard's figures; medians over referrals received in the last 30 days."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=30)
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    median = (
        "SELECT percentile_cont(0.5) WITHIN GROUP "
        "(ORDER BY EXTRACT(EPOCH FROM c.{col} - r.created_at)) "
        "FROM intake_intakecase c JOIN intake_referral r ON r.id = c.referral_id "
        "WHERE r.created_at >= %s AND c.{col} IS NOT NULL"
    )
    return {
        "open_cases": IntakeCase.objects.open().count(),
        "due_callbacks": IntakeCase.objects.open().filter(callback_at__lte=now).count(),
        "attempts_today": CallAttempt.objects.filter(created_at__gte=start_of_day).count(),
        "median_to_first_attempt": _median_hours(median.format(col="first_attempt_at"), [since]),
        "median_to_first_contact": _median_hours(median.format(col="first_contact_at"), [since]),
        "median_to_intake_complete": _median_hours(median.format(col="completed_at"), [since]),
    }


def referrals_for_review(*, course_ids: list[int]) -> dict[int, Referral]:
    """What a clinician needs to decide on held courses, by course id: each course's referral
    with its provider, documents and the coordinators' call notes (as `noted_attempts`)."""
    referrals = (
        Referral.objects.filter(course_id__in=course_ids)
        .select_related("provider__user", "intake_case")
        .prefetch_related(
            "attachments",
            Prefetch(
                "intake_case__attempts",
                queryset=CallAttempt.objects.exclude(notes="")
                .select_related("coordinator")
                .order_by("created_at"),
                to_attr="noted_attempts",
            ),
        )
    )
    return {referral.course_id: referral for referral in referrals}
