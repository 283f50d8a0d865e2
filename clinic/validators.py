"""Validators every app shares: typed numbers and identifiers, and names a person can read."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def is_ascii_digits(value: str) -> bool:
    """Only 0-9. str.isdigit() also accepts "０２１１６" and "١٢٣", which int() reads but the
    database constraints, the ZIP table and the card networks do not."""
    return bool(value) and value.isascii() and value.isdigit()


def npi_is_valid(npi: str) -> bool:
    """An NPI: 10 digits, the first 1 or 2, and the last a Luhn check digit computed over
    '80840' + the first nine (the health-industry prefix; CMS publishes the algorithm)."""
    if not (isinstance(npi, str) and len(npi) == 10 and is_ascii_digits(npi)):
        return False
    if npi[0] not in "12":
        return False
    total = 0
    # From the right, double every second digit (the check digit itself is not doubled).
    for i, digit in enumerate(int(c) for c in reversed("80840" + npi)):
        if i % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def validate_npi(value: str) -> None:
    value = (value or "").strip() if isinstance(value, str) else ""
    if len(value) != 10 or not is_ascii_digits(value):
        raise ValidationError(_("An NPI is exactly 10 digits."), code="npi_format")
    if value[0] not in "12":
        raise ValidationError(_("An NPI starts with 1 or 2."), code="npi_first_digit")
    if not npi_is_valid(value):
        raise ValidationError(
            _("This NPI's check digit does not match. Please check the number."), code="npi_check"
        )


# Ordinary white space a multi-line field may hold; every other control (Cc) or format (Cf)
# character is invisible or reorders what is shown (U+202E, the right-to-left override, makes
# "evil.exe" read "exe.live"), and has no place in what a person types.
MULTILINE_WHITESPACE = frozenset("\n\r\t")


def invisible_characters(value: str, *, allowed: frozenset = frozenset()) -> list[str]:
    return sorted(
        {c for c in value if unicodedata.category(c) in ("Cc", "Cf") and c not in allowed}
    )


def validate_no_control_characters(value: str) -> None:
    """For names and other one-line text."""
    if invisible_characters(value or ""):
        raise ValidationError(
            _("Remove the invisible or control characters from this text."), code="control_char"
        )


def validate_no_control_characters_multiline(value: str) -> None:
    """For notes: new lines and tabs are fine, other control characters are not."""
    if invisible_characters(value or "", allowed=MULTILINE_WHITESPACE):
        raise ValidationError(
            _("Remove the invisible or control characters from this text."), code="control_char"
        )
