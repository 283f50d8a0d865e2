import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property

from clinic.db import GENERIC_PLAN, execute_prepared
from clinic.formatting import format_date, gettext, ngettext
from clinic.models import STAFF_ROLES, Role, User

from .models import (
    ApiToken,
    CallAttempt,
    IntakeCase,
    Referral,
    ReferralAttachment,
    ReferringProvider,
    referral_status_label,
)
from .queue import ORDER, callable_sql, held_by_other, within_calling_hours


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
    state: str  # 'on a call with Dana', 'retry Tue Dec 1, 2:00 PM EST' or '2 attempts'
    received: str  # when the referral came, in the active zone


QUEUE_PAGE_ROWS = 50

# The queue page in one statement, written out (an ORM query compiled per list cost more than
# the rest of the page). `picked` chooses and orders the cases on the case table alone, three
# index walks in Next call's order (intake.queue.ORDER: urgent first, then the oldest): callable
# due callbacks, the other callable cases, then those that must wait (due callbacks first);
# UNION ALL reads its parts in turn and stops once the limit is met, so a page of 50 costs the
# same with 50 or 50,000 open. It is MATERIALIZED so that only the cases shown are then joined to
# their referral, provider and claimer: the planner cannot tell how many cases the
# calling-hours test keeps, and joined all 476 due callbacks of the benchmark's queue before
# sorting them. The status and the limit are written into the text ({open}, {limit}): with them
# as parameters a generic plan can use neither the partial indexes nor the limit (35 ms instead
# of 0.5), and with them in the text the generic plan is the custom plans' walk, whatever the
# time; _queue_cases prepares the statement and asks for that plan (planning cost 0.6 to 0.9 ms
# of every queue page).
_QUEUE_SQL = """
WITH picked AS MATERIALIZED (
    SELECT id, row_number() OVER () AS place FROM (
        (SELECT id FROM intake_intakecase
          WHERE status = '{open}' AND callback_at <= %(now)s AND {callable_now}
          ORDER BY {order} LIMIT {limit})
        UNION ALL
        (SELECT id FROM intake_intakecase
          WHERE status = '{open}' AND (callback_at IS NULL OR callback_at > %(now)s)
            AND {callable_now}
          ORDER BY {order} LIMIT {limit})
        UNION ALL
        (SELECT id FROM intake_intakecase
          WHERE status = '{open}' AND NOT ({callable_now})
          ORDER BY callback_at <= %(now)s IS NOT TRUE, {order}
          LIMIT {limit})
        LIMIT {limit}
    ) AS parts
)
SELECT c.id, c.urgent, c.time_zone, c.attempt_count, c.next_attempt_at, c.callback_at,
       c.claimed_by_id, c.claim_expires_at, claimer.first_name, r.reference,
       r.patient_first_name, r.patient_last_name, r.preferred_language,
       provider.verified_at IS NOT NULL, cardinality(r.contraindications) > 0, r.created_at,
       EXISTS (SELECT 1 FROM intake_possibleduplicate d WHERE d.referral_id = r.id)
  FROM picked
  JOIN intake_intakecase c ON c.id = picked.id
  JOIN intake_referral r ON r.id = c.referral_id
  JOIN intake_referringprovider provider ON provider.id = r.provider_id
  LEFT JOIN clinic_user claimer ON claimer.id = c.claimed_by_id
 ORDER BY picked.place
"""


def _queue_cases(now: dt.datetime, limit: int | None) -> list[QueueCase]:
    callable_now, callable_params = callable_sql(now)
    # callable_sql's placeholders are positional; this statement names its own.
    names = [f"callable_{i}" for i in range(len(callable_params))]
    callable_named = callable_now.replace("%s", "{}").format(*(f"%({n})s" for n in names))
    sql = _QUEUE_SQL.format(
        callable_now=callable_named,
        order=ORDER,
        open=IntakeCase.Status.OPEN.value,
        limit="NULL" if limit is None else int(limit),  # NULL: every open case
    )
    params = {"now": now, **dict(zip(names, callable_params, strict=True))}
    with connection.cursor() as cursor:
        # For this round trip only outside a transaction; inside one, to its end (harmless:
        # the portal's other prepared statements settle on their generic plans by themselves).
        execute_prepared(cursor, sql, params, before=GENERIC_PLAN)
        rows = cursor.fetchall()
    return [
        QueueCase(
            pk=pk,
            urgent=urgent,
            time_zone=ZoneInfo(zone),  # kept by zoneinfo: one object per zone
            attempt_count=attempts,
            next_attempt_at=next_attempt_at,
            callback_at=callback_at,
            claimed_by_id=claimed_by_id,
            claim_expires_at=claim_expires_at,
            claimed_by_first_name=claimer,
            duplicates=duplicates,
            reference=reference,
            patient_name=f"{first} {last}",  # Referral.patient_name
            preferred_language=language,
            provider_verified=verified,
            has_contraindications=contraindicated,
            received_at=received_at,
        )
        for (
            pk,
            urgent,
            zone,
            attempts,
            next_attempt_at,
            callback_at,
            claimed_by_id,
            claim_expires_at,
            claimer,
            reference,
            first,
            last,
            language,
            verified,
            contraindicated,
            received_at,
            duplicates,
        ) in rows
    ]


def queue_rows(
    *, coordinator: User, now: dt.datetime | None = None, limit: int | None = None
) -> list[QueueRow]:
    """Open cases in the order 'Next call' takes them, with the patient's local time: first
    those that can be called now (due callbacks, then urgent, then the oldest; including those
    on another coordinator's call), then those that must wait (a retry time, or outside calling
    hours) in the same order. `limit` keeps the first so many."""
    now = now or timezone.now()
    shown_in = timezone.get_current_timezone()
    rows = []
    # Every row in one zone shows the same 'now': each zone's is formatted once; and a page
    # says '2 attempts' many times: each count's words are looked up once.
    clocks: dict[ZoneInfo, tuple[dt.datetime, str, str, bool]] = {}
    attempts: dict[int, str] = {}
    for case in _queue_cases(now, limit):
        zone = case.time_zone
        if zone not in clocks:
            clocks[zone] = (
                now.astimezone(zone),
                format_date(now, "D g:i A", zone),
                format_date(now, "T", zone),
                within_calling_hours(now, zone),
            )
        local_time, local_clock, local_zone, in_hours = clocks[zone]
        waiting = (
            case.next_attempt_at if case.next_attempt_at and case.next_attempt_at > now else None
        )
        claimed_by_other = held_by_other(case, coordinator_id=coordinator.pk, now=now)
        if claimed_by_other:
            state = gettext("on a call with %(name)s") % {"name": case.claimed_by_first_name}
        elif waiting:
            state = f"{gettext('retry')} {format_date(waiting, 'D M j, g:i A T', zone)}"
        else:
            n = case.attempt_count
            if n not in attempts:
                attempts[n] = ngettext("%(n)s attempt", "%(n)s attempts", n) % {"n": n}
            state = attempts[n]
        rows.append(
            QueueRow(
                case=case,
                local_time=local_time,
                local_clock=local_clock,
                local_zone=local_zone,
                in_calling_hours=in_hours,
                callback_due=bool(case.callback_at and case.callback_at <= now),
                waiting_until=waiting,
                claimed_by_other=claimed_by_other,
                state=state,
                received=format_date(case.received_at, "M j, g:i A T", shown_in),
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
