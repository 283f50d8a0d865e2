"""Beat's schedule after an upgrade: the entry renamed in issue 22 does not go on running beside
its successor (django-celery-beat keeps rows of entries the settings no longer name)."""

import importlib

import pytest
from django.apps import apps
from django_celery_beat.models import IntervalSchedule, PeriodicTask

drop = importlib.import_module("reporting.migrations.0003_drop_old_beat_entry")


@pytest.mark.django_db
def test_the_old_responder_entry_is_removed_and_the_dashboard_entry_kept():
    every = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(
        name="refresh-responder-counts",
        task="reporting.tasks.refresh_responder_counts",
        interval=every,
    )
    PeriodicTask.objects.create(
        name="refresh-dashboard-figures",
        task="reporting.tasks.refresh_dashboard_figures",
        interval=every,
    )

    drop.drop_old_entry(apps, None)

    assert list(PeriodicTask.objects.values_list("name", flat=True)) == [
        "refresh-dashboard-figures"
    ]
