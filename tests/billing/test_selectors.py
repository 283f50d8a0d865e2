"""billing.selectors: reads that must say the same as the models they read."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import FeeItemKind, FeeSchedule
from billing.pricing import PriceItem, PriceList
from billing.selectors import fee_schedule_in_effect, price_list_for
from clinic.errors import ApplicationError
from tests.factories.billing import fee_schedule
from tests.factories.scheduling import LocationFactory

pytestmark = pytest.mark.django_db


def _from_models(location, on_date) -> PriceList:
    """The price list as it was built before it was read in one statement: the ORM's schedule
    with its prefetched items and packages."""
    schedule = fee_schedule_in_effect(location=location, on_date=on_date)
    return PriceList(
        effective_date=schedule.effective_date,
        schedule_id=schedule.pk,
        items=tuple(
            PriceItem(
                kind=i.kind,
                service_code=i.service_code,
                description=i.description,
                unit_price=i.unit_price,
                per_infusion=i.per_infusion,
                description_es=i.description_es,
            )
            for i in schedule.items.all()
        ),
        packages={p.infusion_count: p.price for p in schedule.packages.all()},
    )


def test_the_price_list_in_one_statement_is_the_schedule_in_effect_with_its_items_in_order(
    django_assert_num_queries,
):
    location = LocationFactory()
    fee_schedule(location, effective_date=dt.date(2026, 1, 1))
    newer = fee_schedule(
        location,
        effective_date=dt.date(2026, 6, 1),
        items=[
            (FeeItemKind.INFUSION, "96365", "IV infusion", "700.10", False),
            (FeeItemKind.CONSULTATION, "99205", "Consultation", "450.00", False),
            (FeeItemKind.OPTIONAL, "J2405", "Anti-nausea", "34.95", True),
        ],
        packages={6: "3300.00", 3: "1999.99"},
    )
    item = newer.items.get(kind=FeeItemKind.INFUSION)
    item.description_es, item.position = "Infusión IV", 5  # last now: the order is position's
    item.save()
    for day in (dt.date(2026, 3, 1), dt.date(2026, 6, 1), dt.date(2027, 1, 1)):
        with django_assert_num_queries(1):
            prices = price_list_for(location=location, on_date=day)
        assert prices == _from_models(location, day)
        assert list(prices.packages.items()) == list(_from_models(location, day).packages.items())
    later = price_list_for(location=location, on_date=dt.date(2026, 6, 1))
    assert later.schedule_id == newer.pk
    assert [i.kind for i in later.items] == ["consultation", "optional", "infusion"]
    assert later.items[-1].description_es == "Infusión IV"
    assert later.items[-1].unit_price == Decimal("700.10")
    assert later.packages == {3: Decimal("1999.99"), 6: Decimal("3300.00")}


def test_a_schedule_without_items_or_packages_reads_as_empty_and_none_before_the_first():
    location = LocationFactory()
    FeeSchedule.objects.create(location=location, effective_date=dt.date(2026, 1, 1))
    prices = price_list_for(location=location, on_date=dt.date(2026, 1, 1))
    assert prices.items == () and prices.packages == {}
    with pytest.raises(ApplicationError, match="no fee schedule in effect on 2025-12-31"):
        price_list_for(location=location, on_date=dt.date(2025, 12, 31))
