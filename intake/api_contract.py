"""The referral API's request contract: one JSON Schema that the OpenAPI schema publishes and the
view enforces before the referral form reads the body, so that what the schema allows and what
the server accepts cannot drift apart.

Everything the server checks that JSON Schema can state is stated here: types, formats,
patterns, lengths, ranges, allowed values, required fields, no unknown fields, and the two
cross-field rules (the contraindication screen; "other" preventives named). What no schema can
state is written in the descriptions and left to the form and the service:
- the date of birth is not in the future nor more than 120 years ago (it depends on today);
- the phone number exists in its country's numbering plan (libphonenumber's tables);
- each attachment is a PDF, PNG or JPEG by its content;
- an Idempotency-Key already used with another body answers 422.
tests/intake/test_api_schema.py runs schemathesis against the published schema, and moves its
positive data inside exactly those four rules."""

import binascii
import copy
import re
import sys
import unicodedata

from jsonschema import Draft4Validator, ValidationError, validators

from .clinical import DIAGNOSIS_CHOICES, Contraindication, Language, Preventive, Urgency
from .validators import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, MAX_NOTES_LENGTH

MAX_NAME_LENGTH = 100  # intake.models.Referral.patient_first_name / _last_name
MAX_PREVENTIVES_OTHER_LENGTH = 300
MAX_EMAIL_LENGTH = 254
MAX_IDEMPOTENCY_KEY_LENGTH = 200
# The base64 text of a 10 MB file: the server decodes nothing longer.
MAX_ATTACHMENT_BASE64_LENGTH = 4 * -(-MAX_ATTACHMENT_BYTES // 3)

# A phone in a US format or E.164; a five or nine digit ZIP.
PHONE_PATTERN = (
    r"^(\+[1-9][0-9]{6,14}"
    r"|(\+?1[ .-]?)?(\([2-9][0-9]{2}\)|[2-9][0-9]{2})[ .-]?[2-9][0-9]{2}[ .-]?[0-9]{4})$"
)
ZIP_PATTERN = r"^[0-9]{5}(-[0-9]{4})?$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
BLOOD_PRESSURE_PATTERN = r"^([0-9]{2,3}/[0-9]{2,3})?$"
BASE64_PATTERN = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


# What clinic.validators refuses in typed text: control (Cc) and format (Cf) characters, read
# from the same Unicode table as it reads (one pass at import, about a third of a second).
_CONTROL_OR_FORMAT = [
    c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in ("Cc", "Cf")
]


def _class_of_invisible(*, keep: str = "") -> str:
    """The regex class body of the control and format characters, less `keep`. BMP characters
    as \\uXXXX escapes (read alike by Python and ECMA-262); the few beyond it as themselves."""
    parts, start = [], None
    codes = [c for c in _CONTROL_OR_FORMAT if chr(c) not in keep]
    for i, code in enumerate(codes):
        start = code if start is None else start
        if i + 1 == len(codes) or codes[i + 1] != code + 1:
            parts.append((start, code))
            start = None

    def one(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    return "".join(one(a) if a == b else f"{one(a)}-{one(b)}" for a, b in parts)


_INVISIBLE = _class_of_invisible()
_INVISIBLE_BUT_LINES = _class_of_invisible(keep="\n\r\t")
# Typed text: no control or invisible formatting character (new lines and tabs only in text of
# several lines), said with `not` and a class rather than an anchored `*` pattern: a generator
# bounds `*` by maxLength, and a few hundred repeats of classes this large are more than common
# regex engines (Rust's, in schemathesis) compile. A name needs one visible character.
INVISIBLE_IN_LINE = f"[{_INVISIBLE}]"
INVISIBLE_IN_TEXT = f"[{_INVISIBLE_BUT_LINES}]"
VISIBLE = r"\S"


def _text(max_length: int, description: str, *, required_visible: bool = False) -> dict:
    schema = {
        "type": "string",
        "maxLength": max_length,
        "not": {"pattern": INVISIBLE_IN_LINE},
        "description": description,
    }
    return {**schema, "pattern": VISIBLE} if required_visible else schema


def _long_text(description: str) -> dict:
    return {
        "type": "string",
        "maxLength": MAX_NOTES_LENGTH,
        "not": {"pattern": INVISIBLE_IN_TEXT},  # new lines and tabs allowed
        "description": description,
    }


def _choice(values, description: str = "") -> dict:
    schema = {"type": "string", "enum": [str(v) for v in values]}
    return {**schema, "description": description} if description else schema


_SEVERAL_LINES = "New lines and tabs allowed; no other control or invisible formatting character."
_ONE_LINE = (
    "One line: no control or invisible formatting character (tabs and new lines included); "
    "surrounding spaces are trimmed."
)

REFERRAL_REQUEST: dict = {
    "type": "object",
    "additionalProperties": False,
    "description": (
        "A referral. A field the API does not know is refused (400), never dropped. Rules no "
        "schema can state, checked by the server: date_of_birth is not in the future nor more "
        "than 120 years ago; mobile_phone exists in its country's numbering plan; each "
        "attachment is a PDF, PNG or JPEG by its content. Every refusal is a 400 naming the "
        "field."
    ),
    "required": [
        "patient_first_name",
        "patient_last_name",
        "date_of_birth",
        "sex",
        "mobile_phone",
        "zip_code",
        "preferred_location",
        "contact_consent",
        "diagnosis_code",
        "headache_days_per_month",
        "years_with_migraine",
        "recommended_infusions",
    ],
    "properties": {
        "patient_first_name": _text(
            MAX_NAME_LENGTH, "Legal first name. " + _ONE_LINE, required_visible=True
        ),
        "patient_last_name": _text(
            MAX_NAME_LENGTH, "Legal last name. " + _ONE_LINE, required_visible=True
        ),
        "date_of_birth": {
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
            "description": "YYYY-MM-DD. Not in the future, nor more than 120 years ago (the "
            "server checks it against today's date).",
        },
        "sex": _choice(["female", "male", "other", "unknown"]),
        "mobile_phone": {
            "type": "string",
            "pattern": PHONE_PATTERN,
            "description": "A US number (617-555-0123, (617) 555-0123, +1 617 555 0123) or "
            "E.164 (+16175550123). It must exist in its country's numbering plan "
            "(libphonenumber): +1 000 0000, say, has the shape but is refused.",
        },
        "email": {
            "type": "string",
            "format": "email",
            "minLength": 3,  # "" is not an address: leave the field out instead
            "maxLength": MAX_EMAIL_LENGTH,
            "description": "Optional: leave the field out rather than sending an empty one.",
        },
        "preferred_language": _choice(Language.values, "Default en."),
        "zip_code": {
            "type": "string",
            "pattern": ZIP_PATTERN,
            "description": "02116 or 02116-1234.",
        },
        "preferred_location": {
            "type": "string",
            "description": "The slug of an active clinic location (the enum lists them when the "
            "schema is served).",
        },
        "contact_consent": {
            "type": "boolean",
            "enum": [True],
            "description": "Must be true: the patient agreed to be called, texted and e-mailed.",
        },
        "diagnosis_code": _choice([code for code, _ in DIAGNOSIS_CHOICES], "ICD-10-CM G43."),
        "headache_days_per_month": {"type": "integer", "minimum": 0, "maximum": 31},
        "years_with_migraine": {"type": "integer", "minimum": 0, "maximum": 100},
        "preventives_tried": {"type": "array", "items": _choice(Preventive.values)},
        "preventives_other": _text(
            MAX_PREVENTIVES_OTHER_LENGTH,
            "Required, not blank, when preventives_tried holds 'other'. " + _ONE_LINE,
        ),
        "current_medications": _long_text(_SEVERAL_LINES),
        "blood_pressure": {
            "type": "string",
            "pattern": BLOOD_PRESSURE_PATTERN,
            "description": "Latest, as 128/82 (mmHg); empty when unknown.",
        },
        "contraindications": {
            "type": "array",
            "items": _choice(Contraindication.values),
            "description": "Every contraindication that applies. Empty or absent needs "
            "no_contraindications: true; one or more needs it false or absent.",
        },
        "no_contraindications": {
            "type": "boolean",
            "description": "true when the patient was screened and none applies.",
        },
        "recommended_infusions": {"type": "integer", "minimum": 1, "maximum": 6},
        "urgency": _choice(Urgency.values, "Default routine."),
        "notes": _long_text(_SEVERAL_LINES),
        "attachments": {
            "type": "array",
            "maxItems": MAX_ATTACHMENTS,
            "description": f"Up to {MAX_ATTACHMENTS} files of 10 MB, each a PDF, PNG or JPEG "
            "by its content (the name does not decide).",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["filename", "content_base64"],
                "properties": {
                    "filename": {
                        "type": "string",
                        "description": "Shown to people, cleaned and cut to 120 characters; "
                        "the file is stored under a name of the portal's.",
                    },
                    "content_base64": {
                        "type": "string",
                        "minLength": 4,
                        "maxLength": MAX_ATTACHMENT_BASE64_LENGTH,
                        "pattern": BASE64_PATTERN,
                        "description": "The file's bytes, base64-encoded (standard alphabet, "
                        "padded).",
                    },
                },
            },
        },
    },
    # The cross-field rules, as the form checks them.
    "allOf": [
        {
            "description": "The contraindication screen: one or more flags, or "
            "no_contraindications: true, never both.",
            "anyOf": [
                {
                    "required": ["contraindications"],
                    "properties": {
                        "contraindications": {"minItems": 1},
                        "no_contraindications": {"enum": [False]},
                    },
                },
                {
                    "required": ["no_contraindications"],
                    "properties": {
                        "no_contraindications": {"enum": [True]},
                        "contraindications": {"maxItems": 0},
                    },
                },
            ],
        },
        {
            "description": "'other' among preventives_tried needs preventives_other.",
            "anyOf": [
                {
                    "properties": {
                        "preventives_tried": {
                            "items": {"enum": [p for p in Preventive.values if p != "other"]}
                        }
                    }
                },
                {
                    "required": ["preventives_other"],
                    "properties": {"preventives_other": {"pattern": VISIBLE}},
                },
            ],
        },
    ],
}

IDEMPOTENCY_KEY_SCHEMA = {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH}


def referral_request_schema(location_slugs: list[str] | None) -> dict:
    """The contract as published: the active locations' slugs as preferred_location's enum
    (None leaves it open, for a schema built before the tables exist)."""
    schema = copy.deepcopy(REFERRAL_REQUEST)
    if location_slugs is not None:
        schema["properties"]["preferred_location"]["enum"] = location_slugs
    return schema


def is_strict_base64(text: str) -> bool:
    """What BASE64_PATTERN accepts, decided by the C decoder: the regex costs about a second of
    CPU per 10 MB attachment, this a few milliseconds."""
    if len(text) % 4:
        return False
    try:
        binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):  # ValueError: a character outside ASCII
        return False
    return True


