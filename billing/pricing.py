"""The arithmetic of an estimate, kept pure: plain data in, plain data out, no database.

Every amount is a Decimal quantised to the cent. A course is priced as:
  consultation x 1 + infusion x N (less the package discount when a package for N infusions is
  cheaper) + the drug x N + optional items (per infusion x N, or once per course).
Items scheduled separately (a follow-up visit, say) are listed with their price but never added:
they get their own Good Faith Estimate when they are scheduled.
total_low leaves the optional items out; total_high includes them. The deposit is paid up front
and credited against the total (never more than total_low). The late-cancellation fee is not part
of the total: it is shown as a possible extra charge.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from clinic.errors import ApplicationError

MAX_INFUSIONS = 6
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

CONSULTATION = "consultation"
INFUSION = "infusion"
OPTIONAL = "optional"
LATE_CANCELLATION = "late_cancellation"
DEPOSIT = "deposit"
DRUG = "drug"
SEPARATE = "separate"
PACKAGE_DISCOUNT = "package_discount"


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PriceItem:
    kind: str
    service_code: str
    description: str
    unit_price: Decimal
    per_infusion: bool = False
    description_es: str = ""


@dataclass(frozen=True)
class PriceList:
    """One fee schedule version, as plain data."""

    effective_date: date
    items: Sequence[PriceItem]
    packages: Mapping[int, Decimal] = field(default_factory=dict)
    schedule_id: int | None = None

    def single(self, kind: str) -> PriceItem | None:
        return next((item for item in self.items if item.kind == kind), None)


@dataclass(frozen=True)
class Line:
    kind: str
    service_code: str
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    optional: bool = False
    description_es: str = ""

    @property
    def separate(self) -> bool:
        """Scheduled apart from the course: listed on the GFE, never in its totals."""
        return self.kind == SEPARATE


@dataclass(frozen=True)
class Quote:
    infusion_count: int
    effective_date: date
    lines: tuple[Line, ...]
    total_low: Decimal
    total_high: Decimal
    package_discount: Decimal
    deposit_due: Decimal
    late_cancellation_fee: Decimal
    primary_service: str
    primary_service_code: str
    schedule_id: int | None = None

    @property
    def has_range(self) -> bool:
        return self.total_high != self.total_low

    @property
    def required_lines(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if not line.optional and not line.separate)

    @property
    def optional_lines(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if line.optional)

    @property
    def separate_lines(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if line.separate)


def _line(item: PriceItem, quantity: int, *, optional: bool = False) -> Line:
    unit = cents(item.unit_price)
    return Line(
        kind=item.kind,
        service_code=item.service_code,
        description=item.description,
        quantity=quantity,
        unit_price=unit,
        amount=cents(unit * quantity),
        optional=optional,
        description_es=item.description_es,
    )


def _package_discount(prices: PriceList, infusion_count: int, infusions: Line) -> Line | None:
    """The prepaid package's discount on the infusions, when its price is below theirs."""
    package_price = prices.packages.get(infusion_count)
    if package_price is None or cents(package_price) >= infusions.amount:
        return None
    discount = infusions.amount - cents(package_price)
    return Line(
        kind=PACKAGE_DISCOUNT,
        service_code="",
        description=f"Prepaid package discount ({infusion_count} infusions for "
        f"${cents(package_price):,})",
        quantity=1,
        unit_price=-discount,
        amount=-discount,
    )


def price_course(prices: PriceList, infusion_count: int) -> Quote:
    """Line items and totals for a course of `infusion_count` infusions. Raises ApplicationError
    when the count is out of range or the schedule lacks a consultation or infusion price."""
    if not 1 <= infusion_count <= MAX_INFUSIONS:
        raise ApplicationError(
            f"A course has 1 to {MAX_INFUSIONS} infusions.", field="infusion_count"
        )
    consultation = prices.single(CONSULTATION)
    infusion = prices.single(INFUSION)
    if consultation is None or infusion is None:
        raise ApplicationError(
            "This location's fee schedule has no consultation or infusion price yet."
        )

    lines: list[Line] = []

    def add(item: PriceItem, quantity: int, *, optional: bool = False) -> Line:
        line = _line(item, quantity, optional=optional)
        lines.append(line)
        return line

    add(consultation, 1)
    infusions = add(infusion, infusion_count)

    discount = ZERO
    package_line = _package_discount(prices, infusion_count, infusions)
    if package_line is not None:
        discount = -package_line.amount
        lines.append(package_line)

    drug = prices.single(DRUG)
    if drug is not None:
        # The drug is its own line (with its own code), given once per infusion; a package
        # price replaces the infusion sessions only.
        add(drug, infusion_count)
    for item in prices.items:
        if item.kind == OPTIONAL:
            add(item, infusion_count if item.per_infusion else 1, optional=True)
    for item in prices.items:
        if item.kind == SEPARATE:
            add(item, 1)

    in_course = [line for line in lines if not line.separate]
    total_low = sum((line.amount for line in in_course if not line.optional), ZERO)
    total_high = total_low + sum((line.amount for line in in_course if line.optional), ZERO)
    deposit = prices.single(DEPOSIT)
    late = prices.single(LATE_CANCELLATION)
    return Quote(
        infusion_count=infusion_count,
        effective_date=prices.effective_date,
        lines=tuple(lines),
        total_low=total_low,
        total_high=total_high,
        package_discount=discount,
        deposit_due=min(cents(deposit.unit_price), total_low) if deposit else ZERO,
        late_cancellation_fee=cents(late.unit_price) if late else ZERO,
        primary_service=infusion.description,
        primary_service_code=infusion.service_code,
        schedule_id=prices.schedule_id,
    )
