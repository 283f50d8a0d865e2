import pytest

from clinic.models import Role
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
