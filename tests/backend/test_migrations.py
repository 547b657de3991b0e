"""One way to create the schema: the migrations, kept identical to the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from backend.db import run_migrations, sync_url
from backend.models import Base


def test_migrations_match_the_models(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/schema.db"
    run_migrations(url)
    run_migrations(url)  # a second run at start-up is a no-op
    engine = create_engine(sync_url(url), future=True)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert "alembic_version" in inspect(connection).get_table_names()
    engine.dispose()


def test_sync_urls():
    assert sync_url("sqlite+aiosqlite:///var/backend.db") == "sqlite:///var/backend.db"
    assert sync_url("postgresql+asyncpg://u:p%40ss@db:5432/x") == "postgresql+psycopg2://u:p%40ss@db:5432/x"


def test_missing_directory_is_created(tmp_path):
    run_migrations(f"sqlite+aiosqlite:///{tmp_path}/var/nested/backend.db")
    assert (tmp_path / "var" / "nested" / "backend.db").exists()
