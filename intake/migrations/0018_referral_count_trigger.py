"""Each provider's referral_count kept by the database (issue 19's provider list reads it): a
trigger counts every referral inserted, deleted or moved to another provider, whatever writes
it (the portal's referral_submit, the admin, a data fix in psql), and the count is taken again
here in case anything drifted since 0016."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION intake_referral_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A bulk load (the benchmark's, bench/scale) counts once at its end instead, having said
    -- so for its own transaction: SET LOCAL portal.counting_referrals = 'off'.
    IF current_setting('portal.counting_referrals', true) = 'off' THEN
        RETURN NULL;
    END IF;
    -- The provider's row stays locked until commit: simultaneous referrals of one provider are
    -- counted one after the other, and a rolled-back referral takes its count back with it.
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE intake_referringprovider SET referral_count = referral_count - 1
         WHERE id = OLD.provider_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE intake_referringprovider SET referral_count = referral_count + 1
         WHERE id = NEW.provider_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER intake_referral_counted AFTER INSERT OR DELETE ON intake_referral
    FOR EACH ROW EXECUTE FUNCTION intake_referral_counted();
CREATE TRIGGER intake_referral_recounted AFTER UPDATE OF provider_id ON intake_referral
    FOR EACH ROW WHEN (OLD.provider_id IS DISTINCT FROM NEW.provider_id)
    EXECUTE FUNCTION intake_referral_counted();
UPDATE intake_referringprovider p
   SET referral_count = (SELECT count(*) FROM intake_referral r WHERE r.provider_id = p.id);
"""

BACKWARD = """
DROP TRIGGER intake_referral_recounted ON intake_referral;
DROP TRIGGER intake_referral_counted ON intake_referral;
DROP FUNCTION intake_referral_counted();
"""


class Migration(migrations.Migration):
    dependencies = [("intake", "0017_referral_newest_index")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
