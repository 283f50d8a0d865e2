import itertools

import pytest

from clinic.messaging import defaults
from clinic.messaging.models import MessageTemplate, ReminderPlanEntry
from scheduling.services import course_create
from tests.factories.messaging import make_patient
from tests.scheduling.conftest import NOW, NY, at, at_now, clinic, make_course  # noqa: F401
from waitlist.services import entry_join

ALL_WEEK = list(range(7))
ALL_DAY = ["morning", "afternoon", "evening"]
_phones = itertools.count(1000)


@pytest.fixture(autouse=True)
def message_defaults(db):
    defaults.install(MessageTemplate, ReminderPlanEntry)


@pytest.fixture
def waiting(clinic):  # noqa: F811 (the fixture imported above)
    """wait(...) puts a new patient's course on the waitlist (every day, all day by default)."""

    def wait(*, zone="America/New_York", consent=True, language="en", location=None, **windows):
        patient = make_patient(
            phone=f"+1617555{next(_phones):04d}", zone=zone, consent=consent, language=language
        )
        course = course_create(
            patient=patient,
            location=location or clinic["location"],
            planned_sessions=4,
            needs_clinician_review=False,
            created_by=None,
        )
        windows.setdefault("weekdays", ALL_WEEK)
        windows.setdefault("parts_of_day", ALL_DAY)
        return entry_join(course=course, by=patient, **windows)

    return wait


__all__ = ["NOW", "NY", "at"]
