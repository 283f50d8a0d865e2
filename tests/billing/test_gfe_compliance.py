"""The Good Faith Estimate against the rule's own text, 45 CFR 149.610 as the interim final rule
set it (86 FR 56136-56137, October 7, 2021; no later amendment of paragraph (c)(1) was found):
its content (paragraph (c)(1)), the document kept as issued, delivery, and the Spanish version."""

import datetime as dt
import hashlib
import io
import re
from zoneinfo import ZoneInfo

import jinja2
import pytest
from django.db import DatabaseError, transaction
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from billing.models import EstimateDocument, FeeItemKind, GfeObligation, GfePaperRequest
from billing.services import estimate_issue, gfe_record_scheduling
from clinic.messaging.models import Message
from clinic.models import Role
from tests.factories.billing import (
    STANDARD_ITEMS,
    FacilityBillingIdentityFactory,
    LocationFactory,
    fee_schedule,
    patient,
)
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")

ITEMS = [
    *STANDARD_ITEMS,
    (FeeItemKind.DRUG, "J3490", "Ketamine, for one infusion", "75.00", True),
    (FeeItemKind.SEPARATE, "99214", "Follow-up visit after the course", "250.00", False),
]
STARTS = [dt.datetime(2027, 3, d, 9, 0, tzinfo=NY) for d in (9, 16, 23, 30)]

# Where the rule's words below come from. The eCFR page of 149.610 is not among the stored pages
# this was checked against (no internet); the Federal Register text is, as an unofficial
# transcription of 86 FR, October 7, 2021 (dateas.com, one page of the issue per URL):
FR_56136 = "https://www.dateas.com/es/docs/federal-register/2021/10/07?page=458"
FR_56137 = "https://www.dateas.com/es/docs/federal-register/2021/10/07?page=459"  # the next page
# The stored excerpts show the end of (c)(1)(vii) and (viii) to (x), quoted below as stored (the
# transcription drops the parentheses around paragraph numbers, put back here, and apostrophes);
# they stop inside (x). The words of (i) to (vi), the start of (vii) and (xi) were not in them,
# so those paragraph numbers are counted, not read: (vii) is the separately scheduled list (its
# last words run straight into (viii)), so (v) and (vi) are the provider and location paragraphs
# between the codes of (iv) and it. In that transcription "; and" closes (ix), not (x), which
# would make (x) the last paragraph; "not a contract" is cited as (xi) without the text to
# confirm it.
NOT_QUOTED = None

