"""Waitlist writes: joining and leaving, a freed time, its rounds of offers, and accepting one.

Accepting books through scheduling's own services (session_book, or session_reschedule for an
earlier time), under their locks and exclusion constraints; accepters of one freed time take
its row lock in turn, and the partial unique index offer_one_accepted refuses a second accepted
offer. Whoever loses gets OfferGone and nothing changes."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import ApplicationError
from clinic.messaging.services import message_schedule, messages_cancel
from clinic.models import Role, User
from scheduling.availability import opening_starts
from scheduling.models import Course, CourseStatus, InfusionSession, Location, SessionStatus
from scheduling.services import (
    SlotTaken,
    default_session_type,
    session_book,
    session_reschedule,
    slot_hold_for_group,
    slot_hold_release,
)

from .matching import next_group, offer_channel
from .models import (
    EntryStatus,
    FreedSlot,
    Offer,
    OfferStatus,
    PartOfDay,
    SlotStatus,
    WaitlistEntry,
    WaitlistRules,
)

OFFER_LINK_SALT = "waitlist.offer"
OFFER_LINK_MAX_AGE = dt.timedelta(days=3)


class OfferGone(ApplicationError):
    """The offer can no longer be taken (expired, taken by someone else, no longer fits)."""

    def __init__(self, message: str | None = None, *, code: str = "offer_gone"):
        super().__init__(
            message or _("Someone else took this time first."),
            code=code,
        )


class OfferRanOut(OfferGone):
    """The time held for the patient ran out before their answer arrived (the slot may still be
    offered to the next group): said as it is, not as 'taken'."""

    def __init__(self):
        super().__init__(
            _(
                "The time held for you ran out before your answer reached us, so it went on to "
                "the next patients waiting."
            ),
            code="offer_ran_out",
        )


def rules_of(location: Location) -> tuple[int, int]:
    """(minutes a round holds the time, patients per round) for the location."""
    rules = WaitlistRules.objects.filter(location=location).first()
    if rules is not None:
        return rules.offer_minutes, rules.group_size
    return settings.WAITLIST_OFFER_MINUTES, settings.WAITLIST_GROUP_SIZE


# --- joining --------------------------------------------------------------------------------


@transaction.atomic
def entry_join(
    *,
    course: Course,
    weekdays: list[int],
    parts_of_day: list[str],
    earliest_date: dt.date | None = None,
    latest_date: dt.date | None = None,
    earlier_than: InfusionSession | None = None,
    by: User,
) -> WaitlistEntry:
    """Put the course on its location's waitlist with these windows (in the location's zone),
    replacing the windows of an entry already waiting. `by` is the patient or a coordinator.
    Raises ApplicationError for a course that cannot be booked or windows that hold no time."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    if by.role == Role.PATIENT and course.patient_id != by.pk:
        raise ApplicationError(_("This course is not yours."))
    if course.status != CourseStatus.ACTIVE:
        raise ApplicationError(_("Only a course that can be booked can wait for a time."))
    weekdays = sorted({int(d) for d in weekdays if 0 <= int(d) <= 6})
    parts = [p for p in PartOfDay.values if p in set(parts_of_day)]
    if not weekdays or not parts:
        raise ApplicationError(_("Choose at least one day and one time of day."))
    if earliest_date and latest_date and latest_date < earliest_date:
        raise ApplicationError(
            _("The latest date must not be before the earliest."), field="latest_date"
        )
    if earlier_than is not None and (
        earlier_than.course_id != course.pk or earlier_than.status != SessionStatus.BOOKED
    ):
        raise ApplicationError(_("Choose one of this course's booked sessions."))
    entry, _created = WaitlistEntry.objects.update_or_create(
        course=course,
        status=EntryStatus.WAITING,
        defaults={
            "patient_id": course.patient_id,
            "location_id": course.location_id,
            "weekdays": weekdays,
            "parts_of_day": parts,
            "earliest_date": earliest_date,
            "latest_date": latest_date,
            "earlier_than": earlier_than,
        },
        create_defaults={
            "patient_id": course.patient_id,
            "location_id": course.location_id,
            "weekdays": weekdays,
            "parts_of_day": parts,
            "earliest_date": earliest_date,
            "latest_date": latest_date,
            "earlier_than": earlier_than,
            "added_by": by,
        },
    )
    return entry


@transaction.atomic
def entry_leave(*, entry: WaitlistEntry) -> None:
    """Take the entry off the waitlist; its pending offers lapse."""
    WaitlistEntry.objects.filter(pk=entry.pk, status=EntryStatus.WAITING).update(
        status=EntryStatus.LEFT, updated_at=timezone.now()
    )
    Offer.objects.filter(entry=entry, status=OfferStatus.PENDING).update(status=OfferStatus.EXPIRED)


# --- a freed time and its rounds ------------------------------------------------------------


