"""Our loggers in the Rasa server log at the level Rasa logs at.

Rasa sets the level of its own `rasa` logger (`--log-level` or LOG_LEVEL, default INFO) and writes
the level it chose back to LOG_LEVEL, but the root logger of a running `rasa run` ends up at
WARNING (read from inside the server: `logging.getLogger().level == 30`). So every INFO record of
our components in that process (bot.*, connectors.*) was dropped, among them the hit count of
TED's prediction cache. Our top-level loggers now take Rasa's level.
"""
from __future__ import annotations

import logging
import os

OUR_LOGGERS = ("bot", "connectors")


def install() -> None:
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(level)
