"""Finding a person as the coordinator types: by name without accents ("Hernandez" finds
Hernández), by phone in any format, by date of birth, by reference.

PostgreSQL does the matching: `portal_search_name(first, last)` (intake/0011) is an immutable
wrapper of unaccent(lower(...)), kept for each referral in the generated column
`Referral.search_name` (intake/0015), and GIN trigram indexes on it and on the phone answer the
LIKE '%…%' the words become, so a search reads the index, not the table."""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.db.models import CharField, Func, Value
from django.db.models.functions import Cast, Lower

from clinic.formatting import national_phone

from .models import Referral, referral_status_label

MAX_QUERY_LENGTH = 100
MAX_RESULTS = 20
REFERENCE = re.compile(r"^R-[0-9A-Z-]{1,14}$")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y", "%m%d%Y")


class Unaccent(Func):
    """portal_unaccent(text), the same folding applied to what was typed."""

    function = "portal_unaccent"
    output_field = CharField()


def clean_query(raw) -> str:
    """What was typed, made safe to search with: other scripts' digits read as ASCII digits,
    compatibility forms folded (full-width letters), control and invisible characters dropped
    (PostgreSQL refuses NUL), spacing collapsed, at most 100 characters."""
    text = unicodedata.normalize("NFKC", str(raw or "")[: MAX_QUERY_LENGTH * 4])
    out = []
    for ch in text:
        if ch.isdigit() and not ch.isascii():
            value = unicodedata.decimal(ch, None)
            out.append(str(value) if value is not None else " ")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(" ")
    return " ".join("".join(out).split())[:MAX_QUERY_LENGTH]


def parse_date(text: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            day = dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no zone
        except ValueError:
            continue
        if 1900 <= day.year <= 2100:
            return day
    return None


@dataclass
class SearchQuery:
    """How the words will be read: at most one of these is set."""

    reference: str = ""
    date_of_birth: dt.date | None = None
    phone_digits: str = ""
    name_words: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.reference or self.date_of_birth or self.phone_digits or self.name_words)


def read_query(raw) -> SearchQuery:
    text = clean_query(raw)
    if not text:
        return SearchQuery()
    if REFERENCE.match(text.upper()):
        return SearchQuery(reference=text.upper())
    day = parse_date(text)
    if day is not None:
        return SearchQuery(date_of_birth=day)
    digits = re.sub(r"[\s().+\-]", "", text)
    if digits.isascii() and digits.isdigit():
        # A phone number as typed: (617) 555-0142, 617.555.0142, +1 617 555 0142, or a part
        # of one (the last four digits the patient reads out). A leading country code 1 is
        # part of the stored +1… number, so it matches as it is.
        return SearchQuery(phone_digits=digits[-11:]) if len(digits) >= 4 else SearchQuery()
    words = tuple(w for w in text.lower().split() if len(w) >= 2)[:5]
    return SearchQuery(name_words=words)


_FOUND_COLUMNS = (
    "pk",
    "reference",
    "patient_id",
    "patient_first_name",
    "patient_last_name",
    "date_of_birth",
    "phone_text",
    "preferred_language",
    "status",
    "preferred_location__name",
)


@dataclass(frozen=True, slots=True)
class Found:
    """A referral that matched, as the results show it (plain values, not a model: a list of
    40 referrals with their locations and parsed phones cost more than the rest of the page)."""

    pk: int
    reference: str
    patient_id: int | None
    patient_name: str
    date_of_birth: dt.date
    phone: str  # as the patient would say it: (617) 555-0142
    preferred_language: str
    status_label: str  # in the active language: "Declined by the patient"
    location_name: str


def search_referrals(raw) -> tuple[SearchQuery, list[Found]]:
    """Referrals matching what was typed, newest first (one row per referral; the page folds a
    patient's referrals into one result)."""
    query = read_query(raw)
    referrals = Referral.objects.all()
    if query.reference:
        referrals = referrals.filter(reference__startswith=query.reference)
    elif query.date_of_birth:
        referrals = referrals.filter(date_of_birth=query.date_of_birth)
    elif query.phone_digits:
        referrals = referrals.filter(mobile_phone__contains=query.phone_digits)
    elif query.name_words:
        for word in query.name_words:
            # Each word anywhere in the name; folded the same way as the indexed expression.
            referrals = referrals.filter(search_name__contains=Unaccent(Lower(Value(word))))
    else:
        return query, []
    # Newest first: for a common name (4,000 Garcías in 100,000 referrals) PostgreSQL walks
    # referral_newest_idx and stops at the 40th match; for a rare one it reads the few matches
    # from the trigram index and sorts them.
    rows = (
        referrals.order_by("-created_at", "-pk")
        # The stored text, not a parsed PhoneNumber: national_phone formats it cheaply.
        .annotate(phone_text=Cast("mobile_phone", output_field=CharField()))
        .values_list(*_FOUND_COLUMNS)
    )
    return query, [
        Found(
            pk=pk,
            reference=reference,
            patient_id=patient_id,
            patient_name=f"{first} {last}",
            date_of_birth=born,
            phone=national_phone(phone),
            preferred_language=language,
            status_label=referral_status_label(status),
            location_name=location or "",
        )
        for pk, reference, patient_id, first, last, born, phone, language, status, location in rows[
            : MAX_RESULTS * 2
        ]
    ]


@dataclass
class Person:
    """One search result: a patient (all their referrals) or a referral without an account."""

    referral: Found
    references: list[str]


def people(referrals: list[Found]) -> list[Person]:
    found: dict[object, Person] = {}
    for referral in referrals:
        key = referral.patient_id or ("referral", referral.pk)
        if key in found:
            found[key].references.append(referral.reference)
        else:
            found[key] = Person(referral=referral, references=[referral.reference])
    return list(found.values())[:MAX_RESULTS]
