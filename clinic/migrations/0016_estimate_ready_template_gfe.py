from django.db import migrations


def install_defaults(apps, schema_editor):
    from clinic.messaging import defaults

    defaults.install(
        apps.get_model("clinic", "MessageTemplate"), apps.get_model("clinic", "ReminderPlanEntry")
    )


class Migration(migrations.Migration):
    """Adds the 'estimate ready' text, call and e-mail (install() never overwrites edits)."""

    dependencies = [("clinic", "0015_audit_referral_security")]

    operations = [migrations.RunPython(install_defaults, migrations.RunPython.noop)]
