"""Clinic-scale data for benchmarks (`manage.py seed_scale`): about five clinic-years at three
locations, generated reproducibly from a seed and loaded with COPY.

At scale 1: 3 locations, 30 chairs, 147 staff shifts a week, 100,000 referrals (about 40,000 became
patients, 50,000 wait in the call queue, 10,000 were closed) with their call attempts, about
60,000 courses, 400,000 sessions and 1.5 million reminder messages. Smaller scales shrink the
span of days and every count together, so the density (and so the shape of the queries) stays.

Every row satisfies the database's own rules, which stay in force while loading: a chair or a
patient never has two overlapping active sessions (each session takes one cell of a 90-minute
grid per chair and day, and a patient's courses never overlap), one infusion per patient per
day, active sessions number their places 1..planned, the sessions' copy of the plan equals the
course's, message dedupe keys are those the services would write. Deferred constraints are
checked before the transaction ends (SET CONSTRAINTS ALL IMMEDIATE).

What is simplified: message bodies are a fixed sentence per kind (not rendered templates), and
sessions and messages carry no status-history rows (courses and referrals do)."""

from .load import seed_scale
from .plan import DEMO_TOTP_KEY, FULL, SCALE_ADMIN_EMAIL, SCALE_PASSWORD, scale_phone

__all__ = [
    "DEMO_TOTP_KEY",
    "FULL",
    "SCALE_ADMIN_EMAIL",
    "SCALE_PASSWORD",
    "scale_phone",
    "seed_scale",
]
