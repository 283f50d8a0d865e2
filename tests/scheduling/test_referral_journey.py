"""The features working together: a referral's intake leads to a course whose bookings move the
referral, plan the reminders and start the Good Faith Estimate clock."""

import pytest
from django.urls import reverse

from billing.models import Estimate, EstimateDocument, FacilityBillingIdentity, GfeObligation
from billing.selectors import estimate_document_html, gfe_obligation_status, gfe_obligations_open
from billing.services import gfe_due_after_scheduling, gfe_record_request
from billing.tasks import (
    issue_course_estimate,
    store_estimate_document,
    store_missing_estimate_documents,
)
from clinic.messaging.models import Message
from clinic.models import Role
from intake import services as intake
from intake.models import ChecklistItem, Referral
from scheduling import services
from tests.factories.billing import FacilityBillingIdentityFactory, fee_schedule
from tests.factories.intake import submit_referral
from tests.factories.users import UserFactory

from .conftest import NOW, at

pytestmark = pytest.mark.usefixtures("at_now")


@pytest.fixture
def course_from_referral(clinic):
    coordinator = UserFactory(role=Role.COORDINATOR)
    referral = submit_referral(
        preferred_location=clinic["location"], location=clinic["location"], recommended_infusions=2
    )
    case = referral.intake_case
    intake.case_claim(case=case, coordinator=coordinator)
    for item in ChecklistItem.values:
        intake.case_set_checklist_item(case=case, coordinator=coordinator, item=item, ticked=True)
    intake.call_log(case=case, coordinator=coordinator, outcome="intake_complete")
    referral.refresh_from_db()
    return referral, referral.course, coordinator


def test_first_booking_schedules_the_referral_plans_reminders_and_starts_the_gfe_clock(
    course_from_referral,
):
    referral, course, coordinator = course_from_referral
    first = services.session_book(
        course=course, starts_at=at(2027, 3, 8, 9), by=coordinator, now=NOW
    )
    referral.refresh_from_db()
    assert referral.status == "scheduled"
    kinds = set(Message.objects.filter(topic=f"session:{first.pk}").values_list("kind", flat=True))
    assert len(kinds) >= 3  # confirmation and the reminders before the session
    for message in Message.objects.filter(topic=f"session:{first.pk}"):
        assert "ketamine" not in message.body.lower() and "migraine" not in message.body.lower()
    assert GfeObligation.objects.filter(patient=course.patient).exists()


def test_moving_a_session_retimes_its_reminders_and_cancelling_sends_a_notice(
    course_from_referral,
):
    referral, course, coordinator = course_from_referral
    session = services.session_book(
        course=course, starts_at=at(2027, 3, 8, 9), by=coordinator, now=NOW
    )
    moved = services.session_reschedule(
        session=session, new_starts_at=at(2027, 3, 9, 10), by=coordinator, now=NOW
    )
    old = Message.objects.filter(topic=f"session:{session.pk}")
    assert not old.filter(status="scheduled").exists()
    assert Message.objects.filter(topic=f"session:{moved.pk}", status="scheduled").exists()
    services.session_cancel(session=moved, by=coordinator, now=NOW)
    new_topic = Message.objects.filter(topic=f"session:{moved.pk}")
    assert list(new_topic.filter(status="scheduled").values_list("kind", flat=True)) == [
        "appointment_cancelled"
    ]


def test_checking_in_and_completing_every_session_completes_the_referral(course_from_referral):
    referral, course, coordinator = course_from_referral
    nurse = UserFactory(role=Role.CLINICIAN)
    sessions = services.course_book_sessions(
        course=course, starts=[at(2027, 3, 8, 9), at(2027, 3, 11, 9)], by=coordinator, now=NOW
    )
    services.session_check_in(session=sessions[0], by=nurse)
    assert Referral.objects.get(pk=referral.pk).status == "in_treatment"
    for session in sessions:
        session.refresh_from_db()
        if session.status == "booked":
            services.session_check_in(session=session, by=nurse)
        services.session_complete(session=session, by=nurse)
    referral.refresh_from_db()
    assert referral.status == "course_complete"
    assert [h.to_status for h in referral.history.all()] == [
        "received",
        "contacting",
        "intake_complete",
        "scheduled",
        "in_treatment",
        "course_complete",
    ]


