"""Accounts, bills, and identity verification (no lock-out)."""
from __future__ import annotations

import re

import pytest

from backend import seed
from tests.backend.conftest import error_of

VERIFY = "/api/v1/accounts/verify"


async def account(client, account_no):
    response = await client.get(f"/api/v1/accounts/{account_no}")
    assert response.status == 200, await response.text()
    return await response.json()


async def test_demo_household_of_six(client):
    data = await account(client, seed.DEMO_HOUSEHOLD_OF_6)
    assert data["phone"] == "13800001234"
    assert data["household_size"] == 6
    assert data["tariff_type"] == "residential"
    assert data["multi_resident"] is False
    assert data["district"] == "福田区" and data["street"] == "莲花街道"
    assert data["address"].startswith("福田区莲花街道")
    assert data["arrears"] == 0


async def test_demo_arrears_account(client):
    data = await account(client, seed.DEMO_ARREARS)
    assert data["arrears"] > 0
    assert len(data["arrears_periods"]) == 2
    assert data["arrears_due_date"] < "2026-03-18"
    assert data["unpaid_amount"] > data["arrears"]  # plus this month's bill, not yet due


async def test_demo_prepaid_business_and_shared_meter(client):
    prepaid = await account(client, seed.DEMO_PREPAID)
    assert prepaid["prepaid"] is True and prepaid["meter_type"] == "card"
    assert prepaid["balance"] == 18.6 and prepaid["unpaid_amount"] == 0
    business = await account(client, seed.DEMO_BUSINESS)
    assert business["tariff_type"] == "business"
    shared = await account(client, seed.DEMO_REMOTE_SHARED_METER)
    assert shared["tariff_type"] == "shared_meter" and shared["area_type"] == "remote"


@pytest.mark.parametrize("bad", ["123", "0400000001", "03000000011", "03000000ab", "'%20OR%201=1--", "０３００００００01"])
async def test_invalid_account_number_is_400(client, bad):
    error = await error_of(await client.get(f"/api/v1/accounts/{bad}"), 400)
    assert error["code"] == "INVALID_ACCOUNT_NO"


async def test_unknown_account_is_404(client):
    error = await error_of(await client.get("/api/v1/accounts/0399999999"), 404)
    assert error["code"] == "ACCOUNT_NOT_FOUND"


async def test_bills_newest_first_default_twelve(client):
    response = await client.get(f"/api/v1/accounts/{seed.DEMO_HOUSEHOLD_OF_6}/bills")
    bills = (await response.json())["bills"]
    assert len(bills) == 12
    periods = [bill["period"] for bill in bills]
    assert periods == sorted(periods, reverse=True) and periods[0] == "2026-02"
    for bill in bills:
        assert re.fullmatch(r"\d{4}-\d{2}", bill["period"])
        assert bill["amount"] > 0 and bill["kwh"] > 0
        assert bill["paid"] == (bill["paid_at"] is not None)


async def test_bills_all_24_months_with_summer_peak(client):
    response = await client.get(f"/api/v1/accounts/{seed.DEMO_HOUSEHOLD_OF_6}/bills?months=24")
    bills = (await response.json())["bills"]
    assert len(bills) == 24
    summer = [b["kwh"] for b in bills if b["period"][5:] in {"07", "08"}]
    winter = [b["kwh"] for b in bills if b["period"][5:] in {"01", "02"}]
    assert min(summer) > max(winter)


async def test_bill_amounts_follow_the_tariff(client):
    from knowledge.tariff import compute_bill

    response = await client.get(f"/api/v1/accounts/{seed.DEMO_HOUSEHOLD_OF_6}/bills?months=24")
    for bill in (await response.json())["bills"]:
        expected = compute_bill(bill["kwh"], int(bill["period"][5:])).total
        assert str(expected) == f"{bill['amount']:.2f}"


async def test_spike_month(client):
    response = await client.get(f"/api/v1/accounts/{seed.DEMO_SPIKE}/bills?months=13")
    bills = (await response.json())["bills"]
    latest, same_month_last_year = bills[0], bills[12]
    assert latest["period"][5:] == same_month_last_year["period"][5:]
    assert latest["kwh"] > 2.5 * same_month_last_year["kwh"]
    assert latest["kwh"] > 2.5 * max(bill["kwh"] for bill in bills[1:4])


async def test_arrears_bills_are_flagged_overdue(client):
    response = await client.get(f"/api/v1/accounts/{seed.DEMO_ARREARS}/bills?months=3")
    bills = (await response.json())["bills"]
    assert [bill["overdue"] for bill in bills] == [False, True, True]
    assert not any(bill["paid"] for bill in bills)


@pytest.mark.parametrize("months", ["0", "25", "-1", "abc", "1e3", "12.0", "99999999999999999999", " 3"])
async def test_bad_months_is_400(client, months):
    response = await client.get(f"/api/v1/accounts/{seed.DEMO_HOUSEHOLD_OF_6}/bills", params={"months": months})
    assert (await error_of(response, 400))["field"] == "months"


async def test_verify_success(client):
    response = await client.post(VERIFY, json={"account_no": "0300000001", "phone_last4": "1234"})
    assert response.status == 200
    assert await response.json() == {"verified": True, "account_no": "0300000001"}


@pytest.mark.parametrize(
    "body, code",
    [
        ({"account_no": "0300000001"}, "INVALID_PHONE_LAST4"),
        ({"account_no": "0300000001", "phone_last4": 1234}, "INVALID_PHONE_LAST4"),
        ({"account_no": "0300000001", "phone_last4": "12345"}, "INVALID_PHONE_LAST4"),
        ({"account_no": "0300000001", "phone_last4": "12a4"}, "INVALID_PHONE_LAST4"),
        ({"account_no": 300000001, "phone_last4": "1234"}, "INVALID_ACCOUNT_NO"),
        ({"account_no": None, "phone_last4": "1234"}, "INVALID_ACCOUNT_NO"),
        ({"account_no": "0300000001' OR '1'='1", "phone_last4": "1234"}, "INVALID_ACCOUNT_NO"),
        ({"account_no": "0300000001", "phone_last4": "1234", "admin": True}, "UNKNOWN_FIELD"),
    ],
)
async def test_verify_bad_input_is_400(client, body, code):
    assert (await error_of(await client.post(VERIFY, json=body), 400))["code"] == code


async def test_verify_unknown_account_is_404(client):
    response = await client.post(VERIFY, json={"account_no": "0399999999", "phone_last4": "1234"})
    assert (await error_of(response, 404))["code"] == "ACCOUNT_NOT_FOUND"


async def test_no_lock_out_the_holder_passes_after_many_failures(client):
    # Strangers' wrong guesses must not lock the holder out (the action server slows guessers).
    wrong = {"account_no": "0300000001", "phone_last4": "0000"}
    for _ in range(8):
        error = await error_of(await client.post(VERIFY, json=wrong), 403)
        assert error["code"] == "VERIFICATION_FAILED" and "attempts_left" not in error
    right = {"account_no": "0300000001", "phone_last4": "1234"}
    assert (await client.post(VERIFY, json=right)).status == 200
