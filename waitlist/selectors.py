"""Waitlist reads, filtered to what the asker may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch

from clinic.models import User
from scheduling.models import Course, InfusionSession, Location, SessionStatus

from .models import EntryStatus, FreedSlot, Offer, WaitlistEntry


def entry_for_course(*, course: Course) -> WaitlistEntry | None:
    return (
        WaitlistEntry.objects.filter(course=course, status=EntryStatus.WAITING)
        .select_related("earlier_than")
        .first()
    )


def booked_sessions(*, course: Course) -> list[InfusionSession]:
    return list(
        InfusionSession.objects.filter(course=course, status=SessionStatus.BOOKED).order_by(
            "starts_at"
        )
    )


def location_waitlist(*, location: Location) -> list[WaitlistEntry]:
    """Everyone waiting at the location, longest waiting first, with the offers made to them."""
    offers = Offer.objects.select_related("slot").order_by("-sent_at")
    return list(
        WaitlistEntry.objects.filter(location=location, status=EntryStatus.WAITING)
        .select_related("patient", "course", "earlier_than")
        .prefetch_related(Prefetch("offers", queryset=offers))
        .order_by("created_at", "id")
    )


def location_recent_slots(*, location: Location, limit: int = 20) -> list[FreedSlot]:
    return list(FreedSlot.objects.filter(location=location).order_by("-freed_at")[:limit])


def patient_latest_offer(*, patient: User, now) -> Offer | None:
    """The patient's newest offer of the last day that was not accepted: what an accept word
    by text answers (taken or expired ones are answered kindly)."""
    return (
        Offer.objects.filter(
            entry__patient=patient,
            status__in=["pending", "taken", "expired"],
            sent_at__gt=now - dt.timedelta(days=1),
        )
        .select_related("slot__location", "entry")
        .order_by("-sent_at", "-id")
        .first()
    )
