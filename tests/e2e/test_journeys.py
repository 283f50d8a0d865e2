"""The three journeys of issue 8, in headless chromium. Each saves screenshots of its key pages
to var/screenshots/ and checks them with axe-core (no serious or critical violation)."""

from __future__ import annotations

import datetime as dt
import re
from itertools import pairwise

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

# The smallest file filetype accepts as a PDF (it checks content, not the name).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PROVIDER_PASSWORD = "Referral-journey-2026"


def valid_npi(stem: str) -> str:
    """A 10-digit NPI whose Luhn check digit (with the 80840 prefix) is right."""
    digits = [int(d) for d in "80840" + stem]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return stem + str((10 - total % 10) % 10)


def provider_signs_up_and_is_approved(people) -> tuple:
    provider = people("provider")
    page = provider.goto("/accounts/login/")
    provider.check("j1-01-sign-in")
    page.get_by_role("link", name="Create a provider account").click()
    page.get_by_label("First name").fill("Renata")
    page.get_by_label("Last name").fill("Okonkwo")
    page.get_by_label("Work e-mail").fill("renata@neurology.example")
    page.get_by_label("Practice").fill("Back Bay Neurology")
    page.get_by_label("NPI").fill(valid_npi("198765432"))
    page.locator("#id_phone").fill("617-555-0199")
    page.locator("#id_password").fill(PROVIDER_PASSWORD)
    provider.check("j1-02-provider-sign-up")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/provider/$"))
    provider.check("j1-03-provider-home-unverified")

    admin = people("admin")
    sign_in(admin, "admin@clinic.example")
    page = admin.goto("/admin/intake/referringprovider/")
    admin.page.get_by_role("row", name=re.compile("Renata")).get_by_role("checkbox").check()
    admin.page.select_option("select[name=action]", "approve")
    admin.page.get_by_role("button", name="Go").click()
    admin.page.get_by_text("1 provider(s) verified.").wait_for()
    admin.shot("j1-04-admin-approves-provider")
    return provider, admin


