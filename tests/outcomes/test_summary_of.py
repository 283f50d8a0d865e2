"""outcome_summary_of(): the figures of a plan whose days and answers the caller read itself
(the patient chart, in its one statement) are outcome_summary()'s."""

import pytest

from clinic.messaging.services import recipient_zone
from outcomes.models import DiaryDay, InstrumentResponse
from outcomes.selectors import MIDAS_KEY, outcome_summary, outcome_summary_of
from tests.outcomes.conftest import at
from tests.outcomes.test_review_card import returning_patient  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def test_a_summary_of_rows_read_elsewhere_is_the_same_summary(started, returning_patient):  # noqa: F811
    """The first course's plan: baseline, a course given, a month's answers after it."""
    plan = started["plan"]
    plan.refresh_from_db()
    now = at(4, 26, 9)
    days = list(
        DiaryDay.objects.filter(plan=plan)
        .order_by("day")
        .values_list("day", "headache", "migraine", "acute_medication", named=True)
    )
    responses = list(InstrumentResponse.objects.filter(plan=plan, instrument=MIDAS_KEY))
    mine = outcome_summary_of(
        plan=plan, days=days, responses=responses, now=now, zone=recipient_zone(plan.patient)
    )
    assert mine == outcome_summary(plan=plan, now=now)
    assert mine.latest is not None and mine.midas_grade_change is not None
