"""Search by name without accents and by phone in any format (intake/search.py).

unaccent() is only STABLE (its dictionary could change), so an index cannot use it directly;
portal_unaccent pins the dictionary and is declared IMMUTABLE, which is what PostgreSQL's own
documentation suggests for indexing unaccented text. Names inside the functions are schema-qualified:
pg_restore runs them with an empty search_path. The GIN trigram indexes answer LIKE '%…%'."""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION portal_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
CREATE OR REPLACE FUNCTION portal_search_name(text, text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT public.portal_unaccent(lower(coalesce($1, '') || ' ' || coalesce($2, ''))) $$;
"""
DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS portal_search_name(text, text);
DROP FUNCTION IF EXISTS portal_unaccent(text);
"""
INDEXES = """
CREATE INDEX referral_search_name_trgm ON intake_referral
    USING gin (portal_search_name(patient_first_name, patient_last_name) gin_trgm_ops);
CREATE INDEX referral_phone_trgm ON intake_referral USING gin (mobile_phone gin_trgm_ops);
"""
DROP_INDEXES = """
DROP INDEX IF EXISTS referral_search_name_trgm;
DROP INDEX IF EXISTS referral_phone_trgm;
"""


class Migration(migrations.Migration):
    dependencies = [("intake", "0010_copy_diagnosis_to_courses")]

    operations = [
        UnaccentExtension(),
        TrigramExtension(),
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
        migrations.RunSQL(INDEXES, DROP_INDEXES),
    ]
