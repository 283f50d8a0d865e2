"""The defects an outside probe found (issue 16), each shown fixed through the pages a person
uses: sign-in lockout, client addresses, typed numbers, nested JSON, free text, booking at a
closed location, and logs."""

import io
import logging

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from clinic.audit.models import AuditEvent
from clinic.auth_backends import lockout_username
from clinic.client_ip import client_ip
from clinic.logfilters import DropQueryStrings
from clinic.mail import RedactedConsoleEmailBackend
from clinic.models import Role, User
from intake import services as intake_services
from intake.models import Referral, ReferringProvider
from scheduling.models import InfusionSession, Location
from tests.factories.users import PASSWORD, UserFactory
from tests.security.world import build_world, soon

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    return build_world()


# --- sign-in lockout -----------------------------------------------------------------------------

EMAIL_SPELLINGS = [
    "ana.diaz@mail.example",
    "ANA.DIAZ@MAIL.EXAMPLE",
    "  ana.diaz@mail.example",
    "Ana.Diaz@Mail.Example  ",
    "aNa.DiAz@mail.EXAMPLE",
    "\tana.diaz@mail.example\n",
]
PHONE_SPELLINGS = [
    "617-555-0142",
    "(617) 555-0142",
    "6175550142",
    "+1 617 555 0142",
    "1-617-555-0142",
    "617.555.0142",
    "+16175550142",
    " 617 555 0142 ",
]


def _sign_in(client, username, password, address="198.51.100.7", **headers):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


