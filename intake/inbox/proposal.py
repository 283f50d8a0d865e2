"""From a letter's text to the referral's fields a coordinator will check: each proposed value
comes with a confidence (0..1), Tesseract's confidence in the line it came from times how sure
the rule is (a labelled "NPI: ..." with a valid check digit is surer than a bare number).
Nothing here is trusted: the coordinator corrects and submits through ReferralForm."""

import datetime as dt
import re

import phonenumbers

from clinic.validators import npi_is_valid

from ..clinical import DIAGNOSIS_DESCRIPTIONS, Contraindication
from .reading import Line

# Letters OCR mistakes for digits inside a number.
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5"})
_NAME = r"([A-Z][A-Za-z'\-]+(?:\s+[A-Z][A-Za-z'\-\.]+){1,3})"

PATIENT = re.compile(r"\bpatient(?:\s*name)?\s*[:\-]\s*" + _NAME, re.I)
DOB = re.compile(
    r"\b(?:DOB|D\.O\.B\.?|date\s*of\s*birth|born)\s*[:\-]?\s*([0-9OolI|S]{1,4}[/\-.][0-9OolI|S]{1,2}[/\-.][0-9OolI|S]{2,4})",
    re.I,
)
PHONE_LABELLED = re.compile(
    r"\b(mobile|cell|patient\s*phone|phone|tel)\b[^:\n]{0,12}[:\-]?\s*(\+?1?[\s\-.]*\(?\d{3}\)?[\s\-.]*\d{3}[\s\-.]*\d{4})",
    re.I,
)
ZIP_IN_ADDRESS = re.compile(r"\b[A-Z]{2}[\s,]+(\d{5})(?:-\d{4})?\b")
ZIP_LABELLED = re.compile(r"\bZIP(?:\s*code)?\s*[:\-]?\s*(\d{5})\b", re.I)
NPI_LABELLED = re.compile(r"\bNPI\b[^0-9OolI|S]{0,12}([0-9OolI|S]{10})\b", re.I)
BARE_TEN_DIGITS = re.compile(r"(?<!\d)(\d{10})(?!\d)")
PROVIDER = re.compile(
    r"\b(?:referring\s*(?:provider|physician|clinician)|referred\s*by|provider|physician)\s*[:\-]\s*"
    r"(?:Dr\.?\s+)?" + _NAME,
    re.I,
)
ICD10 = re.compile(r"\b([A-TV-Z][0-9][0-9A-B](?:\.[0-9A-Z]{1,4})?)\b")
INFUSIONS = re.compile(
    r"\b([1-9]|one|two|three|four|five|six)\s*(?:IV\s*)?(?:ketamine\s*)?infusions?\b", re.I
)
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}

# Words in a letter that suggest a contraindication (the coordinator decides).
CONTRAINDICATION_WORDS = {
    Contraindication.HYPERTENSION: ("uncontrolled hypertension", "uncontrolled blood pressure"),
    Contraindication.PREGNANCY: ("pregnan",),
    Contraindication.PSYCHOSIS: ("psychosis", "psychotic", "schizophren"),
    Contraindication.SUBSTANCE_USE: ("substance use", "substance misuse", "ketamine misuse"),
    Contraindication.CARDIAC: ("cardiac disease", "heart failure", "coronary", "arrhythmia"),
    Contraindication.PRESSURE: ("intracranial pressure", "glaucoma", "intraocular"),
    Contraindication.LIVER: ("liver disease", "cirrhosis", "hepatic"),
    Contraindication.KETAMINE_REACTION: ("reaction to ketamine",),
    Contraindication.BREASTFEEDING: ("breastfeeding", "breast-feeding", "lactating"),
    Contraindication.SEIZURES: ("seizure", "epilepsy"),
    Contraindication.INTERACTING_MEDICATIONS: (
        "benzodiazepine",
        "opioid",
        "lamotrigine",
        "mao inhibitor",
        "theophylline",
    ),
}
_NEGATION = re.compile(r"\b(no|none|denies|without|negative for)\b", re.I)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text.translate(_DIGIT_LOOKALIKES))


def _field(value, line: Line, weight: float) -> dict:
    return {"value": value, "confidence": round(max(0.0, min(1.0, line.confidence * weight)), 2)}


def _first(lines: list[Line], finder) -> dict | None:
    for line in lines:
        found = finder(line)
        if found is not None:
            return found
    return None


def _patient_name(line: Line):
    match = PATIENT.search(line.text)
    if not match:
        return None
    parts = match.group(1).split()
    return {
        "patient_first_name": _field(" ".join(parts[:-1]), line, 0.9),
        "patient_last_name": _field(parts[-1], line, 0.9),
    }


