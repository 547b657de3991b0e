"""Property-based tests of the back-end API, in process (backend.app.create_app on a seeded SQLite
database, served on loopback from a background event loop): every route, every path segment,
query parameter and body field, with empty, whitespace, 100 KB text, control characters, invalid
UTF-8 bytes, lone surrogates, emoji, SQL/script injection, 1e308, -1 and wrong JSON types.

Properties: never a 5xx, always the JSON error shape with a Chinese message and no stack trace;
a refused request stores nothing (row counts unchanged), and whatever is stored satisfies the
validation rules (no control characters, lengths, formats) - checked row by row at the end.
"""
from __future__ import annotations

import asyncio
import http.client
import json
import re
import sqlite3
import threading
import urllib.parse
import uuid
from datetime import datetime
from typing import Any, Dict, Optional, Tuple

import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.app import create_app
from backend.clock import CHINA_TZ
from tests.conftest import SERVICE_HEADERS
from tests.fuzz.strategies import HUGE, hostile_bytes, hostile_text, json_scalars, json_values

NOW = datetime(2026, 3, 18, 10, 0, tzinfo=CHINA_TZ)
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
MANY = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))

ACCOUNT = "0300000001"
PHONE = "13800001234"
TABLES = ("work_orders", "work_order_steps", "work_order_events", "outage_subscriptions", "outage_notices",
          "verification_failures", "accounts", "bills", "outages", "sms_outbox", "one_time_codes", "phone_grants")

# Every route of the app, with where hostile values go. A route added to the back end without an
# entry here fails test_every_route_is_fuzzed.
GET_TEMPLATES = {
    "/api/v1/health": ["/api/v1/health?x={v}"],
    "/api/v1/openapi.json": ["/api/v1/openapi.json?x={v}"],
    "/api/v1/accounts/{account_no}": ["/api/v1/accounts/{v}"],
    "/api/v1/accounts/{account_no}/bills": ["/api/v1/accounts/{v}/bills", f"/api/v1/accounts/{ACCOUNT}/bills?months={{v}}"],
    "/api/v1/outages": [f"/api/v1/outages?{name}={{v}}" for name in
                        ("account_no", "district", "street", "address", "date_from", "date_to", "kind")]
                       + ["/api/v1/outages?district=%E5%8D%97%E5%B1%B1%E5%8C%BA&street={v}&date_from=2026-03-01&date_to={v}"],
    "/api/v1/outages/{outage_id}": ["/api/v1/outages/{v}"],
    "/api/v1/work-orders/{order_no}": ["/api/v1/work-orders/{v}", "/api/v1/work-orders/BZ20260317000001?phone={v}"],
    "/api/v1/work-orders": ["/api/v1/work-orders?phone={v}", f"/api/v1/work-orders?phone={PHONE}&limit={{v}}",
                            f"/api/v1/work-orders?phone={PHONE}&grant={{v}}", "/api/v1/work-orders?phone={v}&grant={v}"],
    "/api/v1/sms/outbox": ["/api/v1/sms/outbox?phone={v}", f"/api/v1/sms/outbox?phone={PHONE}&limit={{v}}"],
    "/api/v1/outage-subscriptions": ["/api/v1/outage-subscriptions?account_no={v}"],
    "/api/v1/outage-notices/pending": ["/api/v1/outage-notices/pending?channel={v}",
                                       "/api/v1/outage-notices/pending?channel=wechat&limit={v}"],
}
BODY_ROUTES = {
    ("POST", "/api/v1/accounts/verify"): {"account_no": ACCOUNT, "phone_last4": "1234"},
    ("POST", "/api/v1/work-orders"): {
        "type": "refund", "request_id": "fuzz", "contact_name": "张三", "phone": PHONE,
        "address": "福田区莲花街道1号", "district": "福田区", "details": {"reason": "重复缴费"}},
    ("POST", "/api/v1/outage-subscriptions"): {"account_no": ACCOUNT, "channel": "wechat", "recipient_id": "r1"},
    ("DELETE", "/api/v1/outage-subscriptions"): {"account_no": ACCOUNT, "channel": "wechat", "recipient_id": "r1"},
    ("POST", "/api/v1/sms/codes"): {"phone": PHONE, "purpose": "work_orders"},
    ("POST", "/api/v1/sms/codes/verify"): {"phone": PHONE, "purpose": "work_orders", "code": "123456"},
}
POST_PATHS = {"/api/v1/outage-notices/{notice_id}/delivered": "/api/v1/outage-notices/{v}/delivered"}


