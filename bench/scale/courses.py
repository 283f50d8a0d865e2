"""A patient's courses: the planned infusions, the sessions booked and their reminders, and the
course's status history."""

from __future__ import annotations

import datetime as dt

from .plan import INFUSION_MINUTES, OPENS, SLOT_MINUTES


class _Courses:
    """A phase of the recipe (see load._Loader, which holds the state its methods share)."""

    def _course(self, place, patient, course_id, course_created, start_day, *, last) -> str:
        """One course: how many infusions are planned, the sessions booked and their reminders,
        and its status history. Only a patient's last course may still be open. Returns its
        status today."""
        planned = self.rng.choices([1, 2, 3, 4, 5, 6], [2, 3, 5, 8, 12, 70])[0]
        recent = start_day >= -3
        awaiting = start_day > 0 and self.rng.random() < 0.1
        # A recent course has only its first places booked: the rest are free to book.
        to_book = 0 if awaiting else (self.rng.randint(1, planned) if recent else planned)
        pending, pending_messages, last_end, booked_any_future = self._sessions(
            place, patient, course_id, course_created, start_day, planned, to_book
        )
        if awaiting:
            course_status = "awaiting_review"
        elif (
            booked_any_future or recent or (last_end and last_end > self.now - dt.timedelta(days=7))
        ):
            course_status = "active"
        else:
            course_status = "cancelled" if self.rng.random() < 0.04 else "completed"
        if not last and course_status in ("active", "awaiting_review"):
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
        return course_status

    def _sessions(self, place, patient, course_id, course_created, start_day, planned, to_book):
        """The course's sessions, two to five days apart within 28 days: in the past completed,
        no-show, cancelled or rescheduled; in the future booked. Returns the session rows and
        their reminders' arguments (added after the course row: the foreign key is not
        deferrable), the last active start and whether any is still ahead."""
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
        return pending, pending_messages, last_end, booked_any_future

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
                    booked_at, sent_at or cancelled_at or booked_at, None,
                )
            )  # fmt: skip
