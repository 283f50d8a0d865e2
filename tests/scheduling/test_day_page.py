"""The staff day view (GET /staff/day/) and the clinician's Today page show the same day, whoever
reads it and whatever it holds: the visible text of each case below, and the HTML of the grid
(links, forms and buttons; ids masked), are compared with snapshots
(tests/scheduling/day_page/<case>.txt) taken from the pages as they were before the day view
was read in one statement of plain values (issue 19). The day holds every status a session
can show, a confirmed one, sessions between two rows and running past closing time, a
patient known only by e-mail and one only by phone, a chair out of service, a session in
it, a shift that starts before opening, a cancelled session (not shown) and one at another
location; a closed location with nobody on duty; and a form with bad input.

    PAGE_TEXT_UPDATE=1 .venv/bin/pytest tests/scheduling/test_day_page.py   # rewrite them
"""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.urls import reverse

from clinic.audit.models import AuditEvent
from clinic.models import Role
from scheduling.day_page import day_read
from scheduling.forms import StaffDayForm
from scheduling.models import Chair, InfusionSession, OpeningHours
from scheduling.services import (
    course_create,
    session_book,
    session_cancel,
    session_check_in,
    session_complete,
    session_confirm_next,
    session_mark_no_show,
)
from tests import clock as test_clock
from tests.clinic.test_page_text import visible_text
from tests.factories.scheduling import (
    ChairFactory,
    ClinicianFactory,
    LocationFactory,
    PatientFactory,
    SessionTypeFactory,
    StaffShiftFactory,
    open_every_day,
)
from tests.factories.users import UserFactory
from tests.support.snapshots import compare_snapshot

pytestmark = pytest.mark.django_db

SNAPSHOTS = Path(__file__).parent / "day_page"
NY = ZoneInfo("America/New_York")
DAY = dt.date(2026, 12, 3)  # a Thursday, two days after the test clock's DEFAULT


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=NY)


def _compare(name: str, text: str) -> None:
    compare_snapshot(SNAPSHOTS, name, text)


def _masked(html: str) -> str:
    """The grid's HTML, one tag a line (the layout's blank space is not compared), with what
    differs between test databases named by order of appearance: ids in paths, the location
    options' values, the CSRF token."""
    html = re.sub(r">\s+<", "><", html.strip()).replace("><", ">\n<")
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', html)
    names: dict[tuple[str, str], str] = {}

    def name(match: re.Match) -> str:
        kind, separator, number = match.groups()
        key = (kind, number)
        if key not in names:
            names[key] = f"<{kind[0]}{len(names) + 1}>"
        return f"{kind}{separator}{names[key]}"

    html = re.sub(r"(patients|sessions|location)(/|=|%3D)(\d+)", name, html)
    return re.sub(r'option value="\d+"', 'option value="<id>"', html)


