"""Sample referral letters as a fax machine would send them (the demo's faxes and the tests'):
written as HTML, rendered to PDF by WeasyPrint, then rasterised at 200 dpi in black and white
(a fax's resolution and colours) and wrapped as a TIFF (Group 4, as fax services deliver) or
an image-only PDF."""

import io
from dataclasses import dataclass, field

import pypdfium2 as pdfium
from PIL import Image
from weasyprint import HTML

FAX_DPI = 200


@dataclass
class Letter:
    patient_first: str = "Maria"
    patient_last: str = "Gonzalez"
    dob: str = "03/14/1985"
    phone: str = "(617) 555-0123"
    street: str = "12 Elm Street, Boston, MA 02116"
    provider: str = "Dr. Alan Whitfield, MD"
    npi: str = "1245319599"
    practice: str = "Harbor Neurology Associates"
    practice_fax: str = "(617) 555-0199"
    codes: list[str] = field(default_factory=lambda: ["G43.709", "G44.209"])
    infusions: int = 5
    contraindication_line: str = "Contraindications: none known. No history of psychosis."

    def html(self) -> str:
        codes = ", ".join(self.codes)
        return f"""<html><head><style>
        @page {{ size: Letter; margin: 2cm; }}
        body {{ font-family: 'DejaVu Sans', sans-serif; font-size: 12pt; line-height: 1.5; }}
        h1 {{ font-size: 16pt; }}
        </style></head><body>
        <p><b>{self.practice}</b><br>Fax: {self.practice_fax}</p>
        <h1>Referral for IV ketamine infusion</h1>
        <p>Patient: {self.patient_first} {self.patient_last}<br>
        Date of birth: {self.dob}<br>
        Mobile phone: {self.phone}<br>
        Address: {self.street}</p>
        <p>Diagnosis: {codes} (chronic migraine without aura, refractory)</p>
        <p>Recommended course: {self.infusions} infusions.<br>
        {self.contraindication_line}</p>
        <p>Referring provider: {self.provider}<br>NPI: {self.npi}</p>
        </body></html>"""


def render_pdf(html: str) -> bytes:
    return HTML(string=html).write_pdf()


def rasterise(pdf_bytes: bytes, dpi: int = FAX_DPI) -> list[Image.Image]:
    """Each page as a 1-bit image at the fax's resolution."""
    pdf = pdfium.PdfDocument(pdf_bytes)
    pages = []
    for index in range(len(pdf)):
        grey = pdf[index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        pages.append(grey.point(lambda v: 255 if v > 160 else 0).convert("1"))
    pdf.close()
    return pages


def fax_tiff(letter: Letter) -> bytes:
    pages = rasterise(render_pdf(letter.html()))
    out = io.BytesIO()
    pages[0].save(
        out, "TIFF", save_all=True, append_images=pages[1:], compression="group4", dpi=(200, 200)
    )
    return out.getvalue()


def fax_pdf(letter: Letter) -> bytes:
    """An image-only PDF (no text layer), as a scanner or a fax-to-PDF service makes."""
    pages = rasterise(render_pdf(letter.html()))
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=FAX_DPI)
    return out.getvalue()