class Backend:
    """The app on a real socket, driven synchronously (hypothesis examples are plain functions).
    Every request carries the service token, so the fuzzing reaches the routes and not only the
    401 of the service guard."""

    def __init__(self, db_path) -> None:
        self.db_path = db_path
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.app = create_app(f"sqlite+aiosqlite:///{db_path}", now=NOW)
        self.server = TestServer(self.app)
        self.run(self.server.start_server())
        self.port = self.server.port

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(120)

    def request(self, method: str, path: str, body: Optional[bytes] = None) -> Tuple[int, str, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {**SERVICE_HEADERS, **({"Content-Type": "application/json"} if body is not None else {})}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def counts(self) -> Dict[str, int]:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as db:
            return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}

    def rows(self, sql: str):
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as db:
            db.row_factory = sqlite3.Row
            return db.execute(sql).fetchall()

    def close(self) -> None:
        self.run(self.server.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    server = Backend(tmp_path_factory.mktemp("fuzz-backend") / "backend.db")
    yield server
    server.close()


# aiohttp's HTTP parser refuses a request line over 8190 bytes itself, before any route runs:
# a plain-text 400, not the JSON error shape (a production proxy answers 414 earlier anyway).
MAX_REQUEST_LINE = 8190


def assert_clean(status: int, content_type: str, body: str, context: Any, line_length: int = 0) -> None:
    assert status < 500, (context, status, body[:300])
    if line_length > MAX_REQUEST_LINE - 20:
        assert status in (400, 414), (context, status, body[:300])
        return
    assert content_type.startswith("application/json"), (context, content_type, body[:200])
    assert "Traceback" not in body and 'File "' not in body, (context, body[:300])
    if status >= 400:
        error = json.loads(body)["error"]
        assert error["code"].replace("_", "").isupper(), error
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error


def url_value(value: str, raw_bytes: bool) -> str:
    """A value in a URL: percent-encoded UTF-8 (lone surrogates become invalid UTF-8 bytes)."""
    data = value.encode("utf-8", "surrogatepass")
    return urllib.parse.quote_from_bytes(data, safe="") if not raw_bytes else urllib.parse.quote_from_bytes(data, safe="/?&=")


def test_every_route_is_fuzzed(backend):
    routes = {(r.method, r.resource.canonical) for r in backend.app.router.routes() if r.method != "HEAD"}
    fuzzed = {("GET", path) for path in GET_TEMPLATES} | set(BODY_ROUTES) | {("POST", p) for p in POST_PATHS}
    assert routes == fuzzed


TEMPLATES = [t for templates in GET_TEMPLATES.values() for t in templates] + list(POST_PATHS.values())


@MANY
@given(st.sampled_from(TEMPLATES), hostile_text(), st.booleans())
def test_any_value_in_any_url(backend, template, value, raw):
    before = backend.counts()
    method = "POST" if template.endswith("/delivered") else "GET"
    path = template.format(v=url_value(value, raw))
    status, content_type, body = backend.request(method, path)
    assert_clean(status, content_type, body, path[:200], line_length=len(path))
    if method == "GET" or status >= 400:
        assert backend.counts() == before


def with_field(valid: Dict[str, Any], field: str, value: Any, request_id: str) -> Dict[str, Any]:
    body = dict(valid)
    body[field] = value
    if "request_id" in body and field != "request_id":
        body["request_id"] = request_id
    return body


@st.composite
def hostile_bodies(draw, route) -> Any:
    valid = BODY_ROUTES[route]
    kind = draw(st.sampled_from(["one_field", "two_fields", "missing", "unknown", "not_object"]))
    request_id = "fz-" + draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=16))
    if kind == "one_field":
        return with_field(valid, draw(st.sampled_from(sorted(valid))), draw(json_values()), request_id)
    if kind == "two_fields":
        body = with_field(valid, draw(st.sampled_from(sorted(valid))), draw(hostile_text()), request_id)
        return with_field(body, draw(st.sampled_from(sorted(valid))), draw(json_scalars()), body.get("request_id"))
    if kind == "missing":
        body = with_field(valid, "request_id", request_id, request_id) if "request_id" in valid else dict(valid)
        body.pop(draw(st.sampled_from(sorted(valid))))
        return body
    if kind == "unknown":
        return {**with_field(valid, "request_id", request_id, request_id), draw(hostile_text(30)): draw(json_values())}
    return draw(json_values())


