"""Every failure leaves the back end as `{"error": {"code", "message"}}` with a Chinese message.

Handlers raise ApiError for expected failures. The middleware also turns aiohttp's own HTTP
exceptions (unknown route, wrong method, body too large) into the same shape, and any unexpected
exception into a generic 500: the traceback goes to the log (masked), never into the response.
"""
from __future__ import annotations

import asyncio
import logging
import traceback
from typing import Any, Dict, Mapping, Optional

from aiohttp import web

from bot.text.masking import mask_text
from backend.responses import json_response

logger = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Optional[Mapping[str, str]] = None,
        **extra: Any,
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self) -> Dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}

    def response(self) -> web.Response:
        return json_response(self.body(), status=self.status, headers=self.headers)


def bad_request(code: str, message: str, **extra: Any) -> ApiError:
    return ApiError(400, code, message, **extra)


def not_found(code: str, message: str, **extra: Any) -> ApiError:
    return ApiError(404, code, message, **extra)


# aiohttp's own exceptions (raised by routing and body reading) -> our code and message.
_HTTP_ERRORS = {
    400: ("BAD_REQUEST", "请求格式不正确"),
    404: ("NOT_FOUND", "请求的接口不存在"),
    405: ("METHOD_NOT_ALLOWED", "该接口不支持此请求方法"),
    413: ("PAYLOAD_TOO_LARGE", "请求内容过大"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "不支持的内容类型"),
}
_KEPT_HEADERS = ("Allow", "Retry-After")

INTERNAL_ERROR_MESSAGE = "系统繁忙，请稍后再试"


def _from_http_exception(error: web.HTTPException) -> web.Response:
    code, message = _HTTP_ERRORS.get(error.status, ("HTTP_ERROR", "请求无法处理"))
    headers = {name: error.headers[name] for name in _KEPT_HEADERS if name in error.headers}
    return ApiError(error.status, code, message, headers).response()


@web.middleware
async def error_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except ApiError as error:
        return error.response()
    except web.HTTPException as error:
        if error.status < 400:  # redirects and the like are not errors
            raise
        return _from_http_exception(error)
    except asyncio.CancelledError:  # the client went away: nothing to answer
        raise
    except Exception:
        logger.error(
            "unexpected error in %s %s\n%s",
            request.method,
            mask_text(request.path_qs),
            mask_text(traceback.format_exc()),
        )
        return ApiError(500, "INTERNAL_ERROR", INTERNAL_ERROR_MESSAGE).response()
