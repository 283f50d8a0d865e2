"""The referral page (GET /referrals/<reference>/) shows the same text, whoever reads it and
whatever the referral holds: its visible text in each case below is compared with a snapshot
(tests/intake/referral_page/<case>.txt) taken from the page as it was before it was made cheaper
(issue 22). The provider's outcome report is read at the end of the course, 1 month and 3
months after it, in English and in Spanish; the clinic's view adds the possible duplicates and
the unverified provider.

    PAGE_TEXT_UPDATE=1 .venv/bin/pytest tests/intake/test_referral_page.py   # rewrite them
"""

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clinic.audit.models import AuditEvent
from clinic.models import Role
from intake import services as intake_services
from intake.models import PossibleDuplicate, ReferralStatus
from tests import clock as test_clock
from tests.clinic.test_page_text import visible_text
from tests.factories.intake import ProviderFactory, referral_data, submit_referral
from tests.factories.scheduling import LocationFactory
from tests.factories.users import UserFactory
from tests.intake.test_chart import NY
from tests.intake.test_outcome_report import (  # noqa: F401 (course_done: a fixture)
    answer_midas_at_one_month,
    course_done,
)
from tests.support.snapshots import compare_snapshot

pytestmark = pytest.mark.django_db

SNAPSHOTS = Path(__file__).parent / "referral_page"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _compare(name: str, page: str) -> None:
    text = visible_text(page)
    compare_snapshot(SNAPSHOTS, name, text)


def _get(client, referral, language="en", *, user) -> str:
    client.force_login(user)  # again: the clock moves past a session's lifetime
    response = client.get(
        reverse("intake:referral_detail", args=[referral.reference]),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def fixed_clock(clock):
    """Every case starts at the same instant, whatever TEST_CLOCK says: the snapshots hold
    dates."""
    clock.travel(test_clock.DEFAULT)
    return clock


def test_the_providers_outcome_report_page_shows_the_same_text(fixed_clock, request, client):
    data = request.getfixturevalue("course_done")
    referral, plan = data["referral"], data["plan"]
    done = plan.course_completed_on
    provider = referral.provider.user
    # 11 days after the last infusion: the end of the course reached, not yet 1 month.
    fixed_clock.travel(dt.datetime.combine(data["start"] + dt.timedelta(days=31), dt.time(12), NY))
    _compare("report-end-of-course", _get(client, referral, user=provider))
    _compare("report-end-of-course-es", _get(client, referral, "es", user=provider))
    fixed_clock.travel(dt.datetime.combine(done + dt.timedelta(days=30), dt.time(12), NY))
    answer_midas_at_one_month(plan, fixed_clock.now())
    _compare("report-month-1", _get(client, referral, user=provider))
    fixed_clock.travel(dt.datetime.combine(done + dt.timedelta(days=95), dt.time(12), NY))
    _compare("report-month-3", _get(client, referral, user=provider))
    _compare("report-month-3-es", _get(client, referral, "es", user=provider))
    assert not AuditEvent.objects.exists()  # providers see only their own: nothing to audit

    # The clinic sees the same report, the unverified provider and the possible duplicate.
    # The same mobile phone: linked as a possible duplicate when it arrives.
    other = submit_referral(location=data["location"], patient_last_name="Twin")
    assert PossibleDuplicate.objects.filter(referral=referral, other=other).exists()
    coordinator = UserFactory(role=Role.COORDINATOR)
    page = _get(client, referral, user=coordinator)
    assert other.reference in page
    _compare("report-month-3-staff", page)
    event = AuditEvent.objects.get()
    assert (event.actor, event.referral_id, event.object_id) == (
        coordinator,
        referral.pk,
        str(referral.pk),
    )
    assert event.patient_id == referral.patient_id

    # Another provider: no such referral.
    client.force_login(ProviderFactory().user)
    url = reverse("intake:referral_detail", args=[referral.reference])
    assert client.get(url).status_code == 404


def test_a_referral_without_a_course_shows_the_same_text(fixed_clock, client, location_boston):
    provider = ProviderFactory()
    referral, _created = intake_services.referral_submit(
        provider=provider,
        data=referral_data(
            location=location_boston,
            patient_first_name="Zoë",
            patient_last_name="O'Brien <b>",
            email="zoe@example.test",
            preferred_language="es",
            mobile_phone="+13125550199",
            preventives_tried=["topiramate", "propranolol"],
            preventives_other="Amitriptyline & <i>others</i>",
            current_medications="Sumatriptan 50 mg\nNaproxen",
            blood_pressure="128/84",
            contraindications=["uncontrolled_hypertension"],
            notes="First line\n\nSecond <line>",
            urgency="urgent",
        ),
        attachments=[
            SimpleUploadedFile(f"notes-{i}.pdf", PDF, content_type="application/pdf")
            for i in range(2)
        ],
    )
    coordinator = UserFactory(role=Role.COORDINATOR)
    intake_services.referral_set_status(
        referral=referral,
        status=ReferralStatus.DECLINED,
        reason="Prefers a clinic nearer home",
        changed_by=coordinator,
    )
    _compare("declined-provider", _get(client, referral, user=provider.user))
    _compare("declined-provider-es", _get(client, referral, "es", user=provider.user))
    _compare("declined-staff", _get(client, referral, user=coordinator))

    unscreened = submit_referral(
        provider=provider, location=location_boston, no_contraindications=False
    )
    _compare("unscreened-provider", _get(client, unscreened, user=provider.user))


@pytest.fixture
def location_boston(db):
    return LocationFactory(slug="boston", name="Boston · Back Bay", time_zone=NY)
