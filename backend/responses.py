"""JSON responses: UTF-8 Chinese as is, Decimal amounts as exact JSON numbers."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Mapping, Optional

from aiohttp import web


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # float() of a 2-place Decimal prints back the same digits (shortest repr), so 12.30 -> 12.3
        # is the only change; amounts are never summed by clients from these floats.
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# A lone surrogate (e.g. an unknown field name sent as "\\ud800", echoed in the error) cannot be
# encoded as UTF-8: written as a JSON \\u escape it is the same string and the body stays valid.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, default=_default, separators=(",", ":"))
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_response(data: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=dumps)
