"""Uploaded documents: oversized, wrongly typed and hostile files are refused, and whatever the
uploader called a file, it is stored under a generated name inside PRIVATE_STORAGE_ROOT."""

import base64
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from intake import services
from intake.models import IntakeCase, Referral, ReferralAttachment
from intake.validators import MAX_ATTACHMENT_BYTES
from tests.factories.intake import ProviderFactory
from tests.factories.scheduling import LocationFactory
from tests.intake.test_api import payload
from tests.intake.test_referral_form import PDF, PNG, form_data

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"^referrals/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|png|jpg)$")


@pytest.fixture
def storage(settings, tmp_path) -> Path:
    root = tmp_path / "private"
    settings.PRIVATE_STORAGE_ROOT = root
    return root


@pytest.fixture
def location():
    return LocationFactory(slug="boston", name="Boston")


@pytest.fixture
def provider(client):
    provider = ProviderFactory()
    client.force_login(provider.user)
    return provider


@pytest.fixture
def api(provider):
    _, key = services.api_token_create(provider=provider, name="EHR")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_stored_safely(attachment: ReferralAttachment, root: Path, content: bytes) -> None:
    assert GENERATED.match(attachment.file.name), attachment.file.name
    path = Path(attachment.file.path).resolve()
    assert path.is_relative_to(root.resolve())
    assert path.read_bytes() == content
    shown = attachment.original_name
    assert "/" not in shown and "\\" not in shown and len(shown) <= 120
    assert all(c.isprintable() for c in shown), repr(shown)


