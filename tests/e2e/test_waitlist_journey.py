"""Journey: a patient cancels; a patient on the waitlist is sent the offer (the coordinator sees
it in the Outbox), opens its link on a phone and books it; a second tap on a taken offer is
answered kindly."""

import datetime as dt
import re

from django.utils import timezone

from clinic.messaging.models import Message
from scheduling.models import InfusionSession, Location
from scheduling.services import course_create, session_book
from tests.factories.messaging import make_patient
from tests.factories.users import PASSWORD
from waitlist.models import FreedSlot
from waitlist.services import entry_join, slot_offer_next_round

from .conftest import sign_in

PHONE_390 = {"width": 390, "height": 844}


def _open_day(days: int, zone) -> dt.date:
    day = timezone.localdate(timezone.now(), zone) + dt.timedelta(days=days)
    while day.weekday() == 6:  # the demo clinic closes on Sundays
        day += dt.timedelta(days=1)
    return day


def _course_for(patient, location):
    return course_create(
        patient=patient,
        location=location,
        planned_sessions=3,
        needs_clinician_review=False,
        created_by=None,
        diagnosis_codes=["G43.709"],
    )


def test_a_cancelled_chair_goes_to_a_waiting_patient_who_books_it_on_a_phone(people, demo_clinic):
    boston = Location.objects.get(slug="boston")
    day = _open_day(4, boston.time_zone)
    starts = dt.datetime(day.year, day.month, day.day, 14, tzinfo=boston.time_zone)
    leaving = make_patient(phone="+16175550171", email="leaving@mail.example")
    session_book(course=_course_for(leaving, boston), starts_at=starts, by=None)
    waiting = make_patient(phone="+16175550172", email="waiting@mail.example")
    entry = entry_join(
        course=_course_for(waiting, boston),
        weekdays=[0, 1, 2, 3, 4, 5],
        parts_of_day=["afternoon"],
        by=waiting,
    )

    # A Spanish-speaking patient waits too, for the same afternoons.
    hablante = make_patient(phone="+16175550173", email="espera@mail.example", language="es")
    entry_join(
        course=_course_for(hablante, boston),
        weekdays=[0, 1, 2, 3, 4, 5],
        parts_of_day=["afternoon"],
        by=hablante,
    )

    # The patient cancels from their course page.
    canceller = people("leaving")
    sign_in(canceller, "leaving@mail.example", PASSWORD)
    page = canceller.goto("/my/")
    page.get_by_role("link", name="Cancel").first.click()
    page.get_by_role("button", name="Yes, cancel this session").click()
    page.get_by_text("Your session is cancelled.").wait_for()

    # The task the cancellation enqueued (no worker runs in tests): the first round.
    slot = FreedSlot.objects.get(starts_at=starts)
    assert slot_offer_next_round(slot_id=slot.pk) == 2
    offer_text = Message.objects.get(recipient=waiting, kind="waitlist_offer")
    texto = Message.objects.get(recipient=hablante, kind="waitlist_offer")
    assert "se abrio un horario," in texto.body.lower()

    # The coordinator sees the offer in the Outbox.
    coordinator = people("coordinator")
    sign_in(coordinator, "coordinator@clinic.example")
    page = coordinator.goto("/messaging/outbox/")
    row = page.locator("#outbox-table tbody tr").filter(has_text=waiting.get_full_name()).first
    assert "/w/" in row.inner_text()
    coordinator.check("w1-outbox-offer")

    # The Spanish speaker opens hers first: the page speaks Spanish, on a phone.
    ruta = re.search(r"https?://[^/]+(/w/[^/\s]+/)", texto.body)[1]
    telefono = people("espera")
    telefono.page.set_viewport_size(PHONE_390)
    pagina = telefono.goto(ruta)
    pagina.get_by_role("heading", name="Se abrió un horario para usted").wait_for()
    assert re.search(r"\d\d:\d\d E[SD]T", pagina.inner_text("main"))  # Spanish: 24-hour
    telefono.check("w2-offer-phone-es")

    # The waiting patient opens the link on a phone, sees the time with its zone, and takes it.
    path = re.search(r"https?://[^/]+(/w/[^/\s]+/)", offer_text.body)[1]
    phone = people("waiting")
    phone.page.set_viewport_size(PHONE_390)
    page = phone.goto(path)
    page.get_by_role("heading", name="A time opened up for you").wait_for()
    assert re.search(r"\d:\d\d [AP]M E[SD]T", page.inner_text("main"))
    phone.check("w2-offer-phone")
    page.get_by_role("button", name="Take this time").click()
    page.get_by_role("heading", name="It is yours").wait_for()
    phone.check("w3-offer-booked-phone")
    booked = InfusionSession.objects.get(course=entry.course)
    assert booked.starts_at == starts and booked.status == "booked"

    # Opened again, the link says it is booked; the slot is filled.
    page = phone.goto(path)
    page.get_by_role("heading", name="It is yours").wait_for()
    slot.refresh_from_db()
    assert slot.status == "filled"

    # Too late for the Spanish speaker: told kindly, in Spanish, that she stays on the list.
    pagina = telefono.goto(ruta)
    pagina.get_by_role("heading", name="Lo sentimos, este horario ya no está disponible").wait_for()
    assert "sigue en la lista de espera" in pagina.inner_text("main")
    telefono.check("w3-offer-gone-phone-es")

    # The coordinators' waitlist: each patient's windows and the offers made.
    page = coordinator.goto("/coordinator/waitlist/")
    page.get_by_role("heading", level=1).wait_for()
    assert hablante.get_full_name() in page.inner_text("main")
    coordinator.check("w4-coordinator-waitlist")
