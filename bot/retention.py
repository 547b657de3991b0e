"""Retention of conversations: events older than the retention period leave the tracker store.

The tracker store (Rasa's SQL tracker store, bot/sql_tracker_store.py) keeps every event of every
conversation - raw messages, slots with phone and account numbers - forever. `purge` deletes the
rows of the `events` table whose `timestamp` (epoch seconds) is older than `retention_days`
before `now`, a batch at a time (one explicit transaction per batch, so neither the Rasa server
writing new turns nor the database's log waits for one huge delete). A conversation with recent
events keeps them and loads as it would from them alone (bot/sql_tracker_store.py loads the
latest session); one whose events are all old is gone.

Command line (reads the tracker database from the same environment variables as the endpoint
files, bot/endpoints.yml and bot/endpoints.production.yml):

    python -m bot.retention [--days N] [--interval SECONDS] [--batch-size N]

- embedded profile: TRACKER_DB_PATH (SQLite file, default var/tracker.db);
- production profile (ASSISTANT_PROFILE=production): TRACKER_DB_HOST, TRACKER_DB_PORT,
  TRACKER_DB_NAME, TRACKER_DB_USER, TRACKER_DB_PASSWORD (PostgreSQL; defaults from PG* as in
  scripts/run_production.sh, name szgd_tracker);
- --days defaults to RETENTION_DAYS, else 180; anything but a positive whole number is refused
  (exit status 2);
- without --interval: one pass, prints how many events were deleted (exit 1 when the database
  cannot be reached); with --interval: a pass every SECONDS, forever (the production profile's
  scheduled job), each pass logged, a database that is down logged and tried again next pass.

A tracker database that does not exist yet (no SQLite file, no `events` table, no PostgreSQL
database) is no error: nothing to delete. Written in SQLAlchemy 2.0 style (`future=True`
engines, `select`/`delete` constructs, `engine.begin()`), for SQLite and PostgreSQL.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

logger = logging.getLogger("bot.retention")

DAY = 86400
DEFAULT_DAYS = 180
DEFAULT_BATCH = 5000
DEFAULT_SQLITE_PATH = "var/tracker.db"

# The columns of Rasa's `events` table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent) that
# the purge reads; declared here so the command does not import Rasa.
_METADATA = sa.MetaData()
EVENTS = sa.Table(
    "events", _METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
)


@dataclass(frozen=True)
class PurgeCounts:
    deleted: int  # events deleted
    conversations: int  # distinct conversations (sender ids) that lost events
    batches: int  # transactions that deleted something
    cutoff: float  # events with a timestamp before this were deleted


def _engine(target: Union[str, URL, Engine]) -> Engine:
    if isinstance(target, Engine):
        return target
    url = sa.engine.make_url(target)
    connect_args = {}
    if url.get_backend_name() == "sqlite":
        connect_args["timeout"] = 30  # the Rasa server may be writing a turn: wait for it
    elif url.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = 10
    return sa.create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)


def _missing_sqlite_file(engine: Engine) -> bool:
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    return not Path(url.database).exists()


def _missing_database(error: OperationalError) -> bool:
    """PostgreSQL's answer when the tracker database has not been created yet (Rasa creates it)."""
    code = getattr(error.orig, "pgcode", None)
    return code == "3D000" or ("database" in str(error.orig) and "does not exist" in str(error.orig))


def purge(db_url_or_engine: Union[str, URL, Engine], retention_days: int, now: float,
          batch_size: int = DEFAULT_BATCH) -> PurgeCounts:
    """Deletes every event with `timestamp < now - retention_days days`; one transaction per batch."""
    if isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days <= 0:
        raise ValueError(f"retention_days must be a positive whole number, not {retention_days!r}")
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, not {batch_size!r}")
    cutoff = float(now) - retention_days * DAY
    engine = _engine(db_url_or_engine)
    owned = engine is not db_url_or_engine
    deleted = batches = 0
    senders = set()
    try:
        if _missing_sqlite_file(engine):  # connecting would create an empty file
            return PurgeCounts(0, 0, 0, cutoff)
        try:
            with engine.connect() as connection:
                if not sa.inspect(connection).has_table(EVENTS.name):
                    return PurgeCounts(0, 0, 0, cutoff)
        except OperationalError as error:
            if _missing_database(error):
                return PurgeCounts(0, 0, 0, cutoff)
            raise
        old = EVENTS.c.timestamp < cutoff
        while True:
            with engine.begin() as connection:
                rows = connection.execute(
                    sa.select(EVENTS.c.id, EVENTS.c.sender_id).where(old).order_by(EVENTS.c.id).limit(batch_size)
                ).all()
                if not rows:
                    break
                # The batch is the oldest ids among the old events: all old events up to its last id.
                result = connection.execute(sa.delete(EVENTS).where(old, EVENTS.c.id <= rows[-1].id))
                deleted += result.rowcount
                senders.update(row.sender_id for row in rows)
                batches += 1
            if len(rows) < batch_size:
                break
        return PurgeCounts(deleted, len(senders), batches, cutoff)
    finally:
        if owned:
            engine.dispose()


