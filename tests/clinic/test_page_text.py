"""The visible text of each role's key pages, on the demo data at a fixed instant, compared with
a snapshot (tests/clinic/page_text/<page>.txt). The snapshots were captured from the Django
template pages before they moved to Jinja2 (issue 19), so the move is checked to show the same
words, dates and amounts. A deliberate change of wording updates its snapshot, with a note in
the commit.

    PAGE_TEXT_UPDATE=1 .venv/bin/pytest tests/clinic/test_page_text.py   # rewrite the snapshots
"""

import datetime as dt
import difflib
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from billing.models import Estimate
from clinic.models import User
from intake.models import IntakeCase, Referral
from scheduling.models import Course
from tests import clock as test_clock

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SNAPSHOTS = Path(__file__).parent / "page_text"
# Every page is fetched at this instant (the clock ticks, so it is set again before each page).
AT = test_clock.DEFAULT + dt.timedelta(minutes=5)

# Elements that start a new line of text; everything else runs on in the same line.
BLOCKS = {
    "address", "article", "br", "caption", "dd", "details", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "label", "legend", "li", "main", "nav", "ol", "option", "p", "section", "select",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
}  # fmt: skip
HIDDEN = {"script", "style", "template"}
MASKS = [
    (re.compile(r"\bR-(\d{4})-\d{5}\b"), r"R-\1-#####"),  # referral references
    (re.compile(r"(/(?:s|w|welcome|reset)/)[^\s/]+/"), r"\1<token>/"),  # single-use links
]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in HIDDEN:
            self.hidden -= 1
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """One line per block of text, whitespace squeezed: what a reader sees, not the layout."""
    parser = _Text()
    parser.feed(html)
    lines = (re.sub(r"\s+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    text = "\n".join(line for line in lines if line) + "\n"
    # Numbers drawn from database sequences differ from one test database to the next.
    for pattern, mask in MASKS:
        text = pattern.sub(mask, text)
    return text


def _pages():
    """(snapshot name, e-mail of the signed-in user or None, path, language)."""
    maria = User.objects.get(email="patient@mail.example")
    course = Course.objects.filter(patient=maria).order_by("pk").first()
    estimate = Estimate.objects.filter(patient=maria).order_by("-pk").first()
    provider_referral = Referral.objects.filter(provider__user__email="provider@neuro.example")
    referral = provider_referral.order_by("pk").first()
    case = IntakeCase.objects.filter(status="open").order_by("pk").first() or (
        IntakeCase.objects.order_by("pk").first()
    )
    patient, provider = "patient@mail.example", "provider@neuro.example"
    coordinator, clinician, admin = (
        "coordinator@clinic.example",
        "doctor@clinic.example",
        "admin@clinic.example",
    )
    pages = [
        ("visitor-login", None, reverse("login"), "en"),
        ("visitor-password-reset", None, reverse("password_reset"), "en"),
        ("visitor-gfe-rights", None, reverse("billing:gfe_rights"), "en"),
        ("visitor-provider-signup", None, reverse("intake:provider_signup"), "en"),
        ("patient-home", patient, reverse("scheduling:patient_home"), "en"),
        ("patient-home-es", patient, reverse("scheduling:patient_home"), "es"),
        ("patient-book", patient, reverse("scheduling:patient_book"), "en"),
        ("patient-estimate", patient, reverse("billing:my_estimate"), "en"),
        ("patient-estimate-es", patient, reverse("billing:my_estimate"), "es"),
        ("patient-gfe", patient, reverse("billing:gfe", args=[estimate.pk]), "en"),
        ("patient-reminders", patient, reverse("messaging:preferences"), "en"),
        ("patient-reminders-es", patient, reverse("messaging:preferences"), "es"),
        ("provider-home", provider, reverse("intake:provider_home"), "en"),
        ("provider-refer", provider, reverse("intake:referral_create"), "en"),
        ("provider-account", provider, reverse("intake:provider_account"), "en"),
        (
            "provider-referral",
            provider,
            reverse("intake:referral_detail", args=[referral.reference]),
            "en",
        ),
        ("coordinator-queue", coordinator, reverse("intake:queue"), "en"),
        ("coordinator-call", coordinator, reverse("intake:call_screen", args=[case.pk]), "en"),
        ("coordinator-dashboard", coordinator, reverse("intake:dashboard"), "en"),
        ("coordinator-courses", coordinator, reverse("scheduling:coordinator_courses"), "en"),
        (
            "coordinator-course",
            coordinator,
            reverse("scheduling:coordinator_course", args=[course.pk]),
            "en",
        ),
        ("coordinator-estimates", coordinator, reverse("billing:coordinator_list"), "en"),
        ("coordinator-outbox", coordinator, reverse("messaging:outbox"), "en"),
        ("coordinator-replies", coordinator, reverse("messaging:replies"), "en"),
        ("coordinator-operations", coordinator, reverse("clinic:operations"), "en"),
        ("coordinator-chart", coordinator, reverse("intake:patient_chart", args=[maria.pk]), "en"),
        (
            "coordinator-people",
            coordinator,
            reverse("intake:people_search") + f"?q={maria.last_name}",
            "en",
        ),
        (
            "coordinator-consent",
            coordinator,
            reverse("messaging:consent_withdraw", args=[maria.pk]),
            "en",
        ),
        ("clinician-today", clinician, reverse("scheduling:clinician_home"), "en"),
        ("clinician-day", clinician, reverse("scheduling:staff_day"), "en"),
        ("admin-overview", admin, reverse("clinic:admin_home"), "en"),
        # A patient's trail lists events of the same instant in no fixed order: the search is shown.
        ("admin-audit", admin, reverse("clinic:audit_trail") + "?q=Lopez", "en"),
    ]
    return pages


def test_key_pages_show_the_same_text_as_before(client, clock):
    clock.travel(test_clock.DEFAULT)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    update = os.environ.get("PAGE_TEXT_UPDATE") == "1"
    SNAPSHOTS.mkdir(exist_ok=True)
    differences = []
    for name, email, path, language in _pages():
        client.logout()
        client.cookies.pop("django_language", None)
        if email:
            user = User.objects.get(email=email)
            if user.preferred_language != language:
                User.objects.filter(pk=user.pk).update(preferred_language=language)
                user.refresh_from_db()
            client.force_login(user)
        clock.travel(AT)
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, (name, response.status_code)
        text = visible_text(response.content.decode())
        snapshot = SNAPSHOTS / f"{name}.txt"
        if update or not snapshot.exists():
            snapshot.write_text(text)
            continue
        if text != snapshot.read_text():
            diff = difflib.unified_diff(
                snapshot.read_text().splitlines(), text.splitlines(), "before", "now", lineterm=""
            )
            differences.append(f"{name}:\n" + "\n".join(diff))
    User.objects.filter(email="patient@mail.example").update(preferred_language="en")
    assert not differences, "\n\n".join(differences)
