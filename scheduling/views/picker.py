"""The time picker every booking page shares (the patient's own booking page, the page a
patient reaches from a 'move' link in a text or e-mail, and the coordinator's booking on a
patient's behalf): the earliest free time, a strip of two weeks of days with how many free times
each has, and the chosen day's times as chips by part of the day, or why it has none. One
snapshot (availability.day_offers) serves all of it; templates: partials/_booking.html and
partials/_other_day.html."""

import datetime as dt
from dataclasses import replace
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.formatting import format_date

from ..availability import DayOffer, day_offers
from ..calendar import clock, patient_zone
from ..forms import DayPickerForm
from ..models import Course, InfusionSession
from .common import _iso, _today

STRIP_DAYS = 14  # the day strip shows two weeks at a time: one snapshot, whatever the history
# Where a day's chips are split: morning before noon, evening from 5 PM (the clinic's clock).
AFTERNOON, EVENING = dt.time(12), dt.time(17)


def _short_when(instant: dt.datetime, tz) -> str:
    """'Thu 10 Dec, 9:30 AM EST': the year goes without saying two weeks ahead."""
    return format_date(instant, "D j M", tz) + ", " + clock(instant, tz)


def _chip_groups(times: list[dt.datetime], tz) -> list[dict]:
    groups = {
        "morning": {"key": "morning", "name": _("Morning"), "chips": []},
        "afternoon": {"key": "afternoon", "name": _("Afternoon"), "chips": []},
        "evening": {"key": "evening", "name": _("Evening"), "chips": []},
    }
    for s in times:
        wall = s.astimezone(tz).time()
        key = "morning" if wall < AFTERNOON else "afternoon" if wall < EVENING else "evening"
        groups[key]["chips"].append({"value": _iso(s), "label": clock(s, tz)})
    return [g for g in groups.values() if g["chips"]]


def _without(offers: list[DayOffer], instant: dt.datetime) -> list[DayOffer]:
    """The offers without the moved session's own time: moving it there changes nothing. A day
    whose only free time it was has none because the patient already has a session then."""
    out = []
    for o in offers:
        times = [t for t in o.times if t != instant]
        if len(times) != len(o.times):
            o = replace(o, times=times, reason="" if times else "yours")
        out.append(o)
    return out


def booking_choice(
    request, course: Course, *, moving: InfusionSession | None = None, keep: dict | None = None
) -> dict:
    """The picker's context. `moving`: the session being moved (its own time neither blocks
    the new one nor is offered); `keep`: query parameters every day link and form carries
    along (the `session` being moved, on the patient's and the coordinator's pages)."""
    location = course.location
    # Unbound until a day is picked: the page then opens on the first day with times.
    form = DayPickerForm(request.GET if "date" in request.GET else None)
    chosen = None
    if form.is_valid():
        location, chosen = form.cleaned_data["location"], form.cleaned_data["date"]
    today = _today(location)
    # Pages of two weeks from today; a chosen day in the past shows the first page.
    page = max((chosen - today).days // STRIP_DAYS, 0) if chosen else 0
    first = today + dt.timedelta(days=page * STRIP_DAYS)
    offers, rules = day_offers(
        course=course,
        location=location,
        first_day=first,
        last_day=first + dt.timedelta(days=STRIP_DAYS - 1),
        ignore_session_id=moving.pk if moving else None,
    )
    if moving is not None:
        offers = _without(offers, moving.starts_at)
    tz = location.time_zone
    first_free = next((o for o in offers if o.times), None)
    by_day = {o.day: o for o in offers}
    offer = by_day.get(chosen) if chosen else first_free or offers[0]
    if chosen is not None and offer is None:  # a day before today
        offer = offers[0]
    keep = dict(keep or {})
    query = {**keep, "location": location.pk}

    def day_url(day: dt.date) -> str:
        return "?" + urlencode({**query, "date": day.isoformat()})

    strip = [
        {
            "day": o.day,
            "weekday": format_date(o.day, "D"),
            "number": o.day.day,
            "date": format_date(o.day, "j F"),
            "count": len(o.times),
            "url": day_url(o.day),
            "selected": o.day == offer.day,
        }
        for o in offers
    ]
    if not form.is_bound:
        form = DayPickerForm(initial={"location": location.pk, "date": offer.day})
    return {
        "form": form,
        "keep": keep,
        "location": location,
        "strip": strip,
        # 'December 2026', or 'December 2026 – January 2027' when the two weeks cross a month.
        "strip_label": " – ".join(
            dict.fromkeys(format_date(o.day, "F Y") for o in (offers[0], offers[-1]))
        ),
        "earlier_url": day_url(first - dt.timedelta(days=STRIP_DAYS)) if page else None,
        "later_url": day_url(first + dt.timedelta(days=STRIP_DAYS)),
        "earliest": (
            {"value": _iso(first_free.times[0]), "label": _short_when(first_free.times[0], tz)}
            if first_free and page == 0
            else None
        ),
        "offer": offer,
        "day_label": format_date(offer.day, "l j F"),
        "groups": _chip_groups(offer.times, tz),
        "zone": format_date(offer.times[0] if offer.times else timezone.now(), "T", tz),
        "notice_hours": rules.min_booking_notice_hours,
        # The signed-in patient is already loaded: no query for the course's patient again.
        "own_tz": patient_zone(
            request.user if request.user.pk == course.patient_id else course.patient
        ),
    }
