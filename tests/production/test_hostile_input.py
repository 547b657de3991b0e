"""Hostile bytes at every HTTP door of the running production profile (both balancers, each
Rasa replica, each action server, the back end): no 5xx, no stack trace, every process still up and a
normal conversation still works afterwards. The tracker store must also take what it is given
(PostgreSQL refuses NUL characters and lone surrogates that SQLite accepts)."""
from __future__ import annotations

import uuid

import pytest

from tests.production.conftest import answers, http, texts

HUGE = "停电" * 50_000  # 100 000 characters, about 300 KB of UTF-8

MESSAGES = [
    "", "   \n\t ", HUGE, "\x00\x01\x1b[2J", "\ud800 lone surrogate", "🔌⚡️👩‍👩‍👧", "' OR 1=1; DROP TABLE events; --",
    "<script>alert(1)</script>", "1e308", "-1", "户号０３００００００００１",
]

RAW_BODIES = [
    b"", b"{not json", b"\xff\xfe\x00\x01binary", b"[]", b"null", b'{"sender": 1, "message": []}',
    b'{"sender": "x", "message": "\xff\xff"}', b"1e308", b'{"message": "' + b"a" * 2_000_000 + b'"}',
]


def no_trace(body) -> bool:
    return "Traceback" not in str(body)


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: repr(m[:12]))
def test_any_message_text_gets_an_answer_or_a_clean_refusal(production, message):
    sender = f"prod-hostile-{uuid.uuid4().hex[:8]}"
    status, body = http("POST", f"{production.url}/webhooks/rest/webhook", {"sender": sender, "message": message})
    assert status < 500 and no_trace(body), (status, str(body)[:300])
    # The conversation is not broken by it: the next ordinary message is answered.
    assert texts(production.say(sender, "你好"))


def test_malformed_bodies_never_crash_a_server(production):
    doors = [f"{production.url}/webhooks/rest/webhook", f"http://127.0.0.1:{production.ports['actions']}/webhook"]
    doors += [f"{url}/webhooks/rest/webhook" for url in production.replica_urls]
    doors += [f"{production.backend_url}/api/v1/work-orders", f"{production.backend_url}/api/v1/accounts/verify"]
    for door in doors:
        for raw in RAW_BODIES:
            status, body = http("POST", door, raw=raw)
            assert status < 500 and no_trace(body), (door, raw[:30], status, str(body)[:300])
    # The action-server replicas listen on loopback for the balancer only, which refuses bodies
    # not shaped like Rasa's calls; rasa_sdk itself answers some of them with a 500 (no trace),
    # and must simply survive them.
    for port in production.actions_replica_ports:
        for raw in RAW_BODIES:
            status, body = http("POST", f"http://127.0.0.1:{port}/webhook", raw=raw)
            assert no_trace(body), (port, raw[:30], status, str(body)[:300])

    for url in [f"{u}/status?token={production.token}" for u in production.replica_urls] + [
        f"http://127.0.0.1:{port}/health" for port in production.actions_replica_ports
    ] + [f"{production.backend_url}/api/v1/health"]:
        assert answers(url), f"{url} stopped answering"
    assert texts(production.say(f"prod-after-{uuid.uuid4().hex[:8]}", "你好"))
