"""PreparedSQLTrackerStore stores and loads exactly what Rasa's SQLTrackerStore does, in the same
table, on SQLite (the embedded profile) and on the local PostgreSQL (the production profile;
skipped when it is unreachable, failing instead when CI is set)."""
from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.sql_tracker_store import PreparedSQLTrackerStore

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


def run(coroutine):
    return asyncio.run(coroutine)


def one_turn(text, intent, t):
    return [UserUttered(text, {"name": intent, "confidence": 0.9}, timestamp=t),
            ActionExecuted("action_outage_lookup", timestamp=t + 0.1),
            BotUttered("请提供户号", timestamp=t + 0.2),
            SlotSet("account_number", "0300000006", timestamp=t + 0.3),
            ActionExecuted("action_listen", timestamp=t + 0.4)]


def session(t):
    return [ActionExecuted("action_session_start", timestamp=t), SessionStarted(timestamp=t + 0.01),
            ActionExecuted("action_listen", timestamp=t + 0.02)]


def as_dicts(tracker):
    return [event.as_dict() for event in tracker.events] if tracker else None


def latest_session(tracker):
    """What both stores load: as Rasa selects it, the events from the newest `session_started` on
    (the `action_session_start` just before it, with an earlier timestamp, stays out)."""
    dicts = as_dicts(tracker)
    start = max(d["timestamp"] for d in dicts if d["event"] == "session_started")
    return [d for d in dicts if d["timestamp"] >= start]


def sqlite_stores(tmp_path):
    path = str(tmp_path / "tracker.db")
    return (PreparedSQLTrackerStore(DOMAIN, dialect="sqlite", db=path),
            SQLTrackerStore(DOMAIN, dialect="sqlite", db=path))


def test_what_one_stores_the_other_loads_across_sessions(tmp_path):
    ours, rasas = sqlite_stores(tmp_path)
    check_the_same_conversations(ours, rasas)


def test_sqlite_uses_the_write_ahead_log(tmp_path):
    ours, _ = sqlite_stores(tmp_path)
    tracker = DialogueStateTracker.from_events("wal", session(1.0) + one_turn("停电了", "outage_lookup", 2.0),
                                               slots=DOMAIN.slots)
    run(ours.save(tracker))
    with sqlite3.connect(tmp_path / "tracker.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with ours.engine.connect() as connection:  # per connection: commits do not wait for the disk
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_an_unknown_conversation_has_no_tracker(tmp_path):
    ours, _ = sqlite_stores(tmp_path)
    assert run(ours.retrieve("nobody")) is None


def test_saving_a_loaded_tracker_again_adds_nothing(tmp_path):
    ours, rasas = sqlite_stores(tmp_path)
    tracker = DialogueStateTracker.from_events("twice", session(1.0) + one_turn("停电了", "outage_lookup", 2.0),
                                               slots=DOMAIN.slots)
    run(ours.save(tracker))
    run(ours.save(run(ours.retrieve("twice"))))
    assert len(run(rasas.retrieve_full_tracker("twice")).events) == len(tracker.events)


def check_the_same_conversations(ours, rasas):
    sender = f"test-{uuid.uuid4().hex[:8]}"
    events = session(1.0) + one_turn("我家停电了", "outage_lookup", 2.0)
    tracker = DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)
    run(ours.save(tracker))
    assert as_dicts(run(rasas.retrieve(sender))) == as_dicts(run(ours.retrieve(sender))) == latest_session(tracker)

    # Rasa adds a turn, then we do: each sees the other's rows and adds only its new events.
    loaded = run(rasas.retrieve(sender))
    for event in one_turn("是的", "affirm", 3.0):
        loaded.update(event)
    run(rasas.save(loaded))
    mine = run(ours.retrieve(sender))
    assert as_dicts(mine) == as_dicts(loaded)
    for event in one_turn("好的", "affirm", 4.0):
        mine.update(event)
    run(ours.save(mine))
    assert as_dicts(run(rasas.retrieve(sender))) == as_dicts(mine)
    assert mine.get_slot("account_number") == "0300000006"

    # A new session: both load only the events since its start, and the stored rows are the same.
    for event in session(5.0) + one_turn("停电了", "outage_lookup", 6.0):
        mine.update(event)
    run(ours.save(mine))
    latest = run(ours.retrieve(sender))
    assert as_dicts(latest) == as_dicts(run(rasas.retrieve(sender))) == latest_session(mine)
    assert as_dicts(latest)[0] == {"event": "session_started", "timestamp": 5.01}
    assert as_dicts(run(ours.retrieve_full_tracker(sender))) == as_dicts(run(rasas.retrieve_full_tracker(sender)))
    with rasas.session_scope() as db:
        rows = db.query(SQLTrackerStore.SQLEvent).filter_by(sender_id=sender).order_by(SQLTrackerStore.SQLEvent.id)
        intents = [row.intent_name for row in rows if row.type_name == "user"]
        actions = [row.action_name for row in rows if row.type_name == "action"]
    assert intents == ["outage_lookup", "affirm", "affirm", "outage_lookup"]
    assert actions[:3] == ["action_session_start", "action_listen", "action_outage_lookup"]


# --- PostgreSQL ---------------------------------------------------------------------------------

PG = dict(host=os.environ.get("PGHOST", "127.0.0.1"), port=int(os.environ.get("PGPORT", "5432")),
          user=os.environ.get("PGUSER", "postgres"), password=os.environ.get("PGPASSWORD") or None)


def _postgres_problem() -> str:
    try:
        import psycopg2

        psycopg2.connect(dbname="postgres", connect_timeout=3, **PG).close()
        return ""
    except Exception as error:  # any failure means: not usable here
        return f"PostgreSQL at {PG['host']}:{PG['port']} unreachable ({type(error).__name__})"


@pytest.fixture
def postgres_stores():
    problem = _postgres_problem()
    if problem and os.environ.get("CI"):
        pytest.fail(f"CI is set, so PostgreSQL must be testable: {problem}")
    if problem:
        pytest.skip(problem)
    database = f"test_tracker_{uuid.uuid4().hex[:8]}"
    settings = dict(dialect="postgresql", host=PG["host"], port=PG["port"], db=database,
                    username=PG["user"], password=PG["password"] or "", login_db="postgres")
    ours = PreparedSQLTrackerStore(DOMAIN, **settings)
    rasas = SQLTrackerStore(DOMAIN, **settings)
    yield ours, rasas
    ours.engine.dispose()
    rasas.engine.dispose()
    import psycopg2

    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin.close()


def test_postgresql_what_one_stores_the_other_loads_across_sessions(postgres_stores):
    check_the_same_conversations(*postgres_stores)
