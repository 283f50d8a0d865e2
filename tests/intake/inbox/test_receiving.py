"""The fax webhook and staff uploads: signed, typed by content, bounded; hostile documents are
refused or bounded without harm, never a 500, nothing stored on refusal."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfWriter

from clinic.errors import ApplicationError
from intake.inbox import documents, services
from intake.inbox.webhook import signature_for
from intake.models import InboundDocument, InboundSource, InboundStatus

from .conftest import receive

URL = "/intake/inbox/fax"


def multipart(fields: dict, file_bytes: bytes | None, name="fax.tif") -> tuple[bytes, str]:
    boundary = "----faxboundary7d2"
    parts = []
    for key, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    if file_bytes is not None:
        parts.append(
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + file_bytes
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_fax(client, body: bytes, content_type: str, secret="test-fax-secret", **headers):
    headers.setdefault("HTTP_X_FAX_SIGNATURE", signature_for(body, secret))
    return client.generic("POST", URL, body, content_type=content_type, **headers)


def pdf_with_pages(n: int, width=612, height=792) -> bytes:
    writer = PdfWriter()
    for _ in range(n):
        writer.add_blank_page(width=width, height=height)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_picture(side: int) -> bytes:
    """A one-page PDF drawing a side × side grey picture, flate-compressed: a few hundred
    kilobytes that decode to side² bytes whenever the page is drawn (a compression bomb)."""
    packer = zlib.compressobj(9)
    row = b"\xff" * side
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    content = b"q 612 0 0 792 0 0 cm /Im0 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % (side, side, len(data))
        + data
        + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def tiff_claiming(width: int, height: int) -> bytes:
    """A tiny TIFF whose header claims a huge page (a decompression bomb)."""
    out = io.BytesIO()
    Image.new("1", (64, 64), 1).save(out, "TIFF", compression="group4")
    data = bytearray(out.getvalue())
    assert data[:2] == b"II"
    (ifd,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, ifd)
    for i in range(count):
        entry = ifd + 2 + 12 * i
        tag, kind = struct.unpack_from("<HH", data, entry)
        if tag in (256, 257):
            value = width if tag == 256 else height
            if kind == 3:
                struct.pack_into("<H", data, entry + 8, value)
            else:
                struct.pack_into("<I", data, entry + 8, value)
    return bytes(data)


@pytest.mark.django_db
def test_a_signed_fax_is_stored_and_queued_for_reading_once(
    client, letter_tiff, django_capture_on_commit_callbacks
):
    body, ctype = multipart({"from": "+16175550199", "fax_id": "FX-100"}, letter_tiff)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_fax(client, body, ctype)
    assert response.status_code == 202
    document = InboundDocument.objects.get()
    assert (document.source, document.sending_number, document.external_id) == (
        InboundSource.FAX,
        "+16175550199",
        "FX-100",
    )
    assert document.content_type == "image/tiff"
    assert document.status == InboundStatus.QUEUED
    assert document.page_count == 1
    assert len(callbacks) == 1  # the reading task, sent only after the commit
    # Stored privately under a generated name, not the sender's.
    assert document.file.name.startswith("inbox/") and "fax.tif" not in document.file.name
    # The fax service retries: the same fax id stores nothing more.
    again = post_fax(client, body, ctype)
    assert again.status_code == 202 and again.json()["id"] == document.pk
    assert InboundDocument.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "sha256=", "md5=abc", "sha256=ÿÿ", None],
)
def test_a_fax_with_a_wrong_signature_is_refused_and_nothing_stored(client, letter_tiff, signature):
    body, ctype = multipart({"from": "+16175550199"}, letter_tiff)
    if signature is None:
        response = post_fax(client, body, ctype, secret="another-secret")
    else:
        response = post_fax(client, body, ctype, HTTP_X_FAX_SIGNATURE=signature)
    assert response.status_code == 401
    assert not InboundDocument.objects.exists()


@pytest.mark.django_db
def test_without_a_configured_secret_every_fax_is_refused(client, letter_tiff, settings):
    settings.FAX_WEBHOOK_SECRET = ""
    body, ctype = multipart({}, letter_tiff)
    assert post_fax(client, body, ctype, secret="").status_code == 503
    assert not InboundDocument.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, this is not a fax", "not a PDF or TIFF"),
        (b"%PDF-1.4\n%broken beyond repair\x00\x01", "cannot be opened"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a PDF or TIFF"),
        (pdf_with_pages(200), "200 pages"),
        (pdf_with_pages(0), "cannot be opened"),
        (pdf_with_picture(12_000), "picture too large to read"),
    ],
    ids=["text", "broken-pdf", "png", "200-pages", "no-pages", "compression-bomb"],
)
def test_hostile_documents_are_refused_with_a_reason(client, content, message):
    body, ctype = multipart({"from": "+16175550199", "fax_id": "X"}, content)
    response = post_fax(client, body, ctype)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not InboundDocument.objects.exists()


@pytest.mark.django_db
def test_a_too_large_or_malformed_body_is_refused(client):
    body = b"x" * 100
    response = client.generic(
        "POST",
        URL,
        body,
        content_type="multipart/form-data; boundary=zz",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
        HTTP_X_FAX_SIGNATURE=signature_for(body, "test-fax-secret"),
    )
    assert response.status_code == 413
    # Signed, but not multipart: no file to take.
    assert post_fax(client, b'{"file": 1}', "application/json").status_code == 400
    # A signed body whose multipart is broken.
    assert post_fax(client, b"--zz\r\nbroken", "multipart/form-data; boundary=zz").status_code in (
        400,
    )
    assert not InboundDocument.objects.exists()


@pytest.mark.django_db
def test_a_giant_page_pdf_bomb_is_drawn_within_the_pixel_budget():
    # 14400 pt square (200 inches, the largest page PDF allows): 1.6 billion pixels at 200 dpi.
    document, created = receive(pdf_with_pages(1, 14400, 14400), name="bomb.pdf")
    assert created
    images = list(documents.page_images(document.file.path, document.content_type))
    assert len(images) == 1
    assert images[0].width * images[0].height <= documents.MAX_PAGE_PIXELS
    # Read end to end: a blank giant page is read, proposing nothing.
    document = services.inbound_document_read(document_id=document.pk)
    assert document.status == InboundStatus.READ
    assert document.proposal == {}


def test_a_compression_bomb_is_not_drawn_even_if_it_got_past_the_door(tmp_path):
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(pdf_with_picture(12_000))  # 144 million pixels in about 150 KB
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(ApplicationError, match="too large to read"):
        list(documents.page_images(str(bomb), "application/pdf"))
    # A letter-sized scan at 600 dpi is read as before.
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(pdf_with_picture(5_100))
    [page] = documents.page_images(str(scan), "application/pdf")
    assert page.width * page.height <= documents.MAX_PAGE_PIXELS


@pytest.mark.django_db
def test_a_tiff_claiming_a_gigapixel_page_is_refused_without_decoding_it():
    with pytest.raises(ApplicationError, match="cannot be opened"):
        receive(tiff_claiming(60000, 60000))
    assert not InboundDocument.objects.exists()


@pytest.mark.django_db
def test_a_tiff_with_more_pages_than_allowed_is_refused():
    frames = [Image.new("1", (200, 200), 1) for _ in range(documents.MAX_PAGES + 1)]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], compression="group4")
    with pytest.raises(ApplicationError, match="at most 30"):
        receive(out.getvalue())


@pytest.mark.django_db
def test_staff_upload_a_scanned_pdf_and_others_cannot(client, coordinator, letter_pdf):
    url = reverse("intake:inbox")
    response = client.post(url, {"document": SimpleUploadedFile("scan.pdf", letter_pdf)})
    document = InboundDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:inbox_document", args=[document.pk])
    assert (document.source, document.uploaded_by) == (InboundSource.UPLOAD, coordinator)
    refused = client.post(url, {"document": SimpleUploadedFile("x.pdf", b"not a pdf")})
    assert refused.status_code == 200
    assert "not a PDF or TIFF" in refused.content.decode()
    assert InboundDocument.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["patient", "provider", "clinician", None])
def test_only_coordinators_see_the_inbox_and_its_documents(client, make_user, letter_tiff, role):
    read_fax, _created = receive(letter_tiff)
    if role:
        client.force_login(make_user(role=role))
    for url in (
        reverse("intake:inbox"),
        reverse("intake:inbox_document", args=[read_fax.pk]),
        reverse("intake:inbox_page_image", args=[read_fax.pk, 1]),
        reverse("intake:inbox_file", args=[read_fax.pk]),
    ):
        response = client.get(url)
        assert response.status_code == (302 if role is None else 403), url


@pytest.mark.django_db
@given(sender=st.text(max_size=60), fax_id=st.text(max_size=150))
def test_any_sending_number_or_fax_id_is_stored_cleaned_or_refused_never_a_500(
    client, letter_tiff, sender, fax_id
):
    body, ctype = multipart({"from": sender, "fax_id": fax_id}, letter_tiff)
    response = post_fax(client, body, ctype)
    assert response.status_code in (202, 400), response.content
    for document in InboundDocument.objects.all():
        assert len(document.sending_number) <= 32 and len(document.external_id) <= 100
        assert "\x00" not in document.sending_number + document.external_id
