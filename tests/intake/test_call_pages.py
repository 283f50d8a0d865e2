import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import Role
from intake.models import CallAttempt, ChecklistItem, IntakeCase
from tests.factories.intake import submit_referral
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(client):
    user = UserFactory(role=Role.COORDINATOR)
    client.force_login(user)
    return user


@pytest.fixture
def case():
    referral = submit_referral(location=LocationFactory(slug="boston", name="Boston"))
    return referral.intake_case


def _force_calling_hours(case):
    # Pick a zone where it is now midday, so 'Next call' may offer the case whatever the clock.
    from zoneinfo import ZoneInfo, available_timezones

    now = timezone.now()
    zone = next(
        z
        for z in sorted(available_timezones())
        if 11 <= now.astimezone(ZoneInfo(z)).hour <= 15 and "/" in z
    )
    IntakeCase.objects.filter(pk=case.pk).update(time_zone=zone)


def test_next_call_opens_the_call_screen_with_referral_and_estimate_slot(client, coordinator, case):
    _force_calling_hours(case)
    response = client.post(reverse("intake:next_call"))
    assert response["Location"] == reverse("intake:call_screen", args=[case.pk])
    page = client.get(response["Location"]).content.decode()
    assert case.referral.patient_name in page
    assert "/estimates/card/?location=" in page
    assert "Your call" in page


def test_the_checklist_ticks_by_htmx_and_logging_refuses_an_incomplete_intake(
    client, coordinator, case
):
    _force_calling_hours(case)
    client.post(reverse("intake:next_call"))
    url = reverse("intake:checklist_toggle", args=[case.pk])
    fragment = client.post(
        url, {"item": ChecklistItem.OFF_LABEL, "ticked": "1"}, HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    case.refresh_from_db()
    assert case.checklist == [ChecklistItem.OFF_LABEL]
    response = client.post(
        reverse("intake:log_call", args=[case.pk]),
        {"outcome": "intake_complete", "planned_sessions": "3"},
    )
    assert response.status_code == 400
    assert "tick" in " ".join(response.context["form"].non_field_errors())
    assert CallAttempt.objects.count() == 0


def test_a_tick_sets_its_own_state_so_a_repeated_or_late_request_cannot_undo_it(
    client, coordinator, case
):
    _force_calling_hours(case)
    client.post(reverse("intake:next_call"))
    url = reverse("intake:checklist_toggle", args=[case.pk])
    for _ in range(2):  # a double click, or a request retried by the browser
        fragment = client.post(
            url, {"item": ChecklistItem.SELF_PAY, "ticked": "1"}, HTTP_HX_REQUEST="true"
        ).content.decode()
    case.refresh_from_db()
    assert case.checklist == [ChecklistItem.SELF_PAY]
    assert f"{len(ChecklistItem.values) - 1} points left" in fragment
    # An unticked box sends no "ticked" at all.
    client.post(url, {"item": ChecklistItem.SELF_PAY}, HTTP_HX_REQUEST="true")
    case.refresh_from_db()
    assert case.checklist == []
    for item in ChecklistItem.values:
        fragment = client.post(
            url, {"item": item, "ticked": "1"}, HTTP_HX_REQUEST="true"
        ).content.decode()
    assert "All points covered" in fragment


def test_a_tick_on_a_call_another_coordinator_took_over_says_why(client, coordinator, case):
    _force_calling_hours(case)
    client.post(reverse("intake:next_call"))
    # Our claim lapsed and a colleague took the call meanwhile.
    IntakeCase.objects.filter(pk=case.pk).update(
        claimed_by=UserFactory(role=Role.COORDINATOR),
        claim_expires_at=timezone.now() + dt.timedelta(minutes=10),
    )
    fragment = client.post(
        reverse("intake:checklist_toggle", args=[case.pk]),
        {"item": ChecklistItem.SELF_PAY, "ticked": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert fragment.status_code == 200
    assert 'role="alert"' in fragment.content.decode()
    case.refresh_from_db()
    assert case.checklist == []


@pytest.mark.clock_sweep
def test_a_callback_time_is_read_in_the_patients_zone(client, coordinator, case):
    _force_calling_hours(case)
    client.post(reverse("intake:next_call"))
    case.refresh_from_db()
    tomorrow = (timezone.now().astimezone(case.time_zone) + dt.timedelta(days=1)).date()
    client.post(
        reverse("intake:log_call", args=[case.pk]),
        {"outcome": "callback", "callback_at": f"{tomorrow}T10:30", "notes": "After work"},
    )
    case.refresh_from_db()
    local = case.callback_at.astimezone(case.time_zone)
    assert (local.date(), local.hour, local.minute) == (tomorrow, 10, 30)


def test_queue_page_shows_local_time_and_calling_hours(client, coordinator, case):
    page = client.get(reverse("intake:queue")).content.decode()
    assert case.referral.patient_name in page
    assert "calling hours" in page


def test_patients_and_providers_cannot_reach_the_queue_or_call_screen(client, case, make_user):
    for role in (Role.PATIENT, Role.PROVIDER, Role.CLINICIAN):
        client.force_login(make_user(role=role))
        assert client.get(reverse("intake:queue")).status_code == 403
        assert client.get(reverse("intake:call_screen", args=[case.pk])).status_code == 403
        assert client.post(reverse("intake:next_call")).status_code == 403


def test_the_dashboard_shows_the_counts(client, coordinator, case):
    page = client.get(reverse("intake:dashboard"))
    assert page.context["metrics"]["open_cases"] == 1


def test_a_bad_invitation_link_is_refused_politely(client):
    response = client.get("/welcome/not-a-real-token/")
    assert response.status_code == 410
    assert "not valid" in response.content.decode()


@pytest.mark.clock_sweep
def test_the_queue_shows_each_patients_own_local_time(client, coordinator):
    referral = submit_referral(
        location=LocationFactory(slug="boston", name="Boston"), zip_code="90012"
    )
    page = client.get(reverse("intake:queue")).content.decode()
    local = timezone.now().astimezone(referral.intake_case.time_zone)
    assert local.strftime("%Z") in page  # PST or PDT, not the server's zone
    assert local.strftime("%-I:%M") in page
