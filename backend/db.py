"""Database engine, session factory and schema migrations.

There is one way to create the schema: the Alembic migrations in backend/migrations, run at
start-up for SQLite and PostgreSQL alike. They run on a synchronous engine derived from the
async URL (aiosqlite -> pysqlite, asyncpg -> psycopg2) because Alembic's API is synchronous;
that happens once per start, off the event loop.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

DEFAULT_DB_URL = "sqlite+aiosqlite:///var/backend.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_SYNC_DRIVERS = {
    "sqlite+aiosqlite": "sqlite",
    "postgresql+asyncpg": "postgresql+psycopg2",
}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sync_url(url: str) -> str:
    parsed = make_url(url)
    driver = _SYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def ensure_sqlite_directory(url: str) -> None:
    """sqlite+aiosqlite:///var/backend.db needs var/ to exist before the first connection."""
    parsed = make_url(url)
    if is_sqlite(url) and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    # SQLite ignores FOREIGN KEY clauses unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    ensure_sqlite_directory(url)
    if is_sqlite(url):
        # A writer waits for the lock instead of failing at once when requests write concurrently.
        engine = create_async_engine(url, future=True, connect_args={"timeout": 15})
        event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return create_async_engine(url, future=True, pool_pre_ping=True)


def make_session_factory(engine: AsyncEngine) -> sessionmaker:
    # expire_on_commit=False: objects stay readable after the transaction without lazy IO,
    # which an async session cannot do implicitly.
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, future=True)


def run_migrations(url: str) -> None:
    """Upgrade the database at `url` (async or sync URL) to the latest schema. Blocking."""
    ensure_sqlite_directory(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = create_engine(sync_url(url), future=True)
    try:
        with engine.begin() as connection:
            # env.py uses this connection instead of building its own from an ini file.
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
