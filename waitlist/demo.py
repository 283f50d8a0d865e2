"""Demo waitlist: three patients waiting at Boston with their windows, the demo patient waiting
for an earlier second session, and a chair of a new afternoon offered by the coordinator to the
first of them (an e-mail in the Outbox, at any hour). Made through the real services; safe to
run again."""

import datetime as dt

from django.utils import timezone

from clinic.messaging.models import Channel, ConsentSource
from clinic.messaging.services import consent_record
from clinic.models import PatientProfile, Role, User
from scheduling.models import Course, Location, SessionStatus
from scheduling.services import course_create

from .models import EntryStatus, FreedSlot
from .services import entry_join, slot_offer_by_hand, slot_offer_next_round

# (e-mail, first, last, phone or None, days, parts of day); the first prefers e-mail.
WAITING = [
    ("ana.wait@mail.example", "Ana", "Silva", None, [0, 1, 2, 3, 4, 5], ["afternoon"]),
    ("ben.wait@mail.example", "Ben", "Ortiz", "+16175550161", [1, 3], ["morning", "afternoon"]),
    ("cora.wait@mail.example", "Cora", "Nguyen", "+16175550162", [0, 2, 4], ["evening"]),
]


def _patient(email, first, last, phone, zone) -> User:
    user, _ = User.objects.update_or_create(
        email=email,
        defaults={"role": Role.PATIENT, "first_name": first, "last_name": last, "phone": phone},
    )
    PatientProfile.objects.get_or_create(
        user=user,
        defaults={
            "date_of_birth": dt.date(1982, 2, 2),
            "sex": "female",
            "zip_code": "02116",
            "time_zone": zone,
            "preferred_channel": Channel.SMS if phone else Channel.EMAIL,
        },
    )
    if phone:
        consent_record(
            address=phone,
            channels=[Channel.SMS],
            granted=True,
            source=ConsentSource.INTAKE,
            user=user,
        )
    return user


def _course(patient: User, location: Location) -> Course:
    return Course.objects.filter(patient=patient).first() or course_create(
        patient=patient,
        location=location,
        planned_sessions=3,
        needs_clinician_review=False,
        created_by=None,
        # As intake would copy it from the referral: the course's estimates need it.
        diagnosis_codes=["G43.709"],
    )


def _open_day(today: dt.date, offset: int) -> dt.date:
    day = today + dt.timedelta(days=offset)
    while day.weekday() == 6:
        day += dt.timedelta(days=1)
    return day


def seed(stdout) -> None:
    boston = Location.objects.filter(slug="boston").first()
    if boston is None:
        return
    zone = boston.time_zone
    for email, first, last, phone, days, parts in WAITING:
        course = _course(_patient(email, first, last, phone, zone), boston)
        if not course.waitlist_entries.exclude(status=EntryStatus.WAITING).exists():
            entry_join(course=course, weekdays=days, parts_of_day=parts, by=course.patient)
    maria = User.objects.filter(email="patient@mail.example").first()
    course = Course.objects.filter(patient=maria).first() if maria else None
    if course is not None:
        last = course.sessions.filter(status=SessionStatus.BOOKED).order_by("-starts_at").first()
        if last is not None:
            entry_join(
                course=course,
                weekdays=[0, 1, 2, 3, 4, 5],
                parts_of_day=["morning", "afternoon"],
                earlier_than=last,
                by=course.patient,
            )
    coordinator = User.objects.filter(role=Role.COORDINATOR).order_by("pk").first()
    if coordinator is not None and not FreedSlot.objects.filter(location=boston).exists():
        # A clinician added an afternoon five days ahead: the coordinator offers a chair of it
        # to the waitlist, and its first patient is sent the offer.
        today = timezone.localdate(timezone.now(), zone)
        day = _open_day(today, 5)
        starts = dt.datetime(day.year, day.month, day.day, 15, tzinfo=zone)
        slot = slot_offer_by_hand(location=boston, starts_at=starts, by=coordinator)
        slot_offer_next_round(slot_id=slot.pk)
    stdout.write(
        "Waitlist: three patients waiting at Boston, the demo patient waiting for an earlier "
        "session, and a chair offered by hand to the first of them (see the Outbox)."
    )
