"""Rasa's SQL tracker store with the two queries it runs for every message written once.

Same table, same rows and same meaning as `type: SQL` (a conversation's tracker holds the events
since its latest `session_started`), so either class reads what the other wrote. Under load the
stock store was a fifth of the Rasa server's CPU (benchmarks/README.md), spent mostly outside the
database:
- it rebuilt an ORM query with a correlated sub-query for each load and again to count the
  stored events before each save, and SQLAlchemy re-derived its cache key every time; here both
  are fixed SQL texts with bound parameters, and new events go in as one executemany;
- on SQLite (the embedded profile) every commit waited for the whole database file to reach the
  disk and every session opened a new connection. Here the journal is write-ahead
  (`journal_mode=WAL`, `synchronous=NORMAL`: a commit survives a crash of the process; only a
  power cut can lose the last turns) and connections are pooled. PostgreSQL keeps Rasa's settings.

Configured in bot/endpoints.yml and bot/endpoints.production.yml as
`type: bot.sql_tracker_store.PreparedSQLTrackerStore`, with the same settings as `type: SQL`.
"""
from __future__ import annotations

import itertools
import json
import logging
from typing import Any, Dict, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY

logger = logging.getLogger(__name__)

EVENTS = SQLTrackerStore.SQLEvent.__table__

# The latest session of a conversation, exactly as SQLTrackerStore._event_query selects it: events
# at or after the newest `session_started`, or all of them when there is none.
_LATEST_SESSION = f"""
    FROM {EVENTS.name},
         (SELECT max(timestamp) AS started FROM {EVENTS.name}
          WHERE sender_id = :sender_id AND type_name = :session_started) AS latest_session
    WHERE sender_id = :sender_id
      AND (latest_session.started IS NULL OR timestamp >= latest_session.started)
"""
LOAD_LATEST_SESSION = sa.text(f"SELECT data {_LATEST_SESSION} ORDER BY id")
COUNT_LATEST_SESSION = sa.text(f"SELECT count(*) {_LATEST_SESSION}")


def _use_write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def event_row(sender_id: Text, event: Event) -> Dict[Text, Any]:
    """The row SQLTrackerStore.save writes for an event."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": (data.get("parse_data", {}).get(INTENT) or {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),  # an action's name; other events have none
        "data": json.dumps(data),
    }


class PreparedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            url = self.engine.url
            self.engine.dispose()
            # One thread (the server's event loop) uses it; a session holds one connection at a time.
            self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=2,
                                           connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _use_write_ahead_log)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _latest_session(self, sender_id: Text) -> Dict[Text, Text]:
        return {"sender_id": sender_id, "session_started": SessionStarted.type_name}

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker of the conversation's latest session, or None when there is none."""
        with self.session_scope() as session:
            rows = session.execute(LOAD_LATEST_SESSION, self._latest_session(sender_id)).scalars().all()
        if not self.domain or not rows:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Adds the tracker's events that are not stored yet, in one transaction."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            stored = session.execute(COUNT_LATEST_SESSION, self._latest_session(tracker.sender_id)).scalar_one()
            rows = [event_row(tracker.sender_id, event)
                    for event in itertools.islice(tracker.events, stored, len(tracker.events))]
            if rows:
                session.execute(EVENTS.insert(), rows)
            session.commit()
        logger.debug("tracker of %s: %d events stored", tracker.sender_id, len(rows))