def slot_free(
    *,
    location: Location,
    starts_at: dt.datetime,
    now: dt.datetime | None = None,
    source_session_id: int | None = None,
    by: User | None = None,
) -> FreedSlot | None:
    """Record a time that became free at the location and, after commit, offer it to the first
    round of waiting patients. A time already past is not recorded. Runs inside the caller's
    transaction (the cancellation that freed it)."""
    now = now or timezone.now()
    if starts_at <= now:
        return None
    slot = FreedSlot.objects.create(
        location=location,
        starts_at=starts_at,
        freed_at=now,
        source_session_id=source_session_id,
        offered_by=by,
    )
    from .tasks import offer_next_round  # the task calls these services

    offer_next_round.delay_on_commit(slot.pk)
    return slot


# A lifted closure or a new shift opens a stretch of time, not one start: it is offered as
# back-to-back sessions of the usual length, at most this many (a whole week of new shifts
# should not text the whole waitlist at once; the rest stay bookable on the public pages).
OPENED_SLOTS_MAX = 24


def slots_free_opened(
    *,
    location: Location,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime | None = None,
) -> list[FreedSlot]:
    """Record the start times a newly opened stretch [start, end) at the location can hold,
    one session of the usual length after another inside its opening hours, and offer each
    (after commit) as slot_free does. Runs inside the caller's transaction."""
    now = now or timezone.now()
    starts = opening_starts(
        location=location, start=max(start, now), end=end, length=default_session_type().total
    )
    slots = [slot_free(location=location, starts_at=s, now=now) for s in starts[:OPENED_SLOTS_MAX]]
    return [s for s in slots if s is not None]


def offer_url(offer: Offer) -> str:
    """The signed path (no host) of the offer's page."""
    token = signing.dumps({"o": str(offer.nonce)}, salt=OFFER_LINK_SALT, compress=True)
    return reverse("waitlist:offer", args=[token])


@transaction.atomic
def slot_offer_next_round(*, slot_id: int, now: dt.datetime | None = None) -> int:
    """When the slot's current round has run out (or none started), expire its unanswered
    offers and offer the time to the next group: one text or e-mail each, inside calling
    hours, with consent. With nobody left who fits, the slot is marked unfilled; with people
    who fit but cannot be reached now (night, somewhere), it waits for beat's next minute.
    Safe to run twice. Returns how many offers it made."""
    now = now or timezone.now()
    # FOR UPDATE: the round's countdown and beat may run this at the same time.
    slot = FreedSlot.objects.select_for_update().select_related("location").get(pk=slot_id)
    if slot.status != SlotStatus.OFFERING:
        return 0
    if slot.round_expires_at is not None and slot.round_expires_at > now:
        return 0
    slot.offers.filter(status=OfferStatus.PENDING).update(status=OfferStatus.EXPIRED)
    # The last round's hold has run out with it; drop the row so it cannot be mistaken later.
    slot_hold_release(hold_id=slot.hold_id)
    slot.hold_id = None
    minutes, size = rules_of(slot.location)
    group, anyone_fits = next_group(slot, size=size, now=now)
    expires_at = now + dt.timedelta(minutes=minutes)
    if group:
        try:
            # The round holds the time for its group alone: the public booking pages no longer
            # show or accept it until the round ends (scheduling's hold, under its lock).
            slot.hold_id = slot_hold_for_group(
                location=slot.location,
                starts_at=slot.starts_at,
                courses=[e.course for e in group],
                expires_at=expires_at,
                now=now,
            ).pk
        except (SlotTaken, ApplicationError):
            # Booked by someone else since it was freed (or the location stopped taking
            # bookings): there is nothing left to offer.
            group, anyone_fits = [], False
    if not group:
        if anyone_fits:
            slot.round_expires_at = now + dt.timedelta(minutes=1)
        else:
            slot.status = SlotStatus.UNFILLED
        slot.save(update_fields=["status", "round_expires_at", "hold_id"])
        return 0
    slot.round += 1
    slot.round_expires_at = expires_at
    slot.save(update_fields=["round", "round_expires_at", "hold_id"])
    for entry in group:
        _offer_send(slot, entry, minutes=minutes, now=now)
    from .tasks import offer_next_round

    # With the broker down the round still ends: beat's advance_due_rounds finds it.
    transaction.on_commit(
        lambda: offer_next_round.enqueue_or_log((slot.pk,), countdown=minutes * 60 + 1)
    )
    return len(group)