HOSTILE_NAMES = [
    "../../etc/passwd.pdf",
    "..\\..\\Windows\\win.ini.pdf",
    "/etc/passwd",
    "..",
    "notes\x00.exe.pdf",
    "report\r\nX-Injected: yes.pdf",
    "\u202efdp.exe",  # right-to-left override: shows as "exe.pdf"
    "x" * 5000 + ".pdf",
    "",
    "<script>alert(1)</script>.pdf",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_api_hostile_file_names_are_stored_under_generated_names(
    client, api, provider, location, storage, name
):
    body = payload(
        attachments=[{"filename": name, "content_base64": base64.b64encode(PDF).decode()}]
    )
    response = api.post("/api/v1/referrals", body, format="json")
    assert response.status_code == 201, response.content
    attachment = ReferralAttachment.objects.get()
    assert_stored_safely(attachment, storage, PDF)
    assert stored_files(storage) == [Path(attachment.file.path)]
    # The download offers the cleaned name back, in one well-formed header.
    download = client.get(reverse("intake:attachment_download", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;") and "\n" not in disposition


def _raw_multipart(fields: dict, file_name: str, content: bytes) -> tuple[bytes, str]:
    """A browser-made body with a file name no test client would send (it strips folders)."""
    boundary = "----fuzzboundary7MA4YWxkTrZu0gW"
    parts = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                f"{item}\r\n".encode()
            )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
        f'filename="{file_name}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    "name", ["../../../../tmp/evil.pdf", "..%2F..%2Fevil.pdf", "C:\\evil\\..\\x.pdf"]
)
def test_web_form_path_traversal_names_stay_inside_the_private_folder(
    client, provider, location, storage, name
):
    body, content_type = _raw_multipart(form_data(location), name, PDF)
    response = client.post(reverse("intake:referral_create"), body, content_type=content_type)
    assert response.status_code == 302, response.content[:500]
    attachment = ReferralAttachment.objects.get()
    assert_stored_safely(attachment, storage, PDF)
    assert stored_files(storage) == [Path(attachment.file.path)]


def test_a_file_of_exactly_10_mb_is_accepted_and_one_byte_more_is_refused(
    client, provider, location, storage
):
    exactly = PDF + b"\0" * (MAX_ATTACHMENT_BYTES - len(PDF))
    too_big = exactly + b"\0"
    response = client.post(
        reverse("intake:referral_create"),
        form_data(location, attachments=[SimpleUploadedFile("big.pdf", too_big)]),
    )
    assert response.status_code == 200
    assert "big.pdf is larger than 10 MB." in response.context["form"].errors["attachments"]
    assert Referral.objects.count() == ReferralAttachment.objects.count() == 0
    assert stored_files(storage) == []

    response = client.post(
        reverse("intake:referral_create"),
        form_data(location, attachments=[SimpleUploadedFile("big.pdf", exactly)]),
    )
    assert response.status_code == 302
    assert ReferralAttachment.objects.get().size == MAX_ATTACHMENT_BYTES


def test_api_refuses_a_file_of_10_mb_and_one_byte(api, location, storage):
    too_big = PDF + b"\0" * (MAX_ATTACHMENT_BYTES + 1 - len(PDF))
    body = payload(
        attachments=[{"filename": "big.pdf", "content_base64": base64.b64encode(too_big).decode()}]
    )
    response = api.post("/api/v1/referrals", body, format="json")
    assert response.status_code == 400
    assert "larger than 10 MB" in " ".join(response.json()["errors"]["attachments"])
    assert Referral.objects.count() == IntakeCase.objects.count() == 0
    assert stored_files(storage) == []


WRONG_TYPES = {
    "exe renamed .pdf": b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 120,
    "exe with a PDF inside": b"MZ\x90\x00" + b"\0" * 60 + PDF,
    "ELF renamed .pdf": b"\x7fELF\x02\x01\x01" + b"\0" * 60,
    "html renamed .pdf": b"<html><script>alert(1)</script></html>",
    "svg renamed .png": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "zip renamed .pdf": b"PK\x03\x04" + b"\0" * 60,
    "empty .pdf": b"",
    "gif renamed .png": b"GIF89a\x01\x00\x01\x00" + b"\0" * 20,
}


@pytest.mark.parametrize("kind", WRONG_TYPES)
def test_wrongly_typed_files_are_refused_whatever_their_name(
    client, api, provider, location, storage, kind
):
    content = WRONG_TYPES[kind]
    name = "scan.png" if ".png" in kind else "scan.pdf"
    response = client.post(
        reverse("intake:referral_create"),
        form_data(location, attachments=[SimpleUploadedFile(name, content)]),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["attachments"]
    assert (
        f"{name} is not a PDF, PNG or JPEG file." in errors
        or "The submitted file is empty." in errors
    )
    encoded = base64.b64encode(content).decode()
    response = api.post(
        "/api/v1/referrals",
        payload(attachments=[{"filename": name, "content_base64": encoded}]),
        format="json",
    )
    assert response.status_code == 400
    assert "attachments" in response.json()["errors"]
    assert Referral.objects.count() == ReferralAttachment.objects.count() == 0
    assert stored_files(storage) == []


def test_one_bad_file_among_good_ones_stores_none_of_them(client, provider, location, storage):
    files = [
        SimpleUploadedFile("a.pdf", PDF),
        SimpleUploadedFile("b.png", PNG),
        SimpleUploadedFile("c.pdf", WRONG_TYPES["exe renamed .pdf"]),
    ]
    response = client.post(
        reverse("intake:referral_create"), form_data(location, attachments=files)
    )
    assert response.status_code == 200
    assert Referral.objects.count() == ReferralAttachment.objects.count() == 0
    assert stored_files(storage) == []


def test_api_answers_413_in_json_for_a_body_over_the_limit(api, location, storage, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096  # the real limit is 5 files of 10 MB in base64
    encoded = base64.b64encode(PDF + b"\0" * 8192).decode()
    body = payload(attachments=[{"filename": "a.pdf", "content_base64": encoded}])
    response = api.post("/api/v1/referrals", body, format="json")
    assert response.status_code == 413
    assert "too large" in response.json()["errors"]["non_field_errors"][0]
    assert Referral.objects.count() == 0
