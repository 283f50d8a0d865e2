import datetime

import django.db.models.functions.comparison
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking the open cases against new ones. The index of callbacks by time
    # alone goes: with it, PostgreSQL read every due callback and sorted them for 'Next call'.
    atomic = False

    dependencies = [
        ("intake", "0018_referral_count_trigger"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="intakecase",
            index=models.Index(
                models.OrderBy(models.F("urgent"), descending=True),
                models.F("created_at"),
                models.F("id"),
                models.F("callback_at"),
                django.db.models.functions.comparison.Coalesce(
                    models.F("next_attempt_at"),
                    models.Value(datetime.datetime(1970, 1, 1, 0, 0, tzinfo=datetime.UTC)),
                ),
                condition=models.Q(("callback_at__isnull", False), ("status", "open")),
                name="intake_open_due_idx",
            ),
        ),
        RemoveIndexConcurrently(model_name="intakecase", name="intake_open_callback_idx"),
    ]
