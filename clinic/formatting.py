"""Dates, times and money as the portal shows them, in English or Spanish.

Cheap on purpose: a queue or day-view page formats hundreds of times, and Django's
`dateformat` (a new formatter object, a regular expression and a catalogue look-up per letter,
per call) was a large share of those pages (issue 19). Here a format is parsed once and cached,
and the names of days and months are plain tuples per language.

Formats use Django's `date` filter letters, so the formats translators keep in the .po file
("F j, Y, g:i A T" is "j \\d\\e F \\d\\e Y, H:i T" in Spanish) still apply. One difference:
`M` is the month's abbreviation as the language writes it ("Dec" in English, "dic" in
Spanish, where Django would write "Dic"); Spanish writes day and month names in lower case.

Every time shows its zone: pass the zone (a location's or a patient's) and end the format with
`T` (the zone's abbreviation, "EST"), or use `when()`. A datetime without a zone argument is
shown in the active zone (Django's, as the `date` filter does).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.core.signals import setting_changed
from django.utils import timezone, translation
from django.utils.translation import gettext as django_gettext
from django.utils.translation import ngettext as django_ngettext
from django.utils.translation import npgettext as django_npgettext
from django.utils.translation import pgettext as django_pgettext
from phonenumber_field.phonenumber import to_python

# A page's words, translated once per language in each process (the templates' `_()` and
# `pgettext()`, and the formats below). Django's gettext finds the active translation through
# a context-local and the catalogue's fallbacks on every call, which cost more than the rest
# of a table's row; the catalogues do not change while a process runs.
_TRANSLATED: dict[tuple, str] = {}
_TRANSLATED_MAX = 20_000  # the templates' words in two languages, many times over


def _translated_once(translate):
    def kept(*args: str) -> str:
        key = (translation.get_language(), translate, *args)
        text = _TRANSLATED.get(key)
        if text is None:
            if len(_TRANSLATED) >= _TRANSLATED_MAX:
                _TRANSLATED.clear()
            text = _TRANSLATED[key] = translate(*args)
        return text

    return kept


# Named as Django's, so that makemessages still finds the words this module asks for.
gettext = _translated_once(django_gettext)
pgettext = _translated_once(django_pgettext)
ngettext = _translated_once(django_ngettext)  # by count too: "1 attempt", "2 attempts"
npgettext = _translated_once(django_npgettext)


def _forget_translations(*, setting: str, **_kwargs) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"):
        _TRANSLATED.clear()


setting_changed.connect(_forget_translations)


class _Names:
    def __init__(self, weekdays, weekdays_abbr, months, months_abbr, am_pm):
        self.weekdays = weekdays  # Monday first, as date.weekday()
        self.weekdays_abbr = weekdays_abbr
        self.months = months  # January first, index month - 1
        self.months_abbr = months_abbr
        self.am_pm = am_pm


NAMES = {
    "en": _Names(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
        (
            "January", "February", "March", "April", "May", "June",
            "July", "August", "September", "October", "November", "December",
        ),
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        ("AM", "PM"),
    ),
    "es": _Names(
        ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
        (
            "enero", "febrero", "marzo", "abril", "mayo", "junio",
            "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
        ),
        ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
        ("a. m.", "p. m."),
    ),
}  # fmt: skip


def _names() -> _Names:
    language = translation.get_language() or "en"
    return NAMES.get(language[:2], NAMES["en"])


def _hour12(d) -> int:
    return d.hour % 12 or 12


# One function per supported letter of Django's date format: (value, names) -> text.
_LETTERS = {
    "d": lambda d, n: f"{d.day:02d}",
    "j": lambda d, n: str(d.day),
    "D": lambda d, n: n.weekdays_abbr[d.weekday()],
    "l": lambda d, n: n.weekdays[d.weekday()],
    "m": lambda d, n: f"{d.month:02d}",
    "n": lambda d, n: str(d.month),
    "M": lambda d, n: n.months_abbr[d.month - 1],
    "b": lambda d, n: n.months_abbr[d.month - 1].lower(),
    "F": lambda d, n: n.months[d.month - 1],
    "Y": lambda d, n: str(d.year),
    "y": lambda d, n: f"{d.year % 100:02d}",
    "g": lambda d, n: str(_hour12(d)),
    "h": lambda d, n: f"{_hour12(d):02d}",
    "G": lambda d, n: str(d.hour),
    "H": lambda d, n: f"{d.hour:02d}",
    "i": lambda d, n: f"{d.minute:02d}",
    "s": lambda d, n: f"{d.second:02d}",
    "A": lambda d, n: n.am_pm[d.hour >= 12],
    "T": lambda d, n: d.tzname() or "",
}
_TIME_LETTERS = set("ghGHisAT")
# Letters Django's format knows that these formatters do not: refused, never printed as-is.
_UNSUPPORTED = set("aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ") - set(_LETTERS)


@lru_cache(maxsize=256)
def _compile(fmt: str) -> tuple[tuple[bool, str], ...]:
    """A format as (is_letter, text) pieces; literal runs are joined. A backslash escapes."""
    pieces: list[tuple[bool, str]] = []
    literal: list[str] = []
    escaped = False
    for char in fmt:
        if escaped:
            literal.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _LETTERS:
            if literal:
                pieces.append((False, "".join(literal)))
                literal = []
            pieces.append((True, char))
        elif char in _UNSUPPORTED:
            raise ValueError(f"format letter {char!r} is not supported (in {fmt!r})")
        else:
            literal.append(char)
    if literal:
        pieces.append((False, "".join(literal)))
    return tuple(pieces)


def format_date(value, fmt: str, tz: dt.tzinfo | str | None = None) -> str:
    """A date or datetime in Django's date-format letters, in the active language. An aware
    datetime is first moved to `tz` (a zone or its name; default: the active zone); None or ""
    gives ""."""
    return date_formatter(fmt)(value, tz)


def _format_local(value, pieces: tuple[tuple[bool, str], ...], names: _Names) -> str:
    return "".join(
        [_LETTERS[text](value, names) if is_letter else text for is_letter, text in pieces]
    )


def format_each(instants, fmt: str, tz: dt.tzinfo) -> dict[dt.datetime, str]:
    """format_date(instant, fmt, tz) of each of many aware instants in one zone, each distinct
    instant once, the format and the language's names looked up once: a day view labels
    dozens of rows and sessions, and format_date's own look-ups were most of each label."""
    formatted = date_formatter(fmt)
    return {instant: formatted(instant, tz) for instant in dict.fromkeys(instants)}


