"""Every failure is JSON with a Chinese message; nothing leaks a stack trace or a number."""
from __future__ import annotations

import logging

import pytest

from backend.routes import accounts as account_routes
from tests.backend.conftest import error_of


async def test_health(client):
    response = await client.get("/api/v1/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_unknown_route_is_json_404(client):
    error = await error_of(await client.get("/api/v1/no-such-thing"), 404)
    assert error["code"] == "NOT_FOUND"
    await error_of(await client.get("/"), 404)


async def test_wrong_method_is_json_405_with_allow(client):
    response = await client.put("/api/v1/health")
    error = await error_of(response, 405)
    assert error["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/accounts/verify", "/api/v1/work-orders", "/api/v1/outage-subscriptions"],
)
async def test_empty_invalid_and_non_object_bodies(client, path):
    assert (await error_of(await client.post(path, data=b""), 400))["code"] == "EMPTY_BODY"
    assert (await error_of(await client.post(path, data=b"   "), 400))["code"] == "EMPTY_BODY"
    assert (await error_of(await client.post(path, data=b"{not json"), 400))["code"] == "INVALID_JSON"
    assert (await error_of(await client.post(path, data=b"\xff\xfe\x00"), 400))["code"] == "INVALID_JSON"
    assert (await error_of(await client.post(path, data=b"NaN"), 400))["code"] == "INVALID_JSON"
    assert (await error_of(await client.post(path, data=b'{"a": 1e999}'), 400))["code"] == "INVALID_JSON"
    assert (await error_of(await client.post(path, data=b"[1, 2]"), 400))["code"] == "INVALID_BODY"
    assert (await error_of(await client.post(path, data=b'"text"'), 400))["code"] == "INVALID_BODY"
    deep = b"[" * 10_000 + b"]" * 10_000
    assert (await error_of(await client.post(path, data=deep), 400))["code"] in {"INVALID_JSON", "INVALID_BODY"}


@pytest.mark.parametrize(
    "path",
    ["/api/v1/accounts/verify", "/api/v1/work-orders", "/api/v1/outage-subscriptions"],
)
async def test_body_over_64kb_is_413(client, path):
    body = b'{"details": "' + b"x" * (100 * 1024) + b'"}'
    error = await error_of(await client.post(path, data=body), 413)
    assert error["code"] == "PAYLOAD_TOO_LARGE"


async def test_unexpected_exception_is_generic_500_and_logged_masked(client, monkeypatch, caplog):
    async def explode(*_args, **_kwargs):
        raise RuntimeError("database exploded for 13800001234 / 0300000001")

    monkeypatch.setattr(account_routes, "verify", explode)
    with caplog.at_level(logging.ERROR, logger="backend"):
        response = await client.post(
            "/api/v1/accounts/verify", json={"account_no": "0300000001", "phone_last4": "1234"}
        )
    error = await error_of(response, 500)
    assert error == {"code": "INTERNAL_ERROR", "message": "系统繁忙，请稍后再试"}
    text = await response.text()
    assert "exploded" not in text and "RuntimeError" not in text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError" in logged and "Traceback" in logged  # the cause is in the log
    assert "13800001234" not in logged and "0300000001" not in logged
    assert "138****1234" in logged and "03******01" in logged
