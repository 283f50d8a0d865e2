import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.middleware import LAST_SEEN_KEY
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