# Every element paragraph (c)(1) of 45 CFR 149.610 requires: the paragraph, the words or values
# that show it on the patient's GFE, and the rule's own words where the stored text has them.
REQUIRED_BY_149_610_C_1 = [
    ("(c)(1)(i) patient name", "Maria Lopez", NOT_QUOTED),
    ("(c)(1)(i) date of birth", "May 17, 1984", NOT_QUOTED),
    ("(c)(1)(ii) primary service, in clear language", "A course of 4 infusions", NOT_QUOTED),
    ("(c)(1)(ii) the date it is scheduled", "Tuesday, March 9, 2027, 9:00 AM EST", NOT_QUOTED),
    ("(c)(1)(iii) itemised list: consultation", "Initial consultation", NOT_QUOTED),
    ("(c)(1)(iii) itemised list: infusion sessions", "IV infusion with monitoring", NOT_QUOTED),
    (
        "(c)(1)(iii) itemised list: the drug on its own line",
        "Ketamine, for one infusion",
        NOT_QUOTED,
    ),
    ("(c)(1)(iv) diagnosis codes", "G43.709", NOT_QUOTED),
    ("(c)(1)(iv) service code of the sessions", "96365", NOT_QUOTED),
    ("(c)(1)(iv) service code of the drug", "J3490", NOT_QUOTED),
    ("(c)(1)(iv) expected charges, per item", "$300.00", NOT_QUOTED),
    ("(c)(1)(v) provider name", "Dev Patel, MD", NOT_QUOTED),
    ("(c)(1)(v) provider NPI", "1245319599", NOT_QUOTED),
    ("(c)(1)(v) facility name", "Harbor Headache & Infusion Clinic, P.C.", NOT_QUOTED),
    ("(c)(1)(v) facility NPI", "1234567893", NOT_QUOTED),
    ("(c)(1)(v) facility TIN", "04-3456789", NOT_QUOTED),
    ("(c)(1)(vi) state and office location", "200 Clarendon Street, Boston, MA 02116", NOT_QUOTED),
    ("(c)(1)(vii) items scheduled separately", "Follow-up visit after the course", NOT_QUOTED),
    (
        "(c)(1)(vii) disclaimer above that list",
        "You will get a separate Good Faith Estimate",
        NOT_QUOTED,
    ),
    (
        "(c)(1)(vii) how to obtain those estimates",
        "To ask for one, call the clinic",
        f"{FR_56137}: '[...] request of such items or services; and include instructions for how "
        "an uninsured or self-pay individual can obtain good faith estimates for such items or "
        "services;'",
    ),
    (
        "(c)(1)(viii) other items may be recommended",
        "must be scheduled or requested separately",
        f"{FR_56137}: '(viii) A disclaimer that informs the uninsured or self-pay individual that "
        "there may be additional items or services the convening provider or convening facility "
        "recommends as part of the course of care that must be scheduled or requested separately "
        "and are not reflected in the good faith estimate;'",
    ),
    (
        "(c)(1)(ix) only an estimate",
        "is only an estimate",
        f"{FR_56137}: '(ix) A disclaimer that informs the uninsured or self-pay individual that "
        "the information provided in the good faith estimate is only an estimate regarding items "
        "or services reasonably expected to be furnished at the time the good faith estimate is "
        "issued to the uninsured or self-pay individual and that actual items, services, or "
        "charges may differ from the good faith estimate; and'",
    ),
    (
        "(c)(1)(ix) actual charges may differ",
        "Actual items, services or charges may differ",
        "the same words of (ix), above",
    ),
    (
        "(c)(1)(x) right to dispute",
        "at least $400 more than this Good Faith Estimate",
        f"{FR_56137}: '(x) A disclaimer that informs the uninsured or self-pay individual of the "
        "uninsured or self-pay individuals right to initiate the patient-provider dispute "
        "resolution process if the actual billed charges are substantially in excess of the "
        "expected charges included in the good faith estimate, as specified in 149.620;'",
    ),
    (
        "(c)(1)(x) where to find how to dispute",
        "www.cms.gov/nosurprises",
        f"{FR_56137}: '(x) [...] this disclaimer must include instructions for where an uninsured "
        "or self-pay individual can find information about how to initiate the patient-provider "
        "dispute resolution process'",
    ),
    (
        "(c)(1)(x) dispute will not affect care",
        "will not adversely affect the quality",
        f"{FR_56137}: '(x) [...] and state that the initiation of the patient-provider dispute "
        "resolution process will no[t ...]' (the stored excerpt ends here)",
    ),
    ("(c)(1)(xi) not a contract", "is not a contract", NOT_QUOTED),
    (
        "(c)(1)(xi) no obligation",
        "You are not required to obtain the items or services",
        NOT_QUOTED,
    ),
]
# And the rule a changed course follows (see tests/scheduling/test_referral_journey.py), (b)(1)(vii)
# at FR_56136: "A convening provider or convening facility must provide an uninsured or self-pay
# individual who has scheduled an item or service with a new good faith estimate if [it]
# anticipates or is notified of any changes to the scope of a good faith estimate such as
# anticipated changes to the expected charges, items, services, frequency, recurrences, duration,
# providers, or facilities [...]; a new good faith estimate must be issued to the uninsured or
# self-pay individual no later than 1 business day before the items or services are scheduled to
# be furnished."


@pytest.fixture
def location():
    location = LocationFactory(name="Boston · Back Bay", address_line="200 Clarendon Street")
    FacilityBillingIdentityFactory(location=location)
    fee_schedule(location, items=ITEMS)
    return location


@pytest.fixture
def maria():
    return patient(user__first_name="Maria", user__last_name="Lopez")


def issue(who, location, n=4, starts=STARTS):
    return estimate_issue(
        patient=who,
        location=location,
        infusion_count=n,
        scheduled_starts=starts[:n],
        diagnosis_codes=["G43.709"],
        issued_by=UserFactory(role=Role.COORDINATOR),
        reason="Sessions booked",
    )


def squash(text: str) -> str:
    text = re.sub(r"\s+", " ", text).replace("&amp;", "&").replace("&#x27;", "'")
    return text.replace("www.cms.gov/ nosurprises", "www.cms.gov/nosurprises")  # a PDF line end


