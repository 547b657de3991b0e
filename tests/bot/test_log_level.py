"""Our loggers log at Rasa's level even when the root logger is at WARNING, as in `rasa run`."""
import logging

import pytest

from bot.runtime import log_level


@pytest.fixture
def as_in_rasa_run():
    """The root logger at WARNING and our loggers unset, as before the change; restored after."""
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in log_level.OUR_LOGGERS}
    saved_root = root.level
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Keep(level=logging.DEBUG)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in log_level.OUR_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield records
    root.removeHandler(handler)
    root.setLevel(saved_root)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_info_records_of_our_components_reach_the_handlers(as_in_rasa_run, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    logging.getLogger("bot.policies.cached_ted_policy").info("dropped before the change")
    log_level.install()
    logging.getLogger("bot.policies.cached_ted_policy").info("TED prediction cache: 1 hits")
    logging.getLogger("connectors.wechat").info("wechat up")
    logging.getLogger("bot.x").debug("not at INFO")
    assert as_in_rasa_run == ["TED prediction cache: 1 hits", "wechat up"]


def test_the_level_follows_rasas(as_in_rasa_run, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    log_level.install()
    logging.getLogger("connectors.kiosk").debug("at DEBUG")
    assert as_in_rasa_run == ["at DEBUG"]
