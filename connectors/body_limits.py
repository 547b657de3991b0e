"""Body limits applied before a body is read.

Sanic reads a request's whole body before any middleware or handler runs (up to its
REQUEST_MAX_SIZE, 100 MB by default), so a limit checked in a handler comes too late. Sanic's
`http.routing.after` signal runs once the route is known and before the body is read: there the
request's own limit is lowered to its channel's, so a too-large Content-Length is refused at
once with 413 and a chunked body is cut off as soon as it passes the limit. Nothing reaches the
channel, the dialogue or the tracker store.

The limits per path prefix are each channel's own (MAX_BODY_BYTES in its module);
security/rasa_server.py installs the signal on the Rasa server's app.
"""
from __future__ import annotations

from typing import Dict, Optional

from sanic.exceptions import PayloadTooLarge

from connectors import hotline, kiosk, rest, wechat_security

LIMITS: Dict[str, int] = {
    "/webhooks/rest/": rest.MAX_BODY_BYTES,
    "/webhooks/hotline/": hotline.MAX_BODY_BYTES,
    "/webhooks/kiosk/": kiosk.MAX_BODY_BYTES,
    "/webhooks/wechat/": wechat_security.DEFAULT_MAX_BODY_BYTES,
    "/webhooks/wechat_mp/": wechat_security.DEFAULT_MAX_BODY_BYTES,
}


def limit_for(path: str) -> Optional[int]:
    for prefix, limit in LIMITS.items():
        if path.startswith(prefix):
            return limit
    return None


async def apply_limit(request, **_: object) -> None:
    limit = limit_for(request.path)
    if limit is None or request.stream is None:
        return
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge("request body too large")
    request.stream.request_max_size = min(request.stream.request_max_size, limit)


def install(app) -> None:
    """Register the signal on a Sanic app (idempotent)."""
    if getattr(app.ctx, "body_limits_installed", False):
        return
    app.signal("http.routing.after")(apply_limit)
    app.ctx.body_limits_installed = True
