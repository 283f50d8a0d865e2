"""intake's settings-area pages (intake/admin.py)."""

import pytest
from django.contrib import admin
from django.forms import modelform_factory

from intake.models import ReferringProvider
from tests.factories.intake import ProviderFactory, submit_referral
from tests.factories.scheduling import LocationFactory

pytestmark = pytest.mark.django_db


def test_editing_a_provider_keeps_the_referrals_counted_meanwhile(rf, make_user):
    """The change form saves the provider it loaded: a referral counted between the load and
    the save (referral_submit) must not be written back to the older count."""
    provider = ProviderFactory(practice_name="Old name")
    loaded = ReferringProvider.objects.get(pk=provider.pk)  # the change form's copy
    submit_referral(provider=provider, location=LocationFactory())
    request = rf.post("/")
    request.user = make_user(role="admin", is_staff=True, is_superuser=True)
    form = modelform_factory(ReferringProvider, fields=["practice_name"])(
        {"practice_name": "New name"}, instance=loaded
    )
    assert form.is_valid()
    admin.site._registry[ReferringProvider].save_model(request, form.save(commit=False), form, True)
    provider.refresh_from_db()
    assert (provider.practice_name, provider.referral_count) == ("New name", 1)
