"""The credential every internal call carries: `X-Service-Token: <secret>`, compared in
constant time. Used by the action server (from Rasa) and the back end (from the action server
and the outage-notice job); each refuses any other request with 401 and says nothing more."""
from __future__ import annotations

import hmac
from typing import Iterable, Optional

SERVICE_HEADER = "X-Service-Token"
REFUSAL = {"error": {"code": "UNAUTHORIZED", "message": "missing or wrong service credential"}}


def token_matches(given: Optional[str], expected: str) -> bool:
    """Constant-time comparison; an empty or missing credential never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def sanic_guard(app, expected: str, open_paths: Iterable[str] = ("/health",)) -> None:
    """Refuse every request to a Sanic app without the service token (the open paths excepted)."""
    from sanic import response

    open_set = frozenset(open_paths)

    @app.on_request
    async def require_service_token(request):
        if request.path in open_set:
            return None
        if token_matches(request.headers.get(SERVICE_HEADER), expected):
            return None
        return response.json(REFUSAL, status=401)


def aiohttp_guard(expected: str, open_paths: Iterable[str] = ()):
    """An aiohttp middleware that refuses requests without the service token."""
    from aiohttp import web

    open_set = frozenset(open_paths)

    @web.middleware
    async def require_service_token(request, handler):
        if request.path in open_set or token_matches(request.headers.get(SERVICE_HEADER), expected):
            return await handler(request)
        return web.json_response(REFUSAL, status=401)

    return require_service_token
