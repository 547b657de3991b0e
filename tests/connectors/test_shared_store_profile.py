"""Which store the connectors share: memory for one process, Redis when REDIS_URL is set, and no
silent fallback to per-replica memory in the production profile."""
from __future__ import annotations

import pytest

from connectors import kvstore


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(kvstore, "_shared", None)
    for name in ("REDIS_URL", "REDIS_KEY_PREFIX", "ASSISTANT_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def test_the_embedded_profile_keeps_channel_state_in_memory():
    assert isinstance(kvstore.shared_store(), kvstore.MemoryStore)


def test_the_production_profile_refuses_to_run_without_redis(monkeypatch):
    monkeypatch.setenv("ASSISTANT_PROFILE", "production")
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        kvstore.shared_store()


def test_redis_url_and_key_prefix_are_used(monkeypatch):
    monkeypatch.setenv("ASSISTANT_PROFILE", "production")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/2")
    monkeypatch.setenv("REDIS_KEY_PREFIX", "run42:channel:")
    store = kvstore.shared_store()  # connects lazily: no Redis needed to build it
    assert isinstance(store, kvstore.RedisStore) and store._prefix == "run42:channel:"
    assert store._redis.connection_pool.connection_kwargs["db"] == 2
