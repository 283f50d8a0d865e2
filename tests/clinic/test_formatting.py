"""clinic.formatting: dates and times in a zone with its abbreviation, and money, in English and
Spanish. The formats are Django's date-filter letters; the output matches Django's except that
Spanish month abbreviations stay lower-case."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, translation
from phonenumber_field.phonenumber import to_python

from clinic.formatting import (
    clock,
    date_formatter,
    format_date,
    format_each,
    national_phone,
    usd,
    when,
    when_both,
    when_each,
)

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
UTC = dt.UTC


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def spanish():
    with translation.override("es"):
        yield


def test_a_time_in_a_zone_shows_the_zone(english):
    instant = dt.datetime(2026, 12, 3, 18, 5, tzinfo=UTC)
    assert format_date(instant, "D j M Y, g:i A T", NY) == "Thu 3 Dec 2026, 1:05 PM EST"
    assert format_date(instant, "M j, g:i A T", LA) == "Dec 3, 10:05 AM PST"
    assert format_date(instant, "Y-m-d H:i:s", UTC) == "2026-12-03 18:05:00"
    assert when(instant, NY) == "Thu 3 Dec 2026, 1:05 PM EST"
    assert clock(instant, LA) == "10:05 AM PST"


def test_the_dst_day_changes_the_abbreviation_and_the_offset(english):
    # US clocks go forward on Sunday 14 March 2027 at 2:00.
    before = dt.datetime(2027, 3, 14, 6, 30, tzinfo=UTC)  # 1:30 EST
    after = dt.datetime(2027, 3, 14, 7, 30, tzinfo=UTC)  # 3:30 EDT, one hour later
    assert when(before, NY) == "Sun 14 Mar 2027, 1:30 AM EST"
    assert when(after, NY) == "Sun 14 Mar 2027, 3:30 AM EDT"
    # Back on 7 November 2027: 1:30 happens twice, told apart by the abbreviation.
    first = dt.datetime(2027, 11, 7, 5, 30, tzinfo=UTC)
    second = dt.datetime(2027, 11, 7, 6, 30, tzinfo=UTC)
    assert clock(first, NY) == "1:30 AM EDT"
    assert clock(second, NY) == "1:30 AM EST"


def test_spanish_day_and_month_names_are_lower_case(spanish):
    instant = dt.datetime(2026, 12, 3, 18, 5, tzinfo=UTC)  # a Thursday
    assert when(instant, NY) == "jue 3 dic 2026, 13:05 EST"
    assert format_date(instant, "D j M Y", NY) == "jue 3 dic 2026"  # M too, unlike Django
    assert format_date(instant, "l j \\d\\e F \\d\\e Y", NY) == "jueves 3 de diciembre de 2026"
    assert format_date(dt.date(2027, 1, 4), "D j b Y") == "lun 4 ene 2027"
    assert format_date(dt.date(2027, 9, 1), "M") == "sep"
    # The formats translators keep in the catalogue still apply.
    issued = format_date(instant, translation.gettext("F j, Y, g:i A T"), NY)
    assert issued == "3 de diciembre de 2026, 13:05 EST"


def test_the_patients_own_time_is_added_when_their_zone_differs():
    instant = dt.datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
    with translation.override("en"):
        assert when_both(instant, NY, LA) == "Thu 3 Dec 2026, 1:00 PM EST (10:00 AM PST your time)"
        assert when_both(instant, NY, NY) == "Thu 3 Dec 2026, 1:00 PM EST"
        assert when_both(instant, NY, None) == "Thu 3 Dec 2026, 1:00 PM EST"
        # Another zone name on the same offset: nothing to add.
        assert when_both(instant, NY, ZoneInfo("America/Detroit")) == when(instant, NY)


@pytest.mark.parametrize(
    "fmt",
    ["D j M Y", "l j F Y", "M j, Y", "D M j, Y", "F j, Y", "Y-m-d", "D j M Y, H:i", "g:i A T"],
)
@pytest.mark.parametrize("hour", [0, 9, 12, 23])
def test_english_matches_djangos_date_format(english, fmt, hour):
    local = dt.datetime(2027, 2, 28, hour, 7, tzinfo=NY)
    assert format_date(local, fmt, NY) == formats.date_format(local, fmt)


def test_a_datetime_without_a_zone_argument_is_shown_in_the_active_zone(english):
    from django.utils import timezone

    instant = dt.datetime(2026, 12, 3, 18, 5, tzinfo=UTC)
    with timezone.override(LA):
        assert format_date(instant, "g:i A T") == "10:05 AM PST"
    assert format_date(instant, "g:i A T", "America/Chicago") == "12:05 PM CST"  # a zone name


def test_nothing_to_show_and_unsupported_letters():
    assert format_date(None, "D j M Y") == "" and format_date("", "D j M Y") == ""
    with pytest.raises(ValueError, match="not supported"):
        format_date(dt.date(2026, 1, 1), "D jS M")
    with pytest.raises(ValueError, match="time letters"):
        format_date(dt.date(2026, 1, 1), "D j M g:i")


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1234"), "$1,234.00"),
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("0"), "$0.00"),
        (Decimal("-300"), "−$300.00"),  # a discount: a minus sign, not a hyphen
        (Decimal("1000000.005"), "$1,000,000.00"),  # banker's rounding, as Decimal formats
        ("650.00", "$650.00"),
        (None, ""),
        ("", ""),
    ],
)
def test_money(amount, shown):
    assert usd(amount) == shown
    with translation.override("es"):
        assert usd(amount) == shown  # US dollars read the same on the Spanish pages


@pytest.mark.parametrize(
    "stored",
    [
        "+16175550142",
        "+13105559876",
        "+12125550199",
        "+19995551234",  # not a real area code: still written as phonenumbers writes it
        "+11235550142",  # an area code beginning with 1: not North American, phonenumbers' way
        "+16171555014",  # an exchange beginning with 1: phonenumbers' way
        "+1617555014",  # too short
        "+442079460958",  # London
        "+34912345678",  # Madrid
        "+525512345678",  # Mexico City
        "not a number",
        "",
    ],
)
def test_a_stored_phone_reads_as_the_phone_field_shows_it(stored):
    """Lists format each row's number without parsing it; the result is the field's own
    `as_national` ("" where it has none)."""
    assert national_phone(stored) == getattr(to_python(stored), "as_national", "")


def test_north_american_numbers_read_as_the_field_shows_them_whatever_their_digits():
    for area in range(200, 1000, 37):
        for exchange in range(200, 1000, 53):
            stored = f"+1{area}{exchange}{(area * exchange) % 10000:04d}"
            assert national_phone(stored) == to_python(stored).as_national, stored


# Around both 2027 DST changes in New York and a day in Los Angeles: every 20 minutes of a day.
MANY = [
    dt.datetime(2027, 3, 13, 22, tzinfo=NY) + dt.timedelta(minutes=20 * k) for k in range(72)
] + [dt.datetime(2027, 11, 6, 22, tzinfo=NY) + dt.timedelta(minutes=20 * k) for k in range(72)]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("tz", [NY, LA, UTC])
def test_when_each_and_format_each_say_what_when_and_format_date_say(language, tz):
    instants = [*MANY, *MANY[:5]]  # a repeated instant is written once
    with translation.override(language):
        assert when_each(instants, tz) == {i: when(i, tz) for i in instants}
        for fmt in ("g:i A", "D j M Y, H:i T"):
            assert format_each(instants, fmt, tz) == {i: format_date(i, fmt, tz) for i in instants}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("fmt", ["M j, Y, g:i A T", "D M j, Y, g:i A T", "M j, g:i A T", "M j, Y"])
def test_a_prepared_format_gives_what_format_date_gives(language, fmt):
    """date_formatter(fmt) (the chart's dates, formatted in the language active when it was
    made) is format_date(value, fmt, zone) for every value and zone."""
    instants = [
        dt.datetime(2027, 3, 14, 6, 30, tzinfo=UTC),  # 1:30 EST, before the spring change
        dt.datetime(2027, 3, 14, 7, 30, tzinfo=UTC),  # 3:30 EDT, after it
        dt.datetime(2026, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
    ]
    with translation.override(language):
        formatted = date_formatter(fmt)
        for value in instants:
            for zone in (NY, "America/Los_Angeles", "Pacific/Honolulu", None):
                assert formatted(value, zone) == format_date(value, fmt, zone)
        if "g" not in fmt:
            assert formatted(dt.date(2028, 2, 29)) == format_date(dt.date(2028, 2, 29), fmt)
        assert formatted(None) == "" == formatted("")
    if "g" in fmt:
        with pytest.raises(ValueError, match="time letters"):
            formatted(dt.date(2026, 1, 1))
