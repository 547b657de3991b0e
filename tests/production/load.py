"""Concurrent conversations through the REST channel, checking every reply belongs to its own
conversation. Used by the load test and runnable on its own against a running profile:

    .venv/bin/python -m tests.production.load --url http://127.0.0.1:5005 --conversations 200

Each conversation fills the 充电桩报装 form with its own address and phone number; the summary
the assistant reads back must quote exactly those, so any cross-talk between conversations
(slots of one shown in another) is caught, as are lost or empty replies and HTTP errors.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import List, Sequence

import aiohttp


def script(number: int) -> List[str]:
    """The customer's side of one application; `number` makes its address and phone unique."""
    return [
        "我要申请充电桩",
        "车位是买的",
        "物业已经盖章了",
        "7kW",
        f"南山区粤海街道科苑路{number}号",
        "黄海涛",
        f"186{number:08d}",  # 11 digits for any number below 10^8
    ]


def expected_in_summary(number: int) -> List[str]:
    return [f"科苑路{number}号", f"186****{number % 10000:04d}"]


@dataclass
class Outcome:
    turns: int = 0
    latencies: List[float] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)


async def converse(session: aiohttp.ClientSession, urls: Sequence[str], number: int, outcome: Outcome) -> None:
    sender = f"load-{uuid.uuid4().hex[:10]}"
    last = []
    for turn, text in enumerate(script(number)):
        url = urls[(number + turn) % len(urls)]  # alternate replicas within the conversation
        started = time.monotonic()
        try:
            async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as response:
                body = await response.text()
                if response.status != 200:
                    outcome.errors.append(f"{sender}: HTTP {response.status} on {text!r}")
                    return
                last = json.loads(body)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            outcome.errors.append(f"{sender}: {error!r} on {text!r}")
            return
        outcome.latencies.append(time.monotonic() - started)
        outcome.turns += 1
        if not any(message.get("text") for message in last):
            outcome.errors.append(f"{sender}: no reply to {text!r}")
            return
    summary = "\n".join(message.get("text", "") for message in last)
    if not all(part in summary for part in expected_in_summary(number)):
        outcome.errors.append(f"{sender}: summary is not its own: {summary[:120]!r}")


async def run(urls: Sequence[str], conversations: int, timeout: float, first_number: int = 1) -> dict:
    outcome = Outcome()
    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=conversations)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        await asyncio.gather(*(converse(session, urls, first_number + n, outcome) for n in range(conversations)))
    elapsed = time.monotonic() - started
    latencies = sorted(outcome.latencies) or [0.0]
    return {
        "conversations": conversations,
        "turns": outcome.turns,
        "seconds": round(elapsed, 1),
        "turns_per_second": round(outcome.turns / elapsed, 1),
        "latency_median_s": round(statistics.median(latencies), 2),
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "errors": outcome.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="concurrent REST conversations against a running profile")
    parser.add_argument("--url", action="append", required=True, help="Rasa or balancer base URL; repeatable")
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--first-number", type=int, default=1, help="start of the unique numbers (avoid reuse)")
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.conversations, args.timeout, args.first_number))
    errors = result.pop("errors")
    print(json.dumps(result, ensure_ascii=False))
    for error in errors[:20]:
        print("ERROR", error)
    raise SystemExit(1 if errors else 0)


if __name__ == "__main__":
    main()
