"""The recipe: one linear pass that lays out five clinic-years and loads them in one transaction."""

from __future__ import annotations

import datetime as dt
import io
import random
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from billing.demo import PRICES, seed_location
from clinic.messaging.models import ContactConsent, Message, ReminderPlanEntry
from clinic.models import PatientProfile, Role, User
from intake.clinical import MIGRAINE_DIAGNOSES, Contraindication, Preventive
from intake.models import (
    CallAttempt,
    IntakeCase,
    Referral,
    ReferralStatusChange,
    ReferringProvider,
    normalise_name,
)
from scheduling.models import (
    Chair,
    Course,
    CourseRules,
    CourseStatusChange,
    InfusionSession,
    Location,
    OpeningHours,
    StaffShift,
)
from scheduling.services import default_session_type

from .copier import Copier, _cols
from .plan import (
    AHEAD_DAYS,
    CHAIRS_PER_LOCATION,
    CLINICIANS_PER_LOCATION,
    CLOSES,
    COORDINATORS,
    DEMO_TOTP_KEY,
    FIRST,
    INFUSION_MINUTES,
    LAST,
    LOCATIONS,
    OPENS,
    SCALE_ADMIN_EMAIL,
    SCALE_PASSWORD,
    SLOT_MINUTES,
    Place,
    _counts,
    _npi,
    scale_phone,
)


def seed_scale(*, scale: float = 1.0, seed: int = 2026, now: dt.datetime | None = None, log=print):
    """Load the clinic-scale data set into the current database, in one transaction. Returns a
    dict of row counts. Raises RuntimeError when it is already there."""
    if User.objects.filter(email=SCALE_ADMIN_EMAIL).exists():
        raise RuntimeError("The clinic-scale data is already loaded in this database.")
    now = now or timezone.now()
    with transaction.atomic():
        return _seed(scale=scale, seed=seed, now=now, log=log)


