"""Alembic environment: always run programmatically by backend.db.run_migrations, which passes
an open synchronous connection. No ini file and no logging configuration here, so running
migrations at start-up does not reconfigure the server's logging."""
from alembic import context

from backend.models import Base

target_metadata = Base.metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through backend.db.run_migrations(url)")

# render_as_batch: SQLite can only alter tables by copying them; batch mode makes later
# migrations work there as on PostgreSQL.
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
