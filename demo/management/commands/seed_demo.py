"""Demo data for a newcomer's first look. Safe to run any number of times: every row is found by
a natural key and updated, never duplicated."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from billing import demo as billing_demo
from billing.payments import demo as payments_demo
from clinic.messaging import demo as messaging_demo
from clinic.models import STAFF_ROLES, Role, User
from intake import demo as intake_demo
from intake.inbox import demo as inbox_demo
from outcomes import demo as outcomes_demo
from scheduling import demo as scheduling_demo
from scheduling.models import Chair, Location
from waitlist import demo as waitlist_demo

DEMO_PASSWORD = "demo-pass-2026"
# Staff sign in with a second factor. The demo staff share this documented authenticator key
# (base32 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ, RFC 6238's test key): add it to an authenticator
# app, or print the current code with `./portal code`. Never a real account's key.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
DEMO_TOTP_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

LOCATIONS = [
    {
        "slug": "boston",
        "name": "Boston · Back Bay",
        "time_zone": "America/New_York",
        "address_line": "200 Clarendon Street, Suite 400",
        "city": "Boston",
        "state": "MA",
        "zip_code": "02116",
        "phone": "+16175550100",
        "chairs": 4,
    },
    {
        "slug": "pasadena",
        "name": "Pasadena · Lake Avenue",
        "time_zone": "America/Los_Angeles",
        "address_line": "350 South Lake Avenue",
        "city": "Pasadena",
        "state": "CA",
        "zip_code": "91101",
        "phone": "+16265550100",
        "chairs": 3,
    },
]

# The demo admin is a clinic admin, not a superuser: the settings area shows what a clinic
# configures (clinic.admin_site); `manage.py createsuperuser` makes one for the library tables.
USERS = [
    (
        "admin@clinic.example",
        Role.ADMIN,
        "Alex",
        "Admin",
        {"is_staff": True, "is_superuser": False},
    ),
    ("coordinator@clinic.example", Role.COORDINATOR, "Casey", "Coordinator", {}),
    ("nurse@clinic.example", Role.CLINICIAN, "Nora", "Nightingale", {}),
    ("doctor@clinic.example", Role.CLINICIAN, "Dev", "Patel", {"prescriber": "physician"}),
    ("provider@neuro.example", Role.PROVIDER, "Priya", "Raman", {}),
    ("patient@mail.example", Role.PATIENT, "Maria", "Lopez", {"phone": "+16175550142"}),
]


class Command(BaseCommand):
    help = "Create or refresh the demo clinic: locations, chairs and one user of each role."

    def feature_seeders(self):
        # Prices first: booking the demo patient's course (scheduling) issues her Good Faith
        # Estimate through the real services, from her referral's diagnosis (intake).
        # Outcomes last: their plans follow the courses booked above, and the provider's outcome
        # reports link earlier referrals to scheduling's past courses.
        # Payments last: the payment policy, and with Stripe configured the demo patient's card.
        # The Good Faith Estimates the bookings owe right after them (a worker issues them after
        # each commit; it may not be running, and this command commits once, at its end), before
        # the messages' demo sends what is due. The waitlist after the bookings it waits
        # beside. Last, the documents of any estimate issued without one.
        return [
            billing_demo.seed,
            intake_demo.seed,
            inbox_demo.seed,
            scheduling_demo.seed,
            billing_demo.seed_estimates,
            messaging_demo.seed,
            outcomes_demo.seed,
            intake_demo.seed_outcome_reports,
            payments_demo.seed,
            waitlist_demo.seed,
            billing_demo.seed_documents,
        ]

    @transaction.atomic
    def handle(self, *args, **options):
        for spec in LOCATIONS:
            spec = dict(spec)
            chairs = spec.pop("chairs")
            location, _ = Location.objects.update_or_create(slug=spec.pop("slug"), defaults=spec)
            for n in range(1, chairs + 1):
                Chair.objects.update_or_create(
                    location=location, name=f"Chair {n}", defaults={"is_active": True}
                )

        for email, role, first, last, extra in USERS:
            user, _ = User.objects.update_or_create(
                email=email,
                defaults={
                    "role": role,
                    "first_name": first,
                    "last_name": last,
                    "is_active": True,
                    **extra,
                },
            )
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            if role in STAFF_ROLES:
                TOTPDevice.objects.update_or_create(
                    user=user,
                    name="Demo authenticator",
                    defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
                )

        # Each feature seeds its own demo rows, in the order the features build on each other.
        for seed in self.feature_seeders():
            seed(self.stdout)

        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in with any of these:"))
        width = max(len(email) for email, *_ in USERS)
        for email, role, *_ in USERS:
            self.stdout.write(f"  {Role(role).label:<20} {email:<{width}}  {DEMO_PASSWORD}")
        self.stdout.write(
            "Staff then type a code from an authenticator app set up with the demo key "
            f"{DEMO_TOTP_BASE32}, or the one `./portal code` prints."
        )
