"""Demo rows for scheduling: hours, rules, shifts, the demo patient's half-booked course and a
few other patients' sessions so the day view is alive. Idempotent: rows are found by natural
keys, and a course is only booked while it has no sessions."""

import datetime as dt

from django.utils import timezone

from clinic.models import PatientProfile, Role, User

from .models import (
    Chair,
    Course,
    CourseRules,
    CourseStatus,
    InfusionSession,
    Location,
    OpeningHours,
    SessionStatus,
    StaffShift,
)
from .services import course_book_sessions, course_create, default_session_type

DEMO_PASSWORD = "demo-pass-2026"
OTHER_PATIENTS = [
    ("jordan.demo@mail.example", "Jordan", "Reyes"),
    ("sam.demo@mail.example", "Sam", "Okafor"),
    ("lee.demo@mail.example", "Lee", "Chen"),
]


def _at(location: Location, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=location.time_zone)


def _patient(email, first, last, tz) -> User:
    user, _ = User.objects.update_or_create(
        email=email,
        defaults={"role": Role.PATIENT, "first_name": first, "last_name": last, "is_active": True},
    )
    if not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    PatientProfile.objects.get_or_create(
        user=user,
        defaults={
            "date_of_birth": dt.date(1985, 6, 1),
            "sex": "female",
            "zip_code": "02116",
            "time_zone": tz,
        },
    )
    return user


def _course(patient, location, planned, starts, now):
    course = Course.objects.filter(patient=patient).first() or course_create(
        patient=patient,
        location=location,
        planned_sessions=planned,
        needs_clinician_review=False,
        created_by=None,
    )
    if not course.sessions.exists():
        # All of them at once, as a coordinator plans a course: one booking e-mail and one Good
        # Faith Estimate that matches every date. "now" two days back so that today's demo
        # sessions pass the notice rule.
        course_book_sessions(course=course, starts=starts, by=None, location=location, now=now)
    return course


def seed(stdout) -> None:
    locations = {loc.slug: loc for loc in Location.objects.filter(slug__in=["boston", "pasadena"])}
    clinicians = {u.email: u for u in User.objects.filter(role=Role.CLINICIAN)}
    for location in locations.values():
        CourseRules.objects.get_or_create(location=location)
        for weekday in range(6):  # Monday to Saturday
            OpeningHours.objects.update_or_create(
                location=location,
                weekday=weekday,
                defaults={"opens_at": dt.time(8), "closes_at": dt.time(18)},
            )
    today = timezone.now().astimezone(locations["boston"].time_zone).date()
    staffing = [("nurse@clinic.example", "boston"), ("doctor@clinic.example", "pasadena")]
    for email, slug in staffing:
        clinician, location = clinicians.get(email), locations.get(slug)
        if clinician is None or location is None:
            continue
        for offset in range(-1, 28):
            day = today + dt.timedelta(days=offset)
            if day.weekday() == 6:
                continue
            StaffShift.objects.update_or_create(
                clinician=clinician,
                starts_at=_at(location, day, 7, 30),
                defaults={
                    "location": location,
                    "ends_at": _at(location, day, 18, 30),
                    "monitoring_capacity": 3,
                },
            )

    boston = locations["boston"]
    now = timezone.now() - dt.timedelta(days=2)

    def open_day(offset):
        day = today + dt.timedelta(days=offset)
        while day.weekday() == 6:
            day += dt.timedelta(days=1)
        return day

    maria = User.objects.filter(email="patient@mail.example").first()
    if maria is not None:
        PatientProfile.objects.get_or_create(
            user=maria,
            defaults={
                "date_of_birth": dt.date(1988, 3, 14),
                "sex": "female",
                "zip_code": "02116",
                "time_zone": boston.time_zone,
            },
        )
        _course(maria, boston, 4, [_at(boston, open_day(3), 10), _at(boston, open_day(6), 10)], now)
    for n, (email, first, last) in enumerate(OTHER_PATIENTS):
        patient = _patient(email, first, last, boston.time_zone)
        _course(patient, boston, 3, [_at(boston, open_day(0), 9 + 2 * n)], now)
    for location in locations.values():
        _seed_history(location)
    stdout.write(
        "Scheduling: hours, shifts, a half-booked course for patient@mail.example, and 90 days "
        "of past sessions for the operations dashboard."
    )


