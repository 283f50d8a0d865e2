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


# Each supported letter of Django's date format as a Python expression of the value `d` and the
# language's names `n`.
_LETTERS = {
    "d": "f'{d.day:02d}'",
    "j": "str(d.day)",
    "D": "n.weekdays_abbr[d.weekday()]",
    "l": "n.weekdays[d.weekday()]",
    "m": "f'{d.month:02d}'",
    "n": "str(d.month)",
    "M": "n.months_abbr[d.month - 1]",
    "b": "n.months_abbr[d.month - 1].lower()",
    "F": "n.months[d.month - 1]",
    "Y": "str(d.year)",
    "y": "f'{d.year % 100:02d}'",
    "g": "str(d.hour % 12 or 12)",
    "h": "f'{d.hour % 12 or 12:02d}'",
    "G": "str(d.hour)",
    "H": "f'{d.hour:02d}'",
    "i": "f'{d.minute:02d}'",
    "s": "f'{d.second:02d}'",
    "A": "n.am_pm[d.hour >= 12]",
    "T": "(d.tzname() or '')",
}
_TIME_LETTERS = set("ghGHisAT")
# Letters Django's format knows that these formatters do not: refused, never printed as-is.
_UNSUPPORTED = set("aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ") - set(_LETTERS)


@lru_cache(maxsize=256)
def _compile(fmt: str):
    """A format as one Python function of (value, names): a table formats hundreds of values
    with the same few formats, and one call a value costs a tenth of one call a letter. The
    function's source is built only from the expressions above and repr() of the literal text
    between letters (a backslash escapes a letter), so nothing in `fmt` is ever run as code.
    Returns (function, whether it has time letters)."""
    parts: list[str] = []
    literal: list[str] = []
    has_time = False
    escaped = False
    for char in fmt:
        if escaped:
            literal.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _LETTERS:
            if literal:
                parts.append(repr("".join(literal)))
                literal = []
            parts.append(_LETTERS[char])
            has_time = has_time or char in _TIME_LETTERS
        elif char in _UNSUPPORTED:
            raise ValueError(f"format letter {char!r} is not supported (in {fmt!r})")
        else:
            literal.append(char)
    if literal:
        parts.append(repr("".join(literal)))
    body = " + ".join(parts) or "''"
    function = eval(f"lambda d, n: {body}", {"__builtins__": {"str": str}})  # noqa: S307
    return function, has_time


def format_date(value, fmt: str, tz: dt.tzinfo | str | None = None) -> str:
    """A date or datetime in Django's date-format letters, in the active language. An aware
    datetime is first moved to `tz` (a zone or its name; default: the active zone); None or ""
    gives ""."""
    if value is None or value == "":
        return ""
    function, has_time = _compile(fmt)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            if isinstance(tz, str):
                tz = ZoneInfo(tz)  # cached by zoneinfo: cheap after the first
            value = value.astimezone(tz or timezone.get_current_timezone())
    elif has_time:  # a date: only date letters make sense
        raise ValueError(f"time letters in {fmt!r} for a date")
    return function(value, _names())


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
