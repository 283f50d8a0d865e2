"""Lock order, everywhere: the course row first (SELECT ... FOR UPDATE), then the location-day
advisory locks in ascending key order (see the package's docstring)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection

from clinic.models import User

from ..models import (
    Course,
    InfusionSession,
    Location,
)


def _location_day_key(location_id: int, day: dt.date) -> int:
    # One bigint per (location, local day), in a namespace of its own (0x5C = 'scheduling').
    return (0x5C << 48) | (location_id << 20) | day.toordinal()


def _lock_location_days(location: Location, instants: Iterable[dt.datetime]) -> None:
    """Serialise bookings competing for the same location and local day. Transaction-level
    advisory locks, taken in ascending key order so two multi-day bookings cannot deadlock;
    released at commit or rollback."""
    tz = location.time_zone
    keys = sorted({_location_day_key(location.pk, i.astimezone(tz).date()) for i in instants})
    # All of them in one statement (a course of three takes three days' locks): PostgreSQL
    # evaluates a volatile function of the select list after the ORDER BY, so in key order.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k ORDER BY k", [keys]
        )


_COURSE_RELATED = ("session_type", "location", "patient")


def _lock_course(course: Course) -> Course:
    """The course read again under FOR UPDATE: its slots are read and filled next, one booking
    per course at a time. Its location, session type and patient (with their profile, absent
    for a patient made by hand) come along: the booking and its event's handlers read them.
    Those `course` already holds (the patient's own booking read them with the hold, and the
    patient is the signed-in user) are kept rather than joined again: they are not locked either
    way, and planning the five-table join cost PostgreSQL more than reading the course."""
    fields = [Course._meta.get_field(name) for name in _COURSE_RELATED]
    held = {f.name: f.get_cached_value(course) for f in fields if f.is_cached(course)}
    profile = User._meta.get_field("patient_profile")
    if len(held) < len(fields) or not profile.is_cached(held["patient"]):
        return (
            Course.objects.select_related("session_type", "location", "patient__patient_profile")
            .select_for_update(of=("self",))
            .get(pk=course.pk)
        )
    locked = Course.objects.select_for_update().get(pk=course.pk)
    for field in fields:
        value = held[field.name]
        if getattr(locked, field.attname) == value.pk:  # not changed since it was read
            field.set_cached_value(locked, value)
    return locked


def _span(course: Course, starts_at: dt.datetime) -> list[dt.datetime]:
    return [starts_at, starts_at + course.session_type.total]


def _lock_session(session: InfusionSession) -> tuple[InfusionSession, Course]:
    course = _lock_course(session.course)
    # FOR UPDATE: its status decides what may happen next; taken after the course (lock order).
    session = (
        InfusionSession.objects.select_related("location").select_for_update(of=("self",))
    ).get(pk=session.pk)
    return session, course
