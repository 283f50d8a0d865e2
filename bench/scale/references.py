"""The reference rows: locations and their chairs, hours, rules and prices, the staff and
providers' accounts, and the staff shifts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from billing.demo import PRICES, seed_location
from clinic.messaging.models import ReminderPlanEntry
from clinic.models import Role, User
from intake.models import ReferringProvider
from scheduling.models import Chair, CourseRules, Location, OpeningHours, StaffShift
from scheduling.services import default_session_type

from .copier import Copier, _cols
from .plan import (
    AHEAD_DAYS,
    CHAIRS_PER_LOCATION,
    CLINICIANS_PER_LOCATION,
    CLOSES,
    COORDINATORS,
    DEMO_TOTP_KEY,
    LOCATIONS,
    OPENS,
    SCALE_ADMIN_EMAIL,
    SCALE_PASSWORD,
    Place,
    _npi,
    scale_phone,
)


class _ReferenceRows:
    """A phase of the recipe (see load._Loader, which holds the state its methods share)."""

    def _reference_rows(self) -> None:
        """Reference rows: the locations through the ORM, the accounts and providers by COPY."""
        self._locations()
        admin_id, provider_users = self._staff_accounts()
        self._providers(provider_users, admin_id)
        self.log(
            f"reference rows: {len(self.places)} locations, {len(self.provider_ids)} providers"
        )

    def _locations(self) -> None:
        """The locations with their chairs, hours, rules and prices, through the ORM."""
        self.places: list[Place] = []
        self.weights = []
        for slug, name, tz, city, state, zip_code, weight in LOCATIONS:
            location = Location.objects.create(
                slug=slug,
                name=name,
                time_zone=tz,
                address_line="1 Scale Street",
                city=city,
                state=state,
                zip_code=zip_code,
            )
            chairs = [
                Chair.objects.create(location=location, name=f"Chair {n:02d}").pk
                for n in range(1, CHAIRS_PER_LOCATION + 1)
            ]
            for weekday in range(7):
                OpeningHours.objects.create(
                    location=location, weekday=weekday, opens_at=OPENS, closes_at=CLOSES
                )
            CourseRules.objects.create(location=location)
            self.places.append(Place(location=location, tz=ZoneInfo(tz), chairs=chairs))
            self.weights.append(weight)
        # Every location bills, as a real clinic's would: a booking at one without a billing
        # identity issues no Good Faith Estimate, which would make its bookings cheaper to measure.
        specs = (PRICES["boston"], PRICES["pasadena"])
        for n, place in enumerate(self.places):
            spec = specs[n % len(specs)]
            identity = dict(spec["identity"])
            identity["npi"] = _npi(900_000_000 + place.location.pk)
            identity["legal_name"] = f"{place.location.name} Clinic, P.C."
            seed_location(place.location, {**spec, "identity": identity})
        self.session_type = default_session_type()
        self.plan = list(ReminderPlanEntry.objects.filter(is_active=True))

    def _staff_accounts(self) -> tuple[int, list[int]]:
        """The admin's, coordinators', clinicians' and providers' accounts, and the staff's second
        factor. Returns the admin's id and the providers' user ids."""
        self.password = make_password(SCALE_PASSWORD)
        self.cursor = connection.cursor()
        self.users = Copier(self.cursor, User, _cols(User))
        self.joined = self.now - dt.timedelta(days=self.counts["days"] + 60)

        admin_id = self.add_user(SCALE_ADMIN_EMAIL, None, Role.ADMIN, "Ada", "Admin", staff=True)
        self.coordinators = [
            self.add_user(
                f"coordinator{n:02d}@scale.example", None, Role.COORDINATOR, "Cory", f"C{n:02d}"
            )
            for n in range(1, COORDINATORS + 1)
        ]
        self.clinicians = [
            [
                self.add_user(
                    f"clinician{i}-{n:02d}@scale.example", None, Role.CLINICIAN, "Nell", f"N{n}"
                )
                for n in range(1, CLINICIANS_PER_LOCATION + 1)
            ]
            for i in range(len(self.places))
        ]
        provider_users = [
            self.add_user(f"provider{n:04d}@scale.example", None, Role.PROVIDER, "Dr", f"P{n:04d}")
            for n in range(1, self.counts["providers"] + 1)
        ]
        self.users.flush()
        for pk in [admin_id, *self.coordinators, *(c for group in self.clinicians for c in group)]:
            TOTPDevice.objects.create(user_id=pk, name="scale", key=DEMO_TOTP_KEY, confirmed=True)
        return admin_id, provider_users

    def _providers(self, provider_users: list[int], admin_id: int) -> None:
        """The referring practices, one per provider account, and how often each refers."""
        providers = Copier(self.cursor, ReferringProvider, _cols(ReferringProvider))
        self.provider_ids = []
        for n, user_id in enumerate(provider_users, start=1):
            pk = providers.new_id()
            self.provider_ids.append(pk)
            providers.add(
                (pk, self.joined, self.joined, user_id, f"Practice {n:04d}", _npi(n),
                 scale_phone(n),
                 "", self.joined, admin_id, 0)  # referral_count: set once the referrals are in
            )  # fmt: skip
        providers.finish()
        # A few practices refer most patients: the busiest provider has thousands of referrals.
        self.provider_weights = [1 / (rank**0.9) for rank in range(1, len(self.provider_ids) + 1)]

    def _staff_shifts(self) -> None:
        """Staff shifts: 7 a day per location (4 in the morning, 3 in the afternoon)."""
        self.shifts = Copier(self.cursor, StaffShift, _cols(StaffShift))
        for i, place in enumerate(self.places):
            for day in range(self.first_day, AHEAD_DAYS + 60):
                date = self.today + dt.timedelta(days=day)
                pool = self.clinicians[i]
                rota = [pool[(day + k) % len(pool)] for k in range(7)]
                for k, clinician in enumerate(rota):
                    start, end, capacity = (7, 14, 3) if k < 4 else (14, 22, 4)
                    starts = dt.datetime.combine(date, dt.time(start), tzinfo=place.tz)
                    ends = dt.datetime.combine(date, dt.time(end), tzinfo=place.tz)
                    self.shifts.add(
                        (self.shifts.new_id(), self.joined, self.joined, place.location.pk,
                         clinician,
                         starts.astimezone(self.utc), ends.astimezone(self.utc), capacity)
                    )  # fmt: skip
        self.shifts.finish()
        self.log(f"staff shifts: {self.shifts.count}")

    def add_user(self, email, phone, role, first, last, language="en", staff=False):
        pk = self.users.new_id()
        self.users.add(
            (
                pk,
                self.password,
                None,
                staff,
                first,
                last,
                staff,
                True,
                self.joined,
                email,
                phone,
                role,
                language,
                "",  # prescriber
            )
        )
        return pk
