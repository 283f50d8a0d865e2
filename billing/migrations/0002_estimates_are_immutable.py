"""Issued estimates are documents: the database refuses to change or delete them (and their
lines), whatever the application, the admin or a stray script tries. TRUNCATE (used only by the
test suite's flush) does not fire row triggers."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION billing_refuse_change_to_issued() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'issued estimates are never changed or deleted (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_estimate_immutable
    BEFORE UPDATE OR DELETE ON billing_estimate
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change_to_issued();

CREATE TRIGGER billing_estimateline_immutable
    BEFORE UPDATE OR DELETE ON billing_estimateline
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change_to_issued();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS billing_estimateline_immutable ON billing_estimateline;
DROP TRIGGER IF EXISTS billing_estimate_immutable ON billing_estimate;
DROP FUNCTION IF EXISTS billing_refuse_change_to_issued();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
