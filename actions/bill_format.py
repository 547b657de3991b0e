"""Formatting and reading of account data shared by the bill, payment and meter answers."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Dict, List, Optional, Tuple

from actions import backend_client
from actions.account_knowledge import cite, value

CENT = Decimal("0.01")


def today() -> date:
    """The date late-payment days are counted to (a function so tests can fix the clock)."""
    return date.today()


def money(amount: Any) -> Decimal:
    return Decimal(str(amount or 0)).quantize(CENT, ROUND_HALF_UP)


def yuan(amount: Any) -> str:
    return f"{money(amount)}元"


def period_label(period: str) -> str:
    """'2026-10' -> '2026年10月'."""
    year, month = period.split("-")
    return f"{year}年{int(month)}月"


def period_month(period: str) -> int:
    return int(period.split("-")[1])


def date_label(iso: Optional[str]) -> str:
    """'2026-11-25' -> '11月25日' (the year is clear from the bill it belongs to)."""
    if not iso:
        return ""
    day = date.fromisoformat(iso[:10])
    return f"{day.year}年{day.month}月{day.day}日"


def signed(number: float, unit: str) -> str:
    if number > 0:
        return f"多{number:g}{unit}"
    if number < 0:
        return f"少{-number:g}{unit}"
    return "持平"


def percent_change(new: float, old: float) -> str:
    if not old:
        return ""
    change = (new - old) / old * 100
    return f"（{'+' if change >= 0 else ''}{change:.0f}%）"


@dataclass
class AccountData:
    account: Dict[str, Any]
    bills: List[Dict[str, Any]]  # newest first

    @property
    def residential(self) -> bool:
        return self.account.get("tariff_type") == "residential"


async def load_account(account_no: str, months: int) -> Optional[AccountData]:
    """The account and its last `months` bills; None when the back end cannot answer."""
    account, bills = await asyncio.gather(
        backend_client.get(f"/api/v1/accounts/{account_no}"),
        backend_client.get(f"/api/v1/accounts/{account_no}/bills", months=max(1, min(months, 24))),
    )
    if not (account.ok and bills.ok):
        return None
    return AccountData(account.data, list(bills.data.get("bills") or []))


# -- late-payment charge (电费违约金) ----------------------------------------------------

def late_fee_rule() -> str:
    rate = Decimal(str(value("account_services.late_payment_charge.residential_daily_rate")))
    minimum = value("account_services.late_payment_charge.minimum_yuan")
    per_mille = (rate * 1000).normalize()
    return (f"电费逾期未缴，居民用户按欠费金额每日千分之{per_mille:f}收取违约金，从逾期之日起算，"
            f"不足{minimum}元按{minimum}元收取"
            f"{cite('account_services.late_payment_charge.residential_daily_rate')}。")


def late_fee_estimate(overdue_bills: List[Dict[str, Any]], on: Optional[date] = None) -> Tuple[Decimal, int]:
    """(estimated charge so far, days overdue of the oldest bill) for unpaid bills past due."""
    on = on or today()
    rate = Decimal(str(value("account_services.late_payment_charge.residential_daily_rate")))
    minimum = money(value("account_services.late_payment_charge.minimum_yuan"))
    total, oldest = Decimal("0"), 0
    for bill in overdue_bills:
        days = (on - date.fromisoformat(bill["due_date"])).days
        if days > 0:
            total += money(bill["amount"]) * rate * days
            oldest = max(oldest, days)
    if oldest == 0:
        return Decimal("0.00"), 0
    return max(money(total), minimum), oldest


def overdue(bills: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [bill for bill in bills if not bill.get("paid") and bill.get("overdue")]


def arrears_lines(data: AccountData) -> List[str]:
    """Arrears, the bill not yet due, balance: what the customer owes or has in advance."""
    account = data.account
    lines: List[str] = []
    if account.get("prepaid"):
        lines.append(f"您是预付费（卡表）用户，当前电费余额 {yuan(account.get('balance'))}。")
        return lines
    arrears = money(account.get("arrears"))
    if arrears > 0:
        periods = "、".join(period_label(p) for p in account.get("arrears_periods") or [])
        lines.append(f"您有{len(account.get('arrears_periods') or [])}期电费逾期未缴（{periods}），共 {yuan(arrears)}，"
                     f"最早的缴费截止日是{date_label(account.get('arrears_due_date'))}。")
        fee, days = late_fee_estimate(overdue(data.bills))
        if days:
            lines.append(f"按规定已逾期{days}天，违约金估算约 {yuan(fee)}（以实际账单为准），请尽快缴清，以免影响用电。")
    not_due = money(account.get("unpaid_amount")) - arrears
    if not_due > 0:
        lines.append(f"本期待缴 {yuan(not_due)}，缴费截止日{date_label(account.get('next_due_date'))}。")
    if arrears <= 0 and not_due <= 0:
        lines.append("您目前没有欠费，已出账的电费都已缴清。")
    if money(account.get("balance")) > 0:
        lines.append(f"账户预存余额 {yuan(account.get('balance'))}，会自动抵扣以后的电费。")
    return lines
