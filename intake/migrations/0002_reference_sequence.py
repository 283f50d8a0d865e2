from django.db import migrations


class Migration(migrations.Migration):
    """Referral references (R-2026-00042) number from a sequence, so two providers submitting at
    the same moment never get the same one."""

    dependencies = [("intake", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE intake_referral_reference_seq START 1",
            "DROP SEQUENCE intake_referral_reference_seq",
        )
    ]
