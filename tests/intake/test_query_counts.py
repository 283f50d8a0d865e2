"""Query counts of the intake pages, pinned: each page is measured with 1 and with 50 of what
it lists (referrals, open cases, call attempts, duplicate links, history entries) and must cost
the same number of queries both times. A count that grows with the data is an N+1 to fix in
the selector."""

import datetime as dt
import re
from zoneinfo import ZoneInfo, available_timezones

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from billing.payments.models import Payment, PaymentKind, PaymentStatus
from clinic.models import Role
from intake import services
from intake.models import (
    CallOutcome,
    IntakeCase,
    PossibleDuplicate,
    ReferralStatus,
    ReferralStatusChange,
)
from outcomes.models import DiaryDay
from scheduling.services import session_book, session_cancel
from tests.factories.intake import ProviderFactory, referral_data, submit_referral
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory
from tests.intake.test_chart import at, make_clinic, patient_from_intake

pytestmark = pytest.mark.django_db

SIZES = [1, 50]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Pinned counts, the same with 1 and with 50 of everything the page lists.
# One statement: capped index walks (due callbacks, the other callable cases, then the waiting)
# choose the first 50 cases on the case table alone, and only those are joined to their
# referral, provider and claimer (intake.selectors._QUEUE_SQL).
QUEUE = 3
NEXT_CALL = 5  # claim-next: one query string (SET LOCAL and the statement), whatever the queue
CALL_SCREEN = 8
DASHBOARD = 8
# Sign-in (session, user), the provider with their count of referrals, one page of rows.
PROVIDER_LIST = 4
# Sign-in (session, user), then the referral with its history and documents in one statement
# (intake.referral_page; 5 when they were three reads, 7 when possible duplicates were read for
# providers too, who are not shown them).
REFERRAL_DETAIL_PROVIDER = 3
# A provider's referral with an outcome report (a referral made through intake): sign-in, the
# referral with its history, documents and what the report is computed from (the plan's days,
# the infusions given, the MIDAS answers) in one statement, then the diary's windows (9 when
# the referral, history, documents, plan, infusions and answers were six reads).
REFERRAL_DETAIL_PROVIDER_REPORT = 4
# Sign-in (session, user with the second factor's device), the referral with its possible
# duplicates in the same statement, and the audit row (9 before).
REFERRAL_DETAIL_STAFF = 4
# The chart: sign-in (session, user with device), then the patient with every section (referrals
# with their documents, history, duplicates and calls, courses with sessions and history,
# estimates, GFEs owed, consents, messages, replies, invitations, the outcome plan with its
# diary days and questionnaire answers, whether there are payments) in one statement
# (intake.chart), and the audit row; a patient with payments adds their ledger's read. 24
# when each section was its own query.
PATIENT_CHART = 4
PEOPLE_SEARCH = 4  # the referrals found (20 people at most) and one audit INSERT for them all


@pytest.fixture
def location(db):
    return LocationFactory(slug="boston", name="Boston")


def _zone_at_midday() -> str:
    """A zone where it is now midday, so every case is inside calling hours whatever the clock."""
    now = timezone.now()
    return next(
        z
        for z in sorted(available_timezones())
        if 11 <= now.astimezone(ZoneInfo(z)).hour <= 15 and "/" in z
    )


def _open_cases(location, n: int) -> list[IntakeCase]:
    """n referrals from n providers, each with an open case in calling hours: pairs share a
    phone (linked as possible duplicates), a third are on another coordinator's call, a third
    wait for a callback after a first attempt."""
    referrals = [
        submit_referral(
            provider=ProviderFactory(),
            location=location,
            mobile_phone=f"+1617555{i // 2:04d}",
            patient_last_name=f"Queue{i:03d}",
        )
        for i in range(n)
    ]
    IntakeCase.objects.update(time_zone=_zone_at_midday())
    cases = [r.intake_case for r in referrals]
    for i, case in enumerate(cases):
        other = UserFactory(role=Role.COORDINATOR, first_name=f"Colleague{i}")
        if i % 3 == 1:
            services.case_claim(case=case, coordinator=other)
        elif i % 3 == 2:
            services.call_log(
                case=case,
                coordinator=other,
                outcome=CallOutcome.CALLBACK,
                callback_at=timezone.now() + dt.timedelta(days=1),
            )
    return cases


def _coordinator(client):
    user = UserFactory(role=Role.COORDINATOR)
    client.force_login(user)
    return user


