import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from outcomes.services import plan_start
from scheduling.services import course_create
from tests.factories.messaging import make_patient
from tests.factories.scheduling import (
    ChairFactory,
    ClinicianFactory,
    LocationFactory,
    SessionTypeFactory,
    StaffShiftFactory,
    open_every_day,
)

NY = ZoneInfo("America/New_York")
# Intake complete on Monday 1 March 2027, 10:00 in Boston.
START = dt.datetime(2027, 3, 1, 10, 0, tzinfo=NY)


def at(month, day, hour, minute=0):
    return dt.datetime(2027, month, day, hour, minute, tzinfo=NY)


@pytest.fixture
def clinic(db):
    location = LocationFactory(time_zone=NY)
    open_every_day(location)
    ChairFactory(location=location, name="Chair 1")
    StaffShiftFactory(location=location)
    SessionTypeFactory()
    return location


@pytest.fixture
def clinician(db):
    return ClinicianFactory()


@pytest.fixture
def started(clinic, clock):
    """A patient whose intake was completed at START: course and outcome plan, no bookings."""
    clock.travel(START)
    patient = make_patient(email="pat@example.com")
    course = course_create(
        patient=patient,
        location=clinic,
        planned_sessions=4,
        needs_clinician_review=False,
        created_by=None,
    )
    plan = plan_start(course=course, now=START)
    return {"patient": patient, "course": course, "plan": plan}
