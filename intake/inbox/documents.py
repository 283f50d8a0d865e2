"""What a document may be before anything reads it: a PDF or TIFF by its content, at most
10 MB and MAX_PAGES pages, each page drawn within MAX_PAGE_PIXELS. A hostile file (not a PDF,
a PDF bomb, hundreds of pages) is refused here or bounded when drawn, never trusted."""

import io
import math
from collections.abc import Iterator

import filetype
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from django.utils.translation import gettext as _
from PIL import Image, ImageSequence, UnidentifiedImageError

from clinic.errors import ApplicationError

from ..models import INBOUND_TYPES

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_PAGES = 30
# A fax is 200 dpi; a US Letter page at 200 dpi is 1700 × 2200 = 3.7 million pixels.
READ_DPI = 200
MAX_PAGE_PIXELS = 12_000_000
# The pictures a PDF page holds are decoded whole when the page is drawn, whatever size it is
# drawn at: a 1.5 MB file can hold a 40,000 × 40,000 picture (1.6 GB decoded, 25 s). A letter
# scanned at 600 dpi is 34 million pixels; a page's pictures may add up to twice that.
MAX_IMAGE_PIXELS_PER_PAGE = 70_000_000


def _read_head(upload, n: int = 8192) -> bytes:
    upload.seek(0)
    head = upload.read(n)
    upload.seek(0)
    return head


def document_check(upload) -> tuple[str, int]:
    """The document's type, detected from its content, and its page count. Raises
    ApplicationError for anything else than a readable PDF or TIFF within the limits."""
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ApplicationError(_("The document is larger than 10 MB."), field="document")
    kind = filetype.guess(_read_head(upload))
    if kind is None or kind.mime not in INBOUND_TYPES:
        raise ApplicationError(_("The document is not a PDF or TIFF file."), field="document")
    pages = _page_count(upload, kind.mime)
    if pages < 1:
        raise ApplicationError(_("The document has no pages."), field="document")
    if pages > MAX_PAGES:
        raise ApplicationError(
            _("The document has %(n)d pages; at most %(max)d are accepted.")
            % {"n": pages, "max": MAX_PAGES},
            field="document",
        )
    return kind.mime, pages


def _page_count(upload, mime: str) -> int:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    try:
        if mime == "application/pdf":
            pdf = pdfium.PdfDocument(data)
            try:
                if len(pdf) <= MAX_PAGES:
                    _check_pictures(pdf)
                return len(pdf)
            finally:
                pdf.close()
        with Image.open(io.BytesIO(data)) as image:
            return getattr(image, "n_frames", 1)
    except (
        pdfium.PdfiumError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        ValueError,
    ) as exc:
        raise ApplicationError(
            _("The document cannot be opened (damaged or protected)."), field="document"
        ) from exc


def _picture_pixels(page) -> int:
    """The pixels of the pictures on a PDF page (in forms within forms too), as each picture
    declares them: read from the file, nothing decoded."""
    total = 0
    for picture in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=8):
        width, height = picture.get_px_size()
        total += max(width, 0) * max(height, 0)
    return total


def _check_pictures(pdf) -> None:
    for index in range(min(len(pdf), MAX_PAGES)):
        page = pdf[index]
        try:
            if _picture_pixels(page) > MAX_IMAGE_PIXELS_PER_PAGE:
                raise ApplicationError(
                    _("Page %(n)d of the document holds a picture too large to read.")
                    % {"n": index + 1},
                    field="document",
                )
        finally:
            page.close()


def _bounded_scale(width_pt: float, height_pt: float) -> float:
    """READ_DPI, or less for a page so large that READ_DPI would exceed the pixel budget."""
    scale = READ_DPI / 72
    area = max(width_pt, 1.0) * max(height_pt, 1.0)
    if area * scale * scale > MAX_PAGE_PIXELS:
        # pdfium rounds the bitmap size up: a hair under keeps it inside the budget.
        scale = math.sqrt(MAX_PAGE_PIXELS / area) * 0.999
    return scale


def page_images(path: str, mime: str) -> Iterator[Image.Image]:
    """The document's pages as greyscale images at about READ_DPI, at most MAX_PAGES of them,
    each within MAX_PAGE_PIXELS."""
    if mime == "application/pdf":
        pdf = pdfium.PdfDocument(path)
        try:
            for index in range(min(len(pdf), MAX_PAGES)):
                page = pdf[index]
                # Checked when received too; checked again here, where it would cost.
                if _picture_pixels(page) > MAX_IMAGE_PIXELS_PER_PAGE:
                    raise ApplicationError(_("A page of the document is too large to read."))
                width, height = page.get_size()
                bitmap = page.render(scale=_bounded_scale(width, height), grayscale=True)
                yield bitmap.to_pil().convert("L")
                page.close()
        finally:
            pdf.close()
        return
    with Image.open(path) as image:
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            if index >= MAX_PAGES:
                break
            width, height = frame.size
            if width * height > MAX_PAGE_PIXELS * 4:
                raise ApplicationError(_("A page of the document is too large to read."))
            page = frame.convert("L")
            if width * height > MAX_PAGE_PIXELS:
                ratio = math.sqrt(MAX_PAGE_PIXELS / (width * height))
                page = page.resize((int(width * ratio), int(height * ratio)))
            yield page


def as_pdf_bytes(path: str, mime: str) -> bytes:
    """The document as a PDF, for the referral's attachment (attachments are PDF, PNG or JPEG):
    a PDF is kept as it came; a TIFF fax becomes a PDF of its pages at fax resolution."""
    if mime == "application/pdf":
        with open(path, "rb") as handle:
            return handle.read()
    pages = list(page_images(path, mime))
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=READ_DPI)
    return out.getvalue()
