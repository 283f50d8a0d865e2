from django.db import migrations, models

STATUSES = ["scheduled", "sending", "sent", "failed", "cancelled", "suppressed", "unknown"]

# The new check is added NOT VALID and validated apart: validating takes a lock that lets writes
# go on, where a plain ADD CONSTRAINT would hold the whole outbox while it reads every row.
FORWARD = """
ALTER TABLE clinic_message DROP CONSTRAINT message_status_valid;
ALTER TABLE clinic_message ADD CONSTRAINT message_status_valid
    CHECK (status IN ({statuses})) NOT VALID;
ALTER TABLE clinic_message VALIDATE CONSTRAINT message_status_valid;
"""
BACKWARD = """
ALTER TABLE clinic_message DROP CONSTRAINT message_status_valid;
ALTER TABLE clinic_message ADD CONSTRAINT message_status_valid CHECK (status IN ({statuses}));
"""


def _quoted(statuses):
    return ", ".join(f"'{status}'" for status in statuses)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0013_voice_opt_out_callback_consent"),
    ]

    operations = [
        # Nullable without a default: PostgreSQL adds it without rewriting the table.
        migrations.AddField(
            model_name="message",
            name="handed_over_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    FORWARD.format(statuses=_quoted(STATUSES)),
                    BACKWARD.format(statuses=_quoted(STATUSES[:-1])),
                )
            ],
            state_operations=[
                migrations.RemoveConstraint(model_name="message", name="message_status_valid"),
                migrations.AlterField(
                    model_name="message",
                    name="status",
                    field=models.CharField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("sending", "Sending"),
                            ("sent", "Sent"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                            ("suppressed", "Not sent"),
                            ("unknown", "Outcome unknown"),
                        ],
                        default="scheduled",
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="message",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("status__in", STATUSES)),
                        name="message_status_valid",
                    ),
                ),
            ],
        ),
    ]
