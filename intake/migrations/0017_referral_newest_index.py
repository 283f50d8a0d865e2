from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking the referrals against new ones (a busy clinic's table is large).
    atomic = False

    dependencies = [
        ("intake", "0016_provider_referral_count"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="referral",
            index=models.Index(fields=["-created_at", "-id"], name="referral_newest_idx"),
        ),
    ]