def encode(body: Any, escaped: bool) -> bytes:
    return json.dumps(body, ensure_ascii=escaped).encode("utf-8", "surrogatepass")


def check_body_request(backend: Backend, route, raw: bytes) -> None:
    method, path = route
    before = backend.counts()
    status, content_type, text = backend.request(method, path, raw)
    assert_clean(status, content_type, text, (method, path, raw[:200]))
    after = backend.counts()
    changed = {t for t in TABLES if after[t] != before[t]}
    if status >= 400:
        # A refused request stores nothing - except that a failed identity check is recorded (403).
        allowed = {"verification_failures"} if status == 403 and path == "/api/v1/accounts/verify" else set()
        assert changed <= allowed, (status, changed, text[:200])
    elif path == "/api/v1/work-orders":
        if status == 201:
            assert after["work_orders"] == before["work_orders"] + 1
        else:
            assert after["work_orders"] == before["work_orders"]  # a replay: nothing new


@pytest.mark.parametrize("route", sorted(BODY_ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
@FUZZ
@given(data=st.data(), escaped=st.booleans())
def test_any_value_in_any_body_field(backend, route, data, escaped):
    check_body_request(backend, route, encode(data.draw(hostile_bodies(route)), escaped))


@pytest.mark.parametrize("route", sorted(BODY_ROUTES) + [("POST", "/api/v1/outage-notices/1/delivered")],
                         ids=lambda r: f"{r[0]} {r[1]}")
@FUZZ
@given(raw=hostile_bytes() | st.builds(lambda: HUGE.encode()) | st.sampled_from([2, 5000, 100_000]).map(lambda n: b"[" * n)
       | st.sampled_from([b"{" * 5000, b'{"a":' * 3000, b'{"account_no": 1e999}', b"\xef\xbb\xbf{}", b"NaN", b"-Infinity"]))
def test_any_bytes_as_a_body(backend, route, raw):
    method, path = route
    if path.endswith("/delivered"):
        before = backend.counts()
        status, content_type, text = backend.request(method, path, raw)
        assert_clean(status, content_type, text, (path, raw[:100]))
        return
    check_body_request(backend, route, raw)


@pytest.mark.parametrize("route", sorted(BODY_ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_an_unknown_field_named_with_a_lone_surrogate(backend, route):
    """Found by test_any_value_in_any_body_field: the 400 quoting the field name could not be
    encoded as UTF-8, and aiohttp answered a plain-text 500."""
    check_body_request(backend, route, encode({**BODY_ROUTES[route], "\ud800": None}, True))


ORDER_TYPES = ["connection", "charging_pile", "multi_resident", "repair", "handoff", "complaint",
               "account_transfer", "meter_test", "refund"]
NUMBERS = st.sampled_from([1e308, -1e308, -1, 0, -0.0, 5e-324, 1e6, 1e6 + 1, 10**15, 10**16, 80, 7.5, True]) | st.floats(
    allow_nan=False, allow_infinity=False) | st.integers()


@st.composite
def work_orders(draw) -> Dict[str, Any]:
    order_type = draw(st.sampled_from(ORDER_TYPES))
    details: Dict[str, Any] = draw(st.dictionaries(hostile_text(20), json_values(), max_size=3))
    if order_type == "connection":
        details["category"] = draw(st.sampled_from(["residential", "low_voltage_business", "x", ""]))
        details["capacity_kw"] = draw(NUMBERS | json_scalars())
    body = {
        "type": order_type,
        "request_id": "wo-" + draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=10, max_size=20)),
        "contact_name": draw(st.sampled_from(["李四", "王**"]) | hostile_text(80)),
        "phone": draw(st.sampled_from([PHONE, "13912345678"]) | hostile_text(15)),
        "address": draw(st.sampled_from(["南山区科苑路1号"]) | hostile_text(300)),
        "district": draw(st.sampled_from(["南山区", "南山", "福田区"]) | hostile_text(25)),
        "details": details,
    }
    if draw(st.booleans()):
        body["account_no"] = draw(st.sampled_from([ACCOUNT, None]) | hostile_text(12))
    if draw(st.booleans()):
        body["channel"] = draw(st.sampled_from(["wechat", "kiosk"]) | hostile_text(25))
    return body


@MANY
@given(work_orders(), st.booleans())
def test_work_orders_of_every_type_with_hostile_fields(backend, body, escaped):
    check_body_request(backend, ("POST", "/api/v1/work-orders"), encode(body, escaped))


@FUZZ
@given(NUMBERS | json_scalars())
def test_connection_capacity_is_stored_only_when_sensible(backend, capacity):
    body = {**BODY_ROUTES[("POST", "/api/v1/work-orders")], "type": "connection", "request_id": f"cap-{uuid.uuid4().hex}",
            "details": {"category": "residential", "capacity_kw": capacity}}
    status, _, text = backend.request("POST", "/api/v1/work-orders", encode(body, True))
    sensible = capacity is None or (  # None: capacity not given, which is allowed
        isinstance(capacity, (int, float)) and not isinstance(capacity, bool) and 0 < capacity <= 1_000_000)
    assert status in ((201,) if sensible else (400, 413)), (capacity, status, text[:200])


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(value: Optional[str], max_chars: int) -> bool:
    return value is None or (len(value) <= max_chars and not _CONTROL.search(value)
                             and not _SURROGATE.search(value) and value == value.strip() and "\n" not in value)


def test_zz_nothing_stored_that_should_not_be(backend):
    """Runs after the fuzzing above (file order): every stored row keeps the validation rules."""
    orders = backend.rows("SELECT * FROM work_orders")
    assert orders, "the fuzzing created no order at all: the generators are off"
    for order in orders:
        assert re.fullmatch(r"[A-Z]{2}\d{14}", order["order_no"])
        assert order["type"] in ORDER_TYPES
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}", order["request_id"])
        assert clean(order["contact_name"], 50) and clean(order["address"], 200) and clean(order["district"], 20)
        assert order["phone"] is None or re.fullmatch(r"1[3-9]\d{9}", order["phone"])
        assert order["account_no"] is None or re.fullmatch(r"03\d{8}", order["account_no"])
        assert order["channel"] is None or re.fullmatch(r"[a-z][a-z0-9_]{0,19}", order["channel"])
        details = json.loads(order["details"])
        assert isinstance(details, dict) and len(order["details"].encode("utf-8")) <= 4096 * 6
        assert not _CONTROL.search(json.dumps(details, ensure_ascii=False))
        if order["type"] == "connection" and details.get("capacity_kw") is not None:
            assert 0 < details["capacity_kw"] <= 1_000_000
    # Nothing the fuzzing sent as a "request_id" that is not one made it in.
    assert len({o["request_id"] for o in orders}) == len(orders)
    for subscription in backend.rows("SELECT * FROM outage_subscriptions"):
        assert re.fullmatch(r"03\d{8}", subscription["account_no"])
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,19}", subscription["channel"])
        assert re.fullmatch(r"[A-Za-z0-9_\-.:@+=]{1,128}", subscription["recipient_id"])
    for message in backend.rows("SELECT * FROM sms_outbox"):
        assert re.fullmatch(r"1[3-9]\d{9}", message["phone"]) and message["purpose"] == "work_orders"
    for code in backend.rows("SELECT * FROM one_time_codes"):
        assert re.fullmatch(r"1[3-9]\d{9}", code["phone"]) and code["purpose"] == "work_orders"
        assert re.fullmatch(r"[0-9a-f]{64}", code["code_hash"]) and 0 <= code["attempts"] <= 5
    for grant in backend.rows("SELECT * FROM phone_grants"):
        assert re.fullmatch(r"1[3-9]\d{9}", grant["phone"]) and re.fullmatch(r"[0-9a-f]{64}", grant["token_hash"])
    # The back end still serves a normal request after all of it.
    status, _, text = backend.request("GET", f"/api/v1/accounts/{ACCOUNT}")
    assert status == 200, text
