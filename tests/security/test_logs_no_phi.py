"""The application's logs leave the clinic's protected systems (log shippers, error trackers):
a full journey must not write a patient's name, phone, date of birth or clinical details."""

import datetime as dt
import logging
import traceback

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import Role, User
from intake import services as intake_services
from intake.models import ChecklistItem, IntakeCase
from scheduling.models import Course
from tests.factories.intake import ProviderFactory
from tests.factories.scheduling import (
    ChairFactory,
    LocationFactory,
    SessionTypeFactory,
    StaffShiftFactory,
    open_every_day,
)
from tests.factories.users import UserFactory
from tests.security.world import NY, soon

pytestmark = pytest.mark.django_db

PHI = [
    "Zenobia",
    "Quarterfield",
    "6175550177",
    "617-555-0177",
    "555-0177",
    "1979-11-23",
    "11/23/1979",
    "G43.709",
    "hemiplegi",
    "propranolol",
    "zenobia.q@mail.example",
]


def _location():
    location = LocationFactory(time_zone=NY, slug="boston", name="Boston")
    open_every_day(location, opens=dt.time(0), closes=dt.time(23, 59))
    ChairFactory(location=location, name="Chair 1")
    StaffShiftFactory(
        location=location,
        starts_at=timezone.now() - dt.timedelta(days=1),
        ends_at=timezone.now() + dt.timedelta(days=60),
    )
    SessionTypeFactory()
    return location


def test_a_full_journey_logs_no_patient_details(client, caplog, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    caplog.set_level(logging.DEBUG)
    location = _location()

    # A provider refers through the API, and once more with an error (logged as a 4xx).
    provider = ProviderFactory()
    _token, key = intake_services.api_token_create(provider=provider, name="EHR")
    body = {
        "patient_first_name": "Zenobia",
        "patient_last_name": "Quarterfield",
        "date_of_birth": "1979-11-23",
        "sex": "female",
        "mobile_phone": "617-555-0177",
        "email": "zenobia.q@mail.example",
        "zip_code": "02116",
        "preferred_location": "boston",
        "contact_consent": True,
        "diagnosis_code": "G43.709",
        "headache_days_per_month": 18,
        "years_with_migraine": 12,
        "current_medications": "propranolol",
        "notes": "hemiplegic aura",
        "no_contraindications": True,
        "recommended_infusions": 3,
    }
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}", "content_type": "application/json"}
    created = client.post(reverse("intake:api_referral_create"), body, **auth)
    assert created.status_code == 201, created.content
    bad = client.post(
        reverse("intake:api_referral_create"), body | {"date_of_birth": "2999-01-01"}, **auth
    )
    assert bad.status_code == 400

    # A coordinator calls the patient and completes intake.
    case = IntakeCase.objects.get()
    coordinator = UserFactory(role=Role.COORDINATOR)
    client.force_login(coordinator)
    client.get(reverse("intake:call_screen", args=[case.pk]))
    client.post(reverse("intake:take_call", args=[case.pk]))
    for item in ChecklistItem.values:
        client.post(
            reverse("intake:checklist_toggle", args=[case.pk]), {"item": item, "ticked": "1"}
        )
    done = client.post(
        reverse("intake:log_call", args=[case.pk]),
        {"outcome": "intake_complete", "planned_sessions": "3"},
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    client.get(reverse("scheduling:coordinator_courses"), {"q": "Quarterfield"})

    # The patient books a session; another patient's page is refused (logged as a 403/404).
    patient = User.objects.get(role=Role.PATIENT)
    User.objects.filter(pk=patient.pk).update(is_active=True)
    client.force_login(patient)
    starts = soon(3).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
    held = client.post(
        reverse("scheduling:patient_hold"), {"starts_at": starts, "location": location.pk}
    )
    assert held.status_code == 302, held.content.decode()[:2000]
    client.post(held["Location"])
    assert Course.objects.get(patient=patient).sessions.count() == 1
    client.get(reverse("intake:queue"))

    logged = []
    for record in caplog.records:
        logged.append(record.getMessage())
        if record.exc_info:
            logged.append("".join(traceback.format_exception(*record.exc_info)))
    text = "\n".join(logged)
    # The journey did log: the referral, the call attempts, the refused pages.
    assert {"intake.services.referrals", "intake.services.calls", "django.request"} <= {
        r.name for r in caplog.records
    }
    leaks = [word for word in PHI if word.lower() in text.lower()]
    assert not leaks, f"PHI in the logs: {leaks}\n{text[:3000]}"
