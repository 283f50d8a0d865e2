"""The settings area a clinic admin sees (clinic.admin_site) and the clinic admin's overview:
sections a clinic thinks in, the libraries' tables for superusers only, sentences for the
database's rules, US holidays as closures in one action, and the to-do list."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from billing.models import FeeItem
from clinic.models import Role
from scheduling.models import Closure, OpeningHours
from tests.factories.billing import fee_schedule
from tests.factories.intake import ProviderFactory
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic_admin(client):
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True))
    return client


@pytest.fixture
def superuser(client):
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    return client


def test_clinic_admin_sees_sections_with_plain_names_and_no_library_tables(clinic_admin):
    page = clinic_admin.get(reverse("admin:index")).content.decode()
    for section in (
        "Locations and chairs",
        "Hours and closures",
        "Staff and shifts",
        "Fees",
        "Messages and the reminder plan",
        "Referring providers",
    ):
        assert section in page
    assert "Closures and holidays" in page and "Reminder plan" in page
    for internal in ("Access attempts", "TOTP devices", "Periodic tasks", "Groups", "Technical"):
        assert internal not in page


@pytest.mark.parametrize(
    "url",
    [
        "admin:axes_accessattempt_changelist",
        "admin:otp_totp_totpdevice_changelist",
        "admin:django_celery_beat_periodictask_changelist",
        "admin:auth_group_changelist",
    ],
)
def test_library_tables_are_refused_to_a_clinic_admin_and_open_for_a_superuser(
    url, clinic_admin, django_user_model
):
    assert clinic_admin.get(reverse(url)).status_code == 403
    clinic_admin.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    assert clinic_admin.get(reverse(url)).status_code == 200


def test_superuser_sees_the_technical_section(superuser):
    page = superuser.get(reverse("admin:index")).content.decode()
    assert "Technical (superusers only)" in page and "Locations and chairs" in page


def test_clinic_admin_cannot_make_anyone_a_superuser(clinic_admin):
    coordinator = UserFactory(role=Role.COORDINATOR)
    page = clinic_admin.get(reverse("admin:clinic_user_change", args=[coordinator.pk]))
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()
    boss = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    page = clinic_admin.get(reverse("admin:clinic_user_change", args=[boss.pk])).content.decode()
    assert 'name="email"' not in page  # shown read-only, not as a form


def test_other_roles_cannot_open_settings(client):
    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=False))
    assert client.get(reverse("admin:index")).status_code == 302  # to the admin's sign-in


def test_federal_holidays_are_added_once_for_the_year_chosen(clinic_admin):
    location = LocationFactory()
    Closure.objects.create(location=location, date=dt.date(2027, 12, 24), reason="Staff party")
    Closure.objects.create(location=location, date=dt.date(2027, 12, 25), reason="Christmas")
    post = {
        "action": "add_federal_holidays",
        "_selected_action": [location.pk],
        "year": "2027",
    }
    url = reverse("admin:scheduling_location_changelist")
    page = clinic_admin.post(url, post, follow=True).content.decode()
    days = set(location.closures.values_list("date", flat=True))
    assert {dt.date(2027, 1, 1), dt.date(2027, 7, 5), dt.date(2027, 11, 25)} <= days
    assert "federal holiday(s) of 2027 added" in page
    count = location.closures.count()
    assert location.closures.get(date=dt.date(2027, 12, 25)).reason == "Christmas"  # kept
    clinic_admin.post(url, post)
    assert location.closures.count() == count  # twice adds nothing
    assert not location.closures.filter(date__year=2026).exists()


def test_constraint_errors_read_as_sentences(clinic_admin):
    location = LocationFactory()
    item = FeeItem(
        schedule=fee_schedule(location),
        kind="optional",
        description="Anti-nausea",
        unit_price=Decimal("-1.00"),
    )
    with pytest.raises(ValidationError) as caught:
        item.full_clean()
    assert "A price cannot be negative." in str(caught.value)
    hours = OpeningHours(location=location, weekday=0, opens_at=dt.time(17), closes_at=dt.time(9))
    with pytest.raises(ValidationError) as caught:
        hours.full_clean()
    assert "The closing time must be after the opening time." in str(caught.value)
    assert "violated" not in str(caught.value)


def test_zone_picker_starts_with_us_zones(clinic_admin):
    page = clinic_admin.get(reverse("admin:scheduling_location_add")).content.decode()
    picker = page.split('name="time_zone"')[1]
    first = picker.index("America/New_York")
    assert first < picker.index("Africa/Abidjan")
    assert picker.index("Pacific/Honolulu") < picker.index("Africa/Abidjan")


def test_overview_lists_what_waits_with_links(clinic_admin):
    ProviderFactory()
    page = clinic_admin.get(reverse("clinic:admin_home")).content.decode()
    assert "Referring providers waiting for approval" in page
    assert "?verified_at__isempty=1" in page
    for label in (
        "Messages that failed",
        "Good Faith Estimates due or overdue",
        "Replies needing attention",
        "Courses waiting for a clinician",
    ):
        assert label in page


def test_records_are_for_looking_up_only(clinic_admin):
    from scheduling.models import Location

    assert clinic_admin.get(reverse("admin:clinic_inboundreply_changelist")).status_code == 200
    assert clinic_admin.get(reverse("admin:clinic_inboundreply_add")).status_code == 403
    assert clinic_admin.get(reverse("admin:intake_intakecase_add")).status_code == 403
    assert clinic_admin.get(reverse("admin:scheduling_location_add")).status_code == 200
    assert Location.objects.count() == 0


def test_shift_times_show_and_are_typed_in_the_locations_zone(clinic_admin):
    from zoneinfo import ZoneInfo

    from tests.factories.scheduling import StaffShiftFactory

    pasadena = LocationFactory(time_zone=ZoneInfo("America/Los_Angeles"))
    shift = StaffShiftFactory(
        location=pasadena,
        starts_at=dt.datetime(2026, 12, 7, 16, tzinfo=dt.UTC),  # 8:00 AM in Pasadena
        ends_at=dt.datetime(2026, 12, 8, 0, tzinfo=dt.UTC),
    )
    listing = clinic_admin.get(reverse("admin:scheduling_staffshift_changelist")).content.decode()
    assert "8:00 AM PST" in listing and "4:00 PM PST" in listing
    form = clinic_admin.get(reverse("admin:scheduling_staffshift_change", args=[shift.pk]))
    assert 'value="08:00:00"' in form.content.decode()
