from django.db import migrations
import timezone_field.fields


def copy_from_referral(apps, schema_editor):
    IntakeCase = apps.get_model("intake", "IntakeCase")
    for case in IntakeCase.objects.select_related("referral"):
        case.time_zone = case.referral.patient_time_zone
        case.urgent = case.referral.urgency == "urgent"
        case.next_attempt_at = case.created_at
        case.save(update_fields=["time_zone", "urgent", "next_attempt_at"])


class Migration(migrations.Migration):
    dependencies = [("intake", "0003_call_queue")]

    operations = [
        migrations.RunPython(copy_from_referral, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="intakecase",
            name="time_zone",
            field=timezone_field.fields.TimeZoneField(use_pytz=False),
        ),
        # Call attempts are a record of what happened: a correction is a new entry.
        migrations.RunSQL(
            """
            CREATE FUNCTION intake_callattempt_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'call attempts are append-only';
            END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER intake_callattempt_append_only
                BEFORE UPDATE OR DELETE ON intake_callattempt
                FOR EACH ROW EXECUTE FUNCTION intake_callattempt_append_only();
            """,
            """
            DROP TRIGGER intake_callattempt_append_only ON intake_callattempt;
            DROP FUNCTION intake_callattempt_append_only();
            """,
        ),
    ]
