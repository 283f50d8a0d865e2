"""The dashboard's responder rates (reporting/operations/outcome_figures.py) on a small data set
worked out by hand, agreeing with the provider report's rule (outcomes.report), with the counts
behind each rate, a CSV, and a query count that does not grow with the data."""

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from clinic.models import Role
from outcomes.models import DiaryDay, OutcomePlan
from outcomes.report import outcome_report
from reporting.models import ResponderCounts
from reporting.operations.outcome_charts import outcome_charts
from reporting.operations.outcome_figures import responder_figures, responder_figures_recent
from reporting.tasks import refresh_responder_counts
from scheduling.models import Course, CourseStatus, InfusionSession
from tests.factories.scheduling import (
    ChairFactory,
    LocationFactory,
    PatientFactory,
    SessionTypeFactory,
)
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
NOW = dt.datetime(2026, 6, 17, 12, 0, tzinfo=NY)


def D(text):
    return dt.date.fromisoformat(text)


def completed(location, *, infusions, done, baseline, follow):
    """A course of `infusions` completed on `done` (3 days apart), its plan, and a diary:
    `baseline` = (days recorded, headache days) in the 28 days before the first infusion,
    `follow` = the same counted back from the follow-up window's last day."""
    patient = PatientFactory()
    course = Course.objects.create(
        patient=patient,
        location=location,
        session_type=SessionTypeFactory(),
        planned_sessions=infusions,
        status=CourseStatus.COMPLETED,
    )
    chair = ChairFactory(location=location)
    first = done - dt.timedelta(days=3 * (infusions - 1))
    for slot in range(infusions):
        start = dt.datetime.combine(
            first + dt.timedelta(days=3 * slot), dt.time(9), tzinfo=location.time_zone
        )
        InfusionSession.objects.create(
            course=course,
            patient=patient,
            location=location,
            course_planned_sessions=infusions,
            slot=slot + 1,
            chair=chair,
            starts_at=start,
            infusion_ends_at=start + dt.timedelta(hours=1),
            ends_at=start + dt.timedelta(hours=1, minutes=30),
            local_date=start.date(),
            status="completed",
        )
    plan = OutcomePlan.objects.create(
        course=course,
        patient=patient,
        diary_starts_on=first - dt.timedelta(days=28),
        first_session_on=first,
        last_session_on=done,
        course_completed_on=done,
        diary_ends_on=done + dt.timedelta(days=90),
    )
    today = NOW.astimezone(location.time_zone).date()
    f_to = done + dt.timedelta(
        days=90
        if today >= done + dt.timedelta(days=90)
        else 30
        if today >= done + dt.timedelta(days=30)
        else 0
    )
    days = [(first - dt.timedelta(days=1 + i), i < baseline[1]) for i in range(baseline[0])]
    days += [(f_to - dt.timedelta(days=i), i < follow[1]) for i in range(follow[0])]
    DiaryDay.objects.bulk_create(
        DiaryDay(
            plan=plan,
            day=day,
            headache=head,
            migraine=False,
            worst_pain=5 if head else 0,
            acute_medication=False,
            recorded_at=NOW,
        )
        for day, head in days
    )
    return plan


@pytest.fixture
def outcomes():
    boston = LocationFactory(name="Boston", slug="boston", time_zone=NY)
    pasadena = LocationFactory(name="Pasadena", slug="pasadena", time_zone=LA)
    plans = {
        # 1 month reached: 14 -> 7 headache days a month, exactly halved: a responder.
        "halved": completed(
            boston, infusions=4, done=D("2026-05-10"), baseline=(28, 14), follow=(28, 7)
        ),
        # End of course only (the window starts at the first infusion): 10 -> 11.2, not halved.
        "not": completed(
            boston, infusions=4, done=D("2026-06-10"), baseline=(28, 10), follow=(10, 4)
        ),
        # 3 months reached: 8 of 14 days -> 2 of 20 days (16.0 -> 2.8 a month): a responder.
        "late": completed(
            pasadena, infusions=6, done=D("2026-03-01"), baseline=(14, 8), follow=(20, 2)
        ),
        # Too few baseline days: counted, not judged.
        "few": completed(
            pasadena, infusions=1, done=D("2026-06-01"), baseline=(5, 5), follow=(1, 0)
        ),
        # Completed more than a year ago: left out.
        "old": completed(
            pasadena, infusions=2, done=D("2025-05-01"), baseline=(28, 10), follow=(28, 1)
        ),
    }
    return boston, pasadena, plans