@pytest.mark.parametrize("n", SIZES)
def test_queue_dashboard_and_next_call_cost_the_same_with_50_open_cases(
    n, location, client, django_assert_num_queries
):
    cases = _open_cases(location, n)
    _coordinator(client)
    client.get(reverse("intake:queue"))
    with django_assert_num_queries(QUEUE):
        page = client.get(reverse("intake:queue")).content.decode()
    assert all(case.referral.reference in page for case in cases)
    with django_assert_num_queries(DASHBOARD):
        response = client.get(reverse("intake:dashboard"))
    assert response.context["metrics"]["open_cases"] == n
    with django_assert_num_queries(NEXT_CALL):
        response = client.post(reverse("intake:next_call"))
    assert response["Location"] == reverse("intake:call_screen", args=[cases[0].pk])


@pytest.mark.parametrize("n", SIZES)
def test_call_screen_and_referral_detail_cost_the_same_with_50_attempts_links_and_entries(
    n, location, client, django_assert_num_queries
):
    provider = ProviderFactory()
    referral, _created = services.referral_submit(
        provider=provider,
        data=referral_data(location=location, patient_last_name="Main"),
        attachments=[
            SimpleUploadedFile(f"notes-{i}.pdf", PDF, content_type="application/pdf")
            for i in range(5)  # the most a referral may carry
        ],
    )
    case = referral.intake_case
    for i in range(n):  # each by another coordinator; a callback keeps the case open
        services.call_log(
            case=case,
            coordinator=UserFactory(role=Role.COORDINATOR),
            outcome=CallOutcome.CALLBACK,
            callback_at=timezone.now() + dt.timedelta(days=1, minutes=i),
        )
    _link_duplicates(referral, location, n)
    # History entries written directly: the real transitions are few, but the page must not
    # pay per entry however many there are.
    ReferralStatusChange.objects.bulk_create(
        ReferralStatusChange(
            referral=referral,
            from_status=ReferralStatus.CONTACTING,
            to_status=ReferralStatus.CONTACTING,
            reason=f"Entry {i}",
        )
        for i in range(n)
    )

    _coordinator(client)
    url = reverse("intake:call_screen", args=[case.pk])
    client.get(url)
    with django_assert_num_queries(CALL_SCREEN):
        page = client.get(url).content.decode()
    assert page.count("Reached: callback requested</strong>") == n
    assert page.count("(Same date of birth and name)") == n

    detail = reverse("intake:referral_detail", args=[referral.reference])
    with django_assert_num_queries(REFERRAL_DETAIL_STAFF):
        page = client.get(detail).content.decode()
    assert page.count("Entry ") == n
    assert page.count("(Same date of birth and name)") == n
    client.force_login(provider.user)
    client.get(detail)
    with django_assert_num_queries(REFERRAL_DETAIL_PROVIDER):
        page = client.get(detail).content.decode()
    assert page.count("Entry ") == n and "notes-4.pdf" in page
    # The possible duplicates are the clinic's to resolve; another patient's reference is not
    # the referring provider's to see.
    assert "Possible duplicate" not in page and "(Same date of birth and name)" not in page


def _link_duplicates(referral, location, n: int) -> None:
    """n other referrals linked to this one as possible duplicates. The links are made here
    rather than by submitting n look-alikes, which would link every pair (n² rows)."""
    others = [
        submit_referral(
            location=location, mobile_phone=f"+1508555{i:04d}", patient_last_name=f"D{i}"
        )
        for i in range(n)
    ]
    PossibleDuplicate.objects.bulk_create(
        PossibleDuplicate(referral=referral, other=o, reason=PossibleDuplicate.Reason.DOB_AND_NAME)
        for o in others
    )


@pytest.mark.parametrize("n", SIZES)
def test_provider_referral_list_costs_the_same_with_50_referrals(
    n, location, client, django_assert_num_queries
):
    provider = ProviderFactory()
    for i in range(n):
        submit_referral(
            provider=provider,
            location=location,
            mobile_phone=f"+1617555{i:04d}",
            patient_last_name=f"List{i:03d}",
        )
    client.force_login(provider.user)
    url = reverse("intake:provider_home")
    client.get(url)
    with django_assert_num_queries(PROVIDER_LIST):
        page = client.get(url).content.decode()
    assert len(re.findall(r'href="/referrals/R-', page)) == min(n, 20)  # 20 a page
    assert ("Page 1 of 3" in page) == (n == 50)  # the provider's count, not a COUNT query


