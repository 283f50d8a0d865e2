"""Query counts of the scheduling pages, pinned: each page is measured with 1 and with 50 of
what it lists (sessions, courses, shifts, chairs, holds) and must cost the same number of
queries both times. A count that grows with the data is an N+1 to fix in the selector."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Estimate, GfeObligation, GfeTrigger
from billing.services import gfe_record_request
from billing.tasks import issue_course_estimate
from clinic.messaging.models import Message
from clinic.models import PatientProfile, Role
from intake import services as intake_services
from intake.models import CallOutcome, ChecklistItem
from intake.services.calls import invitation_accept
from outcomes.services import diary_day_record, instrument_response_record, plan_start
from scheduling.availability import free_start_times
from scheduling.models import SessionStatus
from scheduling.services import (
    course_book_sessions,
    course_create,
    session_book,
    session_cancel,
    slot_hold,
)
from tests.factories.billing import FacilityBillingIdentityFactory, fee_schedule
from tests.factories.intake import submit_referral
from tests.factories.scheduling import (
    ChairFactory,
    ClinicianFactory,
    LocationFactory,
    PatientFactory,
    SessionTypeFactory,
    StaffShiftFactory,
    open_every_day,
)
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
SIZES = [1, 50]

# Pinned counts, the same with 1 and with 50 of everything the page lists. The booking writes
# cost more because each booked session plans its reminders (stored unrendered, in one INSERT)
# and the booking e-mail is stored with its action links (one INSERT) in the same transaction.
# A patient's profile comes with the signed-in user (clinic.auth_backends.get_user): one
# statement less on their pages (PATIENT_HOME was 5, DAY_PICKER 14).
# The booking snapshot (scheduling.availability.load_snapshot) is one statement, 8 before: 7
# less wherever free times are worked out or a booking checks its time (DAY_PICKER was 13,
# FREE_TIMES_14_DAYS 8, HOLD_POST 18, CONFIRM_POST 45, PLAN_POST 76 (a snapshot for each of the
# 3 sessions), COORDINATOR_COURSE 19, COORDINATOR_COURSE_TIMES 16, BOOK_STATEMENTS 45,
# PLAN_3_STATEMENTS 75).
PATIENT_HOME = 4
DAY_PICKER = 6
FREE_TIMES_14_DAYS = 1
HOLD_POST = 11
# The GFE reissued: its stored document, its notice to the patient. (87 before the course kept
# its diagnosis codes: billing no longer reads the referral; 86 before the reminders and the
# booking e-mail were written by the dispatcher, the plan and links inserted in bulk.)
# Plus 3 for the outcome plan (issue 22): locked, the first and last infusion read, its dates
# written; once for a whole course (one SessionBooked). 74 before the booking did only what its
# transaction needs (see BOOK_STATEMENTS); 45 before each message went with its history rows and
# the session with its own and the holds' DELETE (see BOOK_STATEMENTS); 40 before the hold came
# with the patient's current course in one read (selectors.hold_for_patient) and the fee
# schedule with its items and packages (billing.selectors.price_list_for); 37 before the GFEs owed
# were read once for the obligation and the estimate, 36 before the estimate's lines went with
# its INSERT, 35 before the time's check read its snapshot in one statement (see
# BOOK_STATEMENTS); 28 before the Good Faith Estimate was issued after the commit (see
# BOOK_STATEMENTS).
CONFIRM_POST = 21
# 164 before: the diagnosis codes, and the patient's profile read once, not once per session;
# 161 before the reminders and the e-mail waited for the dispatcher; 117 before the booking did
# only what its transaction needs; 76 before the statements were combined (see BOOK_STATEMENTS).
# 61 before the fee schedule was read in one statement, 59 before the three days' locks were
# taken in one statement and the GFEs owed read once, 56 before the estimate's lines went with
# its INSERT, 55 before the time's check read its snapshot in one statement, once per session
# (see BOOK_STATEMENTS); 34 before the Good Faith Estimate was issued after the commit; 27
# before the location came with the course and the course's summary was read only for a page.
PLAN_POST = 25
# The signed-in staff member (session, user, second factor: 3), the page in one statement
# (scheduling.day_page: the locations, the day's chairs, hours, sessions and shifts) and one
# audit INSERT. 10 before it was read through the ORM (the locations twice, four for the day).
DAY_VIEW = 4
# The review cards' referrals and notes; the courses' audit INSERT (none for referrals here);
# the patients' outcome plans, their diary days and their MIDAS answers (3, issue 22). The day
# as on the day view (DAY_VIEW): 16 before the day was read in one statement.
CLINICIAN_HOME = 10
COURSE_LIST = 4  # one audit INSERT for every patient listed
COORDINATOR_COURSE = 11  # with the course history and its GFEs no longer required; the
# location options read once (clinic.forms.ShortListIterator)
COORDINATOR_COURSE_TIMES = 8
COURSE_CANCEL_CONFIRM = 7  # the page that names every session a course cancel takes


def _day(days: int) -> dt.date:
    return timezone.now().astimezone(NY).date() + dt.timedelta(days=days)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def _iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


@pytest.fixture
def clinic(db):
    """Boston, open 8:00-18:00 every day, with one chair and one clinician on duty to start."""
    location = LocationFactory(time_zone=NY, name="Boston", slug="boston")
    open_every_day(location)
    SessionTypeFactory()
    ChairFactory(location=location, name="Chair 0")
    FacilityBillingIdentityFactory(location=location)
    fee_schedule(location, effective_date=timezone.now().date() - dt.timedelta(days=30))
    StaffShiftFactory(
        location=location,
        starts_at=timezone.now() - dt.timedelta(days=1),
        ends_at=timezone.now() + dt.timedelta(days=90),
    )
    return location


def _patient(**kwargs):
    patient = PatientFactory(**kwargs)
    PatientProfile.objects.create(
        user=patient,
        date_of_birth=dt.date(1980, 1, 1),
        sex="female",
        zip_code="02116",
        time_zone=NY,
    )
    return patient


def _patient_from_intake(location, planned=4):
    """A patient made the real way (referral, intake call, invitation accepted), so that with
    a diagnosis on file every booking also issues a new estimate, as it does for real."""
    coordinator = UserFactory(role=Role.COORDINATOR)
    referral = submit_referral(
        location=location, email="booker@example.test", patient_last_name="Booker"
    )
    case = referral.intake_case
    intake_services.case_claim(case=case, coordinator=coordinator)
    for item in ChecklistItem.values:
        intake_services.case_set_checklist_item(
            case=case, coordinator=coordinator, item=item, ticked=True
        )
    intake_services.call_log(
        case=case,
        coordinator=coordinator,
        outcome=CallOutcome.INTAKE_COMPLETE,
        planned_sessions=planned,
    )
    referral.refresh_from_db()
    sms = Message.objects.get(recipient=referral.patient, kind="portal_invitation", channel="sms")
    token = sms.body.rsplit("/welcome/", 1)[1].strip().strip("/")
    patient = invitation_accept(token=token, password="a-long-new-password")
    return patient, referral.course


def _course(location, patient=None, planned=4, review=False):
    return course_create(
        patient=patient or PatientFactory(),
        location=location,
        planned_sessions=planned,
        needs_clinician_review=review,
        created_by=None,
    )


def _fill(location, n: int, days: list[dt.date]) -> None:
    """n other patients' sessions at the location, spread over `days`, each in its own chair
    with a clinician on duty to monitor it (booked through the real service)."""
    for i in range(n):
        ChairFactory(location=location, name=f"Chair {i + 1:02d}")
        StaffShiftFactory(
            location=location,
            clinician=ClinicianFactory(),
            starts_at=timezone.now() - dt.timedelta(days=1),
            ends_at=timezone.now() + dt.timedelta(days=90),
            monitoring_capacity=1,
        )
    for i in range(n):
        day = days[i % len(days)]
        session_book(course=_course(location), starts_at=_at(day, 8 + i % 8), by=None)


def _history(course, n: int, first_day: int) -> None:
    """n sessions of the course booked and then cancelled (each with its reminders planned and
    cancelled), from `first_day` days ahead on."""
    for i in range(n):
        session = session_book(course=course, starts_at=_at(_day(first_day + i), 9), by=None)
        session_cancel(session=session, by=None)


# --- patients ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_course_page_costs_the_same_with_50_sessions_in_its_history(
    n, clinic, client, django_assert_num_queries
):
    patient = _patient()
    course = _course(clinic, patient=patient)
    _history(course, n - 1, first_day=2)  # the course page lists them all
    session_book(course=course, starts_at=_at(_day(2 + n), 9), by=patient)
    client.force_login(patient)
    url = reverse("scheduling:patient_home")
    client.get(url)
    with django_assert_num_queries(PATIENT_HOME):
        page = client.get(url).content.decode()
    assert page.count("· Cancelled") == n - 1
    assert "Your next session" in page


def _pin_day_picker(n, clinic, client, django_assert_num_queries):
    day = _day(3)
    _fill(clinic, n, [day])
    patient = _patient()
    _course(clinic, patient=patient)
    client.force_login(patient)
    url = reverse("scheduling:patient_book")
    query = {"location": clinic.pk, "date": day.isoformat()}
    client.get(url, query, headers={"HX-Request": "true"})
    with django_assert_num_queries(DAY_PICKER):
        response = client.get(url, query, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'name="starts_at"' in response.content.decode()


@pytest.mark.parametrize("n", SIZES)
def test_day_picker_fragment_costs_the_same_on_a_full_day(
    n, clinic, client, django_assert_num_queries
):
    _pin_day_picker(
        n=n, clinic=clinic, client=client, django_assert_num_queries=django_assert_num_queries
    )


def _pin_free_times(n, clinic, django_assert_num_queries):
    days = [_day(2 + d) for d in range(14)]
    _fill(clinic, n, days)
    for i in range(n):
        slot_hold(course=_course(clinic), starts_at=_at(days[i % 14], 16))
    course = _course(clinic)
    with django_assert_num_queries(FREE_TIMES_14_DAYS):
        free = free_start_times(
            course=course, location=clinic, first_day=days[0], last_day=days[-1]
        )
    assert len(free) == 14 and all(free.values())


@pytest.mark.parametrize("n", SIZES)
def test_free_times_of_14_days_cost_the_same_with_50_sessions_and_holds(
    n, clinic, django_assert_num_queries
):
    _pin_free_times(n=n, clinic=clinic, django_assert_num_queries=django_assert_num_queries)


def _pin_hold_and_confirm(n, clinic, client, django_assert_num_queries):
    day = _day(7)  # far enough ahead that every reminder of the plan is still to come
    _fill(clinic, n, [day])
    patient, course = _patient_from_intake(clinic)
    _history(course, n, first_day=20)
    versions = Estimate.objects.filter(patient=patient).count()
    client.force_login(patient)
    client.get(reverse("scheduling:patient_home"))
    data = {"starts_at": _iso(_at(day, 15)), "location": clinic.pk}
    with django_assert_num_queries(HOLD_POST):
        response = client.post(reverse("scheduling:patient_hold"), data)
    assert response.status_code == 302 and "/my/hold/" in response["Location"]
    with django_assert_num_queries(CONFIRM_POST):
        response = client.post(response["Location"])
    assert response.status_code == 302 and "/my/booked/" in response["Location"]
    assert patient.infusion_sessions.filter(status=SessionStatus.BOOKED).count() == 1
    assert Estimate.objects.filter(patient=patient).count() == versions  # owed, not yet issued
    assert issue_course_estimate(course.pk, "Sessions booked", patient.pk) is not None  # commit
    assert Estimate.objects.filter(patient=patient).count() == versions + 1  # new dates


@pytest.mark.parametrize("n", SIZES)
def test_hold_and_confirm_cost_the_same_beside_50_bookings_and_50_cancelled(
    n, clinic, client, django_assert_num_queries
):
    _pin_hold_and_confirm(
        n=n, clinic=clinic, client=client, django_assert_num_queries=django_assert_num_queries
    )


def _pin_plan(n, clinic, client, django_assert_num_queries):
    days = [_day(7 + d) for d in range(14)]  # every reminder of the plan still to come
    _fill(clinic, n, days)
    patient, course = _patient_from_intake(clinic, planned=3)
    _history(course, n, first_day=20)
    versions = Estimate.objects.filter(patient=patient).count()
    client.force_login(patient)
    client.get(reverse("scheduling:patient_home"))
    starts = [_at(days[d], 15).strftime("%Y-%m-%dT%H:%M") for d in (0, 2, 4)]
    with django_assert_num_queries(PLAN_POST):
        response = client.post(
            reverse("scheduling:patient_plan"), {"location": clinic.pk, "starts": starts}
        )
    assert response.status_code == 302 and "/my/booked/" in response["Location"]
    assert patient.infusion_sessions.filter(status=SessionStatus.BOOKED).count() == 3
    assert Estimate.objects.filter(patient=patient).count() == versions  # owed, not yet issued
    assert issue_course_estimate(course.pk, "Sessions booked", patient.pk) is not None  # commit
    assert Estimate.objects.filter(patient=patient).count() == versions + 1  # new dates


@pytest.mark.parametrize("n", SIZES)
def test_plan_my_course_costs_the_same_beside_50_bookings_and_50_cancelled(
    n, clinic, client, django_assert_num_queries
):
    _pin_plan(
        n=n, clinic=clinic, client=client, django_assert_num_queries=django_assert_num_queries
    )


# The statements of the booking itself (session_book, course_book_sessions), without the page
# around it: what runs inside the booking transaction. Before issue 19 moved the rendering of
# the reminders and the booking e-mail to the dispatcher and inserted the plan and links in
# bulk: 94 and 168. Then 3 more for the outcome plan (issue 22): locked, the first and last
# infusion read, its dates written, once per booking: 82 and 124. Then 54 and 90: the course's
# location and patient profile read with its lock, its active sessions once (their dates passed
# with SessionBooked to billing and outcomes), the placed sessions not read again, the profile
# locked once for billing, the referral locked at its first read (with its provider), no
# savepoint where nothing is caught (the session's INSERT, the referral's move, the GFE's
# obligation and estimate, the estimate's notice), and the estimate's document stored after
# the commit (billing.tasks.store_estimate_document). Then 45 and 75: each message stored by
# INSERT … ON CONFLICT DO NOTHING (a taken dedupe key is no error), not between a SAVEPOINT
# and its RELEASE, and the reminder plan's taken keys read only when some were. Then 39 and 59:
# each message stored with its history rows in one statement (a data-modifying CTE), the
# sessions' reminders planned together (one read of the plan, one INSERT for the course's three),
# and each session inserted with its history row (the last with the DELETE of the holds).
# Then 37 and 57: the fee schedule in effect read with its items and packages in one statement.
# Then 36 and 54: the GFEs owed to the patient read once, under the profile's lock, for both the
# obligation the booking records and the estimate that meets them (billing.services.gfe
# _owed_to), and a plan's location-day locks taken in one statement (in key order). Then 35 and
# 53: the estimate's lines inserted with the estimate, in one statement. Then 28 and 32: the
# time's check reads its snapshot in one statement, not eight (once per session). Then 21 and
# 25: billing records in the booking's transaction only the GFE owed (the profile locked, the
# one owed read, the obligation written); the estimate that meets it (its billing identity,
# fee schedule, number, row and lines, the obligation met, the patient's notice) is issued
# after the commit by billing.tasks.issue_course_estimate.
BOOK_STATEMENTS = 21
PLAN_3_STATEMENTS = 25


@pytest.mark.parametrize("planned", [1, 3])
def test_a_booking_and_a_planned_course_of_3_take_a_fixed_number_of_statements(
    planned, clinic, django_assert_num_queries
):
    patient, course = _patient_from_intake(clinic, planned=planned)
    starts = [_at(_day(7 + 2 * d), 15) for d in range(planned)]
    expected = BOOK_STATEMENTS if planned == 1 else PLAN_3_STATEMENTS
    with django_assert_num_queries(expected):
        if planned == 1:
            session_book(course=course, starts_at=starts[0], by=patient)
        else:
            course_book_sessions(course=course, starts=starts, by=patient)
    booked = Message.objects.filter(recipient=patient, topic__startswith="session:")
    assert booked.filter(kind="booking_confirmation").count() == planned
    assert Message.objects.filter(recipient=patient, kind="booking_booked").count() == 1


def test_a_booking_records_the_gfe_it_owes_reading_what_is_owed_once_and_its_task_meets_both(
    clinic, django_assert_num_queries, estimates_after_commit
):
    """Billing reads the GFEs owed to the patient once in the booking, under the profile's
    lock, to record the one the course owes; the estimate issued after the commit
    (billing.tasks.issue_course_estimate) meets it and the GFE the patient asked for before
    booking."""
    patient, course = _patient_from_intake(clinic, planned=1)
    asked = gfe_record_request(patient=patient, location=clinic)
    with estimates_after_commit():
        with CaptureQueriesContext(connection) as queries:
            session = session_book(course=course, starts_at=_at(_day(14), 15), by=patient)
        owed_reads = [q for q in queries if 'FROM "billing_gfeobligation"' in q["sql"]]
        assert len(owed_reads) == 1 and "FOR UPDATE" not in owed_reads[0]["sql"]
        assert not Estimate.objects.filter(patient=patient, version=2).exists()
    estimate = Estimate.objects.get(patient=patient, version=2)
    assert estimate.scheduled_starts == [session.starts_at]
    obligations = GfeObligation.objects.filter(patient=patient).order_by("pk")
    assert [(o.trigger, o.met_by_id) for o in obligations] == [
        (GfeTrigger.REQUESTED, estimate.pk),
        (GfeTrigger.SCHEDULED, estimate.pk),
    ]
    assert obligations[1].course_id == course.pk and obligations[1].infusion_count == 1
    asked.refresh_from_db()
    assert asked.met_at == estimate.issued_at


# The counts do not depend on the hour, the weekday or a DST change: the same pins at every
# instant of tests/clock.py's SWEEP (with one row each, to keep the sweep quick).


@pytest.mark.clock_sweep
def test_the_day_picker_pin_holds_at_every_instant(clinic, client, django_assert_num_queries):
    _pin_day_picker(
        n=1, clinic=clinic, client=client, django_assert_num_queries=django_assert_num_queries
    )


@pytest.mark.clock_sweep
def test_the_free_times_pin_holds_at_every_instant(clinic, django_assert_num_queries):
    _pin_free_times(n=1, clinic=clinic, django_assert_num_queries=django_assert_num_queries)


@pytest.mark.clock_sweep
def test_the_hold_and_confirm_pin_holds_at_every_instant(clinic, client, django_assert_num_queries):
    _pin_hold_and_confirm(
        n=1, clinic=clinic, client=client, django_assert_num_queries=django_assert_num_queries
    )


@pytest.mark.clock_sweep
def test_the_plan_my_course_pin_holds_at_every_instant(clinic, client, django_assert_num_queries):
    _pin_plan(
        n=1, clinic=clinic, client=client, django_assert_num_queries=django_assert_num_queries
    )


# --- staff -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_day_view_costs_the_same_with_50_chairs_shifts_and_sessions(
    n, clinic, client, django_assert_num_queries
):
    day = _day(3)
    _fill(clinic, n, [day])
    client.force_login(UserFactory(role=Role.COORDINATOR))
    url = reverse("scheduling:staff_day")
    query = {"location": clinic.pk, "date": day.isoformat()}
    client.get(url, query)
    with django_assert_num_queries(DAY_VIEW):
        page = client.get(url, query).content.decode()
    assert page.count("· Booked") == n


@pytest.mark.parametrize("n", SIZES)
def test_clinician_home_costs_the_same_with_50_reviews_and_a_full_day(
    n, clinic, client, django_assert_num_queries
):
    day = timezone.now().astimezone(NY).date()
    _fill(clinic, n, [day + dt.timedelta(days=2)])
    for _ in range(n):
        course = _course(clinic, review=True)
        # Each card shows the patient's outcome figures: a plan, a diary day, a MIDAS.
        now = timezone.now()
        plan = plan_start(course=course, now=now)
        diary_day_record(
            plan=plan,
            day=plan.diary_starts_on,
            headache=False,
            migraine=False,
            worst_pain=0,
            acute_medication=False,
            now=now,
        )
        instrument_response_record(
            plan=plan,
            instrument_key="midas",
            time_point="baseline",
            answers=dict.fromkeys(
                (
                    "missed_work",
                    "reduced_work",
                    "missed_housework",
                    "reduced_housework",
                    "missed_social",
                ),
                1,
            ),
            now=now,
        )
    client.force_login(ClinicianFactory(prescriber="physician"))
    url = reverse("scheduling:clinician_home")
    query = {"location": clinic.pk, "date": (day + dt.timedelta(days=2)).isoformat()}
    client.get(url, query)
    with django_assert_num_queries(CLINICIAN_HOME):
        page = client.get(url, query).content.decode()
    assert page.count('value="approve"') == n
    assert page.count("5 (grade I)") == n  # each card's baseline MIDAS
    assert page.count('value="check_in"') == n


@pytest.mark.parametrize("n", SIZES)
def test_coordinator_course_list_costs_the_same_with_50_courses(
    n, clinic, client, django_assert_num_queries
):
    for _ in range(n):
        _course(clinic)
    client.force_login(UserFactory(role=Role.COORDINATOR))
    url = reverse("scheduling:coordinator_courses")
    client.get(url)
    with django_assert_num_queries(COURSE_LIST):
        page = client.get(url).content.decode()
    assert len(re.findall(r'href="/coordinator/courses/\d+/"', page)) == n


@pytest.mark.parametrize("n", SIZES)
def test_coordinator_course_page_costs_the_same_with_50_sessions_beside_it(
    n, clinic, client, django_assert_num_queries
):
    """A course with n sessions in its history, on a day with n other bookings: the page and
    its availability fragment."""
    day = _day(3)
    _fill(clinic, n, [day])
    course = _course(clinic, patient=_patient())
    _history(course, n, first_day=5)
    client.force_login(UserFactory(role=Role.COORDINATOR))
    url = reverse("scheduling:coordinator_course", args=[course.pk])
    query = {"location": clinic.pk, "date": day.isoformat()}
    client.get(url)
    with django_assert_num_queries(COORDINATOR_COURSE):
        page = client.get(url, query).content.decode()
    assert page.count("· Cancelled") == n
    with django_assert_num_queries(COORDINATOR_COURSE_TIMES):
        fragment = client.get(url, query, headers={"HX-Request": "true"}).content.decode()
    assert 'name="starts_at"' in fragment


@pytest.mark.parametrize("n", SIZES)
def test_the_course_cancel_page_costs_the_same_with_50_sessions_in_its_history(
    n, clinic, client, django_assert_num_queries
):
    course = _course(clinic, patient=_patient(), planned=6)
    _history(course, n, first_day=5)
    session_book(course=course, starts_at=_at(_day(3), 9), by=None)
    client.force_login(UserFactory(role=Role.COORDINATOR))
    url = reverse("scheduling:coordinator_course_cancel", args=[course.pk])
    client.get(url)
    with django_assert_num_queries(COURSE_CANCEL_CONFIRM):
        page = client.get(url).content.decode()
    assert "This session still to come will be cancelled" in page
