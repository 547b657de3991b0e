"""Pure helpers: working days, places in free text, masking, request validation."""
from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.errors import ApiError
from backend.geography import Geography
from bot.text.masking import mask_account, mask_phone, mask_text
from backend.regional_facts import RegionalFacts
from backend.work_order_requests import parse_order_request
from backend.working_days import add_working_days, step_deadline

FACTS = RegionalFacts()
GEOGRAPHY = Geography(FACTS.districts)


@pytest.mark.parametrize(
    "start, days, expected",
    [
        (datetime(2026, 3, 18, 10), 1, datetime(2026, 3, 19, 10)),  # Wed -> Thu
        (datetime(2026, 3, 20, 15), 1, datetime(2026, 3, 23, 15)),  # Fri -> Mon
        (datetime(2026, 3, 21, 9), 1, datetime(2026, 3, 23, 9)),  # Sat -> Mon
        (datetime(2026, 3, 18, 10), 5, datetime(2026, 3, 25, 10)),  # a working week
        (datetime(2026, 3, 18, 10), 0, datetime(2026, 3, 18, 10)),
    ],
)
def test_add_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


def test_hour_limits_run_round_the_clock():
    assert step_deadline(datetime(2026, 3, 21, 23, 30), None, 0.75) == datetime(2026, 3, 22, 0, 15)


@pytest.mark.parametrize(
    "text, district, street",
    [
        ("福田区华富街道莲花一村", "福田区", "华富街道"),
        ("福田区福田街道", "福田区", "福田街道"),
        ("福田", "福田区", None),
        ("我在南山粤海", "南山区", "粤海街道"),
        ("粤海街道科苑路", "南山区", "粤海街道"),
        ("龙华新区民治", "龙华区", "民治街道"),
        ("深汕小漠镇", "深汕特别合作区", "小漠镇"),
        ("上海浦东", None, None),
        ("", None, None),
    ],
)
def test_find_place(text, district, street):
    place = GEOGRAPHY.find_place(text)
    assert (place.district, place.street) == (district, street)


def test_district_aliases():
    assert GEOGRAPHY.district("南山").name == "南山区"
    assert GEOGRAPHY.district("大鹏").area_type == "rural"
    assert GEOGRAPHY.district("北京") is None


def test_masking():
    assert mask_phone("13800001234") == "138****1234"
    assert mask_account("0300000001") == "03******01"
    assert mask_text("户号0300000001，电话13800001234，工单BZ20260318000001") == (
        "户号03******01，电话138****1234，工单BZ20260318000001")


VALID = {
    "type": "refund", "request_id": "r-1", "contact_name": "张三", "phone": "13800001234",
    "address": "福田区莲花街道1号", "district": "福田区", "details": {"reason": "重复缴费"},
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(
    order_type=st.sampled_from(["refund", "handoff", "connection", "repair"]),
    dropped=st.sets(st.sampled_from(sorted(VALID))),
    field=st.sampled_from(sorted(VALID) + ["account_no", "channel", "unknown"]),
    value=json_values,
)
def test_any_json_in_any_field_is_accepted_or_a_4xx(order_type, dropped, field, value):
    body = {key: item for key, item in {**VALID, "type": order_type}.items() if key not in dropped}
    body[field] = value
    try:
        request = parse_order_request(body, GEOGRAPHY, FACTS)
    except ApiError as error:
        assert 400 <= error.status < 500 and error.message
    else:
        assert len(request.fingerprint) == 64 and request.plan.steps
