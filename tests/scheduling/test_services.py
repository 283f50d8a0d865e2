import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from clinic.errors import ApplicationError
from clinic.messaging.models import Message
from clinic.messaging.services import messages_dispatch_due
from clinic.models import Role
from scheduling.models import (
    CourseStatus,
    CourseStatusChange,
    InfusionSession,
    SessionStatus,
    SlotHold,
)
from scheduling.services import (
    SlotTaken,
    action_link_cancel,
    action_link_resolve,
    course_book_sessions,
    course_create,
    course_review,
    session_book,
    session_cancel,
    session_check_in,
    session_complete,
    session_reschedule,
    slot_hold,
)
from tests.factories.scheduling import ChairFactory, ClinicianFactory, PatientFactory
from tests.factories.users import UserFactory

from .conftest import NOW, NY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def test_a_course_needing_review_cannot_be_booked_until_a_clinician_approves(clinic, make_course):
    course = make_course(needs_clinician_review=True)
    assert course.status == CourseStatus.AWAITING_REVIEW
    with pytest.raises(ApplicationError, match="cannot be booked yet"):
        session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    course_review(
        course=course,
        clinician=ClinicianFactory(prescriber="physician"),
        approve=True,
        reason="BP controlled on amlodipine",
    )
    session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    assert list(
        CourseStatusChange.objects.filter(course=course).values_list("from_status", "to_status")
    ) == [("", "awaiting_review"), ("awaiting_review", "active")]


def test_declining_needs_a_reason_and_is_final(clinic, make_course):
    course = make_course(needs_clinician_review=True)
    clinician = ClinicianFactory(prescriber="np")
    with pytest.raises(ApplicationError, match="Say why"):
        course_review(course=course, clinician=clinician, approve=False)
    course = course_review(course=course, clinician=clinician, approve=False, reason="Not fit")
    assert course.status == CourseStatus.DECLINED
    with pytest.raises(ApplicationError):
        course_review(course=course, clinician=clinician, approve=True, reason="Changed my mind")


def test_only_patients_get_courses_and_only_one_open_at_a_time(clinic):
    with pytest.raises(ApplicationError):
        course_create(
            patient=ClinicianFactory(),
            location=clinic["location"],
            planned_sessions=2,
            needs_clinician_review=False,
            created_by=None,
        )
    patient = PatientFactory()
    kwargs = {
        "patient": patient,
        "location": clinic["location"],
        "needs_clinician_review": False,
        "created_by": None,
    }
    with pytest.raises(ApplicationError, match="between 1 and 6"):
        course_create(planned_sessions=7, **kwargs)
    course_create(planned_sessions=3, **kwargs)
    with pytest.raises(ApplicationError, match="already has an open course"):
        course_create(planned_sessions=3, **kwargs)


def test_booking_is_refused_beyond_the_plan_with_a_readable_message(clinic, make_course):
    course = make_course(planned=1)
    session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    with pytest.raises(ApplicationError, match="already booked"):
        session_book(course=course, starts_at=at(2027, 3, 13, 9), by=None, now=NOW)


def test_capacity_one_clinician_monitoring_three_refuses_the_fourth_infusion(clinic, make_course):
    ChairFactory(location=clinic["location"], name="Chair 3")
    ChairFactory(location=clinic["location"], name="Chair 4")
    start = at(2027, 3, 10, 9)
    for _ in range(3):
        session_book(course=make_course(), starts_at=start, by=None, now=NOW)
    with pytest.raises(SlotTaken):
        session_book(course=make_course(), starts_at=start, by=None, now=NOW)
    # The infusions end at 10:00; their recovery does not need monitoring.
    session_book(course=make_course(), starts_at=at(2027, 3, 10, 10), by=None, now=NOW)


