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


def _seed(*, scale, seed, now, log):
    return _Loader(scale=scale, seed=seed, now=now, log=log).run()


class _Loader:
    """One run of the recipe. Its phases share the random source, the COPY streams and a few
    counters, and run in the order of run(): each draws from the same random source, so the
    order is part of the data a seed reproduces."""

    def __init__(self, *, scale, seed, now, log):
        self.now, self.log = now, log
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.counts = _counts(scale)
        self.today = now.date()
        self.first_day = -self.counts["days"]
        self.utc = dt.UTC

    def run(self) -> dict:
        self._reference_rows()
        self._staff_shifts()
        self._patients_and_courses()
        self._queue_referrals()
        return self._finish()

    def _reference_rows(self) -> None:
        """Reference rows, through the ORM."""
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
        for place, spec in zip(
            self.places[:2], (PRICES["boston"], PRICES["pasadena"]), strict=True
        ):
            identity = dict(spec["identity"])
            identity["npi"] = _npi(900_000_000 + place.location.pk)
            seed_location(place.location, {**spec, "identity": identity})
        self.session_type = default_session_type()
        self.plan = list(ReminderPlanEntry.objects.filter(is_active=True))

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

        providers = Copier(self.cursor, ReferringProvider, _cols(ReferringProvider))
        self.provider_ids = []
        for n, user_id in enumerate(provider_users, start=1):
            pk = providers.new_id()
            self.provider_ids.append(pk)
            providers.add(
                (pk, self.joined, self.joined, user_id, f"Practice {n:04d}", _npi(n),
                 scale_phone(n),
                 "", self.joined, admin_id)
            )  # fmt: skip
        providers.finish()
        # A few practices refer most patients: the busiest provider has thousands of referrals.
        self.provider_weights = [1 / (rank**0.9) for rank in range(1, len(self.provider_ids) + 1)]
        self.log(
            f"reference rows: {len(self.places)} locations, {len(self.provider_ids)} providers"
        )

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

    def _patients_and_courses(self) -> None:
        """Patients, each with one to three courses over the years, the sessions and reminders of
        each, and the referral and intake call they came through."""
        self._open_streams()
        self.patient_links: list[tuple[int, int, int, str]] = []
        n_courses = n_patients = 0
        while n_courses < self.counts["courses"]:
            n_courses += self._patient()
            n_patients += 1
        self.log(f"patients: {n_patients}, courses: {n_courses}")

    def _open_streams(self) -> None:
        """The COPY streams of the patients' rows, and the choices their referrals draw from."""
        self.profiles = Copier(self.cursor, PatientProfile, _cols(PatientProfile))
        self.consents = Copier(self.cursor, ContactConsent, _cols(ContactConsent))
        self.courses = Copier(self.cursor, Course, _cols(Course))
        self.course_changes = Copier(self.cursor, CourseStatusChange, _cols(CourseStatusChange))
        # The sessions' (course, planned) foreign key is not deferrable: courses go in first.
        self.sessions = Copier(
            self.cursor,
            InfusionSession,
            _cols(InfusionSession),
            after=(self.courses,),
            sort_by=_cols(InfusionSession).index("starts_at"),
        )
        self.messages = Copier(self.cursor, Message, _cols(Message))
        self.referrals = Copier(self.cursor, Referral, _cols(Referral))
        self.referral_changes = Copier(
            self.cursor, ReferralStatusChange, _cols(ReferralStatusChange)
        )
        self.cases = Copier(self.cursor, IntakeCase, _cols(IntakeCase))
        self.attempts = Copier(self.cursor, CallAttempt, _cols(CallAttempt))
        self.diagnoses = [code for code, _text_ in MIGRAINE_DIAGNOSES]
        self.preventives = list(Preventive.values)
        self.contraindications = list(Contraindication.values)
        self.checklist_all = [
            "off_label", "self_pay", "course_length", "monitored_iv", "driver", "fasting",
            "reminder_consent",
        ]  # fmt: skip
        self.reference_number = 0
        self.phone_number = 0
        self.gateway_number = 0

    def _patient(self) -> int:
        """One patient: their referral, account, courses, sessions and reminders. Returns how many
        courses they had."""
        place = self.rng.choices(self.places, self.weights)[0]
        start_day = self.rng.randint(self.first_day + 30, 7)
        person = None
        patient = None
        first_referral = None
        course_days = []
        wanted = self.rng.choices([1, 2, 3], [55, 30, 15])[0]
        while start_day <= 7 and len(course_days) < wanted:
            course_days.append(start_day)
            start_day += self.rng.randint(90, 420)
        for index, start_day in enumerate(course_days):
            course_id = self.courses.new_id()
            course_created = dt.datetime.combine(
                self.today + dt.timedelta(days=start_day - 21), dt.time(15), tzinfo=self.utc
            )
            if index == 0:
                referral_created = course_created - dt.timedelta(days=self.rng.randint(2, 14))
                referral_id, person = self.new_referral(
                    created=referral_created, place=place, status="intake_complete"
                )
                user_id = self.add_user(
                    person["email"], person["phone"], Role.PATIENT, person["first"],
                    person["last"], language=person["language"],
                )  # fmt: skip
                channel = self.rng.choices(["sms", "email", "voice"], [75, 20, 5])[0]
                patient = {**person, "user_id": user_id, "channel": channel}
                first_referral = (referral_id, referral_created, course_id)
                self.profiles.add(
                    (self.profiles.new_id(), course_created, course_created, user_id,
                     person["dob"],
                     person["sex"], place.location.zip_code, str(place.tz), channel)
                )  # fmt: skip
                for consent_channel in ("sms", "voice"):
                    self.consents.add(
                        (self.consents.new_id(), person["phone"], consent_channel, user_id,
                         True,
                         "intake", None, "", course_created)
                    )  # fmt: skip
            planned = self.rng.choices([1, 2, 3, 4, 5, 6], [2, 3, 5, 8, 12, 70])[0]
            recent = start_day >= -3
            awaiting = start_day > 0 and self.rng.random() < 0.1
            # A recent course has only its first places booked: the rest are free to book.
            to_book = 0 if awaiting else (self.rng.randint(1, planned) if recent else planned)
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
                cell = place.take(day, self.rng)
                while cell is None and day - first_day_of_course <= 27:
                    day += 1
                    cell = place.take(day, self.rng)
                if cell is None or day - first_day_of_course > 27:
                    break  # the course ends short: the rules keep it within 28 days
                date = self.today + dt.timedelta(days=day)
                chair_index, grid = cell
                local = dt.datetime.combine(date, OPENS, tzinfo=place.tz) + dt.timedelta(
                    minutes=SLOT_MINUTES * grid
                )
                start = local.astimezone(self.utc)
                if first_start is None:
                    first_start, first_day_of_course = start, day
                booked_at = max(course_created, start - dt.timedelta(days=self.rng.randint(2, 20)))
                if start > self.now:
                    status = "booked"
                else:
                    status = self.rng.choices(
                        ["completed", "no_show", "cancelled", "rescheduled"], [82, 4, 7, 7]
                    )[0]
                cancelled_at = None
                changed_at = None
                if status in ("cancelled", "rescheduled"):
                    cancelled_at = max(booked_at, start - dt.timedelta(days=self.rng.randint(1, 4)))
                    changed_at = cancelled_at
                elif status in ("completed", "no_show"):
                    changed_at = start + dt.timedelta(minutes=SLOT_MINUTES)
                active = status in ("booked", "completed")
                session_id = self.sessions.new_id()
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
                day += self.rng.randint(2, 5) if active or status == "no_show" else 2
            if awaiting:
                course_status = "awaiting_review"
            elif (
                booked_any_future
                or recent
                or (last_end and last_end > self.now - dt.timedelta(days=7))
            ):
                course_status = "active"
            else:
                course_status = "cancelled" if self.rng.random() < 0.04 else "completed"
            if index < len(course_days) - 1 and course_status in ("active", "awaiting_review"):
                course_status = "completed"  # only a patient's last course may still be open
            self.courses.add(
                (course_id, course_created, course_created, patient["user_id"],
                 place.location.pk,
                 self.session_type.pk, planned, course_status, awaiting, "",
                 self.coordinators[0], [])
            )  # fmt: skip
            for row in pending:
                self.sessions.add(row)
            for args in pending_messages:
                self.message_rows(*args)
            self.course_changes.add(
                (self.course_changes.new_id(), course_id, "",
                 "awaiting_review" if awaiting else "active", None, None, None, "",
                 course_created)
            )  # fmt: skip
            if course_status in ("completed", "cancelled"):
                self.course_changes.add(
                    (self.course_changes.new_id(), course_id, "active", course_status, None,
                     None,
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
        intake_done = referral_created + dt.timedelta(days=self.rng.randint(1, 6))
        for before, after in (("received", "contacting"), ("contacting", "intake_complete")):
            self.referral_changes.add(
                (self.referral_changes.new_id(), referral_id, before, after, "",
                 self.coordinators[0],
                 intake_done)
            )  # fmt: skip
        if final != "intake_complete":
            self.referral_changes.add(
                (self.referral_changes.new_id(), referral_id, "intake_complete", final, "",
                 None,
                 intake_done + dt.timedelta(days=3))
            )  # fmt: skip
        # The referral row was written with intake_complete; its final status and links are
        # patched in one UPDATE at the end (COPY cannot refer back).
        self.patient_links.append((referral_id, patient["user_id"], first_course, final))
        case_id = self.cases.new_id()
        self.cases.add(
            (case_id, referral_created, intake_done, referral_id, "closed", intake_done,
             "intake_complete", False, str(place.tz), None, None, None, None, self.checklist_all, 1,
             intake_done, intake_done, intake_done)
        )  # fmt: skip
        self.attempts.add(
            (self.attempts.new_id(), case_id, self.rng.choice(self.coordinators),
             "intake_complete", "", None, "",
             intake_done)
        )  # fmt: skip
        return len(course_days)

    def _queue_referrals(self) -> None:
        """Referrals that are still in the call queue, or were closed without a course."""
        queue_start = max(self.first_day, -730)
        for kind, total in (
            ("open", self.counts["open_referrals"]),
            ("closed", self.counts["closed_referrals"]),
        ):
            for _n in range(total):
                place = self.rng.choices(self.places, self.weights)[0]
                created = self.now + dt.timedelta(days=self.rng.uniform(queue_start, -0.01))
                tried = self.rng.random() < 0.4 if kind == "open" else True
                n_attempts = self.rng.randint(1, 2) if tried else 0
                if kind == "open":
                    status = "contacting" if tried else "received"
                    outcome = ""
                else:
                    outcome = self.rng.choice(
                        ["declined", "not_eligible", "wrong_number", "no_answer"]
                    )
                    status = {"no_answer": "unreachable", "wrong_number": "unreachable"}.get(
                        outcome, outcome
                    )
                    n_attempts = 3 if outcome == "no_answer" else max(1, n_attempts)
                referral_id, _person = self.new_referral(
                    created=created, place=place, status=status
                )
                case_id = self.cases.new_id()
                moments = sorted(
                    created + dt.timedelta(hours=self.rng.uniform(2, 24 * 5))
                    for _ in range(n_attempts)
                )
                next_attempt = callback = None
                if kind == "open" and tried:
                    roll = self.rng.random()
                    if roll < 0.3:
                        next_attempt = self.now + dt.timedelta(hours=self.rng.uniform(1, 72))
                    elif roll < 0.35:
                        callback = self.now + dt.timedelta(hours=self.rng.uniform(-48, 48))
                        next_attempt = callback
                closed_at = moments[-1] if kind == "closed" else None
                self.cases.add(
                    (case_id, created, moments[-1] if moments else created, referral_id,
                     "open" if kind == "open" else "closed", closed_at,
                     {"no_answer": "unreachable"}.get(outcome, outcome), self.rng.random() < 0.1,
                     str(place.tz), next_attempt, callback, None, None, [], n_attempts,
                     moments[0] if moments else None, None, None)
                )  # fmt: skip
                for i, moment in enumerate(moments):
                    last = i == len(moments) - 1
                    result = outcome if (kind == "closed" and last) else "no_answer"
                    if kind == "open" and last and callback is not None:
                        result = "callback"
                    self.attempts.add(
                        (self.attempts.new_id(), case_id, self.rng.choice(self.coordinators),
                         result, "",
                         callback if result == "callback" else None,
                         "" if result in ("no_answer", "callback") else "seeded", moment)
                    )  # fmt: skip
                if tried:
                    self.referral_changes.add(
                        (self.referral_changes.new_id(), referral_id, "received", "contacting", "",
                         self.coordinators[0], moments[0])
                    )  # fmt: skip
                if kind == "closed":
                    self.referral_changes.add(
                        (self.referral_changes.new_id(), referral_id, "contacting", status,
                         "seeded",
                         self.coordinators[0], moments[-1])
                    )  # fmt: skip

    def _finish(self) -> dict:
        """Every stream in, the links patched, the constraints checked; the row counts."""
        for copier in (
            self.users, self.profiles, self.consents, self.courses, self.course_changes,
            self.sessions, self.messages, self.referrals,
            self.referral_changes, self.cases, self.attempts,
        ):  # fmt: skip
            copier.finish()
            self.log(f"  {copier.table}: {copier.count} rows")

        self.cursor.execute(
            "CREATE TEMP TABLE scale_links (referral_id bigint, patient_id bigint, "
            "course_id bigint, "
            "status varchar(20)) ON COMMIT DROP"
        )
        links = io.StringIO("".join(f"{r}\t{p}\t{c}\t{s}\n" for r, p, c, s in self.patient_links))
        self.cursor.copy_expert("COPY scale_links FROM STDIN", links)
        self.cursor.execute(
            "UPDATE intake_referral r SET patient_id = l.patient_id, course_id = l.course_id, "
            "status = l.status FROM scale_links l WHERE r.id = l.referral_id"
        )
        # Each first course keeps its referral's diagnosis, as intake copies it (course_create).
        self.cursor.execute(
            "UPDATE scheduling_course c SET diagnosis_codes = ARRAY[r.diagnosis_code] "
            "FROM intake_referral r WHERE r.course_id = c.id AND c.diagnosis_codes = '{}'"
        )
        self.cursor.execute(
            "SELECT setval('intake_referral_reference_seq', GREATEST(%s, "
            "(SELECT last_value FROM intake_referral_reference_seq)))",
            [self.reference_number],
        )
        # Deferred constraints (the sessions' composite key to their course) are checked now.
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.cursor.execute("ANALYZE")
        return {copier.table: copier.count for copier in (
            self.users, self.profiles, self.shifts, self.courses, self.sessions, self.messages,
            self.referrals, self.cases, self.attempts,
        )}  # fmt: skip

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

    def new_referral(self, *, created, place, status, patient_id=None, course_id=None, person=None):
        self.reference_number += 1
        if person is None:
            self.phone_number += 1
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            person = {
                "first": first,
                "last": last,
                "phone": scale_phone(self.phone_number),
                "email": f"person{self.phone_number:06d}@scale.example",
                "dob": dt.date(1950, 1, 1) + dt.timedelta(days=self.rng.randrange(18_000)),
                "sex": self.rng.choice(["female", "female", "male", "other"]),
                "language": "es" if self.rng.random() < 0.15 else "en",
            }
        pk = self.referrals.new_id()
        self.referrals.add(
            (
                pk, created, created, f"R-{self.today.year}-{self.reference_number:06d}",
                self.rng.choices(self.provider_ids, self.provider_weights)[0], status, "",
                person["first"], person["last"], normalise_name(person["first"], person["last"]),
                person["dob"], person["sex"], person["phone"], person["email"], person["language"],
                place.location.zip_code, place.location.pk, str(place.tz), True,
                self.rng.choice(self.diagnoses), self.rng.randint(8, 28), self.rng.randint(1, 30),
                self.rng.sample(self.preventives, self.rng.randint(1, 3)), "", "", "",
                flagged := (
                    [self.rng.choice(self.contraindications)] if self.rng.random() < 0.03 else []
                ),
                not flagged, self.rng.randint(3, 6),
                "urgent" if self.rng.random() < 0.1 else "routine", "",
                patient_id, course_id, None, "",
            )
        )  # fmt: skip
        self.referral_changes.add(
            (self.referral_changes.new_id(), pk, "", "received", "", None, created)
        )
        return pk, person

    def message_rows(self, session_id, patient, start, booked_at, cancelled_at):
        topic = f"session:{session_id}"
        for entry in self.plan:
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
            elif send_after <= self.now:
                self.gateway_number += 1
                status, sent_at, gateway_id, reason = (
                    "sent",
                    send_after,
                    f"outbox-{self.gateway_number}",
                    "",
                )
            else:
                status, sent_at, gateway_id, reason = "scheduled", None, "", ""
            self.messages.add(
                (
                    self.messages.new_id(), patient["user_id"], channel, address,
                    entry.template_key,
                    patient["language"], "Your appointment" if channel == "email" else "",
                    f"Harbor Clinic: your appointment is on {start:%a %b %d} at {start:%H:%M} UTC.",
                    "[]", send_after, start, status, reason,
                    f"{topic}:{entry.name}:{start.isoformat()}", topic,
                    1 if status == "sent" else 0, sent_at, None, gateway_id, "", sent_at,
                    booked_at, sent_at or cancelled_at or booked_at,
                )
            )  # fmt: skip
