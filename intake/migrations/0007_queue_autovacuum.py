from django.db import migrations

# Every claim and every logged call rewrites a queue row and, since claimed_by is indexed, adds
# entries to each of its indexes. Left to PostgreSQL's default (vacuum once a fifth of the table
# is dead), tens of thousands of dead entries pile up at the head of the open-queue indexes and
# every 'Next call' walks through them. A queue table is vacuumed at 1% instead.
SETTINGS = "autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02"


class Migration(migrations.Migration):
    dependencies = [("intake", "0006_open_queue_order_indexes")]

    operations = [
        migrations.RunSQL(
            f"ALTER TABLE intake_intakecase SET ({SETTINGS})",
            "ALTER TABLE intake_intakecase RESET "
            "(autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)",
        )
    ]
