"""Database chores for deployments, run before the back end starts.

    python -m backend.db_admin create-database   # PostgreSQL: create the database if missing
    python -m backend.db_admin migrate           # bring the schema to the latest migration
    python -m backend.db_admin wait [SECONDS]    # wait until the database accepts connections

The URL is $BACKEND_DB_URL (default: the SQLite file of the embedded profile). The back end
also migrates at start-up; running `migrate` once before starting replicas keeps several
processes from racing on the same schema change.
"""
from __future__ import annotations

import os
import sys
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from backend.db import DEFAULT_DB_URL, is_sqlite, run_migrations, sync_url

# The maintenance database every PostgreSQL server has; CREATE DATABASE must run outside it.
MAINTENANCE_DB = "postgres"


def database_url() -> str:
    return os.environ.get("BACKEND_DB_URL") or DEFAULT_DB_URL


def create_database_if_missing(url: str) -> bool:
    """True when the database was created. SQLite creates its file on first use."""
    if is_sqlite(url):
        return False
    name = make_url(url).database
    admin_url = make_url(sync_url(url)).set(database=MAINTENANCE_DB)
    engine = create_engine(admin_url, future=True, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists:
                return False
            # Identifiers cannot be bound parameters; quote it (and its quotes) instead.
            connection.execute(text('CREATE DATABASE "{}"'.format(name.replace('"', '""'))))
            return True
    finally:
        engine.dispose()


def wait_for_database(url: str, seconds: float) -> None:
    """Return once the server accepts connections; raise OperationalError after `seconds`."""
    engine = create_engine(sync_url(url), future=True)
    deadline = time.monotonic() + seconds
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                return
            except OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        engine.dispose()


def main(argv: list) -> int:
    url = database_url()
    command = argv[0] if argv else ""
    if command == "create-database":
        created = create_database_if_missing(url)
        print("database created" if created else "database present")
    elif command == "migrate":
        run_migrations(url)
        print("schema up to date")
    elif command == "wait":
        wait_for_database(url, float(argv[1]) if len(argv) > 1 else 30.0)
        print("database reachable")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
