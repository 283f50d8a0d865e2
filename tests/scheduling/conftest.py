import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduling.services import course_create
from tests.factories.scheduling import (
    ChairFactory,
    LocationFactory,
    PatientFactory,
    SessionTypeFactory,
    StaffShiftFactory,
    open_every_day,
)

# The tests that book in March 2027 pass this as "now" and run with the test clock there too
# (the at_now fixture), so notice rules and the reminders planned are deterministic.
NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
NY = ZoneInfo("America/New_York")


def at(year, month, day, hour, minute=0, tz=NY):
    """An aware instant from a wall-clock time in a zone."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


@pytest.fixture
def at_now(clock):
    """The test clock at NOW: the services told now=NOW and the ones reading the clock agree."""
    clock.travel(NOW)


@pytest.fixture
def clinic(db):
    """A Boston location open 8:00-18:00 every day, two chairs, one clinician monitoring 3."""
    location = LocationFactory(time_zone=NY)
    open_every_day(location)
    chairs = [ChairFactory(location=location, name=f"Chair {n}") for n in (1, 2)]
    shift = StaffShiftFactory(location=location)
    SessionTypeFactory()
    return {"location": location, "chairs": chairs, "shift": shift}


@pytest.fixture
def make_course(clinic):
    def make(planned=4, location=None, patient=None, **kwargs):
        return course_create(
            patient=patient or PatientFactory(),
            location=location or clinic["location"],
            planned_sessions=planned,
            needs_clinician_review=kwargs.pop("needs_clinician_review", False),
            created_by=None,
        )

    return make