@pytest.fixture
def day(clock):
    """Boston's Thursday, with each of its sessions' states; Chicago, closed with nobody on
    duty. The clock is at 11:00 that day when the pages are read."""
    clock.travel(test_clock.DEFAULT)
    boston = LocationFactory(name="Boston", slug="boston", time_zone=NY)
    open_every_day(boston, opens=dt.time(7), closes=dt.time(11, 30))
    chicago = LocationFactory(name="Chicago", slug="chicago", time_zone=ZoneInfo("America/Chicago"))
    elsewhere = LocationFactory(name="Albany", slug="albany", time_zone=NY)
    open_every_day(elsewhere)
    for n in (1, 2, 3):
        ChairFactory(location=boston, name=f"Chair {n}")
    ChairFactory(location=elsewhere, name="Chair 1")
    SessionTypeFactory()  # 60 minutes' infusion, 30 of recovery
    ana = ClinicianFactory(first_name="Ana", last_name="Ruiz")
    ben = ClinicianFactory(first_name="Ben", last_name="Ode")
    StaffShiftFactory(
        location=boston, clinician=ana, starts_at=_at(6, 30), ends_at=_at(11), monitoring_capacity=3
    )
    StaffShiftFactory(
        location=boston, clinician=ben, starts_at=_at(9), ends_at=_at(13), monitoring_capacity=2
    )
    StaffShiftFactory(
        location=elsewhere, clinician=ClinicianFactory(), starts_at=_at(6), ends_at=_at(20)
    )

    def book(patient, starts_at, location=boston):
        course = course_create(
            patient=patient,
            location=location,
            planned_sessions=1,
            needs_clinician_review=False,
            created_by=None,
        )
        return session_book(course=course, starts_at=starts_at, by=None)

    people = {
        "carla": PatientFactory(first_name="Carla", last_name="Díaz <b>"),
        "email": PatientFactory(first_name="", last_name="", email="only.email@example.test"),
        "phone": PatientFactory(first_name="", last_name="", email="", phone="+16175550123"),
        "dan": PatientFactory(first_name="Dan", last_name="Ng"),
        "eve": PatientFactory(first_name="Eve", last_name="Ito"),
        "fay": PatientFactory(first_name="Fay", last_name="Lam"),
        "gus": PatientFactory(first_name="Gus", last_name="Roe"),
        "hal": PatientFactory(first_name="Hal", last_name="Kim"),
    }
    sessions = {
        "carla": book(people["carla"], _at(7)),
        "email": book(people["email"], _at(7, 15)),
        "phone": book(people["phone"], _at(8, 30)),
        "dan": book(people["dan"], _at(9)),
        "eve": book(people["eve"], _at(10)),
        "fay": book(people["fay"], _at(9, 40)),
        "gus": book(people["gus"], _at(8)),
        "hal": book(people["hal"], _at(9), location=elsewhere),  # not Boston's
    }
    session_cancel(session=sessions["gus"], by=None)
    # The day's hours shortened after booking: Eve's session now runs past the last row.
    OpeningHours.objects.filter(location=boston).update(closes_at=dt.time(11))
    session_confirm_next(user=people["carla"], now=test_clock.DEFAULT)
    # A session stays in the chair it was booked in when the chair goes out of service.
    Chair.objects.filter(pk=sessions["fay"].chair_id).update(is_active=False)
    clock.travel(_at(11))
    nurse = ClinicianFactory(first_name="Ivy", last_name="Nash")
    session_check_in(session=sessions["carla"], by=nurse)
    session_complete(session=sessions["carla"], by=nurse)
    session_check_in(session=sessions["email"], by=nurse)
    session_mark_no_show(session=sessions["phone"], by=nurse, reason="Did not come")
    return {"boston": boston, "chicago": chicago, "sessions": sessions, "people": people}


def _get(client, user, path, query, language="en", **headers) -> str:
    client.force_login(user)
    response = client.get(path, query, HTTP_ACCEPT_LANGUAGE=language, **headers)
    assert response.status_code == 200
    return response.content.decode()


def _query(location) -> dict:
    return {"location": location.pk, "date": DAY.isoformat()}


def test_the_coordinators_day_view_shows_the_same_day(client, day):
    coordinator = UserFactory(role=Role.COORDINATOR)
    url = reverse("scheduling:staff_day")
    page = _get(client, coordinator, url, _query(day["boston"]))
    _compare("coordinator-boston", visible_text(page))
    form = page.split("<h1>Day view</h1>")[1].split('<div id="day"')[0]
    _compare("coordinator-boston-form", _masked(form))
    partial = _get(client, coordinator, url, _query(day["boston"]), HTTP_HX_REQUEST="true")
    _compare("coordinator-boston-grid", _masked(partial))
    _compare(
        "coordinator-chicago", visible_text(_get(client, coordinator, url, _query(day["chicago"])))
    )
    # An id written as int() reads it ("007", " 7") was taken as the location: still so.
    for padded in (f"00{day['boston'].pk}", f" {day['boston'].pk} "):
        query = {"location": padded, "date": DAY.isoformat()}
        _compare("coordinator-boston-padded", visible_text(_get(client, coordinator, url, query)))
    # The Spanish page: the words, the days and times in Spanish.
    _compare(
        "coordinator-boston-es",
        visible_text(_get(client, coordinator, url, _query(day["boston"]), "es")),
    )


