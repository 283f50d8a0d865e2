"""Query counts of the estimate pages, pinned: each page is measured with 1 and with 50 of what
it lists (estimates owed, estimates issued, a patient's versions) and must cost the same number
of queries both times. A count that grows with the data is an N+1 to fix in the selector."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from billing.services import estimate_issue, gfe_record_request, gfe_record_scheduling
from clinic.models import Role
from tests.factories.billing import billable_location, patient
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
SIZES = [1, 50]

# Pinned counts, the same with 1 and with 50 of everything the page lists.
# The location filter's options are read once (clinic.forms.ShortListIterator): one less each.
ESTIMATES_LIST = 9  # one audit INSERT for the patients listed; paper copies; closed GFEs;
# courses billed over their GFE (one aggregate)
MY_ESTIMATE = 6  # and whether a GFE a course change owes is being prepared (5 before)
GFE_PAGE_PATIENT = 5
GFE_PAGE_STAFF = 6  # plus the audit row (the second factor comes with the user)


@pytest.fixture
def location():
    return billable_location(name="Boston", address_line="200 Clarendon Street")


def _issue(who, location, by):
    return estimate_issue(
        patient=who,
        location=location,
        infusion_count=4,
        scheduled_starts=[dt.datetime(2026, 3, d, 9, 0, tzinfo=NY) for d in (9, 16, 23, 30)],
        diagnosis_codes=["G43.709"],
        issued_by=by,
        reason="Course booked",
    )


@pytest.mark.parametrize("n", SIZES)
def test_estimates_list_costs_the_same_with_50_owed_and_50_issued(
    n, location, client, django_assert_num_queries
):
    coordinator = UserFactory(role=Role.COORDINATOR)
    for i in range(n):
        gfe_record_request(patient=patient(user__last_name=f"Owed{i:02d}"), location=location)
        met = patient(user__last_name=f"Met{i:02d}")
        gfe_record_request(patient=met, location=location)
        _issue(met, location, coordinator)
        _closed(patient(user__last_name=f"Closed{i:02d}"), location, coordinator)
    client.force_login(coordinator)
    url = reverse("billing:coordinator_list")
    client.get(url)
    with django_assert_num_queries(ESTIMATES_LIST):
        page = client.get(url).content.decode()
    assert page.count("Issue GFE now") == n
    assert page.count(" v1</a>") == min(n, 20)  # the 20 most recent
    assert page.count("Course cancelled: Moved away") == min(n, 20)


def _closed(who, location, by):
    """A GFE owed for a course, closed as no longer required when the course was cancelled."""
    from scheduling.services import course_cancel, course_create

    course = course_create(
        patient=who,
        location=location,
        planned_sessions=2,
        needs_clinician_review=False,
        created_by=by,
    )
    gfe_record_scheduling(
        patient=who,
        location=location,
        first_session_start=dt.datetime(2027, 3, 9, 9, tzinfo=NY),
        course=course,
    )
    course_cancel(course=course, by=by, reason="Moved away")


@pytest.mark.parametrize("n", SIZES)
def test_a_patients_estimate_pages_cost_the_same_with_50_versions(
    n, location, client, django_assert_num_queries
):
    who = patient()
    coordinator = UserFactory(role=Role.COORDINATOR)
    estimates = [_issue(who, location, coordinator) for _ in range(n)]
    client.force_login(who)
    url = reverse("billing:my_estimate")
    client.get(url)
    with django_assert_num_queries(MY_ESTIMATE):
        page = client.get(url).content.decode()
    assert f"v{n}</strong>" in page
    assert len(re.findall(r" v\d+</a>", page)) == n - 1  # the earlier versions

    gfe = reverse("billing:gfe", args=[estimates[-1].pk])
    with django_assert_num_queries(GFE_PAGE_PATIENT):
        page = client.get(gfe).content.decode()
    assert "96365" in page
    client.force_login(coordinator)
    client.get(gfe)
    with django_assert_num_queries(GFE_PAGE_STAFF):
        page = client.get(gfe).content.decode()
    assert "96365" in page
