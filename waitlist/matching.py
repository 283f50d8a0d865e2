"""Who a freed time fits, best first.

The windows are read in SQL (days of the week, time of day and dates, in the location's zone,
so a DST day or a patient living in another zone changes nothing); the ranking is a course
already under way first (so courses stay intact), then the longest waiting. Only the best few
are then asked the booking rules scheduling itself applies (notice, the course's spacing and
span, one session a day, a free chair and monitoring capacity), so 5,000 people waiting cost
one indexed query and a handful of checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Exists, OuterRef, Q

from clinic.calling_hours import within_calling_hours
from clinic.messaging.models import Channel
from clinic.messaging.services import (
    address_for,
    consent_allows,
    recipient_channel,
    recipient_zone,
)
from scheduling.availability import check_start, load_snapshot
from scheduling.models import CourseStatus, InfusionSession, SessionStatus

from .models import EntryStatus, FreedSlot, Offer, WaitlistEntry, part_of_day

# A course with an infusion already given is under way: it goes first.
_UNDER_WAY = [SessionStatus.CHECKED_IN, SessionStatus.COMPLETED]


def ranked_entries(slot: FreedSlot):
    """Every waiting entry at the slot's location whose windows hold the slot's local start,
    best first, never one already offered this slot."""
    local = slot.starts_at.astimezone(slot.location.time_zone)
    day = local.date()
    under_way = InfusionSession.objects.filter(course=OuterRef("course"), status__in=_UNDER_WAY)
    return (
        WaitlistEntry.objects.filter(
            location_id=slot.location_id,
            status=EntryStatus.WAITING,
            course__status=CourseStatus.ACTIVE,
            weekdays__contains=[local.weekday()],
            parts_of_day__contains=[part_of_day(local)],
        )
        .filter(Q(earliest_date__isnull=True) | Q(earliest_date__lte=day))
        .filter(Q(latest_date__isnull=True) | Q(latest_date__gte=day))
        .filter(Q(earlier_than__isnull=True) | Q(earlier_than__starts_at__gt=slot.starts_at))
        .exclude(Exists(Offer.objects.filter(slot=slot, entry=OuterRef("pk"))))
        .annotate(under_way=Exists(under_way))
        .select_related(
            "patient__patient_profile", "course__session_type", "earlier_than", "location"
        )
        .order_by("-under_way", "created_at", "id")
    )


def reachable_now(entry: WaitlistEntry, now: dt.datetime) -> bool:
    """A text or e-mail may reach the patient now: inside calling hours in their own zone for a
    text, with consent (never after an opt-out), and an address on file."""
    patient = entry.patient
    channel = offer_channel(entry)
    address = address_for(patient, channel)
    if not address or not consent_allows(address=address, channel=channel):
        return False
    return channel == Channel.EMAIL or within_calling_hours(now, recipient_zone(patient))


def offer_channel(entry: WaitlistEntry) -> str:
    """A text when the patient takes texts (calls cannot carry a link), else e-mail."""
    preferred = recipient_channel(entry.patient)
    if preferred == Channel.EMAIL or not entry.patient.phone:
        return Channel.EMAIL
    return Channel.SMS


def fits_course(entry: WaitlistEntry, slot: FreedSlot, now: dt.datetime) -> bool:
    """Scheduling's own booking rules say this course could take the slot now: a place left in
    the course (or a booked session to move earlier) and a start the rules allow."""
    if entry.earlier_than_id:
        if entry.earlier_than.status != SessionStatus.BOOKED:
            return False
    elif entry.course.sessions.active().count() >= entry.course.planned_sessions:
        return False
    snapshot = load_snapshot(
        course=entry.course,
        location=slot.location,
        start=slot.starts_at - dt.timedelta(days=1),
        end=slot.starts_at + dt.timedelta(days=1),
        now=now,
        ignore_session_id=entry.earlier_than_id,
    )
    chair_id, _reason = check_start(snapshot, slot.starts_at)
    return chair_id is not None


def next_group(slot: FreedSlot, *, size: int, now: dt.datetime) -> tuple[list[WaitlistEntry], bool]:
    """The best `size` entries the slot fits who can be reached now, and whether anyone fits at
    all (someone out of calling hours now may be reachable later)."""
    group: list[WaitlistEntry] = []
    anyone_fits = False
    for entry in _iterate(ranked_entries(slot)):
        if not fits_course(entry, slot, now):
            continue
        anyone_fits = True
        if reachable_now(entry, now):
            group.append(entry)
            if len(group) >= size:
                break
    return group, anyone_fits


def _iterate(queryset) -> Iterator[WaitlistEntry]:
    # Read in pages: the first page nearly always fills the group.
    offset, page = 0, 50
    while True:
        rows = list(queryset[offset : offset + page])
        yield from rows
        if len(rows) < page:
            return
        offset += page