def test_the_clinicians_day_view_shows_the_same_day_and_buttons(client, day):
    clinician = ClinicianFactory(first_name="Jo", last_name="Park")
    url = reverse("scheduling:staff_day")
    partial = _get(client, clinician, url, _query(day["boston"]), HTTP_HX_REQUEST="true")
    _compare("clinician-boston-grid", _masked(partial))
    partial = _get(client, clinician, url, _query(day["boston"]), "es", HTTP_HX_REQUEST="true")
    _compare("clinician-boston-grid-es", _masked(partial))
    # The Today page opens on the clinician's own location, today, without a query.
    StaffShiftFactory(
        location=day["boston"], clinician=clinician, starts_at=_at(10), ends_at=_at(12)
    )
    page = _get(client, clinician, reverse("scheduling:clinician_home"), {})
    _compare("clinician-today", visible_text(page))
    _compare("clinician-today-grid", _masked(page.split('<div id="day"')[1].split("</section>")[0]))


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("bad-location-letters", {"location": "abc", "date": "2026-12-03"}),
        ("bad-location-unknown", {"location": "999999", "date": "2026-12-03"}),
        ("bad-location-wide-digit", {"location": "\uff11", "date": "2026-12-03"}),
        ("bad-date", {"date": "2026-13-45"}),
        ("bad-empty", {"location": "", "date": ""}),
    ],
)
def test_bad_input_is_refused_with_the_same_words(client, day, name, query):
    coordinator = UserFactory(role=Role.COORDINATOR)
    page = _get(client, coordinator, reverse("scheduling:staff_day"), query)
    _compare(name, visible_text(page))
    _compare(f"{name}-form", _masked(page.split("<h1>Day view</h1>")[1].split('<div id="day"')[0]))
    assert AuditEvent.objects.count() == 0


def test_every_patient_shown_is_audited_once_in_the_order_shown(client, day):
    coordinator = UserFactory(role=Role.COORDINATOR)
    _get(client, coordinator, reverse("scheduling:staff_day"), _query(day["boston"]))
    sessions = day["sessions"]
    shown = ["carla", "email", "phone", "dan", "fay", "eve"]  # by start; not the cancelled one
    events = AuditEvent.objects.filter(actor=coordinator).order_by("pk")
    assert [
        (e.action, e.object_type, e.object_id, e.patient_id, e.referral_id) for e in events
    ] == [("view", "session", str(sessions[k].pk), sessions[k].patient_id, None) for k in shown]
    assert {e.path for e in events} == {reverse("scheduling:staff_day")}
    assert InfusionSession.objects.filter(pk__in=[s.pk for s in sessions.values()]).count() == 8


def test_a_repeated_midnight_is_the_first_as_everywhere_else_in_the_portal(clock):
    """Havana turns its clocks back from 1:00 to midnight: the day starts at the first midnight
    (availability.local_day_bounds), which PostgreSQL alone would place an hour later."""
    havana = LocationFactory(name="Havana", slug="havana", time_zone=ZoneInfo("America/Havana"))
    first_hour = dt.datetime(2026, 11, 1, 4, tzinfo=dt.UTC)  # 0:00-1:00 CDT, before the change
    StaffShiftFactory(
        location=havana, starts_at=first_hour, ends_at=first_hour + dt.timedelta(hours=1)
    )
    user = UserFactory(role=Role.COORDINATOR)

    def shifts(day):
        read = day_read(
            user=user, location_id=havana.pk, day=day, by_default=False, now=clock.now()
        )
        return read.page.shifts

    assert [s[1] for s in shifts(dt.date(2026, 11, 1))] == ["Sun 1 Nov 2026, 12:00 AM CDT"]
    assert shifts(dt.date(2026, 10, 31)) == []


