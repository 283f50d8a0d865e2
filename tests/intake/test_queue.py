import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from billing.models import Estimate
from clinic.celery import app
from clinic.db import _prepared_form
from clinic.errors import ApplicationError
from clinic.messaging.models import ContactConsent, Message
from clinic.models import PatientProfile, Role, User
from intake import selectors, services
from intake.models import CallAttempt, ChecklistItem, IntakeCase, PatientInvitation, Referral
from intake.selectors import queue_rows
from intake.services.calls import invitation_accept
from intake.services.claims import _claim_next_sql
from scheduling.services import session_book
from tests.factories.billing import FacilityBillingIdentityFactory, fee_schedule
from tests.factories.intake import ProviderFactory, submit_referral
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")


def local(zone, hour, minute=0, days_ahead=7):
    day = timezone.localdate() + dt.timedelta(days=days_ahead)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


@pytest.fixture
def location(db):
    return LocationFactory(slug="boston", name="Boston")


@pytest.fixture
def coordinator(db):
    return UserFactory(role=Role.COORDINATOR)


def tick_all(case, coordinator):
    for item in ChecklistItem.values:
        services.case_set_checklist_item(case=case, coordinator=coordinator, item=item, ticked=True)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_coordinators_pressing_next_call_at_once_never_share_a_case():
    location = LocationFactory(slug="boston", name="Boston")
    provider = ProviderFactory()
    for i in range(20):
        submit_referral(
            provider=provider,
            location=location,
            mobile_phone=f"+1617555{i:04d}",
            patient_last_name=f"Queue{chr(97 + i)}",
        )
    coordinators = [UserFactory(role=Role.COORDINATOR) for _ in range(20)]
    now = local(NY, 11)
    barrier = threading.Barrier(20)
    claimed, errors = {}, []

    def press(coordinator):
        try:
            barrier.wait()
            case = services.case_claim_next(coordinator=coordinator, now=now)
            claimed[coordinator.pk] = case.pk if case else None
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(c,)) for c in coordinators]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert None not in claimed.values()
    assert len(set(claimed.values())) == 20
    assert IntakeCase.objects.filter(claimed_by__isnull=False).count() == 20


def test_a_lapsed_claim_returns_to_the_queue(location, coordinator, settings):
    submit_referral(location=location)
    other = UserFactory(role=Role.COORDINATOR)
    now = local(NY, 11)
    first = services.case_claim_next(coordinator=coordinator, now=now)
    assert services.case_claim_next(coordinator=other, now=now + dt.timedelta(minutes=14)) is None
    later = now + dt.timedelta(minutes=settings.INTAKE_CLAIM_MINUTES + 1)
    assert services.case_claim_next(coordinator=other, now=later).pk == first.pk


def test_a_coordinator_pressing_again_keeps_their_current_call(location, coordinator):
    submit_referral(location=location)
    submit_referral(location=location, mobile_phone="+16175550999", patient_last_name="Other")
    now = local(NY, 11)
    first = services.case_claim_next(coordinator=coordinator, now=now)
    assert services.case_claim_next(coordinator=coordinator, now=now).pk == first.pk


def test_next_call_runs_on_one_plan_made_once_not_one_per_press(location, coordinator):
    """Planning the claim took a fifth of its time: its prepared statement's generic plan is
    used from the first press on, on every connection."""
    submit_referral(location=location)
    now = local(NY, 11)
    for _ in range(3):
        case = services.case_claim_next(coordinator=coordinator, now=now)
        services.case_release(case=case, coordinator=coordinator)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s",
            [_prepared_form(_claim_next_sql())[0]],
        )
        generic, custom = cursor.fetchone()
    assert generic >= 3
    assert custom == 0


def test_the_queue_page_runs_on_one_plan_made_once(location, coordinator):
    """The queue page's statement is prepared with its status and limit in the text, so its
    generic plan walks the same indexes as a plan made for the hour: asked for, and used."""
    submit_referral(location=location)
    for _ in range(3):
        assert len(queue_rows(coordinator=coordinator, now=local(NY, 11), limit=51)) == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s AND statement LIKE %s",
            ["%row_number() OVER ()%", "%LIMIT 51%"],
        )
        ((generic, custom),) = cursor.fetchall()
    assert generic >= 3
    assert custom == 0


