"""One definition of "callable" (intake/queue.py): whatever the queue holds, the first row the
queue page shows that nobody else is on is the case 'Next call' claims, and with none, Next call
claims nothing."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from clinic.models import Role
from intake.models import IntakeCase
from intake.selectors import queue_rows
from intake.services import case_claim_next
from tests.factories.intake import submit_referral
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory

ZONES = ["America/New_York", "America/Los_Angeles", "Pacific/Honolulu"]
CASES = 6
# Instants around the edges of calling hours (8:00 to 20:59) in New York and Honolulu.
NOWS = [
    dt.datetime(2026, 12, 1, 12, 59, tzinfo=dt.UTC),  # 7:59 in New York
    dt.datetime(2026, 12, 1, 13, 0, tzinfo=dt.UTC),  # 8:00 in New York, 3:00 in Honolulu
    dt.datetime(2026, 12, 2, 1, 59, tzinfo=dt.UTC),  # 20:59 in New York
    dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC),  # 21:00 in New York, 18:00 in Honolulu
    dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC),  # midday everywhere but Honolulu's morning
]
OFFSETS = [None, -120, -1, 0, 1, 120]  # minutes from now; None: not set


@pytest.fixture
def world(db):
    location = LocationFactory(slug="boston", name="Boston")
    cases = [
        submit_referral(
            location=location, mobile_phone=f"+1617555{i:04d}", patient_last_name=f"Prop{i}"
        ).intake_case
        for i in range(CASES)
    ]
    me, other = (UserFactory(role=Role.COORDINATOR) for _ in range(2))
    return cases, me, other


def _at(now, minutes):
    return None if minutes is None else now + dt.timedelta(minutes=minutes)


case_shape = st.fixed_dictionaries(
    {
        "urgent": st.booleans(),
        "zone": st.sampled_from(ZONES),
        "created": st.integers(min_value=0, max_value=2),  # days before now; ties on purpose
        "next_attempt": st.sampled_from(OFFSETS),
        "callback": st.sampled_from(OFFSETS),
        # Claims by another coordinator, live or lapsed, and lapsed ones of mine.
        "claim": st.sampled_from([None, ("other", 10), ("other", -1), ("other", 0), ("me", -5)]),
    }
)


# 'Next call' runs on its prepared statement's generic plan (intake/services/claims.py), the
# queue page on a plan made for the time: the same case either way.
@pytest.mark.django_db
@given(now=st.sampled_from(NOWS), shapes=st.lists(case_shape, min_size=CASES, max_size=CASES))
def test_next_call_claims_the_first_free_row_the_queue_page_shows(world, now, shapes):
    cases, me, other = world
    with transaction.atomic():
        for case, shape in zip(cases, shapes, strict=True):
            claimer, minutes = shape["claim"] or (None, None)
            IntakeCase.objects.filter(pk=case.pk).update(
                urgent=shape["urgent"],
                time_zone=ZoneInfo(shape["zone"]),
                created_at=now - dt.timedelta(days=shape["created"]),
                next_attempt_at=_at(now, shape["next_attempt"]),
                callback_at=_at(now, shape["callback"]),
                claimed_by={"me": me, "other": other, None: None}[claimer],
                claim_expires_at=_at(now, minutes),
            )
        rows = queue_rows(coordinator=me, now=now)
        free = [
            row.case.pk
            for row in rows
            if row.in_calling_hours and row.waiting_until is None and not row.claimed_by_other
        ]
        claimed = case_claim_next(coordinator=me, now=now)
        assert (claimed.pk if claimed else None) == (free[0] if free else None)
        transaction.set_rollback(True)
