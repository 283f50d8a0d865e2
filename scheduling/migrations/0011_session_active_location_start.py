from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking the sessions against bookings.
    atomic = False

    dependencies = [
        ("scheduling", "0010_group_holds"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="infusionsession",
            index=models.Index(
                condition=models.Q(("status__in", ["booked", "checked_in", "completed"])),
                fields=["location", "starts_at"],
                include=("ends_at", "infusion_ends_at", "chair", "id"),
                name="session_active_location_start",
            ),
        ),
    ]