@pytest.mark.parametrize("spellings", [EMAIL_SPELLINGS, PHONE_SPELLINGS], ids=["email", "phone"])
def test_respelling_the_user_name_does_not_reset_the_lockout(client, spellings):
    UserFactory(role=Role.PATIENT, email="Ana.Diaz@mail.example", phone="+16175550142")
    answers = [
        _sign_in(client, spellings[i % len(spellings)], "wrong-password").status_code
        for i in range(4 * len(spellings))  # 24 or 32 tries, 4 per spelling: under the limit each
    ]
    limit = django_settings.AXES_FAILURE_LIMIT
    assert answers[: limit - 1] == [200] * (limit - 1)
    assert set(answers[limit:]) == {429}
    # Locked is locked for every spelling, even with the right password.
    for spelling in spellings:
        assert _sign_in(client, spelling, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_account_and_address_so_others_cannot_lock_a_patient_out(client):
    user = UserFactory(role=Role.PATIENT, email="ana.diaz@mail.example")
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        _sign_in(client, user.email, "wrong-password", address="198.51.100.7")
    assert _sign_in(client, user.email, PASSWORD, address="198.51.100.7").status_code == 429
    assert _sign_in(client, user.email, PASSWORD, address="203.0.113.9").status_code == 302


def test_a_forged_forwarded_for_header_does_not_give_each_try_a_new_address(client):
    user = UserFactory(role=Role.PATIENT, email="ana.diaz@mail.example")
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        _sign_in(client, user.email, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    locked = _sign_in(client, user.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert locked.status_code == 429


def test_names_without_an_account_are_counted_the_same_way_however_spelt():
    assert lockout_username(None, {"username": " Nobody@Example.TEST "}) == "nobody@example.test"
    assert lockout_username(None, {"username": "(617) 555-0199"}) == "+16175550199"
    assert lockout_username(None, {"username": "617.555.0199"}) == "+16175550199"


# --- client address ------------------------------------------------------------------------------


def _request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_a_configured_proxy_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXIES, settings.TRUSTED_PROXY_COUNT = [], 0
    assert client_ip(_request("198.51.100.7", "10.9.9.9")) == "198.51.100.7"


def test_forwarded_for_is_read_only_from_the_named_proxies(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request("10.0.0.2", "203.0.113.5")) == "203.0.113.5"
    # A client that writes its own header: its entry is left of the one our proxy added.
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.5")) == "203.0.113.5"
    # A request that did not come through the proxy: its header is the sender's own words.
    assert client_ip(_request("198.51.100.7", "6.6.6.6")) == "198.51.100.7"
    assert client_ip(_request("10.0.0.2", "not-an-address")) == "10.0.0.2"


def test_a_fixed_number_of_proxies(settings):
    settings.TRUSTED_PROXIES, settings.TRUSTED_PROXY_COUNT = [], 2
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.5, 10.0.0.1")) == "203.0.113.5"


def test_the_audit_trail_records_the_address_the_lockout_uses(client, world, settings):
    settings.TRUSTED_PROXIES = []
    client.force_login(world.staff["coordinator"])
    client.get(
        reverse("intake:referral_detail", args=[world.provider.referral.reference]),
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="10.66.66.66",
    )
    assert AuditEvent.objects.get().ip_address == "198.51.100.7"


# --- staff two-factor secrets --------------------------------------------------------------------


def test_the_admin_never_shows_a_staff_members_totp_secret(client, world):
    coordinator = world.staff["coordinator"]
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    admin = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    pages = [
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
        reverse("admin:otp_totp_totpdevice_add"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert device.key not in body, url
        assert 'name="key"' not in body, url
    assert (
        client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code == 403
    )
    assert (
        client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk])).status_code == 403
    )


# --- numbers typed in other scripts --------------------------------------------------------------

WIDE_ZIP, ARABIC_ZIP = "０２１１６", "٠٢١١٦"
ARABIC_NPI = "١٢٣٤٥٦٧٨٩٣"


@pytest.mark.parametrize("zip_code", [WIDE_ZIP, ARABIC_ZIP, "0211６", "０２１１６-１２３４"])
def test_a_zip_code_in_other_digits_is_refused_on_the_web_form(client, world, zip_code):
    from tests.security.test_fuzz_forms import _referral_fields

    client.force_login(world.provider.user)
    before = Referral.objects.count()
    response = client.post(
        reverse("intake:referral_create"), {**_referral_fields(world), "zip_code": zip_code}
    )
    assert response.status_code == 200
    assert "Enter a US ZIP code such as 02116." in response.content.decode()
    assert Referral.objects.count() == before


def _api(world):
    _token, key = intake_services.api_token_create(
        provider=world.provider.user.provider_profile, name="test"
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def _api_body(world, **changes):
    from tests.security.test_fuzz_forms import _referral_fields

    body = {
        **_referral_fields(world),
        "contact_consent": True,
        "headache_days_per_month": 18,
        "years_with_migraine": 12,
        "recommended_infusions": 3,
    }
    return {**body, **changes}


def test_a_zip_code_in_other_digits_is_refused_by_the_api(world):
    before = Referral.objects.count()
    response = _api(world).post(
        "/api/v1/referrals", _api_body(world, zip_code=ARABIC_ZIP), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["zip_code"]
    assert Referral.objects.count() == before


@pytest.mark.parametrize("npi", [ARABIC_NPI, "１２３４５６７８９３"])
def test_an_npi_in_other_digits_is_refused_at_sign_up(client, npi):
    response = client.post(
        reverse("intake:provider_signup"),
        {
            "first_name": "Lee",
            "last_name": "Park",
            "email": "lee.park@neuro.example",
            "practice_name": "Park Neurology",
            "npi": npi,
            "phone": "617-555-0177",
            "password": "a-long-Pass-2026",
        },
    )
    assert response.status_code == 200
    assert "An NPI is exactly 10 digits." in response.content.decode()
    assert not ReferringProvider.objects.exists()
    assert not User.objects.filter(email="lee.park@neuro.example").exists()


@pytest.mark.parametrize("npi", ["3123456782", "0123456788", "9123456789"])
def test_an_npi_must_start_with_1_or_2(npi):
    from billing.models import validate_npi as billing_validate_npi
    from intake.validators import validate_npi as intake_validate_npi

    # The check digit is right for each; only the first digit is wrong.
    assert billing_validate_npi is intake_validate_npi
    with pytest.raises(ValidationError, match="starts with 1 or 2"):
        intake_validate_npi(npi)


def test_a_tin_in_other_digits_is_refused_with_a_message_not_a_database_error(world):
    from billing.models import FacilityBillingIdentity

    identity = FacilityBillingIdentity.objects.get()
    identity.tin = "١٢-٣٤٥٦٧٨٩"
    with pytest.raises(ValidationError) as refused:
        identity.full_clean()
    assert "tin" in refused.value.message_dict


# --- the API's JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_answered_400_in_the_apis_error_shape(world, depth):
    before = Referral.objects.count()
    response = _api(world).post(
        "/api/v1/referrals",
        "[" * depth + "]" * depth,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["errors"]["non_field_errors"][0]
    assert Referral.objects.count() == before


# --- free text -----------------------------------------------------------------------------------


def test_notes_of_100000_characters_are_refused_by_the_form_and_the_api(client, world):
    from tests.security.test_fuzz_forms import _referral_fields

    before = Referral.objects.count()
    client.force_login(world.provider.user)
    page = client.post(
        reverse("intake:referral_create"), {**_referral_fields(world), "notes": "x" * 100_000}
    )
    assert page.status_code == 200
    assert "at most 5000 characters" in page.content.decode()
    api = _api(world).post(
        "/api/v1/referrals", _api_body(world, current_medications="y" * 100_000), format="json"
    )
    assert api.status_code == 400
    assert "current_medications" in api.json()["errors"]
    assert Referral.objects.count() == before


def test_the_database_refuses_notes_past_the_limit_too(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=world.provider.referral.pk).update(notes="x" * 5001)


@pytest.mark.parametrize(
    "name", ["Ana\u202eziD", "Ana\u200b", "Ana\x00", "Ana\nDiaz", "\ufeffAna", "Ana\u2066"]
)
def test_invisible_and_control_characters_are_refused_in_names(client, world, name):
    from tests.security.test_fuzz_forms import _referral_fields

    client.force_login(world.provider.user)
    before = Referral.objects.count()
    response = client.post(
        reverse("intake:referral_create"), {**_referral_fields(world), "patient_last_name": name}
    )
    assert response.status_code == 200
    assert Referral.objects.count() == before


def test_notes_keep_their_new_lines_but_not_other_control_characters(client, world):
    from tests.security.test_fuzz_forms import _referral_fields

    client.force_login(world.provider.user)
    fields = _referral_fields(world)
    refused = client.post(reverse("intake:referral_create"), {**fields, "notes": "a\u202eb"})
    assert refused.status_code == 200
    accepted = client.post(
        reverse("intake:referral_create"), {**fields, "notes": "line one\r\nline two\tend"}
    )
    assert accepted.status_code == 302
    assert Referral.objects.order_by("-pk").first().notes == "line one\r\nline two\tend"


# --- a location switched off ---------------------------------------------------------------------


def test_plan_my_course_refuses_a_location_that_is_switched_off(client, world):
    course = world.patient.course
    Location.objects.filter(pk=course.location_id).update(is_active=False)
    before = InfusionSession.objects.count()
    client.force_login(world.patient.user)
    response = client.post(
        reverse("scheduling:patient_plan"),
        {
            "location": course.location_id,
            "starts": [soon(d, 10).strftime("%Y-%m-%dT%H:%M") for d in (8, 11)],
        },
    )
    assert response.status_code == 200
    assert "is not taking bookings at the moment" in response.content.decode()
    assert InfusionSession.objects.count() == before


def test_a_time_held_before_the_location_was_switched_off_cannot_be_confirmed(client, world):
    hold = world.patient.hold
    Location.objects.filter(pk=hold.location_id).update(is_active=False)
    before = InfusionSession.objects.count()
    client.force_login(world.patient.user)
    response = client.post(reverse("scheduling:patient_hold_confirm", args=[hold.pk]), follow=True)
    assert "is not taking bookings at the moment" in response.content.decode()
    assert InfusionSession.objects.count() == before


# --- logs ----------------------------------------------------------------------------------------


def test_the_development_servers_access_log_drops_query_strings():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        "",
        0,
        '"%s" %s %s',
        ("GET /staff/courses/?q=Lopez HTTP/1.1", "200", "512"),
        None,
    )
    DropQueryStrings().filter(record)
    assert record.getMessage() == '"GET /staff/courses/ HTTP/1.1" 200 512'


def test_gunicorn_logs_the_path_without_query_string_or_referrer():
    namespace: dict = {}
    exec((django_settings.BASE_DIR / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102
    log_format = namespace["access_log_format"]
    assert "%(U)s" in log_format
    for leaks in ("%(r)s", "%(q)s", "%(f)s", "%(u)s"):
        assert leaks not in log_format


def test_development_e_mails_are_printed_without_a_working_link(settings, tmp_path):
    settings.DEV_MAIL_DIR = tmp_path
    stream = io.StringIO()
    token = "Mg:1vQxYz:abcDEF0123456789ghijKLMN"
    message = EmailMessage(
        "Set your password",
        f"Hello Ana,\nchoose a password: http://127.0.0.1:8000/welcome/{token}/\nThanks",
        to=["ana.diaz@mail.example"],
    )
    assert RedactedConsoleEmailBackend(stream=stream).send_messages([message]) == 1
    printed = stream.getvalue()
    assert token not in printed
    assert "http://127.0.0.1:8000/welcome/…/" in printed
    assert "ana.diaz@" not in printed
    assert "Set your password" in printed
    saved = list(tmp_path.iterdir())
    assert len(saved) == 1 and token in saved[0].read_text()
    assert saved[0].stat().st_mode & 0o077 == 0


def test_numbers_in_other_digits_are_refused_by_the_referral_form_and_the_api(client, world):
    from tests.security.test_fuzz_forms import _referral_fields

    client.force_login(world.provider.user)
    before = Referral.objects.count()
    page = client.post(
        reverse("intake:referral_create"),
        {**_referral_fields(world), "headache_days_per_month": "١٨", "recommended_infusions": "３"},
    )
    assert page.status_code == 200
    assert page.context["form"].errors.keys() >= {
        "headache_days_per_month",
        "recommended_infusions",
    }
    api = _api(world).post(
        "/api/v1/referrals", _api_body(world, years_with_migraine="١٢"), format="json"
    )
    assert api.status_code == 400
    assert "years_with_migraine" in api.json()["errors"]
    assert Referral.objects.count() == before


@pytest.mark.parametrize("digits", ["wide", "arabic"])
def test_a_location_chosen_in_other_digits_is_refused_not_read_as_another_number(
    client, world, digits
):
    """The location lists (the dashboard's and the day view's filters) take the ids their options
    send, in 0-9: "１" is not location 1 (int() would read it so)."""
    location = Location.objects.get(slug="boston")
    typed = str(location.pk).translate(
        str.maketrans("0123456789", "０１２３４５６７８９" if digits == "wide" else "٠١٢٣٤٥٦٧٨٩")
    )
    client.force_login(world.staff["coordinator"])
    dashboard = client.get(reverse("clinic:operations"), {"location": typed})
    assert dashboard.status_code == 400
    assert "There is no such location" in dashboard.content.decode()
    day = client.get(reverse("scheduling:staff_day"), {"location": typed, "date": "2026-12-07"})
    assert day.status_code == 200 and day.context["day"] is None
    assert 'aria-invalid="true"' in day.content.decode()
    shown = client.get(reverse("clinic:operations"), {"location": str(location.pk)})
    assert shown.status_code == 200 and "Boston" in shown.content.decode()
