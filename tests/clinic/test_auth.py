import pytest
from django.core import mail
from django.urls import reverse

from clinic.models import STAFF_ROLES, Role

HOMES = {
    Role.PATIENT: "/my/",
    Role.PROVIDER: "/provider/",
    Role.COORDINATOR: "/intake/queue/",
    Role.CLINICIAN: "/clinician/",
    Role.ADMIN: "/clinic-admin/",
}

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_sign_in_lands_on_the_roles_own_home(client, make_user, password, role):
    user = make_user(role=role)
    response = client.post(
        reverse("login"), {"username": user.email, "password": password}, follow=True
    )
    if role in STAFF_ROLES:
        # Staff pass two-factor first (set up on the first sign-in), then land on their home.
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from tests.factories.users import totp_code

        assert response.redirect_chain[-1][0] == reverse("two_factor_setup") + "?next=/"
        device = TOTPDevice.objects.get(user=user)
        response = client.post(
            reverse("two_factor_setup"), {"token": totp_code(device), "next": "/"}, follow=True
        )
    assert response.redirect_chain[-1][0] == HOMES[role]
    assert response.status_code == 200


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_refused_every_other_roles_home(client, make_user, role):
    client.force_login(make_user(role=role))
    for other, url in HOMES.items():
        status = client.get(url).status_code
        assert status == (200 if other == role else 403), (role, url, status)


@pytest.mark.parametrize("url", list(HOMES.values()))
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_a_patient_without_email_signs_in_with_their_mobile_number(client, make_user, password):
    make_user(role=Role.PATIENT, email=None, phone="+16175550199")
    response = client.post(
        reverse("login"), {"username": "(617) 555-0199", "password": password}, follow=True
    )
    assert response.redirect_chain[-1][0] == HOMES[Role.PATIENT]


def test_a_wrong_password_re_renders_the_form_with_a_message(client, make_user):
    user = make_user(role=Role.PROVIDER)
    response = client.post(reverse("login"), {"username": user.email, "password": "nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_ends_the_session(client, make_user):
    client.force_login(make_user(role=Role.COORDINATOR))
    client.post(reverse("logout"))
    assert client.get(HOMES[Role.COORDINATOR]).status_code == 302


def test_password_reset_sends_a_link_that_sets_a_new_password(client, make_user):
    user = make_user(role=Role.PROVIDER)
    client.post(reverse("password_reset"), {"email": user.email.upper()})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    client.post(
        set_url, {"new_password1": "a-brand-new-pass-77", "new_password2": "a-brand-new-pass-77"}
    )
    user.refresh_from_db()
    assert user.check_password("a-brand-new-pass-77")