def test_without_a_choice_a_clinician_starts_where_they_work_and_others_on_the_first(clock):
    now = clock.now()
    LocationFactory(name="Aardvark", slug="aardvark", time_zone=NY)
    honolulu = LocationFactory(
        name="Honolulu", slug="honolulu", time_zone=ZoneInfo("Pacific/Honolulu")
    )
    clinician = ClinicianFactory()

    def default(user):
        read = day_read(user=user, location_id=None, day=None, by_default=True, now=now)
        return read.page.location.name, read.page.day

    today_ny = now.astimezone(NY).date()
    assert default(clinician) == ("Aardvark", today_ny)  # no shifts yet
    assert default(UserFactory(role=Role.COORDINATOR)) == ("Aardvark", today_ny)
    # Only a past shift: where it was; today in that location's zone.
    StaffShiftFactory(
        location=honolulu,
        clinician=clinician,
        starts_at=now - dt.timedelta(days=3),
        ends_at=now - dt.timedelta(days=3, hours=-8),
    )
    assert default(clinician) == ("Honolulu", now.astimezone(honolulu.time_zone).date())
    # A coordinator's shift does not move them.
    assert default(UserFactory(role=Role.COORDINATOR))[0] == "Aardvark"


@pytest.mark.parametrize(
    ("location", "date", "read"),
    [
        ("7", "2026-12-03", (7, dt.date(2026, 12, 3))),
        ("007", "2026-12-03", (7, dt.date(2026, 12, 3))),  # as int() and the ORM read it
        (" 7 ", "2026-12-03", (7, dt.date(2026, 12, 3))),
        ("-1", "2026-12-03", (-1, dt.date(2026, 12, 3))),  # no such location: refused after
        ("\uff17", "2026-12-03", (None, dt.date(2026, 12, 3))),  # a wide 7 is not 7
        ("abc", "", (None, None)),
        ("9" * 30, "1999-12-31", (None, None)),  # more than an id; a year refused
        (None, "2026-02-30", (None, None)),
    ],
)
def test_the_location_and_day_asked_for_are_read_as_the_form_reads_them(location, date, read):
    data = {"date": date} if location is None else {"location": location, "date": date}
    assert StaffDayForm.requested(data) == read


@pytest.mark.parametrize("value", ["7", "007", " 7 "])
def test_the_form_takes_a_listed_id_as_the_orm_did(value):
    form = StaffDayForm({"location": value, "date": "2026-12-03"}, locations=[(7, "Boston")])
    assert form.is_valid() and form.cleaned_data["location"] == 7


@pytest.mark.parametrize("value", ["0", "-7", "8", "\uff17", "7.0", "abc", " "])
def test_the_form_refuses_what_is_not_listed_with_the_same_words(value):
    form = StaffDayForm({"location": value, "date": "2026-12-03"}, locations=[(7, "Boston")])
    assert not form.is_valid()
    assert form.errors["location"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def test_a_generic_plan_reads_the_same_day_as_a_custom_one(day, clock):
    """The statement is prepared (clinic.db.execute_prepared): after five executions
    PostgreSQL may run one plan for every location and day. Both plans give the same answers:
    a busy day, a closed one with nobody on duty, and a clinician's default."""
    clinician = ClinicianFactory()
    StaffShiftFactory(
        location=day["boston"], clinician=clinician, starts_at=_at(10), ends_at=_at(12)
    )
    coordinator = UserFactory(role=Role.COORDINATOR)
    reads = [
        {"user": coordinator, "location_id": day["boston"].pk, "day": DAY, "by_default": False},
        {"user": coordinator, "location_id": day["chicago"].pk, "day": DAY, "by_default": False},
        {"user": coordinator, "location_id": -1, "day": DAY, "by_default": False},
        {"user": clinician, "location_id": None, "day": None, "by_default": True},
    ]
    answers = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for mode in ("force_custom_plan", "force_generic_plan", "auto"):
            cursor.execute(f"SET LOCAL plan_cache_mode = {mode}")
            for _ in range(3):  # auto: past the five custom plans
                answers[mode] = [day_read(**read, now=clock.now()) for read in reads]
    assert answers["force_generic_plan"] == answers["force_custom_plan"] == answers["auto"]
    boston, chicago, missing, default = answers["auto"]
    assert len(boston.page.audited) == 6 and chicago.page.audited == [] and missing.page is None
    assert default.page.location.name == "Boston"
