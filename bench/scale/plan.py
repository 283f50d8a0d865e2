"""What the generated clinic is made of: its sizes, places, people's names and numbers, and the
day grid the sessions are laid on."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

SCALE_ADMIN_EMAIL = "admin@scale.example"

SCALE_PASSWORD = "scale-pass-2026"

# The demo staff's documented authenticator key (see seed_demo): never a real account's key.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"

FULL = {
    "days": 1826,  # five years of history, plus four weeks booked ahead
    "courses": 60_000,
    "open_referrals": 50_000,
    "closed_referrals": 10_000,
    "providers": 500,
}

COORDINATORS = 20

CLINICIANS_PER_LOCATION = 10

CHAIRS_PER_LOCATION = 10

OPENS, CLOSES = dt.time(7, 0), dt.time(22, 0)

SLOT_MINUTES, INFUSION_MINUTES = 90, 60

SLOTS_PER_DAY = 10  # 07:00, 08:30, ... 20:30 (the last one ends at 22:00)

AHEAD_DAYS = 28

LOCATIONS = [
    ("boston-scale", "Boston · Scale", "America/New_York", "Boston", "MA", "02116", 1),
    ("pasadena-scale", "Pasadena · Scale", "America/Los_Angeles", "Pasadena", "CA", "91101", 1),
    ("chicago-scale", "Chicago · Scale", "America/Chicago", "Chicago", "IL", "60611", 1),
]

AREA_CODES = [
    "617", "857", "781", "626", "213", "818", "312", "773", "872", "508", "323", "630",
    "415", "646", "702", "919",
]  # fmt: skip

# The demo (seed_demo) keeps 555-0100 to 555-0199 and 555-1200 to 555-1299; the generator takes
# 555-2000 to 555-9999 in each area code (128,000 numbers), so both load into one database.
SCALE_LINES = range(2000, 10_000)


def scale_phone(n: int) -> str:
    """The n-th generated person's mobile number (E.164), distinct for n < 128,000."""
    area = AREA_CODES[n % len(AREA_CODES)]
    line = SCALE_LINES[n // len(AREA_CODES) % len(SCALE_LINES)]
    return f"+1{area}555{line:04d}"


FIRST = [
    "Ana",
    "Ben",
    "Carla",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Iris",
    "Jon",
    "Kira",
    "Luis",
    "Maya",
    "Noor",
    "Omar",
    "Pia",
    "Raj",
    "Sara",
    "Tom",
    "Una",
    "Vic",
    "Wen",
    "Yara",
    "Zoe",
]

LAST = [
    "Alvarez", "Brown", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jones",
    "Kim", "Lopez", "Martin", "Nguyen", "Okafor", "Patel", "Quinn", "Rossi", "Singh", "Tanaka",
    "Udeh", "Vega", "Walsh", "Young", "Zhou",
]  # fmt: skip


def _npi(body9: int) -> str:
    """A ten-digit NPI with a valid Luhn check digit (prefix 80840, as the standard says)."""
    digits = f"80840{body9:09d}"
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return f"{body9:09d}{(10 - total % 10) % 10}"


@dataclass
class Place:
    location: object
    tz: ZoneInfo
    chairs: list[int]
    free: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def take(self, day: int, rng: random.Random) -> tuple[int, int] | None:
        cells = self.free.get(day)
        if cells is None:
            cells = [(c, s) for c in range(len(self.chairs)) for s in range(SLOTS_PER_DAY)]
            rng.shuffle(cells)
            self.free[day] = cells
        return cells.pop() if cells else None


def _counts(scale: float) -> dict:
    counts = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    counts["days"] = max(42, counts["days"])
    counts["providers"] = max(3, counts["providers"])
    return counts
