import pytest
from django.core.management import call_command

from clinic.models import Role, User
from scheduling.models import Chair, Location

pytestmark = pytest.mark.django_db


def _snapshot():
    return {
        "users": sorted(User.objects.values_list("email", "role")),
        "locations": sorted(Location.objects.values_list("slug", "time_zone")),
        "chairs": Chair.objects.count(),
    }


def test_seed_demo_twice_gives_the_same_data():
    call_command("seed_demo")
    first = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == first
    assert {role for _, role in first["users"]} == set(Role.values)
    assert len({str(tz) for _, tz in first["locations"]}) == 2