# --- Past courses, for the operations dashboard -------------------------------------------------
# Per location, patients whose course began `days ago`, one infusion every 3 or 4 days. Each
# session is completed unless listed in its twist: a no-show, a late cancellation (cancelled, then
# booked again 2 days later) or a late move (moved 1 day later).
HISTORY_COURSES = {
    "boston": [
        (86, 4, {}),
        (78, 3, {2: "no_show"}),
        (70, 6, {}),
        (61, 3, {}),
        (52, 4, {3: "late_cancel"}),
        (44, 3, {}),
        (37, 5, {}),
        (30, 3, {1: "late_move"}),
        (24, 4, {}),
        (17, 3, {2: "no_show"}),
        (11, 3, {}),
    ],
    "pasadena": [
        (83, 3, {}),
        (72, 4, {}),
        (64, 3, {1: "late_cancel"}),
        (50, 6, {}),
        (41, 3, {}),
        (33, 4, {4: "no_show"}),
        (20, 3, {}),
        (13, 3, {}),
    ],
}


def _history_plan(location: Location, hour: int, days_ago: int, planned: int, twists, today):
    """[(slot, starts_at, status, late_change)] for one past course, the same for a given day."""
    rows, day, slot = [], today - dt.timedelta(days=days_ago), 1
    while slot <= planned:
        while day.weekday() == 6:  # closed on Sundays
            day += dt.timedelta(days=1)
        if day >= today:
            break
        twist = twists.get(slot)
        start = _at(location, day, hour)
        if twist in ("late_cancel", "late_move"):
            gone = SessionStatus.CANCELLED if twist == "late_cancel" else SessionStatus.RESCHEDULED
            rows.append((slot, start, gone, True))
            twists = {k: v for k, v in twists.items() if k != slot}
            day += dt.timedelta(days=2 if twist == "late_cancel" else 1)
            continue
        done = SessionStatus.NO_SHOW if twist == "no_show" else SessionStatus.COMPLETED
        rows.append((slot, start, done, False))
        if twist != "no_show":
            slot += 1
        else:
            twists = {k: v for k, v in twists.items() if k != slot}
        day += dt.timedelta(days=3 + slot % 2)
    return rows


def _seed_history(location: Location) -> None:
    """Past courses written directly (demo only: the services rightly refuse to book the past).
    A course's sessions are rewritten only when today's plan differs, so a second run the same
    day changes nothing, and a run weeks later moves the history along with the calendar."""
    today = timezone.localdate(timezone.now(), location.time_zone)
    chairs = list(Chair.objects.filter(location=location, is_active=True).order_by("name"))
    if not chairs:
        return
    session_type = default_session_type()
    for index, (days_ago, planned, twists) in enumerate(HISTORY_COURSES.get(location.slug, [])):
        patient = _patient(
            f"history.{location.slug}.{index + 1}@mail.example",
            "Past",
            f"Patient {location.slug.title()} {index + 1}",
            location.time_zone,
        )
        course, _ = Course.objects.get_or_create(
            patient=patient,
            defaults={
                "location": location,
                "session_type": session_type,
                "planned_sessions": planned,
                "status": CourseStatus.COMPLETED,
            },
        )
        # Each past patient has their own chair and hour, so no two of them ever overlap.
        chair = chairs[index % len(chairs)]
        hour = 8 + 2 * ((index // len(chairs)) % 5)
        plan = _history_plan(location, hour, days_ago, planned, twists, today)
        have = list(
            course.sessions.order_by("starts_at", "id").values_list(
                "slot", "starts_at", "status", "late_change"
            )
        )
        if have == plan:
            continue
        course.sessions.exclude(rescheduled_from=None).delete()
        course.sessions.all().delete()
        length = session_type.total
        InfusionSession.objects.bulk_create(
            InfusionSession(
                course=course,
                patient=patient,
                location=location,
                course_planned_sessions=course.planned_sessions,
                slot=slot,
                chair=chair,
                starts_at=start,
                infusion_ends_at=start + session_type.infusion,
                ends_at=start + length,
                local_date=start.astimezone(location.time_zone).date(),
                status=status,
                late_change=late,
                status_changed_at=start + length,
            )
            for slot, start, status, late in plan
        )
