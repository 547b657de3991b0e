"""bot/retention.py: exactly the events older than the retention period leave the tracker store
(written by Rasa's SQLTrackerStore and ours), the rest still loads; the command line's checks; the
same purge on the local PostgreSQL (skipped when it is unreachable, failing instead when CI is set)."""
from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import retention
from bot.retention import PurgeCounts, main, purge, run_forever, tracker_db_url
from bot.sql_tracker_store import PreparedSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [outage_lookup, affirm]
slots:
  account_number:
    type: text
    mappings: [{type: custom}]
responses:
  utter_ask_account_number: [{text: 请提供户号}]
actions: [action_outage_lookup]
""")
DAY = 86400.0
NOW = 1_800_000_000.0  # fixed: 2027-01-15
OLD = NOW - 200 * DAY  # older than 180 days
RECENT = NOW - 10 * DAY


def run(coroutine):
    return asyncio.run(coroutine)


def session(t):
    return [ActionExecuted("action_session_start", timestamp=t), SessionStarted(timestamp=t + 0.01),
            ActionExecuted("action_listen", timestamp=t + 0.02)]


def one_turn(text, intent, t, account="0300000006"):
    return [UserUttered(text, {"name": intent, "confidence": 0.9}, timestamp=t),
            ActionExecuted("action_outage_lookup", timestamp=t + 0.1),
            BotUttered("请提供户号", timestamp=t + 0.2),
            SlotSet("account_number", account, timestamp=t + 0.3),
            ActionExecuted("action_listen", timestamp=t + 0.4)]


# sender -> events: only old, old then a recent session, only recent, one at the very cutoff.
CONVERSATIONS = {
    "old-only": session(OLD) + one_turn("我家停电了", "outage_lookup", OLD + 60),
    "old-only-2": session(OLD - 30 * DAY) + one_turn("停电", "outage_lookup", OLD - 30 * DAY + 5),
    "mixed": (session(OLD) + one_turn("我家停电了", "outage_lookup", OLD + 60, "0300000001")
              + session(RECENT) + one_turn("还是没电", "outage_lookup", RECENT + 60, "0300000002")),
    "recent-only": session(RECENT) + one_turn("是的", "affirm", RECENT + 5),
    "at-cutoff": session(NOW - 180 * DAY) + one_turn("是的", "affirm", NOW - 180 * DAY + 1),
}
OLD_EVENTS = {sender: sum(1 for e in events if e.timestamp < NOW - 180 * DAY)
              for sender, events in CONVERSATIONS.items()}


def save_conversations(store):
    for sender, events in CONVERSATIONS.items():
        run(store.save(DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)))


def dicts(tracker):
    return [event.as_dict() for event in tracker.events] if tracker else None


def recent_dicts(sender):
    return [e.as_dict() for e in CONVERSATIONS[sender] if e.timestamp >= NOW - 180 * DAY]


def check_purged(ours, rasas, target, batch_size):
    save_conversations(ours)
    before = {sender: len(run(rasas.retrieve_full_tracker(sender)).events) for sender in CONVERSATIONS}
    assert before == {sender: len(events) for sender, events in CONVERSATIONS.items()}

    counts = purge(target, 180, NOW, batch_size=batch_size)

    assert counts.deleted == sum(OLD_EVENTS.values()) == 24
    assert counts.conversations == 3
    assert counts.cutoff == NOW - 180 * DAY
    assert counts.batches == -(-counts.deleted // batch_size)
    for sender in ("old-only", "old-only-2"):
        assert run(ours.retrieve(sender)) is None and run(rasas.retrieve(sender)) is None
    # The conversation with a recent session keeps it, and both stores load it from what is left.
    for store in (ours, rasas):
        assert dicts(run(store.retrieve_full_tracker("mixed"))) == recent_dicts("mixed")
        tracker = run(store.retrieve("mixed"))  # the latest session: from its session_started on
        assert dicts(tracker) == [e.as_dict() for e in CONVERSATIONS["mixed"] if e.timestamp >= RECENT + 0.01]
        assert tracker.get_slot("account_number") == "0300000002"
    for sender in ("recent-only", "at-cutoff"):  # an event exactly at the cutoff is kept
        assert dicts(run(ours.retrieve_full_tracker(sender))) == recent_dicts(sender) == \
            [e.as_dict() for e in CONVERSATIONS[sender]]
    # Nothing old left: a second pass deletes nothing; the store still takes new turns.
    assert purge(target, 180, NOW, batch_size=batch_size) == PurgeCounts(0, 0, 0, NOW - 180 * DAY)
    tracker = run(ours.retrieve("mixed"))
    for event in one_turn("好的", "affirm", NOW):
        tracker.update(event)
    run(ours.save(tracker))
    assert len(run(rasas.retrieve_full_tracker("mixed")).events) == len(recent_dicts("mixed")) + 5


# --- SQLite (the embedded profile) --------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [5000, 4])
def test_sqlite_exactly_the_old_events_are_deleted(tmp_path, batch_size):
    path = tmp_path / "tracker.db"
    ours = PreparedSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path))
    rasas = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path))
    check_purged(ours, rasas, f"sqlite:///{path}", batch_size)


def test_purge_takes_an_engine_and_leaves_it_open(tmp_path):
    path = tmp_path / "tracker.db"
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path))
    save_conversations(store)
    engine = sa.create_engine(f"sqlite:///{path}", future=True)
    assert purge(engine, 180, NOW).deleted == 24
    with engine.connect() as connection:  # still usable
        assert connection.execute(sa.text("SELECT count(*) FROM events")).scalar_one() == sum(
            len(events) for events in CONVERSATIONS.values()) - 24
    engine.dispose()


def test_a_missing_tracker_database_is_no_error(tmp_path):
    missing = tmp_path / "nothing" / "tracker.db"
    assert purge(f"sqlite:///{missing}", 180, NOW).deleted == 0
    assert not missing.exists() and not missing.parent.exists()  # not created either
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()  # a database without the events table (Rasa not started yet)
    assert purge(f"sqlite:///{empty}", 180, NOW) == PurgeCounts(0, 0, 0, NOW - 180 * DAY)


@pytest.mark.parametrize("days", [0, -1, 1.5, "30", True, None])
def test_purge_refuses_a_bad_period(tmp_path, days):
    with pytest.raises(ValueError, match="retention_days"):
        purge(f"sqlite:///{tmp_path / 'tracker.db'}", days, NOW)


# --- command line -------------------------------------------------------------------------------

def test_cli_one_pass_reads_the_embedded_profiles_variables(tmp_path, capsys):
    path = tmp_path / "tracker.db"
    save_conversations(PreparedSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path)))
    environ = {"TRACKER_DB_PATH": str(path), "RETENTION_DAYS": "100000"}
    assert main([], environ) == 0
    assert capsys.readouterr().out.startswith("0 events older than 100000 days deleted")
    # --days wins over RETENTION_DAYS (which is then not even read).
    assert main(["--days", "100000"], {**environ, "RETENTION_DAYS": "not a number"}) == 0
    assert capsys.readouterr().out.startswith("0 events older than 100000 days deleted")
    assert len(run(SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path)).retrieve_full_tracker("old-only")).events)


def test_cli_days_default_and_environment():
    assert retention.retention_days(None, {}) == 180
    assert retention.retention_days(None, {"RETENTION_DAYS": " 30 "}) == 30
    assert retention.retention_days("7", {"RETENTION_DAYS": "30"}) == 7


@pytest.mark.parametrize("argv,environ,named", [
    (["--days", "0"], {}, "--days"),
    (["--days", "-3"], {}, "--days"),
    (["--days", "abc"], {}, "--days"),
    (["--days", "1.5"], {}, "--days"),
    ([], {"RETENTION_DAYS": "0"}, "RETENTION_DAYS"),
    ([], {"RETENTION_DAYS": "-30"}, "RETENTION_DAYS"),
    ([], {"RETENTION_DAYS": "half a year"}, "RETENTION_DAYS"),
    ([], {"RETENTION_DAYS": "180.0"}, "RETENTION_DAYS"),
    (["--interval", "0"], {}, "--interval"),
    (["--interval", "-5"], {}, "--interval"),
    (["--interval", "soon"], {}, "--interval"),
    (["--interval", "nan"], {}, "--interval"),
    ([], {"ASSISTANT_PROFILE": "production", "TRACKER_DB_PORT": "fivefour"}, "TRACKER_DB_PORT"),
])
def test_cli_refuses_bad_settings(argv, environ, named, capsys, tmp_path):
    environ = {"TRACKER_DB_PATH": str(tmp_path / "tracker.db"), **environ}
    assert main(argv, environ) == 2
    err = capsys.readouterr().err
    assert named in err and "error:" in err
    assert not (tmp_path / "tracker.db").exists()


def test_production_profile_url():
    url = tracker_db_url({"ASSISTANT_PROFILE": "production", "TRACKER_DB_HOST": "db.internal",
                          "TRACKER_DB_PORT": "6432", "TRACKER_DB_NAME": "tracker", "TRACKER_DB_USER": "rasa",
                          "TRACKER_DB_PASSWORD": "s3cret"})
    assert (url.drivername, url.host, url.port, url.database, url.username, url.password) == (
        "postgresql+psycopg2", "db.internal", 6432, "tracker", "rasa", "s3cret")
    assert "s3cret" not in retention._shown(url)
    defaults = tracker_db_url({"ASSISTANT_PROFILE": "production"})
    assert (defaults.host, defaults.port, defaults.database, defaults.username) == (
        "127.0.0.1", 5432, "szgd_tracker", "postgres")
    embedded = tracker_db_url({})
    assert (embedded.drivername, embedded.database) == ("sqlite", "var/tracker.db")


def test_cli_as_a_process(tmp_path):
    path = tmp_path / "tracker.db"
    now_ish = __import__("time").time()
    events = session(now_ish - 400 * DAY) + one_turn("停电", "outage_lookup", now_ish - 400 * DAY + 5) + \
        session(now_ish - 1 * DAY)
    run(PreparedSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path)).save(
        DialogueStateTracker.from_events("proc", events, slots=DOMAIN.slots)))
    env = {**os.environ, "TRACKER_DB_PATH": str(path), "RETENTION_DAYS": "365"}
    env.pop("ASSISTANT_PROFILE", None)
    done = subprocess.run([sys.executable, "-m", "bot.retention"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("8 events older than 365 days deleted (1 conversations)")
    refused = subprocess.run([sys.executable, "-m", "bot.retention", "--days", "zero"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--days must be a positive whole number" in refused.stderr
    env["TRACKER_DB_PATH"] = str(tmp_path / "not-yet.db")
    missing = subprocess.run([sys.executable, "-m", "bot.retention"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
    assert missing.returncode == 0 and missing.stdout.startswith("0 events"), missing.stderr
    assert not (tmp_path / "not-yet.db").exists()


def test_cli_one_pass_against_a_database_that_is_down(capsys):
    environ = {"ASSISTANT_PROFILE": "production", "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": "1",
               "TRACKER_DB_PASSWORD": "s3cret"}
    assert main([], environ) == 1
    err = capsys.readouterr().err
    assert "unavailable" in err and "s3cret" not in err


class Stop(Exception):
    pass


def test_interval_passes_survive_a_database_that_is_briefly_down(tmp_path, caplog):
    """The scheduled job: a pass fails (the file is no database yet), the next one deletes."""
    path = tmp_path / "tracker.db"
    path.write_bytes(b"this is not a database" * 100)
    good = tmp_path / "good.db"
    store = PreparedSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(good))
    save_conversations(store)
    store.engine.dispose()  # the last connection closed: the write-ahead log is in the file
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 1:
            path.unlink()
            good.rename(path)  # the database is back
        elif len(sleeps) == 3:
            raise Stop

    url = sa.engine.make_url(f"sqlite:///{path}")
    with caplog.at_level(logging.INFO, logger="bot.retention"), pytest.raises(Stop):
        run_forever(url, 180, 60.0, clock=lambda: NOW, sleep=sleep)
    assert sleeps == [60.0, 60.0, 60.0]
    passes = [r.getMessage() for r in caplog.records if r.name == "bot.retention"]
    assert "retention pass failed" in passes[0]
    assert passes[1].startswith("retention pass: 24 events of 3 conversations older than 180 days deleted")
    assert passes[2].startswith("retention pass: 0 events")


def test_interval_passes_survive_an_unreachable_postgresql(caplog):
    url = sa.engine.URL.create("postgresql+psycopg2", username="postgres", host="127.0.0.1", port=1,
                               database="nothing")
    passes = []

    def sleep(_seconds):
        passes.append(1)
        if len(passes) == 2:
            raise Stop

    with caplog.at_level(logging.WARNING, logger="bot.retention"), pytest.raises(Stop):
        run_forever(url, 180, 5.0, sleep=sleep)
    assert [r.getMessage().startswith("retention pass failed") for r in caplog.records
            if r.name == "bot.retention"] == [True, True]


# --- PostgreSQL (the production profile) --------------------------------------------------------

PG = dict(host=os.environ.get("PGHOST", "127.0.0.1"), port=int(os.environ.get("PGPORT", "5432")),
          user=os.environ.get("PGUSER", "postgres"), password=os.environ.get("PGPASSWORD") or None)


def _postgres_problem() -> str:
    try:
        import psycopg2

        psycopg2.connect(dbname="postgres", connect_timeout=3, **PG).close()
        return ""
    except Exception as error:  # any failure means: not usable here
        return f"PostgreSQL at {PG['host']}:{PG['port']} unreachable ({type(error).__name__})"


def _require_postgres():
    problem = _postgres_problem()
    if problem and os.environ.get("CI"):
        pytest.fail(f"CI is set, so PostgreSQL must be testable: {problem}")
    if problem:
        pytest.skip(problem)


def _pg_url(database):
    return sa.engine.URL.create("postgresql+psycopg2", username=PG["user"], password=PG["password"],
                                host=PG["host"], port=PG["port"], database=database)


@pytest.fixture
def postgres_stores():
    _require_postgres()
    database = f"test_retention_{uuid.uuid4().hex[:8]}"
    settings = dict(dialect="postgresql", host=PG["host"], port=PG["port"], db=database,
                    username=PG["user"], password=PG["password"] or "", login_db="postgres")
    ours = PreparedSQLTrackerStore(DOMAIN, **settings)  # creates the database
    rasas = SQLTrackerStore(DOMAIN, **settings)
    yield ours, rasas, database
    ours.engine.dispose()
    rasas.engine.dispose()
    import psycopg2

    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin.close()


@pytest.mark.parametrize("batch_size", [5000, 4])
def test_postgresql_exactly_the_old_events_are_deleted(postgres_stores, batch_size):
    ours, rasas, database = postgres_stores
    check_purged(ours, rasas, _pg_url(database), batch_size)


def test_postgresql_cli_reads_the_production_profiles_variables(postgres_stores, capsys):
    ours, _, database = postgres_stores
    save_conversations(ours)
    environ = {"ASSISTANT_PROFILE": "production", "TRACKER_DB_HOST": PG["host"], "TRACKER_DB_PORT": str(PG["port"]),
               "TRACKER_DB_NAME": database, "TRACKER_DB_USER": PG["user"],
               "TRACKER_DB_PASSWORD": PG["password"] or "", "RETENTION_DAYS": "100000"}
    assert main([], environ) == 0
    assert capsys.readouterr().out.startswith(f"0 events older than 100000 days deleted (0 conversations) from "
                                              f"postgresql+psycopg2://")


def test_postgresql_missing_database_is_no_error():
    _require_postgres()
    assert purge(_pg_url(f"test_retention_none_{uuid.uuid4().hex[:8]}"), 180, NOW).deleted == 0
