from django.db import migrations


def install_defaults(apps, schema_editor):
    from clinic.messaging import defaults

    defaults.install(apps.get_model("clinic", "MessageTemplate"), apps.get_model("clinic", "ReminderPlanEntry"))


class Migration(migrations.Migration):
    """A fresh database starts with the default reminder plan and message words."""

    dependencies = [
        ("clinic", "0004_messaging"),
    ]

    operations = [migrations.RunPython(install_defaults, migrations.RunPython.noop)]
