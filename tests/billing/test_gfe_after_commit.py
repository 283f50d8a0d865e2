"""The Good Faith Estimate a course change owes is recorded in the change's transaction and
issued after its commit (billing.tasks.issue_course_estimate), or by beat's sweep
(issue_owed_estimates) when that task was lost: the obligation row, not Redis, says what must be
issued.

The timing this relies on is 45 CFR 149.610(b)(1)(vi): a GFE is due within 1 business day of
scheduling when the item is scheduled at least 3 business days ahead, within 3 business days
when at least 10 ahead (billing.services.gfe.gfe_due_after_scheduling), so an estimate issued
seconds after the booking commits is well inside the rule."""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from billing.models import Estimate, EstimateDocument, GfeObligation
from billing.services import courses_owed_an_estimate, gfe_due_after_scheduling
from billing.tasks import issue_course_estimate, issue_owed_estimates
from clinic.messaging import defaults
from clinic.messaging.models import MessageTemplate, ReminderPlanEntry
from clinic.models import Role
from scheduling.services import course_book_sessions, course_create, session_book
from tests.clinic.test_redis_down import private_redis  # noqa: F401 - a fixture
from tests.factories.billing import billable_location, patient
from tests.factories.scheduling import (
    ChairFactory,
    SessionTypeFactory,
    StaffShiftFactory,
    open_every_day,
)
from tests.factories.users import UserFactory

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)  # a Monday
FIRST = dt.datetime(2027, 3, 8, 9, 0, tzinfo=NY)  # 5 business days ahead: due 1 business day on
SECOND = dt.datetime(2027, 3, 11, 9, 0, tzinfo=NY)


def _course(planned=2):
    location = billable_location(time_zone=NY)
    open_every_day(location)
    ChairFactory(location=location, name="Chair 1")
    StaffShiftFactory(location=location)
    SessionTypeFactory()
    return course_create(
        patient=patient(),
        location=location,
        planned_sessions=planned,
        needs_clinician_review=False,
        created_by=None,
        diagnosis_codes=["G43.709"],
    )


@pytest.fixture
def course(db, clock):
    clock.travel(NOW)
    return _course()


def _owed(course):
    return GfeObligation.objects.owed().filter(course=course)


