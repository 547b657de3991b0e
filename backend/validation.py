"""Input validation shared by every route: bad input is always a 400 with a field name, never a 500.

Strings are checked for what the databases refuse or what would corrupt a record: control
characters (PostgreSQL rejects NUL), lone surrogates (not encodable as UTF-8) and length.
"""
from __future__ import annotations

import json
import math
import re
from datetime import date
from typing import Any, Dict, Iterable, Optional

from aiohttp import web

from backend.errors import ApiError, bad_request

ACCOUNT_NO_RE = re.compile(r"03\d{8}")
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
ORDER_NO_RE = re.compile(r"[A-Z]{2}\d{14}")
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MAX_TEXT_CHARS = 200
MAX_DETAILS_BYTES = 4096
MAX_DETAILS_DEPTH = 4


def _reject_json_constant(name: str) -> Any:
    # json.loads accepts NaN/Infinity by default; they are not JSON and PostgreSQL refuses them.
    raise ValueError(f"invalid JSON constant {name}")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if math.isinf(number):  # 1e999 parses to inf, which no database column can hold
        raise ValueError("number out of range")
    return number


def parse_json(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8"), parse_constant=_reject_json_constant, parse_float=_finite_float)


async def read_json_object(request: web.Request) -> Dict[str, Any]:
    """The request body as a JSON object; 413 when above client_max_size, 400 otherwise."""
    raw = await request.read()  # raises HTTPRequestEntityTooLarge above client_max_size
    if not raw.strip():
        raise bad_request("EMPTY_BODY", "请求内容为空")
    try:
        body = parse_json(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise bad_request("INVALID_JSON", "请求内容不是合法的JSON") from None
    if not isinstance(body, dict):
        raise bad_request("INVALID_BODY", "请求内容必须是JSON对象")
    return body


def reject_unknown_fields(body: Dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise bad_request("UNKNOWN_FIELD", f"不支持的字段：{', '.join(unknown)[:100]}", fields=unknown[:10])


def invalid(field: str, message: str, code: str = "INVALID_FIELD") -> ApiError:
    return bad_request(code, message, field=field)


def check_clean_string(value: str, field: str, code: str = "INVALID_FIELD") -> str:
    if _CONTROL_CHARS.search(value):
        raise invalid(field, f"{field} 含有不允许的控制字符", code=code)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(field, f"{field} 含有无法识别的字符", code=code) from None
    return value


def text(
    value: Any,
    field: str,
    *,
    required: bool = True,
    max_chars: int = MAX_TEXT_CHARS,
    single_line: bool = True,
) -> Optional[str]:
    """A trimmed, non-empty, length-capped string (or None when optional and absent)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise bad_request("MISSING_FIELD", f"缺少必填字段 {field}", field=field)
        return None
    if not isinstance(value, str):
        raise invalid(field, f"{field} 必须是字符串")
    value = check_clean_string(value.strip(), field)
    if single_line and ("\n" in value or "\r" in value):
        raise invalid(field, f"{field} 不能包含换行")
    if len(value) > max_chars:
        raise invalid(field, f"{field} 不能超过{max_chars}个字符")
    return value


def account_no(value: Any, field: str = "account_no", required: bool = True) -> Optional[str]:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not ACCOUNT_NO_RE.fullmatch(value):
        raise bad_request("INVALID_ACCOUNT_NO", "户号格式不正确，应为03开头的10位数字", field=field)
    return value


def phone(value: Any, field: str = "phone") -> str:
    if not isinstance(value, str) or not MOBILE_RE.fullmatch(value):
        raise bad_request("INVALID_PHONE", "手机号格式不正确，应为11位手机号码", field=field)
    return value


def order_no(value: Any) -> str:
    if not isinstance(value, str) or not ORDER_NO_RE.fullmatch(value):
        raise bad_request("INVALID_ORDER_NO", "工单号格式不正确，应为2位字母加14位数字", field="order_no")
    return value


def request_id(value: Any) -> str:
    if not isinstance(value, str) or not REQUEST_ID_RE.fullmatch(value):
        raise bad_request(
            "INVALID_REQUEST_ID", "request_id 必须是1到64位的字母、数字或 ._:- 字符", field="request_id"
        )
    return value


def choice(value: Any, field: str, allowed: Iterable[str], code: str = "INVALID_FIELD") -> str:
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise bad_request(code, f"{field} 取值无效，可选：{'、'.join(allowed)}", field=field, allowed=allowed)
    return value


def int_param(value: Optional[str], field: str, low: int, high: int, default: int) -> int:
    """An integer query parameter within [low, high]; anything else (1e3, -0x1, 10**30) is a 400."""
    if value is None or value == "":
        return default
    if not re.fullmatch(r"\d{1,9}", value) or not low <= int(value) <= high:
        raise invalid(field, f"{field} 必须是{low}到{high}之间的整数", code="INVALID_PARAMETER")
    return int(value)


def date_param(value: Optional[str], field: str) -> Optional[date]:
    if value is None or value == "":
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise invalid(field, f"{field} 必须是 YYYY-MM-DD 格式的日期", code="INVALID_PARAMETER")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(field, f"{field} 不是有效日期", code="INVALID_PARAMETER") from None


def details_object(value: Any) -> Dict[str, Any]:
    """A small JSON object of type-specific details (strings checked like every other field)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request("INVALID_DETAILS", "details 必须是JSON对象", field="details")
    size = len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    if size > MAX_DETAILS_BYTES:
        raise bad_request("INVALID_DETAILS", f"details 不能超过{MAX_DETAILS_BYTES}字节", field="details")
    _check_details_values(value, depth=1)
    return value


def _check_details_values(value: Any, depth: int) -> None:
    if depth > MAX_DETAILS_DEPTH:
        raise bad_request("INVALID_DETAILS", "details 嵌套层级过深", field="details")
    if isinstance(value, dict):
        for key, item in value.items():
            check_clean_string(key, "details", "INVALID_DETAILS")
            _check_details_values(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_details_values(item, depth + 1)
    elif isinstance(value, str):
        check_clean_string(value, "details", "INVALID_DETAILS")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
        # beyond what PostgreSQL's JSON and JavaScript clients round-trip exactly
        raise bad_request("INVALID_DETAILS", "details 中的数字超出范围", field="details")
