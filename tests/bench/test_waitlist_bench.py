"""The waitlist benchmark (bench/waitlist.py) measures a real cancel and first round, and
leaves nothing behind."""

import datetime as dt

import pytest

from bench.waitlist import measure
from scheduling.models import InfusionSession, Location
from waitlist.models import FreedSlot, WaitlistEntry

pytestmark = pytest.mark.django_db


def test_the_benchmark_times_a_cancel_and_its_first_round_then_rolls_back(clock):
    clock.travel(dt.datetime(2027, 3, 1, 17, tzinfo=dt.UTC))  # noon in Boston: inside calling hours
    figures = measure(patients=30)
    assert figures["offers_sent"] == 3
    assert figures["cancel_ms"] > 0 and figures["first_round_ms"] > 0
    assert figures["first_round_queries"] < 100
    assert not Location.objects.filter(slug="bench-waitlist").exists()
    assert not (WaitlistEntry.objects.exists() or FreedSlot.objects.exists())
    assert not InfusionSession.objects.exists()