def _ecma_pattern(validator, pattern, instance, schema):
    """`pattern` as ECMA-262 (the schema's dialect) reads it: there `$` is the end of the text,
    while Python's `$` also matches before a final new line ("02116\n")."""
    if not validator.is_type(instance, "string"):
        return
    if pattern == BASE64_PATTERN:
        if not is_strict_base64(instance):
            yield ValidationError(f"does not match {pattern!r}")
        return
    python = (
        pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
    )
    if not re.search(python, instance):
        yield ValidationError(f"does not match {pattern!r}")


_VALIDATOR = validators.extend(Draft4Validator, {"pattern": _ecma_pattern})(REFERRAL_REQUEST)

_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
}


def _message(error) -> str:
    """A sentence for one schema violation; the value itself is not repeated (it may be PHI)."""
    kind, limit = error.validator, error.validator_value
    if kind == "type":
        return f"Send {_TYPE_NAMES.get(limit, limit)}."
    if kind == "enum":
        if limit == [True]:
            return "Must be true."
        return "Must be one of: " + ", ".join(str(v) for v in limit) + "."
    if kind == "maxLength":
        return f"At most {limit} characters."
    if kind == "minLength":
        return f"At least {limit} characters."
    if kind == "maximum":
        return f"At most {limit}."
    if kind == "minimum":
        return f"At least {limit}."
    if kind == "maxItems":
        return f"At most {limit} items."
    if kind == "pattern" and limit == VISIBLE:
        return "Write at least one visible character."
    if kind == "pattern":
        return f"Does not match the documented format ({limit})."
    if kind == "required":
        return "This field is required."
    if kind == "not":  # the contract's only `not`: text without invisible characters
        return "Remove the invisible or control characters from this text."
    if kind == "additionalProperties":
        return "Unknown field."
    return "Not valid here (see the API schema)."


