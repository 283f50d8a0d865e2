"""Journey: migraine outcomes, end to end. A patient made by a real intake answers the baseline
questions and keeps a one-tap diary from the evening texts' links (no sign-in) while 4
infusions are booked and given (the clock moved forward day by day); the referring provider
then reads the outcome report and downloads its PDF, whose figures the test checks.
Then, in Spanish, her page and a diary day; then, referred again, the clinician's review card
with what the first course did. Screenshots at 390×844 (var/screenshots/h22-*.png), each page
checked with axe-core."""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils import timezone
from pypdf import PdfReader

from clinic.messaging.models import Message
from clinic.models import User
from outcomes.prompts import diary_prompts_send
from outcomes.services import plan_start
from scheduling.models import Location
from scheduling.services import (
    course_book_sessions,
    course_create,
    session_check_in,
    session_complete,
)
from tests.e2e.conftest import SCREENSHOTS, sign_in
from tests.factories.users import PASSWORD
from tests.intake.test_chart import patient_from_intake

NY = ZoneInfo("America/New_York")
PHONE = {"width": 390, "height": 844}
# Days from intake (Tuesday 1 December 2026) to each infusion, all weekdays, at 9:00.
INFUSION_DAYS = (10, 13, 17, 20)
# Baseline (days 0-9): a headache every other day: 5 of 10 days -> 14.0 a month.
# From the first infusion (days 10-20): headaches on days 12 and 19 only: 2 of 11 -> 5.1.
HEADACHE_DAYS = {0, 2, 4, 6, 8, 12, 19}


