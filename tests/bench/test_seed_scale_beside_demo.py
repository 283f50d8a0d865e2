"""seed_scale and seed_demo load into the same database, in either order: the generator's
phone numbers and names never take one the demo uses."""

import datetime as dt

import pytest
from django.core.management import call_command

from bench.scale import scale_phone, seed_scale
from clinic.models import Role, User
from intake.models import Referral, ReferringProvider

NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_seed_scale_loads_beside_the_demo():
    call_command("seed_demo")
    demo = User.objects.get(email="patient@mail.example")
    counts = seed_scale(scale=0.002, seed=7, now=NOW, log=lambda *_: None)
    assert counts["intake_referral"] > 0
    assert User.objects.get(pk=demo.pk).phone == demo.phone  # the demo is untouched
    assert User.objects.filter(role=Role.PATIENT, email__endswith="@scale.example").exists()
    call_command("seed_demo")  # and the demo can still be seeded again beside it


@pytest.mark.django_db
def test_no_generated_number_is_one_the_demo_uses():
    call_command("seed_demo")
    demo = set(User.objects.exclude(phone="").values_list("phone", flat=True))
    demo |= set(Referral.objects.values_list("mobile_phone", flat=True))
    demo |= set(ReferringProvider.objects.values_list("phone", flat=True))
    demo = {str(phone) for phone in demo if phone}
    assert "+16175550142" in demo  # the demo patient
    # More than a full-scale run's people (100,000 referrals), each with a number of its own.
    generated = [scale_phone(n) for n in range(1, 128_000)]
    assert len(set(generated)) == len(generated)
    assert demo.isdisjoint(generated)
