import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from clinic.celery import app
from clinic.formatting import format_date
from intake import services
from intake.models import IntakeCase, Referral, ReferralAttachment, ReferralStatusChange
from tests.factories.intake import ProviderFactory, submit_referral
from tests.factories.scheduling import LocationFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


@pytest.fixture
def provider(client):
    # A fixed name: the e-mail greets the provider, and a random one could share the patient's.
    provider = ProviderFactory(user__first_name="Ruth", user__last_name="Okafor")
    client.force_login(provider.user)
    return provider


@pytest.fixture
def location():
    return LocationFactory(slug="boston", name="Boston")


def form_data(location, **overrides):
    data = {
        "patient_first_name": "Ana",
        "patient_last_name": "Diaz",
        "date_of_birth": "1984-03-02",
        "sex": "female",
        "mobile_phone": "(617) 555-0123",
        "email": "ana@example.test",
        "preferred_language": "es",
        "zip_code": "90012",
        "preferred_location": location.slug,
        "contact_consent": "on",
        "diagnosis_code": "G43.709",
        "headache_days_per_month": "18",
        "years_with_migraine": "12",
        "preventives_tried": ["topiramate", "erenumab"],
        "contraindications": ["pregnancy"],
        "recommended_infusions": "3",
        "urgency": "urgent",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_a_valid_referral_creates_the_referral_its_case_and_history(
    client, provider, location, django_capture_on_commit_callbacks, settings
):
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("intake:referral_create"),
                form_data(location, attachments=[SimpleUploadedFile("notes.pdf", PDF)]),
            )
    finally:
        app.conf.task_always_eager = False
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/provider/referrals/{referral.reference}/submitted/"
    assert referral.status == "received"
    assert referral.reference.startswith("R-20")
    assert str(referral.mobile_phone) == "+16175550123"
    assert str(referral.patient_time_zone) == "America/Los_Angeles"  # from ZIP 90012
    assert IntakeCase.objects.filter(referral=referral, status="open").count() == 1
    assert list(ReferralStatusChange.objects.values_list("to_status", flat=True)) == ["received"]
    attachment = ReferralAttachment.objects.get()
    assert attachment.content_type == "application/pdf"
    assert "var/" in attachment.file.path and "/static" not in attachment.file.path
    # The confirmation page shows the reference; the e-mail carries it without clinical details.
    page = client.get(response["Location"])
    assert referral.reference in page.content.decode()
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert referral.reference in body
    assert "&amp;" not in body  # plain text, not HTML-escaped
    for secret in ("Diaz", "G43", "pregnan", "ketamine", "1984"):
        assert secret.lower() not in body.lower()


def _too_big_exe():
    content = b"MZ\x90\x00" + b"\x00" * (7 * 1024 * 1024)
    return SimpleUploadedFile("scan.pdf", content, content_type="application/pdf")