def when_each(instants, tz: dt.tzinfo) -> dict[dt.datetime, str]:
    """when(instant, tz) of each of many aware instants in one zone ('Tue 3 Mar 2026, 9:00 AM
    EST'), each distinct instant once, and each local day's part once."""
    names = _names()
    day_pieces = _compile(pgettext("date format", "D j M Y") + ", ")
    time_pieces = _compile(pgettext("time format", "g:i A") + " T")
    days: dict[dt.date, str] = {}
    texts: dict[dt.datetime, str] = {}
    for instant in instants:
        if instant in texts:
            continue
        local = instant.astimezone(tz)
        date = local.date()
        day = days.get(date)
        if day is None:
            day = days[date] = _format_local(local, day_pieces, names)
        texts[instant] = day + _format_local(local, time_pieces, names)
    return texts


def clock(instant: dt.datetime, tz: dt.tzinfo) -> str:
    """'9:00 AM EST' ('09:00 EST' in Spanish)."""
    # Translators: a time format (Django's date filter letters): 'g:i A' is 9:00 AM, 'H:i' 09:00.
    return format_date(instant, pgettext("time format", "g:i A") + " T", tz)


def when(instant: dt.datetime, tz: dt.tzinfo) -> str:
    """'Tue 3 Mar 2026, 9:00 AM EST' ('mar 3 mar 2026, 09:00 EST' in Spanish): the wall clock in
    a zone, in the active language, with the zone's abbreviation."""
    # Translators: a date format (Django's date filter letters): weekday, day, month, year.
    day = pgettext("date format", "D j M Y")
    return format_date(instant, f"{day}, ", tz) + clock(instant, tz)


def when_both(instant: dt.datetime, location_tz: ZoneInfo, own_tz: ZoneInfo | None = None) -> str:
    """The location's time, and the patient's own when their zone differs:
    'Tue 1 Dec 2026, 1:00 PM EST (10:00 AM PST your time)'."""
    text = when(instant, location_tz)
    if own_tz is None or str(own_tz) == str(location_tz):
        return text
    if instant.astimezone(own_tz).utcoffset() != instant.astimezone(location_tz).utcoffset():
        text += " " + gettext("(%(time)s your time)") % {"time": clock(instant, own_tz)}
    return text


def usd(value) -> str:
    """$1,234.50, or −$300.00 for a discount (a minus sign, not a hyphen); None or "" gives ""."""
    if value is None or value == "":
        return ""
    amount = value if isinstance(value, Decimal) else Decimal(value)
    sign = "−" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


# A North American number as stored (E.164, "+16175550142"): area code and exchange begin
# with 2-9, which is what makes phonenumbers format it "(617) 555-0142".
_NANP = re.compile(r"\+1([2-9]\d\d)([2-9]\d\d)(\d{4})")


def national_phone(e164: str | None) -> str:
    """A stored number as the phone field's `as_national` writes it: "(617) 555-0142" for a
    North American number, without parsing it (a list shows one a row); any other as
    phonenumbers formats it, and "" for none or one it cannot read."""
    if not e164:
        return ""
    match = _NANP.fullmatch(e164)
    if match:
        return "({}) {}-{}".format(*match.groups())
    return getattr(to_python(e164), "as_national", "")


def date_formatter(fmt: str):
    """format_date(value, fmt, tz) for many values in the active language, as one function: the
    format parsed and the language's names looked up once, not for each value (a page that
    formats dozens of instants spent most of each one there)."""
    pieces, names = _compile(fmt), _names()
    has_time = any(is_letter and text in _TIME_LETTERS for is_letter, text in pieces)

    def formatted(value, tz: dt.tzinfo | str | None = None) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                if isinstance(tz, str):
                    tz = ZoneInfo(tz)  # cached by zoneinfo: cheap after the first
                value = value.astimezone(tz or timezone.get_current_timezone())
        elif has_time:
            raise ValueError(f"time letters in {fmt!r} for a date")
        return _format_local(value, pieces, names)

    return formatted