# --- command line -------------------------------------------------------------------------------

class UsageError(Exception):
    """A setting the command refuses; the message names the option or variable."""


def tracker_db_url(environ=os.environ) -> URL:
    """The tracker database of the profile the environment selects, as the endpoint files read it."""
    if environ.get("ASSISTANT_PROFILE") == "production":
        port = environ.get("TRACKER_DB_PORT") or environ.get("PGPORT") or "5432"
        try:
            port_number = int(port)
        except ValueError:
            raise UsageError(f"TRACKER_DB_PORT must be a port number, not {port!r}") from None
        return URL.create(
            "postgresql+psycopg2",
            username=environ.get("TRACKER_DB_USER") or environ.get("PGUSER") or "postgres",
            password=environ.get("TRACKER_DB_PASSWORD") or environ.get("PGPASSWORD") or None,
            host=environ.get("TRACKER_DB_HOST") or environ.get("PGHOST") or "127.0.0.1",
            port=port_number,
            database=environ.get("TRACKER_DB_NAME") or "szgd_tracker",
        )
    return URL.create("sqlite", database=environ.get("TRACKER_DB_PATH") or DEFAULT_SQLITE_PATH)


def _positive_int(value: str, name: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise UsageError(f"{name} must be a positive whole number of days, not {value!r}") from None
    if number <= 0:
        raise UsageError(f"{name} must be a positive whole number of days, not {value!r}")
    return number


def retention_days(option: Optional[str], environ=os.environ) -> int:
    if option is not None:
        return _positive_int(option, "--days")
    if environ.get("RETENTION_DAYS", "").strip():
        return _positive_int(environ["RETENTION_DAYS"], "RETENTION_DAYS")
    return DEFAULT_DAYS


def _interval(option: Optional[str]) -> Optional[float]:
    if option is None:
        return None
    try:
        seconds = float(option)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise UsageError(f"--interval must be a positive number of seconds, not {option!r}")
    return seconds


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def run_forever(url: URL, days: int, interval: float, batch_size: int = DEFAULT_BATCH,
                clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
    """A pass every `interval` seconds; a pass that fails (database down) is logged, not fatal."""
    engine = None
    while True:
        try:
            if engine is None:
                engine = _engine(url)
            counts = purge(engine, days, clock(), batch_size)
            logger.info("retention pass: %d events of %d conversations older than %d days deleted from %s",
                        counts.deleted, counts.conversations, days, _shown(url))
        except (SQLAlchemyError, OSError) as error:
            logger.warning("retention pass failed, trying again in %.0f s: %s: %s",
                           interval, type(error).__name__, str(error).splitlines()[0] if str(error) else "")
            if engine is not None:
                engine.dispose()  # reconnect from scratch next pass
        sleep(interval)


def main(argv: Optional[Sequence[str]] = None, environ=os.environ) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.retention", description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", help=f"retention period in days (default: RETENTION_DAYS, else {DEFAULT_DAYS})")
    parser.add_argument("--interval", help="repeat every SECONDS, forever (default: one pass)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        days = retention_days(args.days, environ)
        interval = _interval(args.interval)
        url = tracker_db_url(environ)
        if args.batch_size <= 0:
            raise UsageError(f"--batch-size must be positive, not {args.batch_size}")
    except UsageError as error:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    if interval is not None:
        logger.info("retention: events older than %d days deleted from %s every %.0f s", days, _shown(url), interval)
        run_forever(url, days, interval, args.batch_size)
        return 0  # not reached
    try:
        counts = purge(url, days, time.time(), args.batch_size)
    except (SQLAlchemyError, OSError) as error:
        print(f"{parser.prog}: tracker database {_shown(url)} unavailable: {type(error).__name__}: "
              f"{str(error).splitlines()[0] if str(error) else ''}", file=sys.stderr)
        return 1
    print(f"{counts.deleted} events older than {days} days deleted "
          f"({counts.conversations} conversations) from {_shown(url)}")
    return 0


if __name__ == "__main__":
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level if isinstance(logging.getLevelName(level), int) else "INFO",
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
