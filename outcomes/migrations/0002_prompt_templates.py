from django.db import migrations

from clinic.messaging import defaults


def install(apps, schema_editor):
    defaults.install(
        apps.get_model("clinic", "MessageTemplate"), apps.get_model("clinic", "ReminderPlanEntry")
    )


class Migration(migrations.Migration):
    """Adds the diary prompt, the nudge and the questionnaire prompt (text and e-mail, English
    and Spanish) to the message templates (install() never overwrites edits)."""

    dependencies = [("outcomes", "0001_initial"), ("clinic", "0018_constraint_messages")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
