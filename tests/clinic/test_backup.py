"""`./portal backup` and `./portal restore`: a dump of a database with rows in every app,
restored into a fresh database, holds every row; a non-empty database is not overwritten
unless asked."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from psycopg2 import sql

from tests.security.world import build_world

ROOT = Path(__file__).resolve().parents[2]


def _url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{name}"


def _portal(command: str, *args: str, database: str) -> subprocess.CompletedProcess:
    """What `./portal backup|restore` runs (./portal adds only the virtualenv's python)."""
    env = {**os.environ, "DATABASE_URL": _url(database)}
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "backup.py"), command, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _contents(name: str) -> dict[str, tuple[int, str]]:
    """Per table: row count and a checksum of every row."""
    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname=name,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"],
        port=db["PORT"],
    )
    with conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = sorted(t for (t,) in cursor.fetchall())
        found = {}
        for table in tables:
            cursor.execute(
                sql.SQL(
                    "SELECT count(*), coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') "
                    "FROM {} x"
                ).format(sql.Identifier(table))
            )
            found[table] = cursor.fetchone()
    conn.close()
    return found


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    yield name
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_a_fresh_database_keeps_every_row(
    tmp_path, settings, fresh_database
):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    build_world()  # patients, providers, referrals, cases, courses, sessions, estimates, messages
    source = connection.settings_dict["NAME"]
    original = _contents(source)
    filled = {t for t, (count, _) in original.items() if count}
    for table in ("intake_referral", "scheduling_infusionsession", "billing_estimate"):
        assert table in filled
    assert any(t.startswith("clinic_") and t in filled for t in original)

    dump = tmp_path / "clinic.dump"
    made = _portal("backup", str(dump), database=source)
    assert made.returncode == 0, made.stderr
    assert f"Backed up database {source}" in made.stdout and str(dump) in made.stdout
    assert dump.stat().st_size > 0 and (dump.stat().st_mode & 0o077) == 0

    restored = _portal("restore", str(dump), database=fresh_database)
    assert restored.returncode == 0, restored.stderr
    assert f"Restored {dump} into database {fresh_database}" in restored.stdout
    assert _contents(fresh_database) == original

    # A second restore into the now non-empty database is refused and changes nothing...
    refused = _portal("restore", str(dump), database=fresh_database)
    assert refused.returncode != 0
    assert "Restore refused" in refused.stdout and "--force" in refused.stdout
    assert _contents(fresh_database) == original
    # ...unless told: then the backup's contents replace it, still every row once.
    forced = _portal("restore", str(dump), "--force", database=fresh_database)
    assert forced.returncode == 0, forced.stderr
    assert "previous contents replaced" in forced.stdout
    assert _contents(fresh_database) == original


def test_restore_of_a_missing_file_is_refused_plainly(tmp_path):
    result = _portal("restore", str(tmp_path / "nope.dump"), database="unused_name")
    assert result.returncode != 0
    assert "is not a file" in result.stdout
