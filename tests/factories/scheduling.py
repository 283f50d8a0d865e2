import datetime as dt
from zoneinfo import ZoneInfo

import factory

from clinic.models import Role
from scheduling.models import (
    Chair,
    Location,
    OpeningHours,
    SessionType,
    StaffShift,
)
from tests.factories.users import UserFactory


class LocationFactory(factory.django.DjangoModelFactory):
    """The one location factory of the suite (billing's tests give theirs an address, as the
    GFE prints it)."""

    class Meta:
        model = Location
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    time_zone = ZoneInfo("America/New_York")
    address_line = "1 Main Street"
    city = "Boston"
    state = "MA"
    zip_code = "02116"


class ChairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chair

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Chair {n}")


class SessionTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionType
        django_get_or_create = ("name",)

    name = "Infusion"
    infusion_minutes = 60
    recovery_minutes = 30


class ClinicianFactory(UserFactory):
    role = Role.CLINICIAN


class PatientFactory(UserFactory):
    role = Role.PATIENT


class StaffShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffShift

    location = factory.SubFactory(LocationFactory)
    clinician = factory.SubFactory(ClinicianFactory)
    starts_at = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    ends_at = dt.datetime(2028, 1, 1, tzinfo=dt.UTC)
    monitoring_capacity = 3


def open_every_day(location, opens=dt.time(8), closes=dt.time(18)):
    for weekday in range(7):
        OpeningHours.objects.update_or_create(
            location=location,
            weekday=weekday,
            defaults={"opens_at": opens, "closes_at": closes},
        )
