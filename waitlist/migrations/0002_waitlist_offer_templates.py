from django.db import migrations


def install_defaults(apps, schema_editor):
    from clinic.messaging import defaults

    defaults.install(
        apps.get_model("clinic", "MessageTemplate"), apps.get_model("clinic", "ReminderPlanEntry")
    )


class Migration(migrations.Migration):
    """Adds the waitlist offer's text and e-mail (install() never overwrites edits)."""

    dependencies = [("waitlist", "0001_waitlist"), ("clinic", "0018_constraint_messages")]

    operations = [migrations.RunPython(install_defaults, migrations.RunPython.noop)]
