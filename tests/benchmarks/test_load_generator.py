"""The benchmark's load generator: bounded concurrency, messages of a conversation in order, and
with a rate, the conversations together offer that rate (against a stand-in REST channel)."""
import asyncio
import time

import pytest

from aiohttp import web
from aiohttp.test_utils import TestServer

from benchmarks.bench import all_conversations, concurrent, steady_rate


async def run_against_stand_in(conversations, concurrency, rate=None):
    seen = []  # (sender, text, time)
    in_flight = peak = 0

    async def webhook(request):
        nonlocal in_flight, peak
        body = await request.json()
        in_flight += 1
        peak = max(peak, in_flight)
        seen.append((body["sender"], body["message"], time.perf_counter()))
        await asyncio.sleep(0.005)
        in_flight -= 1
        return web.json_response([{"recipient_id": body["sender"], "text": "好的"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    server = TestServer(app)
    await server.start_server()
    try:
        outcome, seconds = await concurrent(str(server.make_url("")).rstrip("/"), conversations, concurrency, rate=rate)
    finally:
        await server.close()
    return outcome, seconds, seen, peak


def test_saturating_run_keeps_each_conversation_in_order_and_the_bound():
    outcome, _, seen, peak = asyncio.run(run_against_stand_in(16, 4))
    expected = all_conversations(16)
    assert not outcome.errors and outcome.conversations == 16
    assert len(outcome.latencies) == sum(len(messages) for _, messages in expected) == len(seen)
    assert peak <= 4
    by_sender = {}
    for sender, text, _ in seen:
        by_sender.setdefault(sender, []).append(text)
    assert sorted(by_sender.values()) == sorted(messages for _, messages in expected)


def test_a_paced_run_offers_the_rate_and_spaces_each_conversations_messages():
    concurrency, rate = 5, 50.0  # each conversation: one message every 0.1 s
    outcome, _, seen, _ = asyncio.run(run_against_stand_in(20, concurrency, rate=rate))
    assert not outcome.errors
    gaps = []
    last = {}
    for sender, _, at in seen:
        if sender in last:
            gaps.append(at - last[sender])
        last[sender] = at
    assert min(gaps) >= concurrency / rate - 0.005
    assert 0.95 * rate <= steady_rate(outcome.sent, outcome.seat_spans) <= 1.05 * rate
    assert len(outcome.seat_spans) == concurrency


def test_steady_rate_counts_only_while_every_seat_sends():
    sends = [0.0, 0.5, 1.0] + [1.0 + i / 40 for i in range(1, 401)] + [12.0, 13.0]
    spans = [(0.0, 13.0), (0.5, 12.0), (1.0, 11.0)]  # all three seats send between 1.0 and 11.0
    assert steady_rate(sends, spans) == pytest.approx(40.1, abs=0.2)
    assert steady_rate([1.0, 2.0], []) == 0.0