def _diary_days(course, n):
    """n answered diary days, the newest yesterday (the chart's outcome figures read them all)."""

    plan = course.outcome_plan
    today = timezone.now().date()
    plan.diary_starts_on = today - dt.timedelta(days=n + 1)
    plan.save(update_fields=["diary_starts_on"])
    DiaryDay.objects.bulk_create(
        DiaryDay(
            plan=plan,
            day=today - dt.timedelta(days=i + 1),
            headache=i % 2 == 0,
            migraine=False,
            worst_pain=4 if i % 2 == 0 else 0,
            acute_medication=False,
            recorded_at=timezone.now(),
        )
        for i in range(n)
    )


@pytest.mark.parametrize("n", SIZES)
def test_patient_chart_costs_the_same_with_50_calls_sessions_messages_and_links(
    n, client, django_assert_num_queries
):
    location = make_clinic()
    patient, referral = patient_from_intake(location, attempts=n)
    for i in range(n):  # each booked then cancelled: reminders, estimates and history lines
        session = session_book(course=referral.course, starts_at=at(2 + i), by=None)
        session_cancel(session=session, by=None)
    session_book(course=referral.course, starts_at=at(2 + n), by=None)
    _link_duplicates(referral, location, n)
    _diary_days(referral.course, n)

    _coordinator(client)
    url = reverse("intake:patient_chart", args=[patient.pk])
    client.get(url)
    with django_assert_num_queries(PATIENT_CHART):
        page = client.get(url).content.decode()
    assert page.count("Reached: callback requested") == n - 1
    assert page.count("(Same date of birth and name)") == n
    assert page.count(">Cancelled<") == n
    assert f"{n} diary day" in page


@pytest.mark.parametrize("n", SIZES)
def test_a_chart_with_payments_reads_their_ledger_once(n, client, django_assert_num_queries):
    """Payments are shown through billing's ledger (model rows, its shared partial): read in
    one more query for a patient who has any, whatever their number."""

    location = make_clinic()
    patient, referral = patient_from_intake(location)
    for i in range(n):
        Payment.objects.create(
            patient=patient,
            course=referral.course,
            kind=PaymentKind.DEPOSIT,
            amount_cents=2500 + i,
            status=PaymentStatus.SUCCEEDED,
            idempotency_key=f"deposit-{i}",
            description="Deposit",
        )
    _coordinator(client)
    url = reverse("intake:patient_chart", args=[patient.pk])
    client.get(url)
    with django_assert_num_queries(PATIENT_CHART + 1):
        page = client.get(url).content.decode()
    assert page.count("<td>Deposit") == n and "Superbill (PDF)" in page


@pytest.mark.parametrize("n", SIZES)
def test_people_search_costs_the_same_with_50_matches(
    n, location, client, django_assert_num_queries
):
    for i in range(n):
        submit_referral(
            location=location, mobile_phone=f"+1617555{i:04d}", patient_last_name=f"Núñez{i:03d}"
        )
    _coordinator(client)
    url = reverse("intake:people_search")
    client.get(url, {"q": "nunez"})
    with django_assert_num_queries(PEOPLE_SEARCH):
        page = client.get(url, {"q": "nunez"}, headers={"HX-Request": "true"}).content.decode()
    assert page.count("Núñez") == min(n, 20)


@pytest.mark.parametrize("n", SIZES)
def test_provider_outcome_report_costs_the_same_with_50_diary_days(
    n, client, django_assert_num_queries
):
    """The provider's referral page with its outcome report (issue 22): the figures are
    computed from every diary day in three reads, whatever their number."""

    location = make_clinic()
    _patient, referral = patient_from_intake(location)
    plan = referral.course.outcome_plan
    today = timezone.now().date()
    plan.first_session_on = today - dt.timedelta(days=45)
    plan.last_session_on = plan.course_completed_on = today - dt.timedelta(days=40)
    plan.diary_starts_on = today - dt.timedelta(days=45 + 50)
    plan.save()
    _diary_days(referral.course, n)
    plan.refresh_from_db()
    client.force_login(referral.provider.user)
    detail = reverse("intake:referral_detail", args=[referral.reference])
    client.get(detail)
    with django_assert_num_queries(REFERRAL_DETAIL_PROVIDER_REPORT):
        page = client.get(detail).content.decode()
    assert "Outcome report" in page
