"""A small round-robin HTTP load balancer for running the production profile on one machine.

In a real deployment nginx, a cloud load balancer or a Kubernetes Service does this job
(docs/PRODUCTION.md); this one exists so `scripts/run_production.sh` and `make test-production`
need nothing beyond the venv. It spreads requests over the replicas and skips a replica that
refuses connections (down or restarting) for a few seconds.

A request is only re-sent to another replica when the first one could not be reached at all:
a replica that accepted a message may have processed it, and sending it again would make the
assistant answer twice (and could repeat a work order without a request_id).

In front of the action servers (--actions-fallback) it also answers for them when none can be
reached: Rasa drops a failed custom action silently, so the customer would get no reply at all;
instead they get a polite apology with the hotline and the conversation goes on. It also refuses
action calls that are not shaped like Rasa's (rasa_sdk answers those with a 500 quoting its own
exception), so the action servers only ever see well-formed calls.

usage: python scripts/balancer.py --port 5005 --upstream http://127.0.0.1:5105 --upstream ...
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import time
from typing import Dict, List

import aiohttp
from aiohttp import web

logger = logging.getLogger("balancer")

# Hop-by-hop headers describe one connection, not the message: never forwarded.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
    "transfer-encoding", "upgrade", "host", "content-length",
}
# Same limit order as the servers behind: a bigger body is refused before it is read.
MAX_BODY_BYTES = 1024 * 1024
PAUSE_AFTER_REFUSAL_SECONDS = 3.0
SESSION = web.AppKey("session", aiohttp.ClientSession)


class Upstreams:
    def __init__(self, urls: List[str]) -> None:
        self.urls = [url.rstrip("/") for url in urls]
        self._turn = itertools.cycle(range(len(self.urls)))
        self._paused_until: Dict[str, float] = {}

    def order(self) -> List[str]:
        """Every upstream once, starting with the next in turn; paused ones go last."""
        start = next(self._turn)
        rotated = self.urls[start:] + self.urls[:start]
        now = time.monotonic()
        return sorted(rotated, key=lambda url: self._paused_until.get(url, 0) > now)

    def pause(self, url: str) -> None:
        self._paused_until[url] = time.monotonic() + PAUSE_AFTER_REFUSAL_SECONDS


def actions_unavailable_reply() -> Dict[str, object]:
    """What an action server would answer, carrying only an apology (no events: nothing changes)."""
    from knowledge import load_knowledge

    hotline = load_knowledge().region().value("service.hotlines.power_service")["number"]
    text = f"抱歉，系统暂时无法办理这项业务。您可以稍后再试，或拨打供电服务热线 {hotline}（24小时）。"
    return {"events": [], "responses": [{"text": text}]}


def is_action_call(body: bytes) -> bool:
    """The shape Rasa sends: {"next_action": str, "tracker": {...}, ...}."""
    try:
        call = json.loads(body)
    except ValueError:  # UnicodeDecodeError included
        return False
    return isinstance(call, dict) and isinstance(call.get("next_action"), str) and isinstance(call.get("tracker"), dict)


def make_app(upstream_urls: List[str], timeout_seconds: float, actions_fallback: bool = False) -> web.Application:
    upstreams = Upstreams(upstream_urls)
    fallback = actions_unavailable_reply() if actions_fallback else None
    timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def session_ctx(app: web.Application):
        # force_close: a fresh connection per request. Sanic (Rasa, rasa_sdk) closes idle
        # keep-alive connections after 5 s; reusing one at that moment fails with a broken pipe,
        # and such a failure cannot be told apart from a replica dying mid-request (measured: 27
        # failed actions in 1400 turns). A loopback/LAN connect costs far less than a turn.
        app[SESSION] = aiohttp.ClientSession(
            timeout=timeout, auto_decompress=False,
            connector=aiohttp.TCPConnector(limit=500, force_close=True),
        )
        yield
        await app[SESSION].close()

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "upstreams": upstreams.urls})

    async def forward(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if fallback is not None and request.method == "POST" and request.path == "/webhook":
            if not is_action_call(body):
                return web.json_response({"error": "not an action call"}, status=400)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["X-Forwarded-For"] = request.remote or ""
        for url in upstreams.order():
            try:
                async with request.app[SESSION].request(
                    request.method, url + request.rel_url.path_qs, data=body, headers=headers,
                    allow_redirects=False,
                ) as answer:
                    payload = await answer.read()
                    reply_headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
                    return web.Response(status=answer.status, body=payload, headers=reply_headers)
            except aiohttp.ClientConnectorError:
                # Not reached at all: safe to try the next replica.
                logger.warning("upstream %s refused the connection; trying the next", url)
                upstreams.pause(url)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                # Reached but failed mid-way: it may have acted on the request, do not repeat it.
                logger.warning("upstream %s failed: %r", url, error)
                return web.json_response({"error": "upstream failed"}, status=502)
        if fallback is not None and request.method == "POST" and request.path == "/webhook":
            logger.error("no action server reachable: answered with the apology")
            return web.json_response(fallback)
        return web.json_response({"error": "no upstream available"}, status=503)

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.cleanup_ctx.append(session_ctx)
    app.router.add_get("/__balancer/health", health)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", action="append", required=True, help="repeat for each replica")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for one upstream answer")
    parser.add_argument("--actions-fallback", action="store_true",
                        help="in front of action servers: apologise for them when none is reachable")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Customers' numbers can appear in paths and logged errors: mask them like every other process.
    import bot  # noqa: F401  (importing the package installs log masking)

    web.run_app(make_app(args.upstream, args.timeout, args.actions_fallback), host=args.host, port=args.port,
                access_log=None, print=lambda message: logger.info(message))


if __name__ == "__main__":
    main()
