"""The arithmetic of an estimate, to the cent, with no database."""

import datetime as dt
from decimal import Decimal as D

import pytest

from billing.pricing import PriceItem, PriceList, price_course
from clinic.errors import ApplicationError

ITEMS = (
    PriceItem("consultation", "99205", "Initial consultation", D("450.00")),
    PriceItem("infusion", "96365", "IV infusion with monitoring", D("650.00")),
    PriceItem("optional", "J2405", "Anti-nausea medication", D("34.95"), per_infusion=True),
    PriceItem("late_cancellation", "", "Late-cancellation fee", D("150.00")),
    PriceItem("deposit", "", "Deposit", D("250.00")),
)
PACKAGES = {4: D("2300.00"), 6: D("3300.00")}
DAY = dt.date(2026, 1, 1)


def prices(items=ITEMS, packages=PACKAGES):
    return PriceList(effective_date=DAY, items=items, packages=packages)


# N: (total_low, total_high, package discount). Worked by hand:
# low = 450 + 650 x N (less the package discount); high = low + 34.95 x N.
WITH_PACKAGES = {
    1: ("1100.00", "1134.95", "0.00"),
    2: ("1750.00", "1819.90", "0.00"),
    3: ("2400.00", "2504.85", "0.00"),
    4: ("2750.00", "2889.80", "300.00"),  # 2600 of infusions for a 2300 package
    5: ("3700.00", "3874.75", "0.00"),
    6: ("3750.00", "3959.70", "600.00"),  # 3900 of infusions for a 3300 package
}
WITHOUT_PACKAGES = {
    1: ("1100.00", "1134.95"),
    2: ("1750.00", "1819.90"),
    3: ("2400.00", "2504.85"),
    4: ("3050.00", "3189.80"),
    5: ("3700.00", "3874.75"),
    6: ("4350.00", "4559.70"),
}


@pytest.mark.parametrize("n", range(1, 7))
def test_totals_for_1_to_6_infusions_with_packages_and_optional_items(n):
    low, high, discount = WITH_PACKAGES[n]
    quote = price_course(prices(), n)
    assert (quote.total_low, quote.total_high, quote.package_discount) == (
        D(low),
        D(high),
        D(discount),
    )
    assert quote.has_range
    assert sum(line.amount for line in quote.lines) == quote.total_high
    assert sum(line.amount for line in quote.required_lines) == quote.total_low


@pytest.mark.parametrize("n", range(1, 7))
def test_totals_for_1_to_6_infusions_without_packages(n):
    low, high = WITHOUT_PACKAGES[n]
    quote = price_course(prices(packages={}), n)
    assert (quote.total_low, quote.total_high) == (D(low), D(high))
    assert quote.package_discount == D("0.00")
    assert all(line.kind != "package_discount" for line in quote.lines)


@pytest.mark.parametrize("n", range(1, 7))
def test_without_optional_items_there_is_no_range(n):
    quote = price_course(prices(items=[i for i in ITEMS if i.kind != "optional"]), n)
    assert quote.total_low == quote.total_high == D(WITH_PACKAGES[n][0])
    assert not quote.has_range


def test_line_items_show_quantities_unit_prices_and_codes():
    quote = price_course(prices(), 6)
    rows = [
        (li.service_code, li.quantity, li.unit_price, li.amount, li.optional) for li in quote.lines
    ]
    assert rows == [
        ("99205", 1, D("450.00"), D("450.00"), False),
        ("96365", 6, D("650.00"), D("3900.00"), False),
        ("", 1, D("-600.00"), D("-600.00"), False),
        ("J2405", 6, D("34.95"), D("209.70"), True),
    ]
    assert "6 infusions for $3,300.00" in quote.lines[2].description
    assert quote.primary_service == "IV infusion with monitoring"
    assert quote.primary_service_code == "96365"


def test_deposit_and_late_cancellation_fee_are_reported_but_not_added_to_the_total():
    quote = price_course(prices(), 2)
    assert quote.deposit_due == D("250.00")
    assert quote.late_cancellation_fee == D("150.00")
    assert quote.total_low == D("1750.00")


def test_deposit_is_never_more_than_the_total():
    items = [i for i in ITEMS if i.kind != "deposit"] + [
        PriceItem("deposit", "", "Deposit", D("5000"))
    ]
    assert price_course(prices(items=items), 1).deposit_due == D("1100.00")


def test_a_package_dearer_than_single_infusions_is_not_applied():
    quote = price_course(prices(packages={2: D("1400.00")}), 2)
    assert quote.package_discount == D("0.00")
    assert quote.total_low == D("1750.00")


def test_a_per_course_optional_item_is_counted_once_and_prices_round_to_the_cent():
    items = list(ITEMS) + [PriceItem("optional", "", "Care kit", D("12.345"), per_infusion=False)]
    quote = price_course(prices(items=items), 3)
    kit = quote.lines[-1]
    assert (kit.quantity, kit.unit_price, kit.amount) == (1, D("12.35"), D("12.35"))
    assert quote.total_high == D("2504.85") + D("12.35")


@pytest.mark.parametrize("n", [0, 7, -1])
def test_a_course_has_1_to_6_infusions(n):
    with pytest.raises(ApplicationError, match="1 to 6"):
        price_course(prices(), n)


def test_a_schedule_without_an_infusion_price_is_refused():
    with pytest.raises(ApplicationError, match="no consultation or infusion price"):
        price_course(prices(items=ITEMS[:1]), 1)