def cells(row):
    return (row.label, row.patients, row.with_figures, row.responders, row.rate)


def test_responder_rates_by_infusions_and_by_location_with_their_counts(outcomes):
    figures = responder_figures(now=NOW)
    assert [cells(r) for r in figures.by_infusions] == [
        ("1", 1, 0, 0, None),
        ("2", 0, 0, 0, None),
        ("3", 0, 0, 0, None),
        ("4", 2, 2, 1, Decimal("50.0")),
        ("5", 0, 0, 0, None),
        ("6", 1, 1, 1, Decimal("100.0")),
    ]
    assert [cells(r) for r in figures.by_location] == [
        ("Boston", 2, 2, 1, Decimal("50.0")),
        ("Pasadena", 2, 1, 1, Decimal("100.0")),
    ]
    assert cells(figures.total) == ("All", 4, 3, 2, Decimal("66.7"))
    boston, _, _ = outcomes
    assert cells(responder_figures(location=boston, now=NOW).total) == (
        "All",
        2,
        2,
        1,
        Decimal("50.0"),
    )


def test_the_dashboard_and_the_provider_report_judge_each_patient_alike(outcomes):
    _, _, plans = outcomes
    for name, expected in [("halved", True), ("not", False), ("late", True), ("few", None)]:
        latest = outcome_report(plan=plans[name], now=NOW).latest
        assert latest.comparison.responder is expected, name


def test_each_responder_chart_has_its_table_and_csv(outcomes, client):
    by_infusions, by_location = outcome_charts(responder_figures(now=NOW))
    assert by_infusions.display_rows[3] == ["4", "2", "2", "1", "50.0%"]
    assert by_location.display_total == ["All", "4", "3", "2", "66.7%"]
    client.force_login(UserFactory(role=Role.COORDINATOR))
    page = client.get(reverse("clinic:operations"))
    assert "Responders by infusions received" in page.text
    download = client.get(
        reverse("clinic:operations"), {"format": "csv", "chart": "responders_by_location"}
    )
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == [
        "location",
        "courses_completed",
        "with_diary_figures",
        "responders",
        "responder_percent",
    ]


def test_the_query_count_does_not_grow_with_the_data(outcomes, django_assert_num_queries):
    boston, _, _ = outcomes
    with django_assert_num_queries(1):
        responder_figures(location=boston, now=NOW)
    for i in range(10):
        completed(
            boston, infusions=1 + i % 6, done=D("2026-05-01"), baseline=(20, 6), follow=(20, 2)
        )
    with django_assert_num_queries(1):
        responder_figures(location=boston, now=NOW)
    with django_assert_num_queries(2):  # and the locations' names
        responder_figures(now=NOW)


def _csv_total(client):
    download = client.get(
        reverse("clinic:operations"), {"format": "csv", "chart": "responders_by_location"}
    )
    return list(csv.reader(io.StringIO(download.content.decode())))[-1]


def test_the_dashboard_reads_kept_counts_and_recounts_them_when_old(outcomes, client, clock):
    boston, _, _ = outcomes
    clock.travel(NOW)
    client.force_login(UserFactory(role=Role.COORDINATOR))
    # The first look counts and keeps the counts: the same figures as counting now.
    assert _csv_total(client) == ["All", "4", "3", "2", "66.7"]
    kept = ResponderCounts.objects.get()
    page = client.get(reverse("clinic:operations")).content.decode()
    assert "Counted Wed 17 Jun 2026, 12:00 PM EDT." in page

    # A course completed since: the page shows the kept counts (no page waits for a count)...
    completed(boston, infusions=2, done=D("2026-06-12"), baseline=(28, 12), follow=(3, 0))
    assert responder_figures(now=NOW).total.patients == 5
    clock.shift(dt.timedelta(minutes=9))
    assert _csv_total(client) == ["All", "4", "3", "2", "66.7"]
    # ...until beat recounts them, or they are older than 10 minutes when the page is asked.
    refresh_responder_counts()
    assert _csv_total(client)[:2] == ["All", "5"]
    ResponderCounts.objects.update(computed_at=kept.computed_at, rows=kept.rows)
    clock.shift(dt.timedelta(minutes=2))
    assert _csv_total(client)[:2] == ["All", "5"]
    # One location's figures come from the same kept counts.
    boston_page = client.get(reverse("clinic:operations"), {"location": boston.pk})
    assert "Counted Wed 17 Jun 2026" in boston_page.content.decode()
    assert responder_figures_recent(location=boston).total.patients == 3
