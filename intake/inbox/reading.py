"""Reading a document's pages with Tesseract (Debian's tesseract-ocr through pytesseract): the
text line by line, each line with the mean confidence Tesseract gave its words."""

from dataclasses import dataclass

import pytesseract
from PIL import Image

# Tesseract on one fax page takes a few seconds; a page that takes this long is not a letter.
OCR_TIMEOUT_SECONDS = 60
OCR_LANGUAGES = "eng"


@dataclass(frozen=True)
class Line:
    text: str
    confidence: float  # 0..1, the mean of Tesseract's word confidences


class ReadingFailed(Exception):
    """Tesseract could not read a page (timed out, or failed)."""


def page_lines(image: Image.Image) -> list[Line]:
    try:
        data = pytesseract.image_to_data(
            image,
            lang=OCR_LANGUAGES,
            config="--psm 4",
            output_type=pytesseract.Output.DICT,
            timeout=OCR_TIMEOUT_SECONDS,
        )
    except (RuntimeError, pytesseract.TesseractError) as exc:
        # pytesseract raises RuntimeError when the timeout kills Tesseract.
        raise ReadingFailed(str(exc)[:200]) from exc
    lines: dict[tuple, list[tuple[str, float]]] = {}
    for i, word in enumerate(data["text"]):
        word = (word or "").strip()
        confidence = float(data["conf"][i])
        if not word or confidence < 0:
            continue
        key = (data["page_num"][i], data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append((word, confidence))
    return [
        Line(" ".join(w for w, _c in words), sum(c for _w, c in words) / len(words) / 100)
        for _key, words in sorted(lines.items())
    ]