def test_replying_c_to_a_reminder_confirms_the_next_session(course_from_referral):
    from clinic.messaging.services import inbound_text_receive

    referral, course, coordinator = course_from_referral
    later, first = (
        services.session_book(course=course, starts_at=at(2027, 3, 11, 9), by=coordinator, now=NOW),
        services.session_book(course=course, starts_at=at(2027, 3, 8, 9), by=coordinator, now=NOW),
    )
    answer = inbound_text_receive(from_number=str(referral.mobile_phone), body="c")
    first.refresh_from_db()
    later.refresh_from_db()
    assert first.confirmed_at is not None and later.confirmed_at is None
    assert answer


def test_each_change_of_booked_dates_issues_a_new_gfe_version_listing_them(
    clinic, estimates_after_commit
):

    FacilityBillingIdentityFactory(location=clinic["location"])
    fee_schedule(clinic["location"])
    coordinator = UserFactory(role=Role.COORDINATOR)
    referral = submit_referral(location=clinic["location"], recommended_infusions=2)
    case = referral.intake_case
    intake.case_claim(case=case, coordinator=coordinator)
    for item in ChecklistItem.values:
        intake.case_set_checklist_item(case=case, coordinator=coordinator, item=item, ticked=True)
    intake.call_log(case=case, coordinator=coordinator, outcome="intake_complete")
    course = Referral.objects.get(pk=referral.pk).course
    with estimates_after_commit():
        session = services.session_book(
            course=course, starts_at=at(2027, 3, 8, 9), by=coordinator, now=NOW
        )
    with estimates_after_commit():
        services.session_reschedule(
            session=session, new_starts_at=at(2027, 3, 9, 10), by=coordinator, now=NOW
        )
    versions = list(Estimate.objects.filter(patient=course.patient).order_by("version"))
    assert [e.version for e in versions] == [1, 2, 3]
    assert versions[0].scheduled_starts == []
    assert versions[1].scheduled_starts == [at(2027, 3, 8, 9)]
    assert versions[2].scheduled_starts == [at(2027, 3, 9, 10)]
    assert versions[2].diagnosis_codes == [referral.diagnosis_code]


def test_a_booking_issues_its_gfe_after_its_commit_with_its_document_exactly_once(
    client, clinic, estimates_after_commit
):
    """45 CFR 149.610(b)(1)(vi): the GFE is due 1 business day after scheduling (3 or more
    business days ahead) or 3 (10 or more ahead); the booking records it owed and the task
    issues it seconds after the commit, its document stored with it."""
    FacilityBillingIdentityFactory(location=clinic["location"])
    fee_schedule(clinic["location"])
    coordinator = UserFactory(role=Role.COORDINATOR)
    referral = submit_referral(location=clinic["location"], recommended_infusions=2)
    case = referral.intake_case
    intake.case_claim(case=case, coordinator=coordinator)
    for item in ChecklistItem.values:
        intake.case_set_checklist_item(case=case, coordinator=coordinator, item=item, ticked=True)
    intake.call_log(case=case, coordinator=coordinator, outcome="intake_complete")
    course = Referral.objects.get(pk=referral.pk).course
    with estimates_after_commit():
        services.session_book(course=course, starts_at=at(2027, 3, 8, 9), by=coordinator, now=NOW)
        # In the booking's transaction: the GFE owed, with its deadline; none issued yet.
        owed = GfeObligation.objects.owed().get(patient=course.patient)
        assert owed.due_on == gfe_due_after_scheduling(
            scheduled_on=NOW.astimezone(course.location.time_zone).date(),
            first_session_on=at(2027, 3, 8, 9).date(),
        )
        assert not Estimate.objects.filter(patient=course.patient, version=2).exists()
    estimate = Estimate.objects.get(patient=course.patient, version=2)  # after the commit
    assert estimate.scheduled_starts == [at(2027, 3, 8, 9)]
    assert estimate.reason == "Sessions booked" and estimate.issued_by == coordinator
    assert GfeObligation.objects.filter(patient=course.patient, met_by=estimate).exists()
    document = EstimateDocument.objects.get(estimate=estimate)
    assert document.html == str(estimate_document_html(estimate))
    assert issue_course_estimate(course.pk, "Sessions booked", coordinator.pk) is None  # twice
    assert Estimate.objects.filter(patient=course.patient).count() == 2
    # Nothing left for the documents' sweep, and their task run again finds it stored.
    assert store_missing_estimate_documents() == 0
    assert store_estimate_document(estimate.pk) == document.pk
    client.force_login(coordinator)
    page = client.get(reverse("billing:gfe", args=[estimate.pk])).text
    assert "<h2>Expected charges</h2>" in page and "&lt;h2&gt;" not in page