def _date_of_birth(line: Line):
    match = DOB.search(line.text)
    if not match:
        return None
    raw = match.group(1).translate(_DIGIT_LOOKALIKES)
    parts = re.split(r"[/\-.]", raw)
    try:
        if len(parts[0]) == 4:
            year, month, day = (int(p) for p in parts)
        else:
            month, day, year = (int(p) for p in parts)
            year += 1900 if year < 100 and year > 30 else 2000 if year < 100 else 0
        value = dt.date(year, month, day)
    except ValueError:
        return None
    return {
        "date_of_birth": _field(value.isoformat(), line, 0.95 if raw == match.group(1) else 0.7)
    }


def _phone(line: Line):
    match = PHONE_LABELLED.search(line.text)
    if not match or re.search(r"\bfax\b", line.text, re.I):
        return None
    try:
        number = phonenumbers.parse(match.group(2), "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    label = match.group(1).lower()
    weight = 0.95 if label in ("mobile", "cell") else 0.7
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return {"mobile_phone": _field(e164, line, weight)}


def _zip(line: Line):
    match = ZIP_LABELLED.search(line.text)
    if match:
        return {"zip_code": _field(match.group(1), line, 0.95)}
    match = ZIP_IN_ADDRESS.search(line.text)
    if match:
        return {"zip_code": _field(match.group(1), line, 0.8)}
    return None


def _npi(line: Line):
    match = NPI_LABELLED.search(line.text)
    if not match:
        return None
    value = _digits(match.group(1))
    return {"provider_npi": _field(value, line, 0.95 if npi_is_valid(value) else 0.3)}


def _bare_npi(line: Line):
    for match in BARE_TEN_DIGITS.finditer(line.text):
        if npi_is_valid(match.group(1)):
            return {"provider_npi": _field(match.group(1), line, 0.5)}
    return None


def _provider(line: Line):
    match = PROVIDER.search(line.text)
    if not match:
        return None
    name = re.sub(r",?\s*(MD|DO|NP|PA|PA-C)\.?$", "", match.group(1).strip())
    parts = name.split()
    return {
        "provider_first_name": _field(" ".join(parts[:-1]), line, 0.85),
        "provider_last_name": _field(parts[-1], line, 0.85),
    }


def _infusions(line: Line):
    match = INFUSIONS.search(line.text)
    if not match:
        return None
    word = match.group(1).lower()
    value = _WORD_NUMBERS.get(word) or int(word)
    return {"recommended_infusions": _field(value, line, 0.85)}


def _codes(lines: list[Line]) -> dict:
    codes, confidence = [], 1.0
    for line in lines:
        for match in ICD10.finditer(line.text):
            code = match.group(1).upper()
            if code not in codes:
                codes.append(code)
                confidence = min(confidence, line.confidence)
    if not codes:
        return {}
    found = {"diagnosis_codes": {"value": codes, "confidence": round(confidence, 2)}}
    migraine = [c for c in codes if c in DIAGNOSIS_DESCRIPTIONS]
    if migraine:
        found["diagnosis_code"] = {"value": migraine[0], "confidence": round(confidence, 2)}
    return found


def _contraindications(lines: list[Line]) -> dict:
    """A word counts only in a sentence that does not deny it ("no history of psychosis")."""
    flagged, words, confidence = [], [], 1.0
    for line in lines:
        for sentence in re.split(r"[.;]", line.text):
            lowered = sentence.lower()
            for key, needles in CONTRAINDICATION_WORDS.items():
                hit = next((n for n in needles if n in lowered), None)
                if hit and not _NEGATION.search(sentence) and key not in flagged:
                    flagged.append(str(key))
                    words.append(hit)
                    confidence = min(confidence, line.confidence * 0.6)
    if not flagged:
        return {}
    return {
        "contraindications": {
            "value": flagged,
            "words": words,
            "confidence": round(confidence, 2),
        }
    }


def fields_propose(lines: list[Line]) -> dict:
    """{field: {"value", "confidence"}} for every field found; a field not found is absent."""
    proposal: dict = {}
    for finder in (_patient_name, _date_of_birth, _phone, _zip, _npi, _provider, _infusions):
        found = _first(lines, finder)
        if found:
            proposal.update(found)
    if "provider_npi" not in proposal:
        proposal.update(_first(lines, _bare_npi) or {})
    proposal.update(_codes(lines))
    proposal.update(_contraindications(lines))
    return proposal
