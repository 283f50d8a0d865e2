"""The patient's pages: a diary day and the questions from a signed link (no sign-in, once,
expiring, in the patient's language), and their own page with the weekly chart."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from clinic.audit.models import AuditEvent
from clinic.messaging.models import Message
from clinic.models import Role
from outcomes.links import diary_url, questionnaire_url
from outcomes.models import DiaryDay, InstrumentResponse
from scheduling.services import course_book_sessions, course_cancel
from tests.outcomes.conftest import at
from tests.outcomes.test_services import FOUR, complete_course

pytestmark = pytest.mark.django_db


def path(url):
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def diary_link(started, clock):
    clock.travel(at(3, 2, 18, 5))
    return path(diary_url(plan=started["plan"], day=dt.date(2027, 3, 2)))


def test_one_tap_records_a_day_without_headache_once(client, started, diary_link):
    page = client.get(diary_link)
    assert page.status_code == 200 and "How was your day?" in page.text
    assert not DiaryDay.objects.exists()  # opening the link (a mail scanner) records nothing
    done = client.post(diary_link, {"headache": "no"})
    assert done.status_code == 200 and "Your answers are saved" in done.text
    again = client.post(diary_link, {"headache": "yes", "worst_pain": "7"})
    assert "We already have your answers" in again.text
    (day,) = DiaryDay.objects.all()
    assert (day.day, day.headache, day.worst_pain) == (dt.date(2027, 3, 2), False, 0)


def test_a_headache_day_records_its_pain_migraine_and_medicine(client, started, diary_link):
    client.post(
        diary_link,
        {"headache": "yes", "migraine": "yes", "worst_pain": "8", "acute_medication": "yes"},
    )
    day = DiaryDay.objects.get()
    assert (day.headache, day.migraine, day.worst_pain, day.acute_medication) == (
        True,
        True,
        8,
        True,
    )


def test_a_headache_without_its_pain_is_sent_back_with_the_error_beside_the_field(
    client, diary_link
):
    page = client.post(diary_link, {"headache": "yes", "worst_pain": ""})
    assert page.status_code == 400 and "from 1 to 10" in page.text
    assert 'aria-invalid="true"' in page.text and not DiaryDay.objects.exists()


def test_the_link_expires_and_a_forged_one_never_works(client, diary_link, clock):
    assert client.get(diary_link[:-3] + "xx/").status_code == 410
    clock.shift(dt.timedelta(hours=49))
    gone = client.post(diary_link, {"headache": "no"})
    assert gone.status_code == 410 and "no longer works" in gone.text
    assert not DiaryDay.objects.exists()


def test_the_link_speaks_the_patients_language(client, started, diary_link):
    started["patient"].preferred_language = "es"
    started["patient"].save()
    page = client.get(diary_link)
    assert "¿Cómo fue su día?" in page.text and page["Content-Language"] == "es"


@given(
    fields=st.fixed_dictionaries(
        {},
        optional={
            "headache": st.text(max_size=6),
            "migraine": st.text(max_size=6),
            "worst_pain": st.one_of(
                st.text(max_size=6), st.sampled_from(["١٢", "１０", "11", "-1", "\x00"])
            ),
            "acute_medication": st.text(max_size=6),
        },
    )
)
def test_hostile_diary_input_never_errors_and_stores_only_a_valid_day(client, diary_link, fields):
    fields = {k: v.replace("\x00", "") if k != "worst_pain" else v for k, v in fields.items()}
    response = client.post(diary_link, fields)
    assert response.status_code in (200, 400)
    for day in DiaryDay.objects.all():
        assert 0 <= day.worst_pain <= 10 and (day.headache or not day.migraine)
    DiaryDay.objects.all().delete()


MIDAS_OK = {
    "missed_work": "5",
    "reduced_work": "4",
    "missed_housework": "6",
    "reduced_housework": "2",
    "missed_social": "4",
}


def test_the_questions_link_scores_on_the_server(client, started):
    link = path(questionnaire_url(plan=started["plan"], time_point="baseline"))
    assert "On how many days" in client.get(link).text
    bad = client.post(link, {**MIDAS_OK, "missed_work": "١٢"})
    assert bad.status_code == 400 and "from 0 to 90" in bad.text
    assert not InstrumentResponse.objects.exists()
    client.post(link, {**MIDAS_OK, "score": "0"})  # a score sent by the page is ignored
    response = InstrumentResponse.objects.get()
    assert (response.score, response.grade, response.time_point) == (21, "IV", "baseline")


def test_the_patients_own_page_shows_their_weeks_and_records_today(
    client, started, make_user, clock
):
    patient = started["patient"]
    client.force_login(patient)
    clock.travel(at(3, 3, 19))
    page = client.get(reverse("outcomes:mine"))
    assert page.status_code == 200 and "Headache days each week" in page.text
    assert reverse("outcomes:my_questionnaire", args=["baseline"]) in page.text
    client.post(reverse("outcomes:mine"), {"headache": "no"})
    assert DiaryDay.objects.get().day == dt.date(2027, 3, 3)
    assert "Today is recorded" in client.get(reverse("outcomes:mine")).text
    other = make_user(role=Role.PATIENT)
    client.force_login(other)
    assert "Your diary starts after" in client.get(reverse("outcomes:mine")).text
    client.force_login(make_user(role=Role.COORDINATOR))
    assert client.get(reverse("outcomes:mine")).status_code == 403


def test_coordinators_see_who_stopped_answering_and_each_view_is_audited(
    client, started, make_user, clock
):

    clock.travel(at(3, 2, 19))
    client.force_login(started["patient"])
    client.post(reverse("outcomes:mine"), {"headache": "no"})
    coordinator = make_user(role=Role.COORDINATOR)
    clock.travel(at(3, 4, 12))
    client.force_login(coordinator)
    assert "Everyone is answering" in client.get(reverse("outcomes:silent")).text
    clock.travel(at(3, 6, 12))
    client.logout()  # two idle days sign staff out: a new sign-in
    client.force_login(coordinator)
    response = client.get(reverse("outcomes:silent"))
    assert response.status_code == 200, response
    page = response.text
    assert started["patient"].get_full_name() in page and "<td>3</td>" in page
    assert AuditEvent.objects.filter(actor=coordinator, patient=started["patient"]).exists()
    client.force_login(started["patient"])
    assert client.get(reverse("outcomes:silent")).status_code == 403


def test_the_baseline_link_after_the_first_infusion_says_so_kindly_and_stores_nothing(
    client, started, clock
):

    link = path(questionnaire_url(plan=started["plan"], time_point="baseline"))
    course_book_sessions(course=started["course"], starts=FOUR, by=None, now=at(3, 1, 11))
    clock.travel(at(3, 15, 12))  # the day of the first infusion
    page = client.get(link)
    assert page.status_code == 200 and "Nothing to answer" in page.text
    assert "before your first appointment" in page.text and "inputmode" not in page.text
    sent = client.post(link, MIDAS_OK)
    assert sent.status_code == 200 and "before your first appointment" in sent.text
    assert not InstrumentResponse.objects.exists()


def test_an_answered_questions_link_opened_again_only_thanks(client, started):
    link = path(questionnaire_url(plan=started["plan"], time_point="baseline"))
    client.post(link, MIDAS_OK)
    again = client.get(link)
    assert "We already have your answers" in again.text and "inputmode" not in again.text
    client.post(link, {**MIDAS_OK, "missed_work": "0"})  # replayed with other answers
    assert InstrumentResponse.objects.get().answers["missed_work"] == 5


HOSTILE = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        ["٣", "１０", "٣٠", "9" * 40, "-1", "91", "1e2", "0x1", " 7 ", "5\n", "\x00", "\u202e5"]
    ),
)


@given(fields=st.fixed_dictionaries({}, optional=dict.fromkeys(MIDAS_OK, HOSTILE)))
def test_hostile_questions_input_never_errors_and_stores_only_five_whole_numbers(
    client, started, fields
):
    link = path(questionnaire_url(plan=started["plan"], time_point="baseline"))
    response = client.post(link, fields)
    assert response.status_code in (200, 400)
    valid = set(fields) == set(MIDAS_OK) and all(
        v.strip().isascii() and v.strip().isdigit() and 0 <= int(v.strip()) <= 90
        for v in fields.values()
    )
    assert InstrumentResponse.objects.exists() == valid
    for response in InstrumentResponse.objects.all():
        assert all(isinstance(v, int) and 0 <= v <= 90 for v in response.answers.values())
    InstrumentResponse.objects.all().delete()


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "٣",
        "a" * 5000,
        "%00",
        "eyJwIjoiMSJ9:1:abc",  # a payload with a forged signature
    ],
)
def test_a_bad_token_on_either_link_is_a_kind_410(client, token):
    for name in ("outcomes:diary_link", "outcomes:questionnaire_link"):
        response = client.post(reverse(name, args=[token]), {"headache": "no"})
        assert response.status_code == 410 and "no longer works" in response.text
    assert not DiaryDay.objects.exists() and not InstrumentResponse.objects.exists()


def test_a_diary_link_for_a_cancelled_course_no_longer_works(client, started, clinician):

    link = path(diary_url(plan=started["plan"], day=dt.date(2027, 3, 1)))
    course_cancel(course=started["course"], by=clinician, reason="moved away")
    response = client.post(link, {"headache": "no"})
    assert response.status_code == 410 and not DiaryDay.objects.exists()


def test_a_follow_up_questions_link_works_for_30_days_from_the_day_it_is_texted(
    client, started, clinician, clock
):
    """The 1- and 3-month texts are written when the course ends and sent a month or three
    later: their links count their 30 days from then, not from the day they were written."""

    course_book_sessions(course=started["course"], starts=FOUR, by=None, now=at(3, 1, 11))
    complete_course(started["course"], clinician, clock)  # the last on 25 March
    month_3 = Message.objects.filter(
        recipient=started["patient"], kind="questionnaire_prompt"
    ).latest("send_after")
    assert month_3.send_after == at(6, 23, 10)
    link = re.search(r"(/o/q/\S+/)", month_3.body).group(1)
    clock.travel(at(6, 23, 10))
    assert "On how many days" in client.get(link).text
    clock.travel(at(7, 23, 9))
    assert "On how many days" in client.get(link).text
    clock.travel(at(7, 23, 11))
    assert client.get(link).status_code == 410