def test_a_hold_keeps_the_time_for_its_course_only(clinic, make_course):
    clinic["chairs"][1].is_active = False
    clinic["chairs"][1].save()
    mine, theirs = make_course(), make_course()
    slot_hold(course=mine, starts_at=at(2027, 3, 10, 9), now=NOW)
    with pytest.raises(SlotTaken):
        session_book(course=theirs, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    session_book(course=mine, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    assert not SlotHold.objects.filter(course=mine).exists()


def test_an_expired_hold_no_longer_blocks_anyone(clinic, make_course):
    clinic["chairs"][1].is_active = False
    clinic["chairs"][1].save()
    slot_hold(course=make_course(), starts_at=at(2027, 3, 10, 9), now=NOW)
    later = NOW + dt.timedelta(minutes=5, seconds=1)
    session_book(course=make_course(), starts_at=at(2027, 3, 10, 9), by=None, now=later)


def test_plan_my_course_books_all_or_nothing_when_one_time_was_taken_meanwhile(clinic, make_course):
    course = make_course(planned=3)
    wanted = [at(2027, 4, 5, 9), at(2027, 4, 7, 9), at(2027, 4, 9, 12)]
    # Meanwhile, two other patients take both chairs at the second time.
    for _ in range(2):
        session_book(course=make_course(), starts_at=wanted[1], by=None, now=NOW)
    with pytest.raises(SlotTaken) as refused:
        course_book_sessions(course=course, starts=wanted, by=None, now=NOW)
    assert refused.value.starts_at == wanted[1]
    assert not InfusionSession.objects.filter(course=course).exists()
    wanted[1] = at(2027, 4, 7, 10, 30)
    sessions = course_book_sessions(course=course, starts=wanted, by=None, now=NOW)
    assert [s.slot for s in sessions] == [1, 2, 3]


def test_cancel_with_enough_notice_is_not_late_and_frees_the_place(clinic, make_course):
    course = make_course(planned=1)
    session = session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    session = session_cancel(session=session, by=course.patient, now=NOW)
    assert session.status == SessionStatus.CANCELLED and not session.late_change
    session_book(course=course, starts_at=at(2027, 3, 11, 9), by=None, now=NOW)


def test_a_late_cancellation_is_recorded_for_billing(clinic, make_course):
    course = make_course()
    session = session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    session = session_cancel(session=session, by=course.patient, now=at(2027, 3, 9, 12))
    assert session.late_change


def test_reschedule_moves_the_session_keeps_its_place_and_records_lateness(clinic, make_course):
    course = make_course(planned=2)
    first = session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    moved = session_reschedule(
        session=first, new_starts_at=at(2027, 3, 11, 14), by=None, now=at(2027, 3, 9, 20)
    )
    first.refresh_from_db()
    assert first.status == SessionStatus.RESCHEDULED and first.late_change
    assert moved.slot == first.slot and moved.rescheduled_from == first
    assert moved.starts_at.astimezone(NY).hour == 14


def test_a_failed_reschedule_changes_nothing(clinic, make_course):
    course = make_course()
    session = session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    with pytest.raises(ApplicationError):
        session_reschedule(session=session, new_starts_at=at(2027, 3, 10, 20), by=None, now=NOW)
    session.refresh_from_db()
    assert session.status == SessionStatus.BOOKED


def test_completing_the_last_planned_session_completes_the_course(clinic, make_course):
    course = make_course(planned=2)
    nurse = ClinicianFactory()
    sessions = course_book_sessions(
        course=course, starts=[at(2027, 3, 10, 9), at(2027, 3, 12, 9)], by=None, now=NOW
    )
    for s in sessions:
        session_check_in(session=s, by=nurse)
        session_complete(session=s, by=nurse)
        course.refresh_from_db()
    assert course.status == CourseStatus.COMPLETED


def test_signed_links_are_single_use_and_die_when_the_session_moves(clinic, make_course):
    from scheduling.services import session_action_url

    course = make_course()
    session = session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    cancel = session_action_url(session=session, kind="cancel").rsplit("/", 2)[-2]
    other = session_action_url(session=session, kind="cancel").rsplit("/", 2)[-2]
    with pytest.raises(ApplicationError, match="no longer works"):
        action_link_resolve(cancel[:-2] + "xx")
    session_reschedule(session=session, new_starts_at=at(2027, 3, 10, 14), by=None, now=NOW)
    with pytest.raises(ApplicationError, match="no longer works"):
        action_link_resolve(cancel)
    moved = InfusionSession.objects.get(course=course, status=SessionStatus.BOOKED)
    token = session_action_url(session=moved, kind="cancel").rsplit("/", 2)[-2]
    action_link_cancel(token=token, now=NOW)
    with pytest.raises(ApplicationError, match="no longer works"):
        action_link_cancel(token=token, now=NOW)
    with pytest.raises(ApplicationError, match="no longer works"):
        action_link_resolve(other)


def test_booking_enqueues_the_confirmation_only_after_commit(
    clinic, make_course, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        session_book(course=make_course(), starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    # The confirmation text and the booking e-mail are both due now: one wake-up of the
    # dispatcher sends both, and it waits for the commit.
    assert Message.objects.filter(status="scheduled", send_after__lte=timezone.now()).count() == 2
    assert len(callbacks) == 1


def test_confirmation_email_has_an_ics_per_session_and_names_no_drug(clinic, make_course):
    patient = PatientFactory(role=Role.PATIENT)
    course = make_course(planned=2, patient=patient)
    course_book_sessions(
        course=course, starts=[at(2027, 3, 10, 9), at(2027, 3, 12, 9)], by=None, now=NOW
    )
    # The booking stored the e-mail as a row of the outbox; the dispatcher writes its body and
    # .ics files when it sends it, and keeps them with the row.
    row = Message.objects.get(recipient=patient, kind="booking_booked")
    assert (row.channel, row.status, row.to_address) == ("email", "scheduled", patient.email)
    messages_dispatch_due()
    row.refresh_from_db()
    assert [a["filename"] for a in row.attachments] == ["appointment-1.ics", "appointment-2.ics"]
    assert row.render_context is None and "Wed 10 Mar 2027, 9:00 AM EST" in row.body
    (message,) = [m for m in mail.outbox if m.extra_headers["X-Clinic-Message"] == str(row.pk)]
    assert message.to == [patient.email]
    assert "Wed 10 Mar 2027, 9:00 AM EST" in message.body
    icses = [a for a in message.attachments if a[0].endswith(".ics")]
    assert len(icses) == 2
    assert "DTSTART:20270310T140000Z" in icses[0][1]
    calendar_and_subject = (message.subject + "".join(a[1] for a in icses)).lower()
    for word in ("ketamine", "migraine", "infusion", "headache"):
        assert word not in calendar_and_subject
    for word in ("ketamine", "migraine"):
        assert word not in message.body.lower()


# --- a change of the planned count -------------------------------------------------------------


def test_changing_the_planned_count_is_kept_in_the_course_history(clinic, make_course):
    from scheduling.services import course_change_planned_count

    course = make_course(planned=4)
    coordinator = UserFactory(role=Role.COORDINATOR)
    session_book(course=course, starts_at=at(2027, 3, 10, 9), by=None, now=NOW)
    course = course_change_planned_count(
        course=course, count=3, by=coordinator, reason="Clinician advised three"
    )
    course.refresh_from_db()
    assert course.planned_sessions == 3
    # The sessions' copy follows the course (the composite foreign key cascades the update).
    assert set(course.sessions.values_list("course_planned_sessions", flat=True)) == {3}
    change = CourseStatusChange.objects.filter(course=course).last()
    assert (change.planned_from, change.planned_to) == (4, 3)
    assert (change.from_status, change.to_status) == ("active", "active")
    assert change.changed_by == coordinator and change.reason == "Clinician advised three"


@pytest.mark.parametrize(
    ("count", "reason", "message"),
    [
        (0, "note", "between 1 and 6"),
        (7, "note", "between 1 and 6"),
        (4, "note", "already has 4"),
        (1, "note", "2 sessions are booked or done"),
        (3, "  ", "Say why"),
    ],
)
def test_a_bad_planned_count_change_is_refused_and_changes_nothing(
    clinic, make_course, count, reason, message
):
    from scheduling.services import course_change_planned_count

    course = make_course(planned=4)
    course_book_sessions(
        course=course, starts=[at(2027, 3, 10, 9), at(2027, 3, 13, 9)], by=None, now=NOW
    )
    with pytest.raises(ApplicationError, match=message):
        course_change_planned_count(
            course=course, count=count, by=UserFactory(role=Role.COORDINATOR), reason=reason
        )
    course.refresh_from_db()
    assert course.planned_sessions == 4
    assert not CourseStatusChange.objects.filter(course=course, planned_to__isnull=False).exists()


def test_a_closed_course_keeps_its_count(clinic, make_course):
    from scheduling.services import course_cancel, course_change_planned_count

    coordinator = UserFactory(role=Role.COORDINATOR)
    course = course_cancel(course=make_course(planned=4), by=coordinator, reason="Moved away")
    with pytest.raises(ApplicationError, match="cancelled"):
        course_change_planned_count(course=course, count=3, by=coordinator, reason="note")


def test_lowering_the_count_closes_the_gaps_between_places_and_raising_it_frees_places(
    clinic, make_course
):
    from scheduling.services import course_change_planned_count

    course = make_course(planned=3)
    coordinator = UserFactory(role=Role.COORDINATOR)
    _, second, _ = course_book_sessions(
        course=course,
        starts=[at(2027, 3, 10, 9), at(2027, 3, 13, 9), at(2027, 3, 16, 9)],
        by=None,
        now=NOW,
    )
    session_cancel(session=second, by=None, now=NOW)
    # Places 1 and 3 are in use: two infusions still fit a course of two.
    course_change_planned_count(course=course, count=2, by=coordinator, reason="Two are enough")
    assert sorted(course.sessions.active().values_list("slot", flat=True)) == [1, 2]
    with pytest.raises(ApplicationError, match="already booked"):
        session_book(course=course, starts_at=at(2027, 3, 19, 9), by=None, now=NOW)
    course_change_planned_count(course=course, count=4, by=coordinator, reason="Two more")
    session_book(course=course, starts_at=at(2027, 3, 19, 9), by=None, now=NOW)
    assert course.sessions.active().count() == 3
