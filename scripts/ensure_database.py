"""Create the application's PostgreSQL database if it does not exist yet (idempotent)."""

import os
import sys
from pathlib import Path

import environ
import psycopg2
from psycopg2 import sql

root = Path(__file__).resolve().parent.parent
environ.Env.read_env(root / ".env", overwrite=False)
config = environ.Env.db_url_config(
    os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clinic")
)
name = config["NAME"]
conn = psycopg2.connect(
    dbname="postgres",
    user=config.get("USER") or None,
    password=config.get("PASSWORD") or None,
    host=config.get("HOST") or None,
    port=config.get("PORT") or None,
)
conn.autocommit = True
with conn.cursor() as cursor:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    if cursor.fetchone() is None:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created database {name}", file=sys.stderr)
conn.close()
