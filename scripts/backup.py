"""Back up and restore the portal's PostgreSQL database (the one DATABASE_URL names).

    python scripts/backup.py backup [FILE]            pg_dump -Fc (default: var/backups/...)
    python scripts/backup.py restore FILE [--force]   pg_restore; refuses a non-empty database
                                                      unless --force (then replaces its tables)

Uses pg_dump/pg_restore of the server's own major version when they are installed
(/usr/lib/postgresql/<major>/bin), else the ones on PATH. Uploaded documents are files under
PRIVATE_STORAGE_ROOT, not rows: copy that folder as well."""

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import environ
import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent


def db_config() -> dict:
    environ.Env.read_env(ROOT / ".env", overwrite=False)
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clinic")
    return environ.Env.db_url_config(url)


def connect(config: dict, dbname: str | None = None):
    return psycopg2.connect(
        dbname=dbname or config["NAME"],
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )


def client(tool: str, config: dict) -> str:
    """pg_dump or pg_restore matching the server's major version (an older client cannot read
    a newer server, and a dump is best restored by the same major version)."""
    with connect(config, "postgres") as conn:
        major = conn.server_version // 10000
    conn.close()
    candidate = Path(f"/usr/lib/postgresql/{major}/bin/{tool}")
    if candidate.exists():
        return str(candidate)
    found = shutil.which(tool)
    if not found:
        sys.exit(f"{tool} not found: install the PostgreSQL {major} client (postgresql-client).")
    return found


def connection_args(config: dict) -> tuple[list[str], dict]:
    args = []
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if config.get(key):
            args += [flag, str(config[key])]
    env = {**os.environ}
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = config["PASSWORD"]
    return args, env


def table_summary(config: dict) -> tuple[int, int]:
    """(tables, rows) in the database's own schemas; (0, 0) if it does not exist."""
    try:
        conn = connect(config)
    except psycopg2.OperationalError:
        return 0, 0
    with conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        tables = [name for (name,) in cursor.fetchall()]
        rows = 0
        for name in tables:
            cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 -- names from pg_tables
            rows += cursor.fetchone()[0]
    conn.close()
    return len(tables), rows


def ensure_database(config: dict) -> None:
    conn = connect(config, "postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
    conn.close()


def backup(target: str | None) -> int:
    config = db_config()
    name = config["NAME"]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%SZ")
    path = Path(target) if target else ROOT / "var" / "backups" / f"{name}-{stamp}.dump"
    path.parent.mkdir(parents=True, exist_ok=True)
    args, env = connection_args(config)
    tables, rows = table_summary(config)
    # Custom format (-Fc): compressed, restored selectively by pg_restore. No owners or grants,
    # so it restores under whichever role runs the restore.
    command = [client("pg_dump", config), "-Fc", "--no-owner", "--no-privileges"]
    result = subprocess.run([*command, *args, "-f", str(path), name], env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        path.unlink(missing_ok=True)
        print(f"Backup FAILED (pg_dump exited {result.returncode}); nothing written.")
        return result.returncode
    os.chmod(path, 0o600)  # patient data: readable by this account only
    size = path.stat().st_size
    print(f"Backed up database {name} ({tables} tables, {rows} rows) to {path} ({size} bytes).")
    print("Uploaded documents are not in it: copy PRIVATE_STORAGE_ROOT as well.")
    return 0


def restore(source: str, force: bool) -> int:
    config = db_config()
    name = config["NAME"]
    path = Path(source)
    if not path.is_file():
        print(f"Restore refused: {path} is not a file.")
        return 2
    ensure_database(config)
    tables, rows = table_summary(config)
    if tables and not force:
        print(
            f"Restore refused: database {name} is not empty ({tables} tables, {rows} rows). "
            "Restore into an empty database (set DATABASE_URL to a new name), or add --force "
            "to replace its contents with the backup's. Nothing was changed."
        )
        return 3
    args, env = connection_args(config)
    command = [client("pg_restore", config), "--no-owner", "--no-privileges", "--exit-on-error"]
    command += ["--single-transaction"]  # all or nothing
    if tables:
        command += ["--clean", "--if-exists"]
    result = subprocess.run([*command, *args, "-d", name, str(path)], env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        print(
            f"Restore FAILED (pg_restore exited {result.returncode}); database {name} is as it was."
        )
        return result.returncode
    tables, rows = table_summary(config)
    replaced = " (its previous contents replaced)" if force else ""
    print(f"Restored {path} into database {name}{replaced}: {tables} tables, {rows} rows.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("backup", help="dump the database to FILE")
    make.add_argument("file", nargs="?")
    back = sub.add_parser("restore", help="restore FILE into the database")
    back.add_argument("file")
    back.add_argument("--force", action="store_true", help="replace a non-empty database")
    options = parser.parse_args(argv)
    if options.command == "backup":
        return backup(options.file)
    return restore(options.file, options.force)


if __name__ == "__main__":
    sys.exit(main())