def provider_refers(provider) -> str:
    page = provider.page
    page.get_by_role("link", name="Refer a patient").first.click()
    page.get_by_label("Legal first name", exact=False).first.fill("Ana")
    page.get_by_label("Legal last name", exact=False).first.fill("Díaz")
    page.get_by_label("Date of birth").fill("1984-03-02")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Mobile phone").fill("617-555-0123")
    page.locator("#id_email").fill("ana.diaz@mail.example")
    page.get_by_label("ZIP code").fill("02116")
    page.get_by_label("Preferred clinic location").select_option(label="Boston · Back Bay")
    page.get_by_label(re.compile("patient agreed to be contacted")).check()
    page.get_by_label("Migraine diagnosis", exact=False).select_option("G43.709")
    page.get_by_label("Headache days per month").fill("18")
    page.get_by_label("Years with migraine").fill("12")
    page.get_by_label("Topiramate").check()
    page.get_by_label("Propranolol").check()
    page.get_by_label(re.compile("None of these apply")).check()
    page.get_by_label("Recommended number of infusions", exact=False).fill("3")
    page.get_by_label("Attachments", exact=False).set_input_files(
        files=[{"name": "clinic-note.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    provider.check("j1-05-referral-form")
    page.get_by_role("button", name="Send referral").click()
    page.wait_for_url(re.compile(r"/submitted/$"))
    provider.check("j1-06-referral-submitted")
    reference = page.locator("main strong").first.inner_text()
    page.get_by_role("button", name="View the referral").click()
    page.get_by_text("clinic-note.pdf").wait_for()
    provider.check("j1-07-referral-received")
    return reference


def test_journey_1_provider_signs_up_is_approved_and_refers(people, demo_clinic):
    provider, _admin = provider_signs_up_and_is_approved(people)
    reference = provider_refers(provider)
    provider.goto("/provider/")
    row = provider.page.get_by_role("row", name=re.compile(reference))
    assert "Received" in row.inner_text()
    assert "awaiting verification" not in provider.page.content()
    provider.check("j1-08-provider-home")


def referral_waiting(**overrides):
    """A provider (signing in with the factories' password) and one referral in the queue."""
    from scheduling.models import Location
    from tests.factories.intake import ProviderFactory, submit_referral
    from tests.factories.users import PASSWORD

    provider = ProviderFactory(user__email="referrer@neuro.example", user__first_name="Priya")
    referral = submit_referral(
        provider=provider,
        location=Location.objects.get(slug="boston"),
        email="ana.diaz@mail.example",
        **overrides,
    )
    return provider.user.email, PASSWORD, referral


def tick(page, box) -> None:
    """Ticks a checklist point and waits for the server's answer (waiting for 'networkidle'
    returns at once once a page has been idle, so it never waited for HTMX)."""
    with page.expect_response(re.compile(r"/checklist/$")):
        box.check()


def coordinator_completes_intake(people, reference: str, *, planned: int = 3):
    coordinator = people("coordinator")
    sign_in(coordinator, "coordinator@clinic.example")
    page = coordinator.goto("/intake/queue/")
    coordinator.check("j2-01-call-queue")
    page.get_by_role("button", name="Next call").click()
    page.wait_for_url(re.compile(r"/intake/cases/\d+/$"))
    boxes = page.locator("#checklist input[type=checkbox]")
    # Tick the first half now, each tick saved by HTMX before the next.
    for i in range(3):
        tick(page, boxes.nth(i))
    coordinator.check("j2-02-call-screen-checklist")
    page.get_by_label("No answer").check()
    page.get_by_role("button", name="Save the call").click()
    page.get_by_text("Call logged").first.wait_for()
    coordinator.check("j2-03-no-answer-logged")

    # Later (the retry delay is 0 in these tests): the same patient comes up again.
    page = coordinator.goto("/intake/queue/")
    page.get_by_role("button", name="Next call").click()
    page.wait_for_url(re.compile(r"/intake/cases/\d+/$"))
    assert reference in page.content()
    boxes = page.locator("#checklist input[type=checkbox]")
    for i in range(boxes.count()):
        if not boxes.nth(i).is_checked():
            tick(page, boxes.nth(i))
    page.get_by_text("All points covered").wait_for()
    page.get_by_label("Reached: intake complete").check()
    page.get_by_label("Planned infusions").fill(str(planned))
    coordinator.check("j2-04-completing-intake")
    page.get_by_role("button", name="Save the call").click()
    page.get_by_text("Call logged").first.wait_for()
    coordinator.check("j2-05-intake-complete")
    return coordinator


def test_journey_2_coordinator_works_the_queue_to_intake_complete(people, demo_clinic):
    email, password, referral = referral_waiting()
    coordinator_completes_intake(people, referral.reference)
    provider = people("provider")
    sign_in(provider, email, password)
    page = provider.goto(f"/referrals/{referral.reference}/")
    assert "Intake complete" in page.locator("main").inner_text()
    provider.check("j2-06-provider-sees-intake-complete")


def _weekday_ahead(days: int):
    """A Monday-to-Friday date at least `days` ahead in Boston (the demo clinic opens Mon-Sat)."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    day = timezone.now().astimezone(ZoneInfo("America/New_York")).date() + dt.timedelta(days)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def outbox_rows(page, name: str) -> str:
    """The text of `name`'s rows on every page of the outbox, from the current one on."""
    texts = []
    while True:
        rows = page.locator("#outbox-table tbody tr").filter(has_text=name)
        texts += rows.all_inner_texts()
        older = page.get_by_role("link", name="Older")
        if not older.count():
            return "\n".join(texts)
        older.click()
        page.wait_for_load_state()


def htmx_idle(page) -> None:
    """Waits until no HTMX request is in flight (htmx marks its element while one is)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def times_shown_for(page, day) -> None:
    """Waits until the booking page shows `day` (its heading, in Spanish) and HTMX is idle."""
    from django.utils import translation

    from clinic.formatting import format_date

    with translation.override("es"):
        label = format_date(day, "l j F")  # Spanish day and month names are lower-case
    page.locator("#day-heading", has_text=label).wait_for()
    htmx_idle(page)


def pick_day(page, day) -> None:
    """Taps `day` in the booking page's strip of days (an HTMX swap) and waits for it."""
    page.locator(f'.day-strip a[href*="date={day.isoformat()}"]').click()
    times_shown_for(page, day)


def _open_day_after(day):
    """The next day after `day` the demo clinic opens (Monday to Saturday, staffed)."""
    day += dt.timedelta(days=1)
    while day.weekday() == 6:
        day += dt.timedelta(days=1)
    return day


def test_journey_3_spanish_speaking_patient_books_moves_and_sees_reminders(people, demo_clinic):
    """In Spanish, from the referral's preferred language: invitation, password, estimate, GFE
    acknowledged, a course of four planned with one proposed time changed and booked as changed,
    one session moved, the reminders for them on the patient's page and in the coordinator's
    outbox; the provider sees 'Scheduled'."""
    from zoneinfo import ZoneInfo

    from django.utils import formats, timezone, translation

    from clinic.messaging.models import Message
    from clinic.messaging.selectors import reminders_for_patient
    from scheduling.models import InfusionSession

    email, password, referral = referral_waiting(preferred_language="es")
    coordinator = coordinator_completes_intake(people, referral.reference, planned=4)
    referral.refresh_from_db()
    assert referral.preferred_language == "es", referral.preferred_language
    ana = referral.patient
    assert ana.preferred_language == "es"
    invite = Message.objects.get(kind="portal_invitation", channel="sms")
    assert invite.language == "es"
    path = re.search(r"https?://[^/]+(/welcome/\S+/)", invite.body).group(1)

    patient = people("patient")
    page = patient.goto(path)
    assert page.locator("html").get_attribute("lang") == "es"
    patient.check("j3-01-invitation", phone=True)
    page.get_by_label("Elija una contraseña").fill("Nueva-clave-2026")
    page.get_by_label("Repita la contraseña").fill("Nueva-clave-2026")
    page.get_by_role("button", name="Guardar y continuar").click()
    page.get_by_text("Su contraseña está guardada").wait_for()
    patient.check("j3-02-my-course", phone=True)

    page.get_by_role("link", name="Mi presupuesto").click()
    patient.check("j3-03-my-estimate", phone=True)
    page.get_by_role("button", name="Leer su Estimación de Buena Fe").click()
    page.get_by_role("heading", name="Estimación de Buena Fe").first.wait_for()
    patient.check("j3-04-good-faith-estimate", phone=True)
    page.go_back()
    page.get_by_role("button", name="He recibido mi Estimación de Buena Fe").click()
    page.get_by_text("hemos registrado que recibió su presupuesto").wait_for()
    patient.check("j3-05-estimate-acknowledged", phone=True)

    # Plan the course from the first free time of a weekday at least 3 days ahead (past the
    # 24 h notice, inside the staffed weeks the demo seeds from today, whatever today is).
    page.get_by_role("link", name="Mi tratamiento").first.click()
    page.get_by_role("button", name="Reservar una sesión").click()
    assert "Primera hora libre:" in page.locator("main").inner_text()
    # A day inside the booking notice says why it has no times.
    today = timezone.now().astimezone(ZoneInfo("America/New_York")).date()
    pick_day(page, today)
    page.get_by_text("Demasiado pronto: las reservas necesitan").wait_for()
    patient.check("j3-06a-no-times-too-soon", phone=True)
    first_day = _weekday_ahead(3)
    pick_day(page, first_day)
    patient.check("j3-06-book-a-session", phone=True)
    # "My 4 sessions" is chosen already: the first time's chip opens the proposed plan.
    page.locator("#times ul.times button").first.click()
    page.wait_for_url(re.compile(r"/my/plan/"))
    starts = page.locator("input[name=starts]")
    assert starts.count() == 4, page.locator("main").inner_text()
    main_text = page.locator("main").inner_text()
    assert "EST" in main_text or "EDT" in main_text
    assert "Sesión 1 de 4" in main_text and "Sesión 4 de 4" in main_text
    proposed = [
        dt.datetime.strptime(starts.nth(i).input_value(), "%Y-%m-%dT%H:%M") for i in range(4)
    ]
    # One time changed: the third session a day later than proposed, at the same hour (still
    # 48 hours before the fourth, or the fourth moves on by as much).
    later = proposed[2] + dt.timedelta(days=1)
    while later.weekday() == 6:  # the demo clinic is closed on Sundays
        later += dt.timedelta(days=1)
    wanted = [*proposed[:2], later, max(proposed[3], later + dt.timedelta(days=2))]
    while wanted[3].weekday() == 6:
        wanted[3] += dt.timedelta(days=1)
    for i in (2, 3):
        starts.nth(i).fill(wanted[i].strftime("%Y-%m-%dT%H:%M"))
    patient.check("j3-07-plan-my-course", phone=True)
    # By keyboard: the button takes the focus and Enter books all four in one step.
    page.get_by_role("button", name="Reservar todas").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Ya tiene su reserva").wait_for()
    booked = list(
        InfusionSession.objects.filter(patient=ana, status="booked").order_by("starts_at")
    )
    assert len(booked) == 4
    assert all(b.starts_at - a.starts_at >= dt.timedelta(hours=48) for a, b in pairwise(booked))
    boston = ZoneInfo("America/New_York")
    # Booked at the times on the page when the patient pressed the button: the changed ones.
    assert [b.starts_at.astimezone(boston).replace(tzinfo=None) for b in booked] == wanted
    assert page.locator("main ul.booked li").count() == 4
    patient.check("j3-08-course-booked", phone=True)

    # Move the last session to the earliest time it can have, by keyboard: the offer, Enter.
    last = booked[-1]
    page.get_by_role("button", name="Volver a mi tratamiento").click()
    page.get_by_role("link", name="Cambiar").last.click()
    page.wait_for_url(re.compile(rf"/my/book/\?session={last.pk}"))
    htmx_idle(page)
    patient.check("j3-09-move-a-session", phone=True)
    page.locator("form.earliest").get_by_role("button", name="Reservar esta hora").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/my/hold/\d+/$"))
    patient.check("j3-10-confirm-the-move", phone=True)
    page.get_by_role("button", name="Cambiar mi sesión a esta hora").press("Enter")
    page.get_by_text("Su sesión se ha cambiado").wait_for()
    patient.check("j3-11-session-moved", phone=True)
    moved = InfusionSession.objects.get(rescheduled_from=last)
    assert moved.status == "booked" and moved.starts_at != last.starts_at

    # The patient's reminders, one card per session: the moved one's retimed, the old ones
    # cancelled and marked, every time with its zone.
    page.get_by_role("link", name="Recordatorios").click()
    page.get_by_role("heading", name="Recordatorios de sus sesiones").wait_for()
    sessions = reminders_for_patient(user=ana)
    assert [s.event_start for s in sessions] == sorted(
        [*(b.starts_at for b in booked[:-1]), last.starts_at, moved.starts_at]
    )
    planned = [m for s in sessions for m in s.messages]
    cards = page.locator("article.reminders")
    assert cards.count() == 5
    assert page.locator("article.reminders li").count() == len(planned)
    old_card = cards.filter(has_text="Cambiada")
    assert old_card.count() == 1
    with translation.override("es"):
        old_time = formats.date_format(last.starts_at.astimezone(boston), "D j b Y, H:i")
    assert old_time in old_card.inner_text()
    assert old_card.locator("li").count() == old_card.locator("li", has_text="Cancelado").count()
    changed = next(m for m in planned if m.kind == "appointment_changed")
    assert changed.not_after == moved.starts_at
    assert page.get_by_text(changed.body[:50]).count() == 1
    assert re.search(r"\d\d:\d\d E[SD]T", cards.first.locator("li").first.inner_text())
    patient.check("j3-12-my-reminders", phone=True)

    # The coordinator's outbox holds the same messages (on whichever of its pages).
    page = coordinator.goto("/messaging/outbox/")
    for status in ("cancelled", "scheduled"):
        page.get_by_label("Status").select_option(status)
        page.wait_for_url(re.compile(f"status={status}"))
        htmx_idle(page)
        coordinator.check(f"j3-13-outbox-{status}")
        shown = " ".join(outbox_rows(page, ana.get_full_name()).split())
        for message in (m for m in planned if m.status == status):
            assert " ".join((message.subject or message.body).split()) in shown, message.kind

    provider = people("provider")
    sign_in(provider, email, password)
    page = provider.goto(f"/referrals/{referral.reference}/")
    assert "Scheduled" in page.locator("main").inner_text()
    provider.check("j3-14-provider-sees-scheduled")
