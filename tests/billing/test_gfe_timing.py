"""When a Good Faith Estimate is due: 1 business day after scheduling with 3 to 9 business days'
notice, 3 with 10 or more, 3 after a patient's request; weekends and US federal holidays skipped."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from billing.selectors import gfe_obligation_status, gfe_obligations_open
from billing.services import (
    estimate_issue,
    gfe_due_after_request,
    gfe_due_after_scheduling,
    gfe_record_request,
    gfe_record_scheduling,
)
from clinic.models import Role
from tests.factories.billing import billable_location, patient
from tests.factories.users import UserFactory

D = dt.date


@pytest.mark.parametrize(
    ("scheduled", "first_session", "due"),
    [
        # Mon -> Thu: 3 business days' notice, due the next business day (Tue).
        (D(2026, 3, 2), D(2026, 3, 5), D(2026, 3, 3)),
        # Fri -> Wed across a weekend: 3 days' notice (Mon, Tue, Wed); due Monday.
        (D(2026, 3, 6), D(2026, 3, 11), D(2026, 3, 9)),
        # Fri before Martin Luther King Jr. Day -> Thu: notice Tue, Wed, Thu; due Tuesday.
        (D(2026, 1, 16), D(2026, 1, 22), D(2026, 1, 20)),
        # Scheduled on a Saturday: due the Monday.
        (D(2026, 3, 7), D(2026, 3, 12), D(2026, 3, 9)),
        # 9 business days' notice is still the 1-day rule.
        (D(2026, 3, 2), D(2026, 3, 13), D(2026, 3, 3)),
        # Day before Thanksgiving, 10 business days' notice: 3 business days -> Fri, Mon, Tue.
        (D(2026, 11, 25), D(2026, 12, 10), D(2026, 12, 1)),
        # Christmas Eve, long notice: skips Christmas and the weekend -> Mon 28, Tue 29, Wed 30.
        (D(2026, 12, 24), D(2027, 1, 29), D(2026, 12, 30)),
    ],
)
def test_due_date_after_scheduling(scheduled, first_session, due):
    assert gfe_due_after_scheduling(scheduled_on=scheduled, first_session_on=first_session) == due


@pytest.mark.parametrize(
    ("scheduled", "first_session"),
    [
        (D(2026, 3, 2), D(2026, 3, 4)),  # Mon -> Wed: 2 business days
        (D(2026, 3, 6), D(2026, 3, 10)),  # Fri -> Tue: the weekend does not count
        (D(2026, 7, 1), D(2026, 7, 6)),  # Wed -> Mon: Fri 3 July is the observed Independence Day
    ],
)
def test_less_than_3_business_days_notice_sets_no_deadline(scheduled, first_session):
    assert gfe_due_after_scheduling(scheduled_on=scheduled, first_session_on=first_session) is None


@pytest.mark.parametrize(
    ("requested", "due"),
    [
        (D(2026, 3, 2), D(2026, 3, 5)),  # Mon -> Thu
        (D(2026, 3, 5), D(2026, 3, 10)),  # Thu -> Tue over the weekend
        (D(2026, 7, 2), D(2026, 7, 8)),  # Thu; Fri 3 July observed holiday -> Mon, Tue, Wed
        (D(2026, 3, 8), D(2026, 3, 11)),  # asked on a Sunday
    ],
)
def test_due_date_after_a_patients_request(requested, due):
    assert gfe_due_after_request(requested_on=requested) == due


@pytest.mark.django_db
def test_scheduling_is_counted_in_the_locations_own_time_zone():
    pasadena = billable_location(time_zone="America/Los_Angeles")
    la = ZoneInfo("America/Los_Angeles")
    who = patient()
    # Friday 23:30 in Pasadena is already Saturday in UTC; the local Friday is what counts.
    obligation = gfe_record_scheduling(
        patient=who,
        location=pasadena,
        scheduled_at=dt.datetime(2026, 3, 6, 23, 30, tzinfo=la),
        first_session_start=dt.datetime(2026, 3, 11, 10, 0, tzinfo=la),
    )
    assert obligation.due_on == D(2026, 3, 9)
    assert obligation.trigger == "scheduled"


@pytest.mark.django_db
def test_short_notice_scheduling_records_no_obligation():
    location = billable_location()
    ny = ZoneInfo("America/New_York")
    assert (
        gfe_record_scheduling(
            patient=patient(),
            location=location,
            scheduled_at=dt.datetime(2026, 3, 2, 9, tzinfo=ny),
            first_session_start=dt.datetime(2026, 3, 3, 9, tzinfo=ny),
        )
        is None
    )


@pytest.mark.django_db
@pytest.mark.clock_sweep
def test_open_obligations_are_due_then_overdue_then_met_when_an_estimate_is_issued():
    location = billable_location()
    who = patient()
    long_ago = dt.datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("America/New_York"))
    overdue = gfe_record_request(patient=who, location=location, requested_at=long_ago)
    fresh = gfe_record_request(patient=patient(), location=location)
    assert gfe_record_request(patient=who, location=location) == overdue  # asking twice
    rows = gfe_obligations_open()
    assert [(r.obligation, r.status) for r in rows] == [(overdue, "overdue"), (fresh, "due")]

    estimate_issue(
        patient=who,
        location=location,
        infusion_count=3,
        scheduled_starts=[],
        diagnosis_codes=["G43.709"],
        issued_by=UserFactory(role=Role.COORDINATOR),
        reason="Patient asked",
    )
    overdue.refresh_from_db()
    assert gfe_obligation_status(overdue) == "met_late"
    assert [r.obligation for r in gfe_obligations_open()] == [fresh]


@pytest.mark.django_db
def test_a_change_with_short_notice_keeps_the_deadline_but_owes_the_new_shape():
    """A GFE still owed must match the course as it now is, even when the change itself came too
    close to the first session to start a clock of its own; otherwise no estimate could ever
    meet it."""
    location = billable_location()
    ny = ZoneInfo("America/New_York")
    who = patient()
    owed = gfe_record_scheduling(
        patient=who,
        location=location,
        scheduled_at=dt.datetime(2026, 3, 2, 9, tzinfo=ny),  # Monday
        first_session_start=dt.datetime(2026, 3, 12, 9, tzinfo=ny),
        infusion_count=2,
        scheduled_starts=[dt.datetime(2026, 3, 12, 9, tzinfo=ny)],
    )
    friday = dt.datetime(2026, 3, 6, 9, tzinfo=ny)
    again = gfe_record_scheduling(
        patient=who,
        location=location,
        scheduled_at=dt.datetime(2026, 3, 4, 9, tzinfo=ny),  # Wednesday, moved to Friday
        first_session_start=friday,
        infusion_count=3,
        scheduled_starts=[friday],
    )
    assert again == owed
    owed.refresh_from_db()
    assert (owed.infusion_count, owed.scheduled_starts) == (3, [friday])
    assert owed.due_on == D(2026, 3, 3)


@pytest.mark.parametrize(
    ("day", "before"),
    [
        (D(2027, 3, 3), D(2027, 3, 2)),  # Wednesday -> Tuesday
        (D(2027, 3, 8), D(2027, 3, 5)),  # Monday -> the Friday before
        (D(2027, 1, 19), D(2027, 1, 15)),  # Tuesday after Martin Luther King Jr. Day -> Friday
    ],
)
def test_the_business_day_before_a_session(day, before):
    from billing.business_days import business_day_before

    assert business_day_before(day) == before