def _seed(*, scale, seed, now, log):  # noqa: C901, PLR0912, PLR0915 - one long, linear recipe
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    counts = _counts(scale)
    today = now.date()
    first_day = -counts["days"]
    utc = dt.UTC

    # --- reference rows, through the ORM -----------------------------------------------------
    places: list[Place] = []
    weights = []
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
        places.append(Place(location=location, tz=ZoneInfo(tz), chairs=chairs))
        weights.append(weight)
    for place, spec in zip(places[:2], (PRICES["boston"], PRICES["pasadena"]), strict=True):
        identity = dict(spec["identity"])
        identity["npi"] = _npi(900_000_000 + place.location.pk)
        seed_location(place.location, {**spec, "identity": identity})
    session_type = default_session_type()
    plan = list(ReminderPlanEntry.objects.filter(is_active=True))

    password = make_password(SCALE_PASSWORD)
    cursor = connection.cursor()
    users = Copier(cursor, User, _cols(User))
    joined = now - dt.timedelta(days=counts["days"] + 60)

    def add_user(email, phone, role, first, last, language="en", staff=False):
        pk = users.new_id()
        users.add(
            (
                pk,
                password,
                None,
                staff,
                first,
                last,
                staff,
                True,
                joined,
                email,
                phone,
                role,
                language,
                "",  # prescriber
            )
        )
        return pk

    admin_id = add_user(SCALE_ADMIN_EMAIL, None, Role.ADMIN, "Ada", "Admin", staff=True)
    coordinators = [
        add_user(f"coordinator{n:02d}@scale.example", None, Role.COORDINATOR, "Cory", f"C{n:02d}")
        for n in range(1, COORDINATORS + 1)
    ]
    clinicians = [
        [
            add_user(f"clinician{i}-{n:02d}@scale.example", None, Role.CLINICIAN, "Nell", f"N{n}")
            for n in range(1, CLINICIANS_PER_LOCATION + 1)
        ]
        for i in range(len(places))
    ]
    provider_users = [
        add_user(f"provider{n:04d}@scale.example", None, Role.PROVIDER, "Dr", f"P{n:04d}")
        for n in range(1, counts["providers"] + 1)
    ]
    users.flush()
    for pk in [admin_id, *coordinators, *(c for group in clinicians for c in group)]:
        TOTPDevice.objects.create(user_id=pk, name="scale", key=DEMO_TOTP_KEY, confirmed=True)

    providers = Copier(cursor, ReferringProvider, _cols(ReferringProvider))
    provider_ids = []
    for n, user_id in enumerate(provider_users, start=1):
        pk = providers.new_id()
        provider_ids.append(pk)
        providers.add(
            (pk, joined, joined, user_id, f"Practice {n:04d}", _npi(n), scale_phone(n),
             "", joined, admin_id)
        )  # fmt: skip
    providers.finish()
    # A few practices refer most patients: the busiest provider has thousands of referrals.
    provider_weights = [1 / (rank**0.9) for rank in range(1, len(provider_ids) + 1)]
    log(f"reference rows: {len(places)} locations, {len(provider_ids)} providers")

    # --- staff shifts: 7 a day per location (4 in the morning, 3 in the afternoon) -------------
    shifts = Copier(cursor, StaffShift, _cols(StaffShift))
    for i, place in enumerate(places):
        for day in range(first_day, AHEAD_DAYS + 60):
            date = today + dt.timedelta(days=day)
            pool = clinicians[i]
            rota = [pool[(day + k) % len(pool)] for k in range(7)]
            for k, clinician in enumerate(rota):
                start, end, capacity = (7, 14, 3) if k < 4 else (14, 22, 4)
                starts = dt.datetime.combine(date, dt.time(start), tzinfo=place.tz)
                ends = dt.datetime.combine(date, dt.time(end), tzinfo=place.tz)
                shifts.add(
                    (shifts.new_id(), joined, joined, place.location.pk, clinician,
                     starts.astimezone(utc), ends.astimezone(utc), capacity)
                )  # fmt: skip
    shifts.finish()
    log(f"staff shifts: {shifts.count}")

    # --- patients and their courses -------------------------------------------------------------
    profiles = Copier(cursor, PatientProfile, _cols(PatientProfile))
    consents = Copier(cursor, ContactConsent, _cols(ContactConsent))
    courses = Copier(cursor, Course, _cols(Course))
    course_changes = Copier(cursor, CourseStatusChange, _cols(CourseStatusChange))
    # The sessions' (course, planned) foreign key is not deferrable: courses go in first.
    sessions = Copier(
        cursor,
        InfusionSession,
        _cols(InfusionSession),
        after=(courses,),
        sort_by=_cols(InfusionSession).index("starts_at"),
    )
    messages = Copier(cursor, Message, _cols(Message))
    referrals = Copier(cursor, Referral, _cols(Referral))
    referral_changes = Copier(cursor, ReferralStatusChange, _cols(ReferralStatusChange))
    cases = Copier(cursor, IntakeCase, _cols(IntakeCase))
    attempts = Copier(cursor, CallAttempt, _cols(CallAttempt))
    diagnoses = [code for code, _text_ in MIGRAINE_DIAGNOSES]
    preventives = list(Preventive.values)
    contraindications = list(Contraindication.values)
    checklist_all = [
        "off_label", "self_pay", "course_length", "monitored_iv", "driver", "fasting",
        "reminder_consent",
    ]  # fmt: skip
    reference_number = 0
    phone_number = 0
    gateway_number = 0

    def new_referral(*, created, place, status, patient_id=None, course_id=None, person=None):
        nonlocal reference_number, phone_number
        reference_number += 1
        if person is None:
            phone_number += 1
            first, last = rng.choice(FIRST), rng.choice(LAST)
            person = {
                "first": first,
                "last": last,
                "phone": scale_phone(phone_number),
                "email": f"person{phone_number:06d}@scale.example",
                "dob": dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(18_000)),
                "sex": rng.choice(["female", "female", "male", "other"]),
                "language": "es" if rng.random() < 0.15 else "en",
            }
        pk = referrals.new_id()
        referrals.add(
            (
                pk, created, created, f"R-{today.year}-{reference_number:06d}",
                rng.choices(provider_ids, provider_weights)[0], status, "",
                person["first"], person["last"], normalise_name(person["first"], person["last"]),
                person["dob"], person["sex"], person["phone"], person["email"], person["language"],
                place.location.zip_code, place.location.pk, str(place.tz), True,
                rng.choice(diagnoses), rng.randint(8, 28), rng.randint(1, 30),
                rng.sample(preventives, rng.randint(1, 3)), "", "", "",
                flagged := ([rng.choice(contraindications)] if rng.random() < 0.03 else []),
                not flagged, rng.randint(3, 6), "urgent" if rng.random() < 0.1 else "routine", "",
                patient_id, course_id, None, "",
            )
        )  # fmt: skip
        referral_changes.add((referral_changes.new_id(), pk, "", "received", "", None, created))
        return pk, person

    def message_rows(session_id, patient, start, booked_at, cancelled_at):
        nonlocal gateway_number
        topic = f"session:{session_id}"
        for entry in plan:
            if entry.offset is None:
                send_after = booked_at
            else:
                send_after = start - entry.offset
                if send_after <= booked_at:
                    continue
            channel = patient["channel"] if entry.channel == "preferred" else entry.channel
            address = patient["email"] if channel == "email" else patient["phone"]
            if cancelled_at is not None and send_after > cancelled_at:
                status, sent_at, gateway_id, reason = "cancelled", None, "", "cancelled"
            elif send_after <= now:
                gateway_number += 1
                status, sent_at, gateway_id, reason = (
                    "sent",
                    send_after,
                    f"outbox-{gateway_number}",
                    "",
                )
            else:
                status, sent_at, gateway_id, reason = "scheduled", None, "", ""
            messages.add(
                (
                    messages.new_id(), patient["user_id"], channel, address, entry.template_key,
                    patient["language"], "Your appointment" if channel == "email" else "",
                    f"Harbor Clinic: your appointment is on {start:%a %b %d} at {start:%H:%M} UTC.",
                    "[]", send_after, start, status, reason,
                    f"{topic}:{entry.name}:{start.isoformat()}", topic,
                    1 if status == "sent" else 0, sent_at, None, gateway_id, "", sent_at,
                    booked_at, sent_at or cancelled_at or booked_at,
                )
            )  # fmt: skip

    patient_links: list[tuple[int, int, int, str]] = []
    n_courses = 0
    n_patients = 0
    while n_courses < counts["courses"]:
        place = rng.choices(places, weights)[0]
        n_patients += 1
        start_day = rng.randint(first_day + 30, 7)
        person = None
        patient = None
        first_referral = None
        course_days = []
        wanted = rng.choices([1, 2, 3], [55, 30, 15])[0]
        while start_day <= 7 and len(course_days) < wanted:
            course_days.append(start_day)
            start_day += rng.randint(90, 420)
        for index, start_day in enumerate(course_days):
            n_courses += 1
            course_id = courses.new_id()
            course_created = dt.datetime.combine(
                today + dt.timedelta(days=start_day - 21), dt.time(15), tzinfo=utc
            )
            if index == 0:
                referral_created = course_created - dt.timedelta(days=rng.randint(2, 14))
                referral_id, person = new_referral(
                    created=referral_created, place=place, status="intake_complete"
                )
                user_id = add_user(
                    person["email"], person["phone"], Role.PATIENT, person["first"],
                    person["last"], language=person["language"],
                )  # fmt: skip
                channel = rng.choices(["sms", "email", "voice"], [75, 20, 5])[0]
                patient = {**person, "user_id": user_id, "channel": channel}
                first_referral = (referral_id, referral_created, course_id)
                profiles.add(
                    (profiles.new_id(), course_created, course_created, user_id, person["dob"],
                     person["sex"], place.location.zip_code, str(place.tz), channel)
                )  # fmt: skip
                for consent_channel in ("sms", "voice"):
                    consents.add(
                        (consents.new_id(), person["phone"], consent_channel, user_id, True,
                         "intake", None, "", course_created)
                    )  # fmt: skip
            planned = rng.choices([1, 2, 3, 4, 5, 6], [2, 3, 5, 8, 12, 70])[0]
            recent = start_day >= -3
            awaiting = start_day > 0 and rng.random() < 0.1
            # A recent course has only its first places booked: the rest are free to book.
            to_book = 0 if awaiting else (rng.randint(1, planned) if recent else planned)
            slot = 1
            day = start_day
            first_start = None
            first_day_of_course = day
            pending: list[tuple] = []
            pending_messages: list[tuple] = []
            last_end = None
            booked_any_future = False
            previous_rescheduled = None
            guard = 0
            while slot <= to_book and guard < 20:
                guard += 1
                cell = place.take(day, rng)
                while cell is None and day - first_day_of_course <= 27:
                    day += 1
                    cell = place.take(day, rng)
                if cell is None or day - first_day_of_course > 27:
                    break  # the course ends short: the rules keep it within 28 days
                date = today + dt.timedelta(days=day)
                chair_index, grid = cell
                local = dt.datetime.combine(date, OPENS, tzinfo=place.tz) + dt.timedelta(
                    minutes=SLOT_MINUTES * grid
                )
                start = local.astimezone(utc)
                if first_start is None:
                    first_start, first_day_of_course = start, day
                booked_at = max(course_created, start - dt.timedelta(days=rng.randint(2, 20)))
                if start > now:
                    status = "booked"
                else:
                    status = rng.choices(
                        ["completed", "no_show", "cancelled", "rescheduled"], [82, 4, 7, 7]
                    )[0]
                cancelled_at = None
                changed_at = None
                if status in ("cancelled", "rescheduled"):
                    cancelled_at = max(booked_at, start - dt.timedelta(days=rng.randint(1, 4)))
                    changed_at = cancelled_at
                elif status in ("completed", "no_show"):
                    changed_at = start + dt.timedelta(minutes=SLOT_MINUTES)
                active = status in ("booked", "completed")
                session_id = sessions.new_id()
                pending.append(
                    (
                        session_id, booked_at, changed_at or booked_at, course_id,
                        patient["user_id"],
                        place.location.pk, planned, slot, place.chairs[chair_index], start,
                        start + dt.timedelta(minutes=INFUSION_MINUTES),
                        start + dt.timedelta(minutes=SLOT_MINUTES), date, status,
                        None, False, previous_rescheduled, patient["user_id"], None, changed_at,
                    )
                )  # fmt: skip
                pending_messages.append((session_id, patient, start, booked_at, cancelled_at))
                previous_rescheduled = session_id if status == "rescheduled" else None
                if active:
                    slot += 1
                    last_end = start
                    booked_any_future |= status == "booked"
                # The next infusion two to five days later (the rules ask for 48 hours).
                day += rng.randint(2, 5) if active or status == "no_show" else 2
            if awaiting:
                course_status = "awaiting_review"
            elif (
                booked_any_future or recent or (last_end and last_end > now - dt.timedelta(days=7))
            ):
                course_status = "active"
            else:
                course_status = "cancelled" if rng.random() < 0.04 else "completed"
            if index < len(course_days) - 1 and course_status in ("active", "awaiting_review"):
                course_status = "completed"  # only a patient's last course may still be open
            courses.add(
                (course_id, course_created, course_created, patient["user_id"], place.location.pk,
                 session_type.pk, planned, course_status, awaiting, "", coordinators[0], [])
            )  # fmt: skip
            for row in pending:
                sessions.add(row)
            for args in pending_messages:
                message_rows(*args)
            course_changes.add(
                (course_changes.new_id(), course_id, "",
                 "awaiting_review" if awaiting else "active", None, None, None, "",
                 course_created)
            )  # fmt: skip
            if course_status in ("completed", "cancelled"):
                course_changes.add(
                    (course_changes.new_id(), course_id, "active", course_status, None, None,
                     None, "", (last_end or course_created) + dt.timedelta(hours=2))
                )  # fmt: skip
        # The patient's referral, its closed intake case and the referral's status today.
        referral_id, referral_created, first_course = first_referral
        final = {
            "active": "in_treatment",
            "awaiting_review": "intake_complete",
            "completed": "course_complete",
            "cancelled": "declined",
        }[course_status]
        intake_done = referral_created + dt.timedelta(days=rng.randint(1, 6))
        for before, after in (("received", "contacting"), ("contacting", "intake_complete")):
            referral_changes.add(
                (referral_changes.new_id(), referral_id, before, after, "", coordinators[0],
                 intake_done)
            )  # fmt: skip
        if final != "intake_complete":
            referral_changes.add(
                (referral_changes.new_id(), referral_id, "intake_complete", final, "", None,
                 intake_done + dt.timedelta(days=3))
            )  # fmt: skip
        # The referral row was written with intake_complete; its final status and links are
        # patched in one UPDATE at the end (COPY cannot refer back).
        patient_links.append((referral_id, patient["user_id"], first_course, final))
        case_id = cases.new_id()
        cases.add(
            (case_id, referral_created, intake_done, referral_id, "closed", intake_done,
             "intake_complete", False, str(place.tz), None, None, None, None, checklist_all, 1,
             intake_done, intake_done, intake_done)
        )  # fmt: skip
        attempts.add(
            (attempts.new_id(), case_id, rng.choice(coordinators), "intake_complete", "", None, "",
             intake_done)
        )  # fmt: skip
    log(f"patients: {n_patients}, courses: {n_courses}")

    # --- referrals that are still in the call queue, or were closed without a course ----------
    queue_start = max(first_day, -730)
    for kind, total in (("open", counts["open_referrals"]), ("closed", counts["closed_referrals"])):
        for _n in range(total):
            place = rng.choices(places, weights)[0]
            created = now + dt.timedelta(days=rng.uniform(queue_start, -0.01))
            tried = rng.random() < 0.4 if kind == "open" else True
            n_attempts = rng.randint(1, 2) if tried else 0
            if kind == "open":
                status = "contacting" if tried else "received"
                outcome = ""
            else:
                outcome = rng.choice(["declined", "not_eligible", "wrong_number", "no_answer"])
                status = {"no_answer": "unreachable", "wrong_number": "unreachable"}.get(
                    outcome, outcome
                )
                n_attempts = 3 if outcome == "no_answer" else max(1, n_attempts)
            referral_id, _person = new_referral(created=created, place=place, status=status)
            case_id = cases.new_id()
            moments = sorted(
                created + dt.timedelta(hours=rng.uniform(2, 24 * 5)) for _ in range(n_attempts)
            )
            next_attempt = callback = None
            if kind == "open" and tried:
                roll = rng.random()
                if roll < 0.3:
                    next_attempt = now + dt.timedelta(hours=rng.uniform(1, 72))
                elif roll < 0.35:
                    callback = now + dt.timedelta(hours=rng.uniform(-48, 48))
                    next_attempt = callback
            closed_at = moments[-1] if kind == "closed" else None
            cases.add(
                (case_id, created, moments[-1] if moments else created, referral_id,
                 "open" if kind == "open" else "closed", closed_at,
                 {"no_answer": "unreachable"}.get(outcome, outcome), rng.random() < 0.1,
                 str(place.tz), next_attempt, callback, None, None, [], n_attempts,
                 moments[0] if moments else None, None, None)
            )  # fmt: skip
            for i, moment in enumerate(moments):
                last = i == len(moments) - 1
                result = outcome if (kind == "closed" and last) else "no_answer"
                if kind == "open" and last and callback is not None:
                    result = "callback"
                attempts.add(
                    (attempts.new_id(), case_id, rng.choice(coordinators), result, "",
                     callback if result == "callback" else None,
                     "" if result in ("no_answer", "callback") else "seeded", moment)
                )  # fmt: skip
            if tried:
                referral_changes.add(
                    (referral_changes.new_id(), referral_id, "received", "contacting", "",
                     coordinators[0], moments[0])
                )  # fmt: skip
            if kind == "closed":
                referral_changes.add(
                    (referral_changes.new_id(), referral_id, "contacting", status, "seeded",
                     coordinators[0], moments[-1])
                )  # fmt: skip

    for copier in (
        users, profiles, consents, courses, course_changes, sessions, messages, referrals,
        referral_changes, cases, attempts,
    ):  # fmt: skip
        copier.finish()
        log(f"  {copier.table}: {copier.count} rows")

    cursor.execute(
        "CREATE TEMP TABLE scale_links (referral_id bigint, patient_id bigint, course_id bigint, "
        "status varchar(20)) ON COMMIT DROP"
    )
    links = io.StringIO("".join(f"{r}\t{p}\t{c}\t{s}\n" for r, p, c, s in patient_links))
    cursor.copy_expert("COPY scale_links FROM STDIN", links)
    cursor.execute(
        "UPDATE intake_referral r SET patient_id = l.patient_id, course_id = l.course_id, "
        "status = l.status FROM scale_links l WHERE r.id = l.referral_id"
    )
    # Each first course keeps its referral's diagnosis, as intake copies it (course_create).
    cursor.execute(
        "UPDATE scheduling_course c SET diagnosis_codes = ARRAY[r.diagnosis_code] "
        "FROM intake_referral r WHERE r.course_id = c.id AND c.diagnosis_codes = '{}'"
    )
    cursor.execute(
        "SELECT setval('intake_referral_reference_seq', GREATEST(%s, "
        "(SELECT last_value FROM intake_referral_reference_seq)))",
        [reference_number],
    )
    # Deferred constraints (the sessions' composite key to their course) are checked now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("ANALYZE")
    return {copier.table: copier.count for copier in (
        users, profiles, shifts, courses, sessions, messages, referrals, cases, attempts,
    )}  # fmt: skip
