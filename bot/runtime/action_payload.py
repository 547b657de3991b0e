"""Serialise the tracker sent to the action server with ujson instead of the json module.

For every action it runs, Rasa 3.6 posts the whole conversation (every event of the session) to
the action server; aiohttp encodes it with `json.dumps`, about 5 % of the Rasa server's CPU under
load (benchmarks/README.md). ujson (already installed: Sanic uses it) writes the same JSON
values several times faster: the action server reads the same data. Whatever ujson cannot
encode goes through `json.dumps` as before, so nothing that was sent before fails now.
"""
from __future__ import annotations

import json
from typing import Any

import aiohttp
import ujson
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig


def dumps(value: Any) -> str:
    try:
        return ujson.dumps(value)
    except (TypeError, OverflowError, ValueError):
        return json.dumps(value)


def session(self: EndpointConfig) -> aiohttp.ClientSession:
    """`EndpointConfig.session` of Rasa 3.6.21 (its headers, basic auth and timeout), with ujson."""
    auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
    return aiohttp.ClientSession(headers=self.headers, auth=auth,
                                 timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT), json_serialize=dumps)


def install() -> None:
    EndpointConfig.session = session