def test_a_coordinator_issues_a_due_gfe_from_the_list(client, course_from_referral, clinic):

    referral, course, coordinator = course_from_referral
    services.session_book(course=course, starts_at=at(2027, 3, 8, 9), by=coordinator, now=NOW)
    assert GfeObligation.objects.filter(patient=course.patient, met_by__isnull=True).exists()
    FacilityBillingIdentityFactory(location=clinic["location"])
    fee_schedule(clinic["location"])
    client.force_login(coordinator)
    page = client.get("/estimates/").content.decode()
    assert "Issue GFE now" in page
    response = client.post(f"/estimates/issue/{course.patient.pk}/")
    estimate = Estimate.objects.get(patient=course.patient)
    assert response["Location"] == f"/estimates/{estimate.pk}/"
    assert estimate.scheduled_starts == [at(2027, 3, 8, 9)]
    assert not GfeObligation.objects.filter(patient=course.patient, met_by__isnull=True).exists()
    course.patient.is_active = True
    course.patient.save()
    client.force_login(course.patient)
    assert client.post(f"/estimates/issue/{course.patient.pk}/").status_code == 403


# --- a change of the planned count, and a cancelled course: the GFE follows ------------------


@pytest.fixture
def billed_course(clinic):
    """A course made by intake at a location whose fees and billing identity are set up, so every
    change of the course issues its GFE at once."""

    FacilityBillingIdentityFactory(location=clinic["location"])
    fee_schedule(clinic["location"])
    coordinator = UserFactory(role=Role.COORDINATOR)
    referral = submit_referral(location=clinic["location"], recommended_infusions=2)
    case = referral.intake_case
    intake.case_claim(case=case, coordinator=coordinator)
    for item in ChecklistItem.values:
        intake.case_set_checklist_item(case=case, coordinator=coordinator, item=item, ticked=True)
    intake.call_log(case=case, coordinator=coordinator, outcome="intake_complete")
    return Referral.objects.get(pk=referral.pk).course, coordinator


def test_changing_the_planned_count_issues_a_gfe_for_the_new_count(
    billed_course, estimates_after_commit
):
    """Two changes before the task runs (booked, then a third infusion planned): one version,
    for the course as it is then, with the last change's reason."""
    course, coordinator = billed_course
    with estimates_after_commit():
        services.course_book_sessions(
            course=course, starts=[at(2027, 3, 8, 9), at(2027, 3, 11, 9)], by=coordinator, now=NOW
        )
        services.course_change_planned_count(
            course=course, count=3, by=coordinator, reason="Clinician advised a third infusion"
        )
    assert Estimate.objects.filter(patient=course.patient).count() == 2  # intake's, and this
    current = Estimate.objects.filter(patient=course.patient).order_by("-version").first()
    assert current.infusion_count == 3
    assert current.scheduled_starts == [at(2027, 3, 8, 9), at(2027, 3, 11, 9)]
    assert current.reason == "Planned infusions changed"
    assert not GfeObligation.objects.filter(patient=course.patient, met_by__isnull=True).exists()


def test_a_gfe_that_cannot_be_issued_after_a_count_change_is_owed_by_the_booking_deadline(
    course_from_referral, estimates_after_commit
):

    referral, course, coordinator = course_from_referral  # no fee schedule: nothing is issued
    with estimates_after_commit():
        services.session_book(course=course, starts_at=at(2027, 3, 8, 9), by=coordinator, now=NOW)
    owed = GfeObligation.objects.get(patient=course.patient, met_by__isnull=True)
    assert owed.infusion_count == 2
    with estimates_after_commit():
        services.course_change_planned_count(
            course=course, count=3, by=coordinator, reason="Clinician advised a third infusion"
        )
    owed.refresh_from_db()
    assert owed.infusion_count == 3  # only a GFE for three infusions meets it now
    assert owed.due_on == gfe_due_after_scheduling(
        scheduled_on=NOW.astimezone(course.location.time_zone).date(),
        first_session_on=at(2027, 3, 8, 9).date(),
    )
    assert "billing identity" in owed.issue_error


