import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.middleware import LAST_SEEN_KEY, OTPMiddleware
from clinic.models import Role
from tests.conftest import REAL_FORCE_LOGIN
from tests.factories.users import PASSWORD, UserFactory, totp_code

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


code = totp_code


def sign_in(client, user, password=PASSWORD):
    return client.post(reverse("login"), {"username": user.email, "password": password})


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.CLINICIAN, Role.ADMIN])
def test_staff_set_up_two_factor_at_first_sign_in_and_reach_no_page_before(client, role):
    user = UserFactory(role=role, is_staff=role == Role.ADMIN)
    sign_in(client, user)
    home = client.get(reverse("home"), follow=True)
    assert home.redirect_chain[-1][0].startswith(reverse("two_factor_setup"))
    page = home.content.decode()
    assert "<svg" in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert re.search(r"<code>[A-Z2-7]{32,}</code>", page)
    for name in ("intake:queue", "scheduling:staff_day", "admin:index"):
        assert client.get(reverse(name))["Location"].startswith(reverse("two_factor_setup"))

    wrong = client.post(
        reverse("two_factor_setup"), {"token": "000000" if code(device) != "000000" else "111111"}
    )
    assert "does not match" in wrong.content.decode()
    done = client.post(reverse("two_factor_setup"), {"token": code(device), "next": "/"})
    assert done.status_code == 302
    assert client.get(reverse("scheduling:staff_day")).status_code == 200


def test_a_staff_member_with_a_device_types_a_code_at_every_sign_in(client):
    user = UserFactory(role=Role.COORDINATOR)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    sign_in(client, user)
    queue = reverse("intake:queue")
    response = client.get(queue)
    assert response["Location"] == reverse("two_factor_verify") + "?next=" + queue
    refused = client.post(reverse("two_factor_verify"), {"token": "12a456", "next": queue})
    assert "digits only" in refused.content.decode()
    passed = client.post(reverse("two_factor_verify"), {"token": code(device), "next": queue})
    assert passed["Location"] == queue
    assert client.get(queue).status_code == 200


def test_a_session_without_the_second_factor_reaches_no_staff_page(client):
    """The production rule, without the test suite's shortcut."""
    user = UserFactory(role=Role.CLINICIAN)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    REAL_FORCE_LOGIN(client, user)
    response = client.get(reverse("scheduling:clinician_home"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("two_factor_verify"))
    assert client.get(reverse("scheduling:clinician_home")).status_code == 302


def test_patients_and_providers_sign_in_with_a_password_alone(client):
    patient = UserFactory(role=Role.PATIENT)
    sign_in(client, patient)
    assert client.get(reverse("messaging:preferences")).status_code == 200


def test_repeated_wrong_passwords_pause_sign_in_with_a_clear_message(client):
    user = UserFactory(role=Role.PATIENT)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, user, "wrong-password").status_code == 200
    locked = sign_in(client, user, "wrong-password")
    assert locked.status_code == 429
    assert "Sign-in paused" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    # Even the right password is refused until the pause ends.
    assert sign_in(client, user).status_code == 429
    assert "_auth_user_id" not in client.session


def _idle(client, minutes: int) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - minutes * 60
    session.save()


@pytest.mark.parametrize(
    ("role", "page", "idle", "signed_out"),
    [
        (Role.COORDINATOR, "intake:queue", 14, False),
        (Role.COORDINATOR, "intake:queue", 16, True),
        (Role.PATIENT, "messaging:preferences", 16, False),
        (Role.PATIENT, "messaging:preferences", 31, True),
    ],
)
def test_idle_sessions_end_after_15_minutes_for_staff_and_30_for_patients(
    client, role, page, idle, signed_out
):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse(page)).status_code == 200
    _idle(client, idle)
    response = client.get(reverse(page))
    if signed_out:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert "_auth_user_id" not in client.session
    else:
        assert response.status_code == 200


def test_pages_carry_a_csp_without_inline_scripts(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_no_template_has_an_inline_script_or_event_handler():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.I)
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("**/templates/**/*.html")
        if ".venv" not in path.parts and inline.search(path.read_text())
    ]
    assert not offenders


def test_seed_demo_gives_demo_staff_the_documented_authenticator(client):
    from io import StringIO

    from django.core.management import call_command

    from clinic.models import User

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" in out.getvalue()
    call_command("seed_demo", stdout=StringIO())  # still idempotent
    coordinator = User.objects.get(email="coordinator@clinic.example")
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1
    sign_in_code = StringIO()
    call_command("demo_totp_code", stdout=sign_in_code)
    client.post(reverse("login"), {"username": coordinator.email, "password": "demo-pass-2026"})
    passed = client.post(reverse("two_factor_verify"), {"token": sign_in_code.getvalue().strip()})
    assert passed.status_code == 302
    assert client.get(reverse("intake:queue")).status_code == 200


def _device_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "otp_totp_totpdevice"' in q["sql"]]


def test_a_verified_staff_page_reads_the_second_factor_with_the_user(client):
    """The session's device comes from the row the user is read with: no statement of its own."""
    user = UserFactory(role=Role.COORDINATOR)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("intake:queue")).status_code == 200
    assert _device_statements(queries) == []
    assert "otp_totp_totpdevice" in queries[1]["sql"]  # the session, then the user with it


@pytest.mark.parametrize("change", ["unconfirmed", "deleted", "another_users"])
def test_a_device_no_longer_the_users_ends_the_verified_session(client, change):
    """An admin removes or resets a staff member's authenticator, or the session names someone
    else's: the next page asks for a code again (or for the app to be set up again, when they
    have none left), and the session forgets the device."""
    user = UserFactory(role=Role.CLINICIAN)
    client.force_login(user)
    assert client.get(reverse("scheduling:clinician_home")).status_code == 200
    device = TOTPDevice.objects.get(user=user)
    if change == "unconfirmed":
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=False)
    elif change == "deleted":
        device.delete()
    else:
        other = TOTPDevice.objects.create(
            user=UserFactory(role=Role.CLINICIAN), name="theirs", confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = other.persistent_id
        session.save()
    response = client.get(reverse("scheduling:clinician_home"))
    assert response.status_code == 302
    again = "two_factor_verify" if change == "another_users" else "two_factor_setup"
    assert response["Location"].startswith(reverse(again))
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_the_device_read_with_the_user_is_the_one_the_orm_loads(client):
    user = UserFactory(role=Role.ADMIN, is_staff=True)
    client.force_login(user)
    device = TOTPDevice.objects.get(user=user)
    device.throttling_failure_timestamp = device.created_at
    device.last_used_at = device.created_at
    device.save()
    seen = {}

    def view(request):
        seen["device"] = request.user.otp_device
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.session = client.session
    AuthenticationMiddleware(lambda r: None).process_request(request)
    OTPMiddleware(view)(request)
    loaded = seen["device"]
    assert type(loaded) is TOTPDevice and loaded.pk == device.pk
    for field in TOTPDevice._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(device, field.attname), field.name
    assert loaded._state.adding is False and loaded._state.db == "default"