def test_the_booking_commits_the_gfe_owed_with_its_deadline_and_no_estimate_yet(
    course, django_capture_on_commit_callbacks
):
    """45 CFR 149.610(b)(1)(vi): scheduled 5 business days ahead, the GFE is due 1 business day
    after scheduling; the booking records that, and leaves the estimate to its task."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        session_book(course=course, starts_at=FIRST, by=course.patient, now=NOW)
    owed = _owed(course).get()
    assert owed.due_on == gfe_due_after_scheduling(
        scheduled_on=dt.date(2027, 3, 1), first_session_on=dt.date(2027, 3, 8)
    )
    assert (owed.infusion_count, owed.scheduled_starts) == (2, [FIRST])
    assert (owed.reason, owed.changed_by) == ("Sessions booked", course.patient)
    assert not Estimate.objects.filter(patient=course.patient).exists()
    assert len(callbacks) >= 1  # the task is enqueued only once the booking commits


def test_the_task_issues_one_version_that_meets_it_and_twice_issues_nothing_more(
    course, estimates_after_commit
):
    """45 CFR 149.610(b)(1)(vi): issued seconds after the commit, inside the business day the
    rule allows; the task may run twice (a redelivery, or beat's sweep beside it)."""
    with estimates_after_commit():
        session_book(course=course, starts_at=FIRST, by=course.patient, now=NOW)
    estimate = Estimate.objects.get(patient=course.patient)
    assert (estimate.version, estimate.infusion_count, estimate.scheduled_starts) == (
        1,
        2,
        [FIRST],
    )
    assert estimate.reason == "Sessions booked" and estimate.diagnosis_codes == ["G43.709"]
    owed = GfeObligation.objects.get(course=course)
    assert owed.met_by == estimate and owed.met_at.date() <= owed.due_on
    assert EstimateDocument.objects.filter(estimate=estimate).exists()  # stored as issued
    assert issue_course_estimate(course.pk, "Sessions booked", course.patient.pk) is None
    assert issue_owed_estimates() == 0
    assert Estimate.objects.filter(patient=course.patient).count() == 1


def test_beat_issues_the_gfe_owed_when_the_task_was_lost(course):
    """45 CFR 149.610(b)(1)(vi): the deadline does not depend on Redis. The task's enqueue is
    lost (no on-commit callback runs here); beat's sweep, every minute, issues it from the row."""
    session_book(course=course, starts_at=FIRST, by=course.patient, now=NOW)
    assert courses_owed_an_estimate() == [course.pk]
    assert issue_owed_estimates() == 1
    estimate = Estimate.objects.get(patient=course.patient)
    assert GfeObligation.objects.get(course=course).met_by == estimate
    assert estimate.scheduled_starts == [FIRST] and estimate.reason == "Sessions booked"
    assert courses_owed_an_estimate() == [] and issue_owed_estimates() == 0


def test_two_bookings_before_the_task_runs_give_one_estimate_covering_both(
    course, estimates_after_commit
):
    """45 CFR 149.610(b)(1)(vi): one GFE owed for the course as scheduled; two changes before
    the task runs are met by one version listing both dates, by the earlier deadline."""
    coordinator = UserFactory(role=Role.COORDINATOR)
    with estimates_after_commit():
        session_book(course=course, starts_at=FIRST, by=course.patient, now=NOW)
        session_book(course=course, starts_at=SECOND, by=coordinator, now=NOW)
        assert _owed(course).count() == 1
    estimate = Estimate.objects.get(patient=course.patient)  # one version, not two
    assert estimate.scheduled_starts == [FIRST, SECOND] and estimate.infusion_count == 2
    assert estimate.issued_by == coordinator  # the last change's author
    assert not _owed(course).exists()


def test_a_plan_of_3_owes_one_gfe_and_its_task_issues_it(db, clock, estimates_after_commit):
    """45 CFR 149.610(b)(1)(vi): a course planned in one step owes one GFE for its three
    dates."""
    clock.travel(NOW)
    course = _course(planned=3)
    starts = [FIRST, SECOND, dt.datetime(2027, 3, 15, 9, 0, tzinfo=NY)]
    with estimates_after_commit():
        course_book_sessions(course=course, starts=starts, by=course.patient, now=NOW)
        assert not Estimate.objects.filter(patient=course.patient).exists()
    estimate = Estimate.objects.get(patient=course.patient)
    assert estimate.scheduled_starts == starts and estimate.infusion_count == 3
    assert GfeObligation.objects.get(course=course).met_by == estimate


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_booking_while_redis_is_down_succeeds_and_the_sweep_issues_its_gfe_later(
    private_redis,  # noqa: F811 - the fixture imported above
    clock,
    caplog,
):
    """45 CFR 149.610(b)(1)(vi): with the broker down the booking commits (the GFE owed, with
    its deadline), its task is lost and only logged; beat's sweep issues the GFE from the row."""
    defaults.install(MessageTemplate, ReminderPlanEntry)  # transactional tests flush them
    clock.travel(NOW)
    course = _course()
    private_redis.stop()
    with caplog.at_level(logging.WARNING, logger="clinic.celery"):
        session_book(course=course, starts_at=FIRST, by=course.patient, now=NOW)
    assert any(
        "could not enqueue billing.tasks.issue_course_estimate" in r.getMessage()
        for r in caplog.records
    )
    assert _owed(course).exists()  # committed
    assert not Estimate.objects.filter(patient=course.patient).exists()
    assert issue_owed_estimates() == 1
    estimate = Estimate.objects.get(patient=course.patient)
    assert estimate.scheduled_starts == [FIRST]
    assert GfeObligation.objects.get(course=course).met_by == estimate


def test_the_patients_estimate_page_says_an_owed_estimate_is_being_prepared(course, client):
    """Between the booking's commit and its task, the patient's estimate page says the GFE is
    being prepared (in their language), not that there is none; once issued it shows it."""
    session_book(course=course, starts_at=FIRST, by=course.patient, now=NOW)
    client.force_login(course.patient)
    page = client.get(reverse("billing:my_estimate")).content.decode()
    assert "Your Good Faith Estimate is being prepared." in page
    assert "You have no estimate yet" not in page
    course.patient.preferred_language = "es"
    course.patient.save(update_fields=["preferred_language"])
    page = client.get(reverse("billing:my_estimate")).content.decode()
    assert "Se está preparando su Estimación de Buena Fe." in page
    issue_owed_estimates()
    page = client.get(reverse("billing:my_estimate")).content.decode()
    assert "preparando" not in page and "v1" in page
    # The course changes again: the estimate shown is the one before, said to be replaced soon.
    session_book(course=course, starts_at=SECOND, by=course.patient, now=NOW)
    page = client.get(reverse("billing:my_estimate")).content.decode()
    assert "Su tratamiento ha cambiado: se está preparando un presupuesto actualizado" in page
    assert "v1" in page