def test_cancelling_a_course_closes_the_gfe_it_owed_as_no_longer_required(
    client, course_from_referral
):

    referral, course, coordinator = course_from_referral
    services.session_book(course=course, starts_at=at(2027, 3, 8, 9), by=coordinator, now=NOW)
    owed = GfeObligation.objects.get(patient=course.patient, met_by__isnull=True)
    asked = gfe_record_request(patient=course.patient, location=course.location)
    client.force_login(coordinator)
    client.post(
        reverse("scheduling:coordinator_course_cancel", args=[course.pk]),
        {"reason": "Patient moved to Ohio"},
    )
    course.refresh_from_db()
    assert course.status == "cancelled"
    owed.refresh_from_db()
    assert owed.met_by is None and owed.closed_at is not None
    assert owed.closed_by == coordinator
    assert owed.closed_reason == "Course cancelled: Patient moved to Ohio"
    assert gfe_obligation_status(owed) == "closed"
    # The patient's own request for a GFE is not about the course: it is still owed.
    assert [row.obligation for row in gfe_obligations_open()] == [asked]

    estimates = " ".join(client.get(reverse("billing:coordinator_list")).content.decode().split())
    closed_part = estimates.split("No longer required")[1]
    assert "Course cancelled: Patient moved to Ohio" in closed_part
    page = " ".join(
        client.get(reverse("scheduling:coordinator_course", args=[course.pk]))
        .content.decode()
        .split()
    )
    assert "Good Faith Estimate no longer required" in page
    assert "Course cancelled: Patient moved to Ohio" in page


def test_a_course_is_not_cancelled_without_a_reason(client, course_from_referral):
    referral, course, coordinator = course_from_referral
    client.force_login(coordinator)
    response = client.post(
        reverse("scheduling:coordinator_course_cancel", args=[course.pk]), {"reason": " "}
    )
    assert response.status_code == 400
    course.refresh_from_db()
    assert course.status == "active"


def test_a_change_at_short_notice_owes_a_new_gfe_a_business_day_before_the_session(
    billed_course, estimates_after_commit
):
    """45 CFR 149.610(b)(1)(vii): a course already scheduled that changes owes a new GFE no later
    than 1 business day before it is furnished, however close the change comes."""

    course, coordinator = billed_course
    with estimates_after_commit():
        session = services.session_book(
            course=course, starts_at=at(2027, 3, 8, 9), by=coordinator, now=NOW
        )
    assert not GfeObligation.objects.owed().filter(patient=course.patient).exists()  # issued
    FacilityBillingIdentity.objects.filter(location=course.location).delete()  # now it cannot be
    with estimates_after_commit():
        services.session_reschedule(
            session=session, new_starts_at=at(2027, 3, 3, 9), by=coordinator, now=NOW
        )  # Monday 1 March to Wednesday 3 March: 2 business days' notice
    owed = GfeObligation.objects.owed().get(patient=course.patient)
    assert owed.due_on == at(2027, 3, 2, 9).date()  # Tuesday, the business day before
    assert owed.scheduled_starts == [at(2027, 3, 3, 9)]
    assert "billing identity" in owed.issue_error


def test_when_no_session_is_booked_any_more_the_gfe_owed_is_no_longer_required(
    course_from_referral,
):
    referral, course, coordinator = course_from_referral  # no fee schedule: nothing is issued
    session = services.session_book(
        course=course, starts_at=at(2027, 3, 8, 9), by=coordinator, now=NOW
    )
    owed = GfeObligation.objects.owed().get(patient=course.patient)
    services.session_cancel(session=session, by=coordinator, now=NOW)
    owed.refresh_from_db()
    assert owed.closed_at is not None and owed.closed_reason == "No session booked any more"
    services.session_book(course=course, starts_at=at(2027, 3, 9, 9), by=coordinator, now=NOW)
    again = GfeObligation.objects.owed().get(patient=course.patient)  # booking again owes one
    assert again.scheduled_starts == [at(2027, 3, 9, 9)]