@pytest.mark.clock_sweep
def test_calling_hours_follow_the_patients_zone(location, coordinator):
    la_case = submit_referral(location=location, zip_code="90012").intake_case
    assert str(la_case.time_zone) == "America/Los_Angeles"
    at_730_in_la = local(LA, 7, 30)
    assert services.case_claim_next(coordinator=coordinator, now=at_730_in_la) is None
    ny_case = submit_referral(
        location=location,
        zip_code="02116",
        mobile_phone="+16175550777",
        patient_last_name="Eastern",
    ).intake_case
    assert services.case_claim_next(coordinator=coordinator, now=at_730_in_la).pk == ny_case.pk
    other = UserFactory(role=Role.COORDINATOR)
    assert services.case_claim_next(coordinator=other, now=local(LA, 8)).pk == la_case.pk
    # At 21:05 in Boston only the Los Angeles patient (18:05 there) may still be called.
    late = services.case_claim_next(
        coordinator=UserFactory(role=Role.COORDINATOR), now=local(NY, 21, 5)
    )
    assert late.pk == la_case.pk


def test_queue_order_is_due_callbacks_then_urgent_then_oldest(location, coordinator):
    now = local(NY, 11)
    oldest = submit_referral(
        location=location, mobile_phone="+16175550001", patient_last_name="Oldest"
    ).intake_case
    urgent = submit_referral(
        location=location, mobile_phone="+16175550002", patient_last_name="Urgent", urgency="urgent"
    ).intake_case
    callback = submit_referral(
        location=location, mobile_phone="+16175550003", patient_last_name="Callback"
    ).intake_case
    services.case_claim(case=callback, coordinator=coordinator, now=now - dt.timedelta(hours=2))
    services.call_log(
        case=callback,
        coordinator=coordinator,
        outcome="callback",
        callback_at=now - dt.timedelta(minutes=5),
        now=now - dt.timedelta(hours=2),
    )
    order = []
    for _ in range(3):
        c = services.case_claim_next(coordinator=UserFactory(role=Role.COORDINATOR), now=now)
        order.append(c.pk)
    assert order == [callback.pk, urgent.pk, oldest.pk]


@pytest.mark.clock_sweep
def test_three_no_answers_close_the_case_as_unreachable_and_tell_the_provider(
    location, coordinator, django_capture_on_commit_callbacks
):
    case = submit_referral(location=location).intake_case
    now = local(NY, 11, days_ahead=2)
    app.conf.task_always_eager = True
    try:
        for attempt in range(3):
            case = services.case_claim_next(coordinator=coordinator, now=now)
            assert case is not None, f"attempt {attempt + 1} was not offered"
            with django_capture_on_commit_callbacks(execute=True):
                services.call_log(case=case, coordinator=coordinator, outcome="no_answer", now=now)
            case.refresh_from_db()
            if attempt < 2:
                # Back in the queue the next business morning, not before.
                assert case.next_attempt_at.astimezone(NY).hour == 9
                assert services.case_claim_next(coordinator=coordinator, now=now) is None
                now = case.next_attempt_at + dt.timedelta(minutes=1)
    finally:
        app.conf.task_always_eager = False
    assert case.status == "closed" and case.closed_outcome == "unreachable"
    referral = Referral.objects.get(pk=case.referral_id)
    assert referral.status == "unreachable"
    assert [h.to_status for h in referral.history.all()] == [
        "received",
        "contacting",
        "unreachable",
    ]
    assert any("unreachable" in m.subject.lower() for m in mail.outbox)


def test_the_providers_status_e_mail_leaves_the_typed_reason_behind_the_sign_in(
    location, coordinator
):
    case = submit_referral(location=location).intake_case
    services.case_claim(case=case, coordinator=coordinator)
    services.call_log(
        case=case,
        coordinator=coordinator,
        outcome="not_eligible",
        reason="Pregnant, 12 weeks",
    )
    referral = Referral.objects.get(pk=case.referral_id)
    assert referral.status == "not_eligible" and "Pregnant" in referral.status_reason
    email = Message.objects.get(kind="referral_status", recipient=referral.provider.user)
    assert referral.reference in email.body
    assert "pregnant" not in email.body.lower() and "pregnant" not in email.subject.lower()