def test_each_quoted_rule_is_the_paragraph_it_is_cited_as():
    for why, _shown, rule in REQUIRED_BY_149_610_C_1:
        paragraph = re.match(r"\(c\)\(1\)\((\w+)\)", why).group(1)
        if rule and rule.startswith("https://") and paragraph != "vii":  # (vii): only its end
            assert f": '({paragraph})" in rule, why


def test_the_gfe_page_has_every_element_149_610_c_1_requires(client, location, maria):
    estimate = issue(maria, location)
    client.force_login(maria)
    page = squash(client.get(reverse("billing:gfe", args=[estimate.pk])).content.decode())
    missing = [why for why, shown, _rule in REQUIRED_BY_149_610_C_1 if shown not in page]
    assert not missing, missing
    # The drug is a line of its own, with its own code, per infusion; the follow-up visit is
    # listed but not added: 450 + 4 x 650 - 300 package + 4 x 75 = 3,050 (+ 139.80 if needed).
    assert "(if needed) (if needed)" not in page and ", if needed" not in page
    assert "$3,050.00" in page and "$3,189.80" in page


def test_the_gfe_pdf_has_every_element_149_610_c_1_requires(client, location, maria):
    estimate = issue(maria, location)
    client.force_login(maria)
    response = client.get(reverse("billing:gfe_pdf", args=[estimate.pk]))
    text = squash(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages))
    missing = [why for why, shown, _rule in REQUIRED_BY_149_610_C_1 if shown not in text]
    assert not missing, missing


CHANGED_TEMPLATE = {
    "billing/partials/_gfe_document.html": "<p>TODAY'S TEMPLATE {{ estimate.number }}</p>"
}


def test_an_issued_gfe_is_kept_as_issued_and_served_unchanged(client, location, maria, settings):
    estimate = issue(maria, location)
    document = EstimateDocument.objects.get(estimate=estimate)
    assert document.sha256 == hashlib.sha256(document.html.encode()).hexdigest()
    assert "Ketamine, for one infusion" in document.html
    # Today's template differs from the one the estimate was issued with (pages are Jinja2).
    pages = dict(settings.TEMPLATES[0])
    pages["OPTIONS"] = {
        **pages["OPTIONS"],
        "loader": jinja2.ChoiceLoader(
            [jinja2.DictLoader(CHANGED_TEMPLATE), jinja2.FileSystemLoader(pages["DIRS"])]
        ),
    }
    templates = [pages, *settings.TEMPLATES[1:]]
    client.force_login(maria)
    with override_settings(TEMPLATES=templates):
        assert "TODAY'S TEMPLATE" in render_to_string(
            "billing/partials/_gfe_document.html", {"estimate": estimate}
        )
        page = client.get(reverse("billing:gfe", args=[estimate.pk])).content.decode()
        pdf = client.get(reverse("billing:gfe_pdf", args=[estimate.pk])).content
    assert document.html in page and "TODAY'S TEMPLATE" not in page
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "TODAY'S TEMPLATE" not in text and "Ketamine" in text
    with pytest.raises(DatabaseError), transaction.atomic():
        EstimateDocument.objects.filter(pk=document.pk).update(html="<p>forged</p>")


def test_the_patient_is_told_by_their_channel_without_amounts_or_codes(location, maria):
    from clinic.messaging import defaults
    from clinic.messaging.models import MessageTemplate, ReminderPlanEntry

    defaults.install(MessageTemplate, ReminderPlanEntry)  # transactional tests flush them
    maria.set_password("a-long-password-1")
    maria.save()
    estimate = issue(maria, location)
    message = Message.objects.get(kind="estimate_ready", recipient=maria)
    assert message.topic == f"estimate:{estimate.number}"
    assert "/my/estimate/" in message.body
    for secret in ("$", "96365", "J3490", "G43", "3,050", "ketamine"):
        assert secret.lower() not in (message.subject + message.body).lower(), secret


