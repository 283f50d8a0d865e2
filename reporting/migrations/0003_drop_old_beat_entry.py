from django.db import migrations

OLD_ENTRY = "refresh-responder-counts"


def drop_old_entry(apps, schema_editor):
    # django-celery-beat keeps the row of an entry the settings no longer name, and beat would
    # go on calling it beside "refresh-dashboard-figures", which does the same work and more.
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=OLD_ENTRY).delete()


class Migration(migrations.Migration):
    """Beat's "refresh-responder-counts" became "refresh-dashboard-figures" (issue 22)."""

    dependencies = [
        ("reporting", "0002_operations_figures"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(drop_old_entry, migrations.RunPython.noop)]
