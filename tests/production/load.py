"""Concurrent conversations against a running profile, checking every reply belongs to its own
conversation. Used by the load test and runnable on its own:

    # 200 REST conversations filling the 充电桩报装 form (7 messages each, no pause)
    .venv/bin/python -m tests.production.load --url http://127.0.0.1:5005 --conversations 200
    # 200 conversations spread over REST, the hotline and the kiosk (3 messages each)
    .venv/bin/python -m tests.production.load --scenario channels --url http://127.0.0.1:5005 \\
        --conversations 200 --token "$RASA_API_TOKEN" --hotline-token "$HOTLINE_TOKEN"

Scenario `form`: each conversation fills the 充电桩报装 form with its own address and phone
number; the summary the assistant reads back must quote exactly those.
Scenario `channels`: each conversation asks for a bill computation with its own kWh figure, on
the REST channel, the hotline gateway or the kiosk page in turn; the computed bill must quote
that figure, and (with --token) the tracker must hold exactly this conversation's messages.
Either way any cross-talk between conversations is caught, as are lost or empty replies, the
hotline's "system slow" stall prompts and HTTP errors. With several --url values the messages of
each conversation alternate between them (e.g. the Rasa replicas directly).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import aiohttp

CHANNELS = ("rest", "hotline", "kiosk")
HOTLINE_STALL = "系统查询较慢"  # connectors.hotline.STALL: the turn outlived the gateway's wait


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


def kwh_of(number: int) -> int:
    """A different monthly usage per conversation (below the calculator's household maximum)."""
    return 100 + number % 900


def bill_script(number: int) -> List[str]:
    return ["帮我算一下电费", f"用了{kwh_of(number)}度", "7月"]


@dataclass
class Outcome:
    turns: int = 0
    latencies: List[float] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    per_channel: Dict[str, int] = field(default_factory=dict)


@dataclass
class Settings:
    urls: Sequence[str]
    token: str = ""           # Rasa HTTP API token: enables the tracker check
    hotline_token: str = ""
    think: float = 0.0        # mean pause between a reply and the customer's next message
    ramp: float = 0.0         # conversations start spread over this many seconds


class Conversation:
    """One customer on one channel: sends a message, returns the reply's text (None on failure)."""

    def __init__(self, session: aiohttp.ClientSession, settings: Settings, channel: str, number: int,
                 outcome: Outcome) -> None:
        self.session, self.settings, self.channel, self.number, self.outcome = session, settings, channel, number, outcome
        local = str(uuid.uuid4()) if channel == "kiosk" else f"load-{uuid.uuid4().hex[:12]}"
        self.local_id = local
        self.sender = local if channel == "rest" else f"{channel}:{local}"

    def _request(self, text: str) -> tuple:
        if self.channel == "hotline":
            headers = {"Authorization": f"Bearer {self.settings.hotline_token}"} if self.settings.hotline_token else {}
            return "/webhooks/hotline/webhook", {"call_id": self.local_id, "text": text}, headers
        if self.channel == "kiosk":
            return "/webhooks/kiosk/webhook", {"sender": self.local_id, "message": text}, {}
        return "/webhooks/rest/webhook", {"sender": self.local_id, "message": text}, {}

    @staticmethod
    def _reply_text(channel: str, body: Any) -> str:
        if channel == "hotline":
            return body.get("speak", "") if isinstance(body, dict) else ""
        messages = body.get("messages", []) if channel == "kiosk" and isinstance(body, dict) else body
        return "\n".join(m.get("text") or "" for m in messages or [] if isinstance(m, dict))

    async def say(self, url: str, text: str) -> Optional[str]:
        path, payload, headers = self._request(text)
        started = time.monotonic()
        try:
            async with self.session.post(url + path, json=payload, headers=headers) as response:
                raw = await response.text()
                if response.status != 200:
                    self.outcome.errors.append(f"{self.sender}: HTTP {response.status} on {text!r}: {raw[:80]!r}")
                    return None
                reply = self._reply_text(self.channel, json.loads(raw))
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            self.outcome.errors.append(f"{self.sender}: {error!r} on {text!r}")
            return None
        self.outcome.latencies.append(time.monotonic() - started)
        self.outcome.turns += 1
        self.outcome.per_channel[self.channel] = self.outcome.per_channel.get(self.channel, 0) + 1
        if not reply.strip():
            self.outcome.errors.append(f"{self.sender}: no reply to {text!r}")
            return None
        if self.channel == "hotline" and HOTLINE_STALL in reply:
            self.outcome.errors.append(f"{self.sender}: the gateway got the stall prompt for {text!r} (reply lost)")
            return None
        return reply

    async def tracker(self) -> Optional[Dict[str, Any]]:
        url = f"{self.settings.urls[0]}/conversations/{self.sender}/tracker"
        try:
            async with self.session.get(url, params={"token": self.settings.token}) as response:
                if response.status != 200:
                    self.outcome.errors.append(f"{self.sender}: tracker HTTP {response.status}")
                    return None
                return await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            self.outcome.errors.append(f"{self.sender}: tracker {error!r}")
            return None


async def pause(settings: Settings) -> None:
    if settings.think > 0:
        await asyncio.sleep(random.uniform(0.5, 1.5) * settings.think)


async def converse(session: aiohttp.ClientSession, urls: Sequence[str], number: int, outcome: Outcome) -> None:
    """Scenario `form` (REST)."""
    conversation = Conversation(session, Settings(urls), "rest", number, outcome)
    reply = None
    for turn, text in enumerate(script(number)):
        reply = await conversation.say(urls[(number + turn) % len(urls)], text)  # alternate replicas
        if reply is None:
            return
    if not all(part in reply for part in expected_in_summary(number)):
        outcome.errors.append(f"{conversation.sender}: summary is not its own: {reply[:120]!r}")


async def converse_on_channel(session: aiohttp.ClientSession, settings: Settings, number: int,
                              outcome: Outcome) -> None:
    """Scenario `channels`: a bill computation on the conversation's channel."""
    channel = CHANNELS[number % len(CHANNELS)]
    conversation = Conversation(session, settings, channel, number, outcome)
    urls, texts, reply = settings.urls, bill_script(number), None
    await asyncio.sleep(settings.ramp * random.random())
    for turn, text in enumerate(texts):
        if turn:
            await pause(settings)
        reply = await conversation.say(urls[(number + turn) % len(urls)], text)  # alternate replicas
        if reply is None:
            return
    kwh = kwh_of(number)
    if f"用电{kwh}度" not in reply:
        outcome.errors.append(f"{conversation.sender}: bill is not its own ({kwh} kWh): {reply[:100]!r}")
    if not settings.token:
        return
    tracker = await conversation.tracker()
    if tracker is None:
        return
    said = [event.get("text") for event in tracker.get("events", []) if event.get("event") == "user"]
    if said != texts:
        outcome.errors.append(f"{conversation.sender}: tracker holds other messages: {said!r}")
    recorded = (tracker.get("slots") or {}).get("tariff_kwh")
    if recorded is not None and float(recorded) != kwh:
        outcome.errors.append(f"{conversation.sender}: tariff_kwh slot {recorded!r}, expected {kwh}")


def summary(outcome: Outcome, conversations: int, elapsed: float) -> Dict[str, Any]:
    latencies = sorted(outcome.latencies) or [0.0]
    return {
        "conversations": conversations,
        "turns": outcome.turns,
        "turns_by_channel": dict(sorted(outcome.per_channel.items())),
        "seconds": round(elapsed, 1),
        "turns_per_second": round(outcome.turns / elapsed, 1),
        "latency_median_s": round(statistics.median(latencies), 2),
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "latency_max_s": round(latencies[-1], 2),
        "errors": outcome.errors,
    }


async def run(urls: Sequence[str], conversations: int, timeout: float, first_number: int = 1) -> dict:
    """Scenario `form`: every conversation starts at once and answers at once."""
    outcome = Outcome()
    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=conversations)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        await asyncio.gather(*(converse(session, urls, first_number + n, outcome) for n in range(conversations)))
    return summary(outcome, conversations, time.monotonic() - started)