def test_the_patient_asks_for_paper_and_staff_see_it_and_print_it(client, location, maria):
    estimate = issue(maria, location)
    client.force_login(maria)
    client.post(reverse("billing:request_paper", args=[estimate.pk]))
    client.post(reverse("billing:request_paper", args=[estimate.pk]))  # asking twice: one
    request = GfePaperRequest.objects.get(estimate=estimate, printed_at__isnull=True)
    coordinator = UserFactory(role=Role.COORDINATOR)
    client.force_login(coordinator)
    page = squash(client.get(reverse("billing:coordinator_list")).content.decode())
    assert "Paper copies asked for" in page and "Maria Lopez" in page.split("Recently issued")[0]
    gfe = client.get(reverse("billing:gfe", args=[estimate.pk])).content.decode()
    assert "data-print" in gfe
    client.post(reverse("billing:paper_printed", args=[request.pk]))
    request.refresh_from_db()
    assert request.printed_by == coordinator and request.printed_at is not None


def test_the_right_to_a_gfe_is_on_a_public_page_linked_from_sign_in(client):
    page = client.get(reverse("billing:gfe_rights"))
    assert page.status_code == 200
    assert "right to receive a “Good Faith Estimate”" in page.content.decode()
    sign_in = client.get(reverse("login")).content.decode()
    assert reverse("billing:gfe_rights") in sign_in


def test_a_scheduled_obligation_is_met_only_by_an_estimate_matching_the_course(location, maria):
    obligation = gfe_record_scheduling(
        patient=maria,
        location=location,
        first_session_start=STARTS[0],
        scheduled_at=dt.datetime(2026, 12, 1, 9, tzinfo=NY),
        infusion_count=4,
        scheduled_starts=STARTS,
    )
    issue(maria, location, n=3)  # three infusions: not the course as scheduled
    obligation.refresh_from_db()
    assert obligation.met_by is None
    other_dates = [s + dt.timedelta(days=1) for s in STARTS]
    issue(maria, location, n=4, starts=other_dates)
    obligation.refresh_from_db()
    assert obligation.met_by is None
    matching = issue(maria, location, n=4)
    obligation.refresh_from_db()
    assert obligation.met_by == matching


def test_a_spanish_speaking_patient_gets_the_whole_gfe_in_spanish(client, location, maria):
    from billing.models import FeeItem

    FeeItem.objects.filter(kind=FeeItemKind.DRUG).update(description_es="Ketamina, por infusión")
    maria.preferred_language = "es"
    maria.save(update_fields=["preferred_language"])
    estimate = issue(maria, location)
    client.force_login(maria)
    page = squash(client.get(reverse("billing:gfe", args=[estimate.pk])).content.decode())
    for spanish in [
        "Estimación de Buena Fe",
        "Ketamina, por infusión",  # the line item, from the fee schedule's Spanish words
        "martes 9 de marzo de 2027",  # dates, lower-case
        "Descuento por paquete prepagado",
        "no afectará",  # the dispute statement
        "Artículos o servicios programados por separado",
    ]:
        assert spanish in page, spanish
    for english in ["Expected charges", "Disclaimer", "Scheduled dates", "Tuesday"]:
        assert english not in page, english
    pdf = client.get(reverse("billing:gfe_pdf", args=[estimate.pk])).content
    text = squash(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert "Ketamina, por infusión" in text and "Cargos previstos" in text
    assert "Expected charges" not in text
    issue(maria, location)  # so that the first is listed among the earlier versions
    mine = squash(client.get(reverse("billing:my_estimate")).content.decode())
    assert "Envíenme una copia en papel" in mine
    assert "dic 2026" in mine and "Dic" not in mine  # Spanish dates are lower-case


def test_issue_gfe_now_names_the_real_cause(client, location, maria):
    from scheduling.services import course_create

    course_create(
        patient=maria,
        location=location,
        planned_sessions=3,
        needs_clinician_review=False,
        created_by=None,
    )
    GfeObligation.objects.create(
        patient=maria,
        location=location,
        trigger="requested",
        triggered_at=dt.datetime(2026, 11, 30, 9, tzinfo=NY),
        due_on=dt.date(2026, 12, 3),
    )
    client.force_login(UserFactory(role=Role.COORDINATOR))
    response = client.post(reverse("billing:issue_for_patient", args=[maria.pk]), follow=True)
    page = response.content.decode()
    assert "needs at least one diagnosis code" in page
    assert "fee schedule" not in page.split("Good Faith Estimates due")[0]
    assert "Could not be issued: A Good Faith Estimate needs at least one diagnosis code" in squash(
        page
    )
