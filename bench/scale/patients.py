"""The patients: their referrals, accounts and consents, and the referral history and closed
intake case each came through."""

from __future__ import annotations

import datetime as dt

from clinic.messaging.models import ContactConsent, Message
from clinic.models import PatientProfile, Role
from intake.clinical import MIGRAINE_DIAGNOSES, Contraindication, Preventive
from intake.models import CallAttempt, IntakeCase, Referral, ReferralStatusChange, normalise_name
from scheduling.models import Course, CourseStatusChange, InfusionSession

from .copier import Copier, _cols
from .plan import FIRST, LAST, scale_phone


class _Patients:
    """A phase of the recipe (see load._Loader, which holds the state its methods share)."""

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
        course_days = self._course_days()
        patient = first_referral = course_status = None
        for index, start_day in enumerate(course_days):
            course_id = self.courses.new_id()
            course_created = dt.datetime.combine(
                self.today + dt.timedelta(days=start_day - 21), dt.time(15), tzinfo=self.utc
            )
            if index == 0:
                patient, first_referral = self._account(place, course_id, course_created)
            course_status = self._course(
                place,
                patient,
                course_id,
                course_created,
                start_day,
                last=index == len(course_days) - 1,
            )
        self._referral_history(place, patient, first_referral, course_status)
        return len(course_days)

    def _course_days(self) -> list[int]:
        """The days (counted from today) the patient's one to three courses start, months apart."""
        start_day = self.rng.randint(self.first_day + 30, 7)
        course_days = []
        wanted = self.rng.choices([1, 2, 3], [55, 30, 15])[0]
        while start_day <= 7 and len(course_days) < wanted:
            course_days.append(start_day)
            start_day += self.rng.randint(90, 420)
        return course_days

    def _account(self, place, course_id, course_created) -> tuple[dict, tuple]:
        """The patient's first referral, their account, profile and contact consents. Returns the
        patient (the person, their user id and channel) and (referral id, created, course id)."""
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
        return patient, first_referral

    def _referral_history(self, place, patient, first_referral, course_status) -> None:
        """The patient's referral, its closed intake case and the referral's status today."""
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
