"""Signed-in sessions made the way a sign-in leaves them, and the accounts and bookings the
scenarios use. Imported by bench/run.py once Django is set up."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import time

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.scale import DEMO_TOTP_KEY
from clinic.errors import ApplicationError
from clinic.models import Role, User
from intake.models import IntakeCase, Referral
from intake.services import case_release
from scheduling import services as scheduling
from scheduling.availability import free_start_times
from scheduling.models import (
    Course,
    CourseStatus,
    Location,
)

from .config import BENCH_EMAIL

# --- signed-in sessions, made the way a sign-in leaves them -------------------------------------


SIGN_IN_BACKEND = "clinic.auth_backends.EmailOrPhoneBackend"


def session_cookie(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # The backend that signs people in (the last one listed only grants admin rights, and a
    # session naming it loads no user).
    store[BACKEND_SESSION_KEY] = SIGN_IN_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["last_seen"] = int(time.time())
    if user.is_clinic_staff:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id  # the second factor was passed
    store.create()
    return store.session_key


def cookie_header(session_key: str, csrf: str | None = None) -> str:
    parts = [f"{settings.SESSION_COOKIE_NAME}={session_key}"]
    if csrf:
        parts.append(f"{settings.CSRF_COOKIE_NAME}={csrf}")
    return "; ".join(parts)


def bench_runner() -> User:
    user = User.objects.filter(email=BENCH_EMAIL).first()
    if user is None:
        user = User.objects.create_user(
            email=BENCH_EMAIL, password=None, role=Role.ADMIN, first_name="Bench"
        )
    return user


def bench_coordinators(count: int) -> list[User]:
    """Coordinators used once each by the 'Next call' scenario, so every POST is a real claim
    (a coordinator who holds a live claim just gets it back)."""
    existing = list(
        User.objects.filter(email__startswith="bench-coordinator-", role=Role.COORDINATOR)
    )
    have = {u.email for u in existing}
    template = User.objects.filter(role=Role.COORDINATOR).exclude(password="").first()
    new = [
        User(
            email=f"bench-coordinator-{n:04d}@scale.example",
            role=Role.COORDINATOR,
            first_name="Bench",
            last_name=f"C{n:04d}",
            password=template.password,
        )
        for n in range(count)
        if f"bench-coordinator-{n:04d}@scale.example" not in have
    ]
    User.objects.bulk_create(new, batch_size=1000)
    users = list(
        User.objects.filter(email__startswith="bench-coordinator-").order_by("email")[:count]
    )
    with_device = set(TOTPDevice.objects.filter(user__in=users).values_list("user_id", flat=True))
    TOTPDevice.objects.bulk_create(
        [
            TOTPDevice(user=u, name="bench", key=DEMO_TOTP_KEY, confirmed=True)
            for u in users
            if u.pk not in with_device
        ]
    )
    # Claims from an earlier run are handed back, so each POST claims afresh.
    for case in IntakeCase.objects.open().filter(claimed_by__in=users):
        case_release(case=case, coordinator=case.claimed_by)
    return users


def cleanup_bookings(runner: User) -> int:
    """Cancel the courses (and so the sessions) an earlier run booked, through the services."""
    courses = Course.objects.filter(created_by=runner, status__in=[CourseStatus.ACTIVE])
    n = 0
    for course in courses:
        scheduling.course_cancel(course=course, by=runner, reason="benchmark clean-up")
        n += 1
    return n


def _diagnosis_of(patient: User) -> list[str]:
    """The patient's referral's diagnosis, which intake copies onto a course (course_create):
    without one, booking issues no Good Faith Estimate, and the POST would skip a part of the
    work a real booking does."""
    code = (
        Referral.objects.filter(patient=patient)
        .order_by("-created_at")
        .values_list("diagnosis_code", flat=True)
        .first()
    )
    return [code] if code else []


def prepare_bookings(runner: User, location: Location, count: int) -> list[tuple[str, int]]:
    """`count` patients without an open course each get a course of 6 (course_create) and a
    held time in the next four weeks (slot_hold), as if they had just picked it. The booking POST
    then confirms the hold: the real session_book with its reminders, GFE clock and estimate."""
    open_patients = Course.objects.filter(
        status__in=[CourseStatus.ACTIVE, CourseStatus.AWAITING_REVIEW]
    ).values("patient_id")
    patients = list(
        User.objects.filter(role=Role.PATIENT, courses__location=location)
        .exclude(pk__in=open_patients)
        .distinct()
        .order_by("pk")[: count * 2]
    )
    today = timezone.now().astimezone(location.time_zone).date()
    prepared = []
    # Four weeks, not two: the seeded clinic's next two weeks are nearly full, and a scenario
    # that runs out of holds is measured on a fraction of its turns with the floor.
    day_cycle = itertools.cycle(range(2, 29))
    for patient in patients:
        if len(prepared) >= count:
            break
        course = scheduling.course_create(
            patient=patient,
            location=location,
            planned_sessions=6,
            needs_clinician_review=False,
            created_by=runner,
            diagnosis_codes=_diagnosis_of(patient),
        )
        held = False
        for _attempt in range(6):
            day = today + dt.timedelta(days=next(day_cycle))
            starts = free_start_times(course=course, location=location, first_day=day, last_day=day)
            if not starts[day]:
                continue
            starts_at = starts[day][secrets.randbelow(len(starts[day]))]
            try:
                hold = scheduling.slot_hold(course=course, starts_at=starts_at, location=location)
            except ApplicationError:
                continue
            prepared.append((session_cookie(patient), hold.pk))
            held = True
            break
        if not held:  # no free time found for this one: leave nothing open behind
            scheduling.course_cancel(course=course, by=runner, reason="benchmark: no free time")
    return prepared


# How many prepared plans' sessions may overlap at a location at any start. With 2, the 300
# plans of a run are found, and 6% of them, posted one after another, found a time's chairs or
# staff taken by an earlier plan (409); with 1, none did, but only 169 plans were found.
OVERLAPPING = 2


def prepare_plans(
    runner: User, location: Location, count: int, taken: dict
) -> list[tuple[str, int, list[str]]]:
    """`count` patients without an open course each get a course of 3 (course_create) and three
    free times three days apart, as the 'Plan my course' page proposes them; the POST then books
    all three in one step (course_book_sessions). At most OVERLAPPING patients' sessions
    overlap at a location (`taken`: the starts given so far, by location), as each patient's
    free times are found without the others': a time next to others' could find the chairs or
    the staff on duty gone. A POST then fails only if something booked after it was prepared took
    the time."""
    open_patients = Course.objects.filter(
        status__in=[CourseStatus.ACTIVE, CourseStatus.AWAITING_REVIEW]
    ).values("patient_id")
    patients = list(
        User.objects.filter(role=Role.PATIENT, courses__location=location)
        .exclude(pk__in=open_patients)
        .distinct()
        .order_by("-pk")[: count * 2]
    )
    tz = location.time_zone
    today = timezone.now().astimezone(tz).date()
    prepared = []
    first_days = itertools.cycle(range(2, 23))  # the last of the three by day 28, as holds
    for patient in patients:
        if len(prepared) >= count:
            break
        course = scheduling.course_create(
            patient=patient,
            location=location,
            planned_sessions=3,
            needs_clinician_review=False,
            created_by=runner,
            diagnosis_codes=_diagnosis_of(patient),
        )
        length = course.session_type.total
        first = today + dt.timedelta(days=next(first_days))
        # Three days apart: whatever the hours, more than the 48 hours a course's rules ask.
        days = [first + dt.timedelta(days=3 * n) for n in range(3)]
        free = free_start_times(
            course=course, location=location, first_day=days[0], last_day=days[-1]
        )
        starts = []
        for day in days:
            options = [
                s
                for s in free.get(day, [])
                if sum(abs(s - t) < length for t in taken.get(location.pk, ())) < OVERLAPPING
            ]
            if options:
                starts.append(options[secrets.randbelow(len(options))])
        if len(starts) < 3:  # not three free days: leave nothing open behind
            scheduling.course_cancel(course=course, by=runner, reason="benchmark: no free time")
            continue
        taken.setdefault(location.pk, []).extend(starts)
        values = [s.astimezone(tz).strftime("%Y-%m-%dT%H:%M") for s in starts]
        prepared.append((session_cookie(patient), location.pk, values))
    return prepared