def test_the_location_list_sends_each_locations_slug_and_keeps_the_choice(
    client, provider, location
):
    """The form's locations are read as plain rows (clinic.forms.ShortModelChoiceField): each
    option sends the slug the form takes, and a form shown again keeps the one chosen."""
    LocationFactory(slug="pasadena", name="Pasadena")
    url = reverse("intake:referral_create")
    page = client.get(url).content.decode()
    assert '<option value="boston">Boston</option>' in page
    assert '<option value="pasadena">Pasadena</option>' in page
    again = client.post(url, form_data(location, patient_last_name="")).content.decode()
    assert '<option value="boston" selected>Boston</option>' in again


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("date_of_birth", {"date_of_birth": "2999-01-01"}, "cannot be in the future"),
        ("date_of_birth", {"date_of_birth": "1890-01-01"}, "more than 120 years ago"),
        ("mobile_phone", {"mobile_phone": "555-12"}, "valid phone number"),
        ("recommended_infusions", {"recommended_infusions": "0"}, "1 to 6 infusions"),
        ("recommended_infusions", {"recommended_infusions": "7"}, "1 to 6 infusions"),
        ("diagnosis_code", {"diagnosis_code": "G44.209"}, "G44.209 is not one of the"),
        ("attachments", {"attachments": "exe"}, "is not a PDF, PNG or JPEG"),
        ("contact_consent", {"contact_consent": ""}, "agreed to it"),
        ("zip_code", {"zip_code": "ABCDE"}, "US ZIP code"),
        ("preventives_other", {"preventives_tried": ["other"]}, "Name the other"),
    ],
)
def test_bad_input_re_renders_with_a_message_on_the_field_and_stores_nothing(
    client, provider, location, field, overrides, message
):
    if overrides.get("attachments") == "exe":
        overrides["attachments"] = [_too_big_exe()]
    response = client.post(reverse("intake:referral_create"), form_data(location, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert f'id="id_{field}-error"' in response.content.decode()
    assert Referral.objects.count() == 0
    assert IntakeCase.objects.count() == 0
    assert ReferralAttachment.objects.count() == 0


def test_more_than_five_attachments_are_refused(client, provider, location):
    files = [SimpleUploadedFile(f"p{i}.png", PNG) for i in range(6)]
    response = client.post(
        reverse("intake:referral_create"), form_data(location, attachments=files)
    )
    assert "at most 5 files" in " ".join(response.context["form"].errors["attachments"])
    assert Referral.objects.count() == 0


def test_a_provider_sees_only_their_own_referrals_and_attachments(client, location):
    mine, theirs = ProviderFactory(), ProviderFactory()
    my_referral = submit_referral(provider=mine, location=location, patient_last_name="Mine")
    their_referral = submit_referral(provider=theirs, location=location, patient_last_name="Theirs")
    their_file = ReferralAttachment.objects.create(
        referral=their_referral,
        file=SimpleUploadedFile("x.pdf", PDF),
        original_name="x.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
    )
    client.force_login(mine.user)
    listing = client.get(reverse("intake:provider_home")).content.decode()
    assert my_referral.reference in listing and their_referral.reference not in listing
    assert client.get(f"/referrals/{their_referral.reference}/").status_code == 404
    assert client.get(f"/referrals/attachments/{their_file.pk}/").status_code == 404
    client.force_login(theirs.user)
    download = client.get(f"/referrals/attachments/{their_file.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_staff_can_download_an_attachment_and_a_patient_cannot(client, location, make_user):
    referral = submit_referral(location=location)
    attachment = ReferralAttachment.objects.create(
        referral=referral,
        file=SimpleUploadedFile("x.png", PNG),
        original_name="x.png",
        content_type="image/png",
        size=len(PNG),
        sha256="0" * 64,
    )
    client.force_login(make_user(role="coordinator"))
    assert client.get(f"/referrals/attachments/{attachment.pk}/").status_code == 200
    client.force_login(make_user(role="patient"))
    assert client.get(f"/referrals/attachments/{attachment.pk}/").status_code == 403


def test_the_list_filters_by_status_searches_by_name_or_reference_and_paginates(client, location):
    provider = ProviderFactory()
    referrals = [
        submit_referral(
            provider=provider,
            location=location,
            patient_last_name=f"Person{chr(97 + i)}x",
            mobile_phone=f"+1617555{i:04d}",
        )
        for i in range(23)
    ]
    services.referral_set_status(referral=referrals[0], status="contacting")
    client.force_login(provider.user)
    url = reverse("intake:provider_home")
    page1 = client.get(url).context["page"]
    assert page1.paginator.count == 23 and len(page1.object_list) == 20
    assert [r.reference for r in client.get(url, {"status": "contacting"}).context["page"]] == [
        referrals[0].reference
    ]
    found = client.get(url, {"q": "personhx"}).context["page"]
    assert [r.reference for r in found] == [referrals[7].reference]
    by_ref = client.get(url, {"q": referrals[3].reference.lower()}).context["page"]
    assert [r.reference for r in by_ref] == [referrals[3].reference]
    fragment = client.get(url, {"q": "personhx"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()
    # The next page keeps the search and the filter.
    searched = client.get(url, {"q": "Person & co", "status": ""}).content.decode()
    assert "Page" not in searched  # nothing matches: no pager
    listing = client.get(url).content.decode()
    assert "Page 1 of 2" in listing
    assert 'href="?status=&amp;q=&amp;page=2">Next</a>' in listing
    second = client.get(url, {"q": "person", "page": 2}).content.decode()
    assert 'href="?status=&amp;q=person&amp;page=1">Previous</a>' in second


def test_attachment_type_comes_from_content_not_name(client, provider, location):
    renamed_png = SimpleUploadedFile("scan.pdf", PNG, content_type="application/pdf")
    client.post(reverse("intake:referral_create"), form_data(location, attachments=[renamed_png]))
    assert ReferralAttachment.objects.get().content_type == "image/png"


def test_each_row_shows_the_patient_the_status_and_the_day_in_the_page_s_language(client, location):
    """The list's rows are plain rows, not referrals: the status label and the day still come
    in the language of each request (the labels are translated once per language, and an
    English page after a Spanish one is English again)."""
    provider = ProviderFactory()
    referral = submit_referral(
        provider=provider, location=location, patient_first_name="Ana", patient_last_name="Diaz"
    )
    services.referral_set_status(referral=referral, status="contacting")
    client.force_login(provider.user)
    url = reverse("intake:provider_home")

    def row(language: str) -> str:
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        return page[page.index(f">{referral.reference}</a>") :].split("</tr>")[0]

    with translation.override("es"):
        day_es = format_date(referral.created_at, "M j, Y")
    day_en = format_date(referral.created_at, "M j, Y")
    for language, status, day in [
        ("es", "Contactando con el paciente", day_es),
        ("en", "Contacting the patient", day_en),
        ("es", "Contactando con el paciente", day_es),
    ]:
        assert row(language).split("<td>")[1:] == [
            "Ana Diaz</td>\n      ",
            f"{status}</td>\n      ",
            f"{day}</td>\n    ",
        ], language