async def run_channels(settings: Settings, conversations: int, timeout: float, first_number: int = 1) -> dict:
    """Scenario `channels`: REST, hotline and kiosk conversations side by side."""
    outcome = Outcome()
    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=conversations)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        await asyncio.gather(*(converse_on_channel(session, settings, first_number + n, outcome)
                               for n in range(conversations)))
    return summary(outcome, conversations, time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description="concurrent conversations against a running profile")
    parser.add_argument("--url", action="append", required=True, help="Rasa or balancer base URL; repeatable")
    parser.add_argument("--scenario", choices=("form", "channels"), default="form")
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=600.0, help="per request, seconds")
    parser.add_argument("--first-number", type=int, default=1, help="start of the unique numbers (avoid reuse)")
    parser.add_argument("--token", default="", help="channels: Rasa API token, to check each tracker")
    parser.add_argument("--hotline-token", default="", help="channels: the hotline's bearer token")
    parser.add_argument("--think", type=float, default=0.0, help="channels: mean seconds between messages")
    parser.add_argument("--ramp", type=float, default=0.0, help="channels: conversations start within this time")
    args = parser.parse_args()
    if args.scenario == "form":
        result = asyncio.run(run(args.url, args.conversations, args.timeout, args.first_number))
    else:
        settings = Settings(args.url, args.token, args.hotline_token, args.think, args.ramp)
        result = asyncio.run(run_channels(settings, args.conversations, args.timeout, args.first_number))
    errors = result.pop("errors")
    print(json.dumps(result, ensure_ascii=False))
    for error in errors[:20]:
        print("ERROR", error)
    raise SystemExit(1 if errors else 0)


if __name__ == "__main__":
    main()
