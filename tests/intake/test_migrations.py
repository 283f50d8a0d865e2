"""intake's data migrations, run backwards and forwards on a database that has rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from intake.models import ReferringProvider
from tests.factories.intake import ProviderFactory, submit_referral
from tests.factories.scheduling import LocationFactory

BEFORE_COUNT = ("intake", "0015_referral_stored_search_name")
COUNT = ("intake", "0016_provider_referral_count")


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_the_count_of_referrals_starts_from_the_referrals_already_made():
    location = LocationFactory(slug="boston", name="Boston")
    busy, quiet, none = ProviderFactory(), ProviderFactory(), ProviderFactory()
    for i in range(3):
        submit_referral(provider=busy, location=location, mobile_phone=f"+1617555{i:04d}")
    submit_referral(provider=quiet, location=location, mobile_phone="+16175559999")
    _migrate(BEFORE_COUNT)  # the column goes...
    try:
        _migrate(COUNT)  # ...and comes back counted
    finally:
        _migrate(COUNT)
    counts = dict(ReferringProvider.objects.values_list("pk", "referral_count"))
    assert counts == {busy.pk: 3, quiet.pk: 1, none.pk: 0}
