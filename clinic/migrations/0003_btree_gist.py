from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations


class Migration(migrations.Migration):
    """Exclusion constraints over (chair, time range) need btree_gist."""

    dependencies = [("clinic", "0002_patient_profile")]

    operations = [BtreeGistExtension()]
