"""The one HTTP client for the utility's back-end systems, used by every action.

Every call has a short total timeout; only idempotent calls are retried (GETs, and POSTs that
carry a request_id the back end deduplicates on). Failures never raise into an action: they
come back as a result with ok=False, so the action answers politely and the conversation goes on.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, Optional
from weakref import WeakKeyDictionary

import aiohttp

from actions import settings
from bot.text.masking import mask_text
from security.service_auth import SERVICE_HEADER
from security.service_secrets import BACKEND_SERVICE_VAR, read_secret

logger = logging.getLogger(__name__)

UNAVAILABLE = "BACKEND_UNAVAILABLE"

# One connection pool per event loop: aiohttp sessions are bound to the loop that made them.
_sessions: "WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession]" = WeakKeyDictionary()


@dataclass
class BackendResult:
    ok: bool
    status: Optional[int] = None
    data: Dict[str, Any] = field(default_factory=dict)
    error_code: Optional[str] = None

    @property
    def unavailable(self) -> bool:
        """The back end could not answer (down, slow, 5xx): tell the customer to try the hotline."""
        return self.error_code == UNAVAILABLE


def _session() -> aiohttp.ClientSession:
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100),
            headers={"User-Agent": "szgd-assistant-actions"},
        )
        _sessions[loop] = session
    return session


async def close() -> None:
    loop = asyncio.get_running_loop()
    session = _sessions.pop(loop, None)
    if session is not None and not session.closed:
        await session.close()


async def request(
    method: str,
    path: str,
    *,
    json: Optional[Dict[str, Any]] = None,
    params: Optional[Dict[str, Any]] = None,
    idempotent: Optional[bool] = None,
) -> BackendResult:
    """Call the back end. 4xx answers come back as ok=False with the back end's error code."""
    if idempotent is None:
        idempotent = method.upper() == "GET" or bool(json and json.get("request_id"))
    attempts = 1 + (settings.backend_retries() if idempotent else 0)
    url = f"{settings.backend_url()}{path}"
    clean_params = {k: str(v) for k, v in (params or {}).items() if v is not None and v != ""}
    timeout = aiohttp.ClientTimeout(total=settings.backend_timeout_seconds())
    headers = {SERVICE_HEADER: read_secret(BACKEND_SERVICE_VAR) or ""}
    for attempt in range(1, attempts + 1):
        try:
            async with _session().request(
                method, url, json=json, params=clean_params, timeout=timeout, headers=headers
            ) as response:
                body = await response.json(content_type=None)
                if not isinstance(body, dict):
                    body = {}
                if response.status < 400:
                    return BackendResult(True, response.status, body)
                if response.status < 500:
                    code = (body.get("error") or {}).get("code", "BAD_REQUEST")
                    return BackendResult(False, response.status, body, code)
                logger.warning("back end %s %s answered %s", method, mask_text(path), response.status)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            logger.warning("back end %s %s failed (attempt %s): %r", method, mask_text(path), attempt, error)
        if attempt < attempts:
            await asyncio.sleep(0.05 * attempt)
    return BackendResult(False, None, {}, UNAVAILABLE)


async def get(path: str, **params: Any) -> BackendResult:
    return await request("GET", path, params=params)


async def post(path: str, payload: Dict[str, Any]) -> BackendResult:
    return await request("POST", path, json=payload)
