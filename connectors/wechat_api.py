"""WeChat server API over aiohttp: the shared access-token service and customer-service messages.

wechatpy's client is synchronous (requests) and would block Rasa's event loop, so the few calls
we need are made here with aiohttp and timeouts.

Access tokens: fetching a new token with the legacy `/cgi-bin/token` call invalidates the token
every other replica holds. We use the stable-token call (`/cgi-bin/stable_token`, without
force_refresh), which returns the current token while it is valid, and cache it in memory and in
the shared store (Redis in production) until shortly before it expires.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import Any, Callable, Dict, Optional, Tuple

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com"
# Refresh this long before WeChat's expiry, so a token never dies between fetch and use.
EXPIRY_MARGIN_SECONDS = 300
# 40001 invalid credential, 40014 invalid token, 42001 token expired.
TOKEN_ERRORS = {40001, 40014, 42001}


class WeChatAPIError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


def api_base() -> str:
    """Overridable for tests and for an egress proxy with a whitelisted IP."""
    return os.environ.get("WECHAT_API_BASE", DEFAULT_API_BASE).rstrip("/")


async def _post_json(url: str, payload: Dict[str, Any], params: Optional[Dict[str, str]], timeout: float) -> Dict:
    # A session per call: these calls are rare, and no session outlives the loop that made it.
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        async with session.post(url, data=body, params=params,
                                headers={"Content-Type": "application/json; charset=utf-8"}) as resp:
            if resp.status != 200:
                raise WeChatAPIError(-resp.status, f"HTTP {resp.status}")
            data = await resp.json(content_type=None)
    if not isinstance(data, dict):
        raise WeChatAPIError(-1, "unexpected response")
    errcode = int(data.get("errcode") or 0)
    if errcode:
        raise WeChatAPIError(errcode, str(data.get("errmsg", "")))
    return data


class AccessTokenService:
    """One cached access token per AppID, shared by every channel and job in the process."""

    def __init__(self, appid: str, secret: str, store, base_url: Optional[str] = None,
                 clock: Callable[[], float] = time.time, timeout: float = 10.0) -> None:
        self.appid = appid
        self._secret = secret
        self._store = store
        self._base_url = base_url
        self._clock = clock
        self._timeout = timeout
        self._cached: Optional[Tuple[str, float]] = None
        self._lock: Optional[asyncio.Lock] = None

    @property
    def _store_key(self) -> str:
        return f"wechat:access_token:{self.appid}"

    def _fresh(self, cached: Optional[Tuple[str, float]]) -> bool:
        return cached is not None and cached[1] - EXPIRY_MARGIN_SECONDS > self._clock()

    async def _from_store(self) -> Optional[Tuple[str, float]]:
        raw = await self._store.get(self._store_key)
        if not raw:
            return None
        data = json.loads(raw)
        return data["token"], float(data["expires_at"])

    async def token(self) -> str:
        if self._fresh(self._cached):
            return self._cached[0]
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one fetch at a time; the others wait and reuse its token
            if self._fresh(self._cached):
                return self._cached[0]
            shared = await self._from_store()
            if self._fresh(shared):
                self._cached = shared
                return shared[0]
            self._cached = await self._fetch()
            return self._cached[0]

    async def _fetch(self) -> Tuple[str, float]:
        base = self._base_url or api_base()
        data = await _post_json(
            f"{base}/cgi-bin/stable_token",
            {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret,
             "force_refresh": False},
            None,
            self._timeout,
        )
        token, expires_in = data.get("access_token"), int(data.get("expires_in") or 0)
        if not token or expires_in <= 0:
            raise WeChatAPIError(-1, "no access_token in response")
        expires_at = self._clock() + expires_in
        ttl = max(1, expires_in - EXPIRY_MARGIN_SECONDS)
        await self._store.set(self._store_key, json.dumps({"token": token, "expires_at": expires_at}), ttl)
        logger.info("wechat.token.fetched", extra={"appid": self.appid, "expires_in": expires_in})
        return token, expires_at

    async def invalidate(self, token: str) -> None:
        """WeChat rejected `token`: forget it (unless another caller already replaced it)."""
        if self._cached and self._cached[0] == token:
            self._cached = None
        shared = await self._from_store()
        if shared and shared[0] == token:
            await self._store.delete(self._store_key)


class CustomerServiceAPI:
    """客服消息 (customer-service message) sending, plus template messages for notices."""

    def __init__(self, tokens: AccessTokenService, base_url: Optional[str] = None, timeout: float = 10.0) -> None:
        self.tokens = tokens
        self._base_url = base_url
        self._timeout = timeout

    async def _call(self, path: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        base = self._base_url or api_base()
        for attempt in range(2):
            token = await self.tokens.token()
            try:
                return await _post_json(f"{base}{path}", payload, {"access_token": token}, self._timeout)
            except WeChatAPIError as error:
                if error.errcode in TOKEN_ERRORS and attempt == 0:
                    await self.tokens.invalidate(token)
                    continue
                raise
        raise AssertionError("unreachable")

    async def send(self, payload: Dict[str, Any]) -> Dict[str, Any]:
        return await self._call("/cgi-bin/message/custom/send", payload)

    async def send_text(self, openid: str, content: str) -> Dict[str, Any]:
        return await self.send({"touser": openid, "msgtype": "text", "text": {"content": content}})

    async def send_link(self, openid: str, title: str, description: str, url: str,
                        thumb_url: str = "") -> Dict[str, Any]:
        link = {"title": title, "description": description, "url": url, "thumb_url": thumb_url}
        return await self.send({"touser": openid, "msgtype": "link", "link": link})

    async def send_miniprogram_page(self, openid: str, title: str, pagepath: str,
                                    thumb_media_id: str) -> Dict[str, Any]:
        page = {"title": title, "pagepath": pagepath, "thumb_media_id": thumb_media_id}
        return await self.send({"touser": openid, "msgtype": "miniprogrampage", "miniprogrampage": page})

    async def send_template(self, openid: str, template_id: str, data: Dict[str, str]) -> Dict[str, Any]:
        """Template message: reaches subscribers outside the 48-hour customer-service window."""
        fields = {name: {"value": value} for name, value in data.items()}
        return await self._call("/cgi-bin/message/template/send",
                                {"touser": openid, "template_id": template_id, "data": fields})


_token_services: Dict[Tuple[str, str], AccessTokenService] = {}


def shared_token_service(appid: str, secret: str, store) -> AccessTokenService:
    """The one token service for an AppID in this process (channels and jobs share it)."""
    key = (appid, secret)
    if key not in _token_services:
        _token_services[key] = AccessTokenService(appid, secret, store)
    return _token_services[key]