def _offer_send(slot: FreedSlot, entry: WaitlistEntry, *, minutes: int, now: dt.datetime) -> None:
    offer = Offer.objects.create(
        slot=slot, entry=entry, round=slot.round, sent_at=now, expires_at=slot.round_expires_at
    )
    message_schedule(
        recipient=entry.patient,
        # Someone waiting for a first time is not told of "an earlier time".
        kind="waitlist_offer_earlier" if entry.earlier_than_id else "waitlist_offer",
        channel=offer_channel(entry),
        send_after=now,
        context={
            "event_start": slot.starts_at,
            "link": settings.SITE_URL.rstrip("/") + offer_url(offer),
            "minutes": minutes,
        },
        topic=f"waitlist-slot:{slot.pk}",
        dedupe_key=f"waitlist-offer:{offer.pk}",
        not_after=offer.expires_at,
    )


# --- answering an offer ---------------------------------------------------------------------


def offer_resolve(token: str) -> Offer:
    """The offer behind a signed token. Raises ApplicationError when the signature is bad."""
    try:
        data = signing.loads(
            token, salt=OFFER_LINK_SALT, max_age=OFFER_LINK_MAX_AGE.total_seconds()
        )
    except signing.BadSignature as exc:
        raise OfferGone(_("This link no longer works.")) from exc
    offer = (
        Offer.objects.select_related(
            "slot__location", "entry__patient__patient_profile", "entry__earlier_than"
        )
        .filter(nonce=data.get("o") if isinstance(data, dict) else None)
        .first()
    )
    if offer is None:
        raise OfferGone(_("This link no longer works."))
    return offer


def offer_open(offer: Offer, now: dt.datetime) -> bool:
    return (
        offer.status == OfferStatus.PENDING
        and offer.expires_at > now
        and offer.slot.status == SlotStatus.OFFERING
    )


def offer_refusal(offer: Offer, now: dt.datetime) -> OfferGone:
    """Why an offer that is not open can no longer be taken, in the patient's words: its hold
    ran out (the time went on to the next patients), or someone else took it."""
    ran_out = offer.status == OfferStatus.EXPIRED or (
        offer.status == OfferStatus.PENDING and offer.expires_at <= now
    )
    return OfferRanOut() if ran_out and offer.slot.status != SlotStatus.FILLED else OfferGone()


@transaction.atomic
def offer_accept(*, offer: Offer, now: dt.datetime | None = None) -> InfusionSession:
    """Take the offered time, all or nothing: the session is booked (or the booked one moved
    earlier, which frees the old time for the waitlist in turn), the slot is filled, the other
    offers of it lapse and their unsent texts are cancelled, the entry leaves the waitlist.
    Raises OfferGone when it expired, someone else took it, or it no longer fits."""
    now = now or timezone.now()
    # FOR UPDATE, the slot's row first and then the offer's, the order slot_offer_next_round
    # takes them in: accepters of one slot answer one at a time (the loser then finds it
    # filled), a round cannot expire an offer being accepted, and one link opened twice
    # cannot book twice.
    FreedSlot.objects.select_for_update().filter(pk=offer.slot_id).first()
    offer = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("slot__location", "entry__course", "entry__earlier_than", "entry__patient")
        .get(pk=offer.pk)
    )
    if not offer_open(offer, now):
        raise offer_refusal(offer, now)
    try:
        with transaction.atomic():
            # The unique index offer_one_accepted refuses a second accepted offer whatever
            # path leads here.
            Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.ACCEPTED, answered_at=now)
    except IntegrityError as exc:
        raise OfferGone() from exc
    session = _book(offer, now)
    slot = offer.slot
    slot_hold_release(hold_id=slot.hold_id)
    FreedSlot.objects.filter(pk=slot.pk).update(
        status=SlotStatus.FILLED, filled_at=now, hold_id=None
    )
    slot.offers.filter(status=OfferStatus.PENDING).update(status=OfferStatus.TAKEN)
    WaitlistEntry.objects.filter(pk=offer.entry_id).update(
        status=EntryStatus.BOOKED, updated_at=now
    )
    messages_cancel(topic=f"waitlist-slot:{slot.pk}", reason="taken from the waitlist")
    return session


def _book(offer: Offer, now: dt.datetime) -> InfusionSession:
    entry, slot = offer.entry, offer.slot
    try:
        if entry.earlier_than_id:
            return session_reschedule(
                session=entry.earlier_than,
                new_starts_at=slot.starts_at,
                by=entry.patient,
                now=now,
            )
        return session_book(
            course=entry.course,
            starts_at=slot.starts_at,
            by=entry.patient,
            location=slot.location,
            now=now,
        )
    except ApplicationError as exc:
        raise OfferGone() from exc


@transaction.atomic
def slot_offer_by_hand(
    *, location: Location, starts_at: dt.datetime, by: User, now: dt.datetime | None = None
) -> FreedSlot:
    """A coordinator offers a free time to the waitlist (a new shift, a lifted closure).
    Raises ApplicationError for a time already past."""
    now = now or timezone.now()
    slot = slot_free(location=location, starts_at=starts_at, now=now, by=by)
    if slot is None:
        raise ApplicationError(_("Choose a time in the future."), field="starts_at")
    return slot