def test_attempts_are_append_only_in_the_database(location, coordinator):
    case = submit_referral(location=location).intake_case
    services.case_claim(case=case, coordinator=coordinator)
    attempt = services.call_log(case=case, coordinator=coordinator, outcome="voicemail")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CallAttempt.objects.filter(pk=attempt.pk).update(notes="changed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CallAttempt.objects.filter(pk=attempt.pk).delete()


def test_another_coordinators_live_call_cannot_be_logged(location, coordinator):
    case = submit_referral(location=location).intake_case
    services.case_claim(case=case, coordinator=coordinator)
    with pytest.raises(ApplicationError, match="Another coordinator"):
        services.call_log(
            case=case, coordinator=UserFactory(role=Role.COORDINATOR), outcome="no_answer"
        )


def test_intake_complete_is_refused_until_every_point_is_ticked(location, coordinator):
    case = submit_referral(location=location).intake_case
    services.case_claim(case=case, coordinator=coordinator)
    for item in ChecklistItem.values[:-1]:
        services.case_set_checklist_item(case=case, coordinator=coordinator, item=item, ticked=True)
    with pytest.raises(ApplicationError, match="tick"):
        services.call_log(case=case, coordinator=coordinator, outcome="intake_complete")
    assert User.objects.filter(role=Role.PATIENT).count() == 0
    assert CallAttempt.objects.count() == 0


def test_intake_complete_creates_one_account_course_invitation_and_estimate(coordinator):
    location = LocationFactory(slug="boston", name="Boston")
    FacilityBillingIdentityFactory(location=location)
    fee_schedule(location)
    referral = submit_referral(location=location, email="ana@example.test", recommended_infusions=3)
    case = referral.intake_case
    services.case_claim(case=case, coordinator=coordinator)
    tick_all(case, coordinator)
    services.call_log(
        case=case, coordinator=coordinator, outcome="intake_complete", planned_sessions=4
    )
    patient = User.objects.get(role=Role.PATIENT)
    assert not patient.is_active and str(patient.phone) == "+16175550123"
    assert PatientProfile.objects.get(user=patient).date_of_birth == referral.date_of_birth
    referral.refresh_from_db()
    assert referral.status == "intake_complete" and referral.patient == patient
    assert referral.course.planned_sessions == 4 and referral.course.status == "active"
    assert PatientInvitation.objects.filter(patient=patient).count() == 1
    assert ContactConsent.objects.filter(address="+16175550123").exists()
    estimate = Estimate.objects.get(patient=patient)
    assert estimate.infusion_count == 4 and estimate.diagnosis_codes == ["G43.709"]
    # The invitation goes by text and e-mail, as rows the dispatcher sends.
    invitations = Message.objects.filter(recipient=patient, kind="portal_invitation")
    assert sorted(invitations.values_list("channel", flat=True)) == ["email", "sms"]
    body = invitations.get(channel="sms").body
    token = body.rsplit("/welcome/", 1)[1].strip().strip("/")
    invitation_accept(token=token, password="a-long-new-password")
    patient.refresh_from_db()
    assert patient.is_active and patient.check_password("a-long-new-password")
    with pytest.raises(ApplicationError, match="already used"):
        invitation_accept(token=token, password="another-password-9")


def test_flagged_contraindications_hold_booking_for_a_clinician(location, coordinator):
    case = submit_referral(location=location, contraindications=["pregnancy"]).intake_case
    services.case_claim(case=case, coordinator=coordinator)
    tick_all(case, coordinator)
    services.call_log(case=case, coordinator=coordinator, outcome="intake_complete")
    course = Referral.objects.get(pk=case.referral_id).course
    assert course.status == "awaiting_review"

    with pytest.raises(ApplicationError):
        session_book(course=course, starts_at=local(NY, 10, days_ahead=3), by=coordinator)


@pytest.mark.clock_sweep
def test_a_callback_needs_a_future_time_and_returns_at_that_time(location, coordinator):
    case = submit_referral(location=location).intake_case
    now = local(NY, 11)
    services.case_claim(case=case, coordinator=coordinator, now=now)
    with pytest.raises(ApplicationError, match="future"):
        services.call_log(
            case=case,
            coordinator=coordinator,
            outcome="callback",
            callback_at=now - dt.timedelta(hours=1),
            now=now,
        )
    services.call_log(
        case=case,
        coordinator=coordinator,
        outcome="callback",
        callback_at=now + dt.timedelta(hours=3),
        now=now,
    )
    assert services.case_claim_next(coordinator=coordinator, now=now) is None
    assert (
        services.case_claim_next(coordinator=coordinator, now=now + dt.timedelta(hours=3)).pk
        == case.pk
    )


def test_the_queue_page_lists_the_first_cases_in_next_call_order(location, coordinator):
    now = local(NY, 11)
    oldest = submit_referral(
        location=location, mobile_phone="+16175550011", patient_last_name="Oldest"
    ).intake_case
    waiting = submit_referral(
        location=location, mobile_phone="+16175550012", patient_last_name="Waiting"
    ).intake_case
    services.case_claim(case=waiting, coordinator=coordinator, now=now - dt.timedelta(hours=1))
    services.call_log(
        case=waiting, coordinator=coordinator, outcome="no_answer", now=now - dt.timedelta(hours=1)
    )
    urgent = submit_referral(
        location=location, mobile_phone="+16175550013", patient_last_name="Urgent", urgency="urgent"
    ).intake_case
    callback = submit_referral(
        location=location, mobile_phone="+16175550014", patient_last_name="Callback"
    ).intake_case
    services.case_claim(case=callback, coordinator=coordinator, now=now - dt.timedelta(hours=2))
    services.call_log(
        case=callback,
        coordinator=coordinator,
        outcome="callback",
        callback_at=now - dt.timedelta(minutes=5),
        now=now - dt.timedelta(hours=2),
    )

    every = [row.case.pk for row in queue_rows(coordinator=coordinator, now=now)]
    first_two = [row.case.pk for row in queue_rows(coordinator=coordinator, now=now, limit=2)]
    first_four = queue_rows(coordinator=coordinator, now=now, limit=4)

    assert every == [callback.pk, urgent.pk, oldest.pk, waiting.pk]
    assert first_two == [callback.pk, urgent.pk]
    assert [row.case.pk for row in first_four] == every
    assert first_four[-1].waiting_until is not None


def test_each_queue_row_says_where_the_case_stands_in_the_coordinators_language(
    location, coordinator
):
    now = local(NY, 11)
    fresh = submit_referral(location=location, mobile_phone="+16175550021").intake_case
    retrying = submit_referral(location=location, mobile_phone="+16175550022").intake_case
    services.case_claim(case=retrying, coordinator=coordinator, now=now - dt.timedelta(hours=1))
    services.call_log(
        case=retrying,
        coordinator=coordinator,
        outcome="no_answer",
        now=now - dt.timedelta(hours=1),
    )
    held = submit_referral(location=location, mobile_phone="+16175550023").intake_case
    dana = UserFactory(role=Role.COORDINATOR, first_name="Dana")
    services.case_claim(case=held, coordinator=dana, now=now)

    def states(language):
        with translation.override(language):
            rows = queue_rows(coordinator=coordinator, now=now)
        return {row.case.pk: (row.state, row.received) for row in rows}

    english, spanish = states("en"), states("es")
    retry_at = IntakeCase.objects.get(pk=retrying.pk).next_attempt_at.astimezone(NY)
    assert english[fresh.pk][0] == "0 attempts"
    assert english[held.pk][0] == "on a call with Dana"
    assert english[retrying.pk][0] == "retry " + retry_at.strftime("%a %b %-d, %-I:%M %p ") + (
        retry_at.tzname()
    )
    assert spanish[fresh.pk][0] == "0 intentos"
    assert spanish[held.pk][0] == "en una llamada con Dana"
    assert spanish[retrying.pk][0].startswith("reintento ")
    # When each referral came, in the zone the page is shown in.
    received = Referral.objects.get(pk=fresh.referral_id).created_at.astimezone(
        timezone.get_current_timezone()
    )
    assert english[fresh.pk][1] == received.strftime("%b %-d, %-I:%M %p ") + received.tzname()


def test_a_long_queue_page_says_how_many_cases_it_leaves_out(
    client, location, coordinator, monkeypatch
):
    for n in range(3):
        submit_referral(location=location, mobile_phone=f"+1617555002{n}")
    monkeypatch.setattr(selectors, "QUEUE_PAGE_ROWS", 2)
    client.force_login(coordinator)

    page = client.get(reverse("intake:queue")).content.decode()

    assert page.count("/intake/cases/") == 2
    assert "The first 2 open cases are shown; more are waiting" in page
