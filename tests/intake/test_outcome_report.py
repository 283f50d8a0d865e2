"""The referring provider's outcome report: on their referral page, as a one-page PDF, in the
API, and an e-mail (with no health information) once per time point reached. Built the real
way: intake complete, four infusions booked and completed, a diary kept, MIDAS answered."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from clinic.messaging.models import Message
from clinic.messaging.wording import forbidden_words_in
from clinic.models import Role
from intake import services as intake_services
from intake.outcome_reports import outcome_report_notices_send
from outcomes.models import DiaryDay
from outcomes.services import instrument_response_record
from scheduling.services import course_book_sessions, session_check_in, session_complete
from tests.factories.intake import ProviderFactory
from tests.factories.users import UserFactory
from tests.intake.test_chart import NY, at, make_clinic, patient_from_intake

pytestmark = pytest.mark.django_db

MIDAS = {
    "missed_work": "10",
    "reduced_work": "8",
    "missed_housework": "6",
    "reduced_housework": "4",
    "missed_social": "2",
}
MIDAS_AFTER = {**MIDAS, "missed_work": "1", "reduced_work": "1", "missed_housework": "1"}


def answer_midas_at_one_month(plan, now):
    """The patient's MIDAS answers (MIDAS_AFTER) a month after the course."""
    instrument_response_record(
        plan=plan, instrument_key="midas", time_point="month_1", answers=MIDAS_AFTER, now=now
    )


def keep_diary(plan, first_day, days, headache_every):
    """`days` answered days from first_day, a headache on every `headache_every`-th one."""
    DiaryDay.objects.bulk_create(
        DiaryDay(
            plan=plan,
            day=first_day + dt.timedelta(days=i),
            headache=i % headache_every == 0,
            migraine=i % (headache_every * 2) == 0,
            worst_pain=6 if i % headache_every == 0 else 0,
            acute_medication=i % headache_every == 0,
            recorded_at=timezone.now(),
        )
        for i in range(days)
    )


@pytest.fixture
def course_done(clock):
    """Baseline: 10 days, headache every other day (14 a month); MIDAS 30 (grade IV). Four
    infusions; then 35 days with a headache every 7th day (4 a month)."""
    location = make_clinic()
    patient, referral = patient_from_intake(location, language="en")
    course, plan = referral.course, referral.course.outcome_plan
    start = timezone.now().astimezone(NY).date()
    instrument_response_record(
        plan=plan, instrument_key="midas", time_point="baseline", answers=MIDAS, now=timezone.now()
    )
    keep_diary(plan, start, 10, 2)
    course_book_sessions(course=course, starts=[at(d) for d in (10, 13, 17, 20)], by=None)
    clinician = UserFactory(role=Role.CLINICIAN)
    for session in course.sessions.order_by("starts_at"):
        clock.travel(session.starts_at)
        session_check_in(session=session, by=clinician)
        session_complete(session=session, by=clinician)
    plan.refresh_from_db()
    keep_diary(plan, start + dt.timedelta(days=10), 45, 7)
    return {"referral": referral, "plan": plan, "start": start, "location": location}


def test_the_provider_reads_the_report_on_the_referral_page_and_in_the_pdf(
    client, course_done, clock
):
    referral = course_done["referral"]
    # 11 days after the last infusion: the end of course is reached, not yet 1 month.
    clock.travel(
        dt.datetime.combine(course_done["start"] + dt.timedelta(days=31), dt.time(12), tzinfo=NY)
    )
    client.force_login(referral.provider.user)
    page = client.get(reverse("intake:referral_detail", args=[referral.reference])).text
    assert "Outcome report" in page and "Infusions received: 4 of 4 planned" in page
    assert 'data-figure="baseline-headache_days">14.0<' in page
    assert 'data-figure="end_of_course-headache_days">' in page
    assert 'data-figure="month_1-headache_days"><span class="muted">not yet' in page
    assert 'data-figure="baseline-midas">30 (IV)<' in page
    pdf = client.get(reverse("intake:referral_outcome_pdf", args=[referral.reference]))
    assert pdf["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    text = reader.pages[0].extract_text()
    assert len(reader.pages) == 1 and "Outcome report" in text and "14.0" in text


def test_one_month_after_the_figures_and_midas_compare_with_the_baseline(course_done, clock):
    referral, plan = course_done["referral"], course_done["plan"]
    done = plan.course_completed_on
    clock.travel(dt.datetime.combine(done + dt.timedelta(days=30), dt.time(12), tzinfo=NY))
    answer_midas_at_one_month(plan, clock.now())
    _, key = intake_services.api_token_create(provider=referral.provider, name="EHR")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = api.get(f"/api/v1/referrals/{referral.reference}").json()["outcome_report"]
    assert body["infusions_received"] == 4 and len(body["infusion_dates"]) == 4
    assert body["baseline"]["monthly_headache_days"] == 14.0
    assert body["baseline"]["recorded_days"] == 10
    assert body["baseline_midas"] == {"score": 30, "grade": "IV"}
    month_1 = body["follow_up"][1]
    assert month_1["time_point"] == "month_1" and month_1["reached"]
    # The 28 days to done+30 all fall in the 45 days kept: every 7th a headache -> 4 a month.
    assert month_1["diary"]["recorded_days"] == 28
    assert month_1["diary"]["monthly_headache_days"] == 4.0
    assert month_1["percent_change_headache_days"] == -71.4 and month_1["responder"] is True
    assert month_1["midas"] == {"score": 9, "grade": "II"}
    assert body["follow_up"][2]["reached"] is False


def test_another_provider_sees_nothing_and_the_report_waits_for_the_course(course_done, client):
    referral = course_done["referral"]
    client.force_login(ProviderFactory().user)
    assert (
        client.get(reverse("intake:referral_outcome_pdf", args=[referral.reference])).status_code
        == 404
    )
    assert (
        client.get(reverse("intake:referral_detail", args=[referral.reference])).status_code == 404
    )


def test_the_provider_is_told_once_per_time_point_without_health_information(course_done, clock):
    referral, plan = course_done["referral"], course_done["plan"]
    outcome_report_notices_send()
    outcome_report_notices_send()
    mails = Message.objects.filter(kind="outcome_report_ready", recipient=referral.provider.user)
    assert mails.count() == 1  # end of course
    clock.travel(
        dt.datetime.combine(plan.course_completed_on + dt.timedelta(days=31), dt.time(9), tzinfo=NY)
    )
    outcome_report_notices_send()
    assert mails.count() == 2
    clock.travel(
        dt.datetime.combine(plan.course_completed_on + dt.timedelta(days=90), dt.time(9), tzinfo=NY)
    )
    outcome_report_notices_send()
    outcome_report_notices_send()
    assert mails.count() == 3  # end of course, 1 month, 3 months: once each
    for mail in mails:
        text = (mail.subject + mail.body).lower()
        assert referral.reference.lower() in text and forbidden_words_in(text) == []
        for word in (
            "migraine",
            "headache",
            "midas",
            "infusion",
            "responder",
            "diary",
            referral.patient_first_name.lower(),
            referral.patient_last_name.lower(),
        ):
            assert word not in text