def contract_errors(data: dict) -> dict[str, list[str]]:
    """Every way `data` breaks the published contract, as {field: [messages]}: unknown fields
    by name, missing required ones, wrong types, values outside the stated patterns, ranges and
    lengths. The cross-field rules are left to the form, which words them better."""
    errors: dict[str, list[str]] = {}
    for error in _VALIDATOR.iter_errors(data):
        path = list(error.absolute_path)
        if not path:
            if error.validator == "additionalProperties":
                for key in data:
                    if key not in REFERRAL_REQUEST["properties"]:
                        errors.setdefault(key, []).append("Unknown field.")
            elif error.validator == "required":
                for key in REFERRAL_REQUEST["required"]:
                    if key not in data:
                        errors[key] = ["This field is required."]
            continue  # allOf: the form's cross-field messages
        field, rest = str(path[0]), path[1:]
        if rest:  # inside attachments: [index, property]
            where = "Item " + ", ".join(str(p) for p in rest)
            if error.validator in ("required", "additionalProperties"):
                # Names the property (a name we or the caller chose, never a value).
                message = f"{where}: {error.message}."
            else:
                message = f"{where}: {_message(error)}"
        else:
            message = _message(error)
        if message not in errors.get(field, []):
            errors.setdefault(field, []).append(message)
    return errors


def idempotency_key_errors(key: str | None) -> dict[str, list[str]]:
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        return {"Idempotency-Key": [f"At most {MAX_IDEMPOTENCY_KEY_LENGTH} characters."]}
    return {}
