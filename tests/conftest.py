import pytest
from django.test import Client

from clinic.models import STAFF_ROLES, Role
from tests.factories.users import PASSWORD, UserFactory


@pytest.fixture
def make_user(db):
    def make(role: Role = Role.PATIENT, **kwargs):
        user = UserFactory(role=role, **kwargs)
        if role == Role.PROVIDER:
            from tests.factories.intake import ProviderFactory

            ProviderFactory(user=user)
        return user

    return make


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def users_by_role(make_user):
    return {role: make_user(role=role) for role in Role}


# Staff must pass two-factor sign-in before any page (clinic.middleware.StaffTwoFactorMiddleware).
# Tests that sign staff in with force_login get a confirmed authenticator device and a session
# that has passed it, as a real sign-in would; the rule itself is untouched. Tests of the rule
# sign in with REAL_FORCE_LOGIN.
REAL_FORCE_LOGIN = Client.force_login


def force_login_with_otp(client: Client, user, backend=None) -> None:
    REAL_FORCE_LOGIN(client, user, backend)
    if user.role in STAFF_ROLES:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        device = device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


@pytest.fixture(autouse=True)
def _staff_pass_two_factor(monkeypatch):
    monkeypatch.setattr(Client, "force_login", force_login_with_otp)