def shot(person, name: str) -> None:
    person.page.set_viewport_size(PHONE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    person.page.screenshot(path=str(SCREENSHOTS / f"h22-{name}.png"), full_page=True)
    problems = person.axe()
    assert not problems, f"{name}: {problems}"


def link_in(message: Message) -> str:
    return re.search(r"https?://[^/\s]+(/o/[dq]/\S+/)", message.body).group(1)


def evening(start: dt.date, day: int) -> dt.datetime:
    return dt.datetime.combine(start + dt.timedelta(days=day), dt.time(19), tzinfo=NY)


def test_a_patients_diary_becomes_the_providers_outcome_report(people, demo_clinic, clock):
    boston = Location.objects.get(slug="boston")
    patient, referral = patient_from_intake(boston, language="en")
    start = timezone.now().astimezone(NY).date()
    phone = people("patient")
    phone.page.set_viewport_size(PHONE)

    # The baseline questions, from the link texted at intake complete.
    prompt = Message.objects.get(recipient=patient, kind="questionnaire_prompt")
    page = phone.goto(link_in(prompt))
    page.get_by_role("heading", name="5 short questions").wait_for()
    for field, days in zip(
        page.locator("main form input[inputmode=numeric]").all(), (10, 8, 6, 4, 2), strict=True
    ):
        field.fill(str(days))
    shot(phone, "01-baseline-questions")
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", name="Thank you").wait_for()

    course = referral.course
    clinician = User.objects.get(email="nurse@clinic.example")
    starts = [
        dt.datetime.combine(start + dt.timedelta(days=d), dt.time(9), tzinfo=NY)
        for d in INFUSION_DAYS
    ]
    course_book_sessions(course=course, starts=starts, by=None)
    sessions = list(course.sessions.order_by("starts_at"))

    for day in range(0, 21):
        if day in INFUSION_DAYS:
            session = sessions[INFUSION_DAYS.index(day)]
            clock.travel(session.starts_at)
            session_check_in(session=session, by=clinician)
            session_complete(session=session, by=clinician)
        clock.travel(evening(start, day))
        diary_prompts_send(now=timezone.now())  # the beat task's work
        text = (
            Message.objects.filter(recipient=patient, kind="diary_prompt")
            .order_by("-send_after")
            .first()
        )
        assert text.send_after.astimezone(NY).date() == start + dt.timedelta(days=day)
        page = phone.goto(link_in(text))
        if day in HEADACHE_DAYS:
            page.get_by_label("Worst pain", exact=False).fill("7")
            page.locator("fieldset fieldset").nth(0).get_by_label("Yes").check()  # a migraine
            page.locator("fieldset fieldset").nth(1).get_by_label("Yes").check()  # medicine
            if day == 2:
                shot(phone, "02-diary-headache-day")
            page.get_by_role("button", name="Save today").click()
        else:
            if day == 1:
                shot(phone, "03-diary-one-tap")
            page.get_by_role("button", name="No headache today").click()
        page.get_by_role("heading", name="Thank you").wait_for()
    # A second tap on the same link records nothing more.
    page = phone.goto(link_in(text))
    page.get_by_role("button", name="No headache today").click()
    assert "We already have your answers" in page.locator("main").inner_text()

    # The next morning the provider reads the report and downloads it.
    clock.travel(evening(start, 21) - dt.timedelta(hours=8))
    provider = people("provider")
    sign_in(provider, referral.provider.user.email, PASSWORD)
    page = provider.goto(f"/referrals/{referral.reference}/")
    report = page.locator("#outcome-report")
    report.wait_for()
    text = report.inner_text()
    assert "Infusions received: 4 of 4 planned" in text
    assert page.locator('[data-figure="baseline-headache_days"]').inner_text() == "14.0"
    assert page.locator('[data-figure="end_of_course-headache_days"]').inner_text() == "5.1"
    assert page.locator('[data-figure="end_of_course-responder"]').inner_text() == "Yes"
    shot(provider, "04-provider-report")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the report (PDF)").click()
    pdf = PdfReader(Path(download.value.path()))
    words = pdf.pages[0].extract_text()
    assert len(pdf.pages) == 1
    for figure in (
        "Outcome report",
        referral.reference,
        "4 of 4 planned",
        "14.0",
        "5.1",
        "-63.6%",
        "30 (IV)",
    ):
        assert figure in words, figure

    # The patient's own page: the weekly chart before and after, and her figures.
    sign_in(phone, patient.email, "a-long-new-password")
    page = phone.goto("/my/diary/")
    main = page.locator("main").inner_text()
    assert "Headache days each week" in main and "-63.6%" in main
    assert "Responder: headache days at least halved" in main
    shot(phone, "05-my-diary")

    # In Spanish: her page, then the next evening's one-tap diary (its link speaks her language).
    page.get_by_role("button", name="Español").click()
    page.get_by_role("heading", name="Mi diario").wait_for()
    main = page.locator("main").inner_text()
    assert "Días con dolor de cabeza al mes" in main and "-63.6%" in main
    shot(phone, "06-my-diary-es")
    clock.travel(evening(start, 21))
    diary_prompts_send(now=timezone.now())
    text = Message.objects.filter(recipient=patient, kind="diary_prompt").latest("send_after")
    assert "¿cómo fue su día?" in text.body
    phone.page.context.clear_cookies()
    page = phone.goto(link_in(text))
    page.get_by_role("button", name="Hoy no tuve dolor de cabeza").wait_for()
    shot(phone, "07-diary-es")

    # She is referred again: the clinician's review card shows what the first course did.
    again = course_create(
        patient=patient,
        location=boston,
        planned_sessions=4,
        needs_clinician_review=True,
        created_by=None,
    )
    plan_start(course=again, now=timezone.now())
    nurse = people("clinician")
    nurse.page.set_viewport_size(PHONE)
    sign_in(nurse, clinician.email)
    page = nurse.goto("/clinician/")
    card = page.locator(f'article[aria-labelledby="review-{again.pk}"]')
    card.get_by_role("heading", name="Migraine outcomes").wait_for()
    words = card.inner_text()
    for figure in ("This course", "Earlier course at Boston", "14.0", "5.1", "-63.6%"):
        assert figure in words, figure
    assert "Responder: headache days at least halved" in words and "30 (grade IV)" in words
    card.scroll_into_view_if_needed()
    shot(nurse, "08-review-card")
