"""Demo rows for scheduling: hours, rules, shifts, the demo patient's half-booked course and a
few other patients' sessions so the day view is alive. Idempotent: rows are found by natural
keys, and a course is only booked while it has no sessions."""

import datetime as dt

from django.utils import timezone

from clinic.models import PatientProfile, Role, User

from .models import Course, CourseRules, Location, OpeningHours, StaffShift
from .services import course_create, session_book

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
        for start in starts:
            # "now" two days back so that today's demo sessions pass the notice rule.
            session_book(course=course, starts_at=start, by=None, location=location, now=now)
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
    stdout.write("Scheduling: hours, shifts, a half-booked course for patient@mail.example.")
