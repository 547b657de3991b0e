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
# 《供电营业规则》 art. 98 charges residential users one daily rate and other users two (the
# current year's arrears, arrears across years). A shared meter (合表) pays the residential 合表
# tariff, so it is residential here; any other tariff type is treated as non-residential.
LATE_FEE = "account_services.late_payment_charge"
RESIDENTIAL_TARIFFS = ("residential", "shared_meter")
RESIDENTIAL_RATE = f"{LATE_FEE}.residential_daily_rate"
CURRENT_YEAR_RATE = f"{LATE_FEE}.non_residential_daily_rate.current_year"
ACROSS_YEARS_RATE = f"{LATE_FEE}.non_residential_daily_rate.across_years"


def is_residential(tariff_type: Optional[str]) -> bool:
    return tariff_type in RESIDENTIAL_TARIFFS


def _rate(path: str) -> Decimal:
    return Decimal(str(value(path)))


def _per_mille(path: str) -> str:
    return f"千分之{(_rate(path) * 1000).normalize():f}"


def late_fee_rule(tariff_type: Optional[str] = None) -> str:
    """The rule as a sentence: for the account's tariff type, or both rules when it is unknown."""
    minimum = value(f"{LATE_FEE}.minimum_yuan")
    tail = f"按日累加，不足{minimum}元按{minimum}元收取"
    business = (f"当年欠费部分每日{_per_mille(CURRENT_YEAR_RATE)}、"
                f"跨年度欠费部分每日{_per_mille(ACROSS_YEARS_RATE)}")
    if tariff_type is None:
        return (f"电费逾期未缴要交违约金，从逾期之日起算，按欠费金额计：居民用户每日{_per_mille(RESIDENTIAL_RATE)}；"
                f"非居民用户（如一般工商业）{business}。违约金{tail}{cite(RESIDENTIAL_RATE)}。")
    if is_residential(tariff_type):
        return (f"电费逾期未缴，居民用户按欠费金额每日{_per_mille(RESIDENTIAL_RATE)}收取违约金，从逾期之日起算，"
                f"{tail}{cite(RESIDENTIAL_RATE)}。")
    return (f"电费逾期未缴，您的户号属于非居民用户，违约金从逾期之日起算，按欠费金额计：{business}，"
            f"{tail}{cite(CURRENT_YEAR_RATE)}。")


def _bill_charge(amount: Decimal, due: date, on: date, residential: bool) -> Decimal:
    days = (on - due).days
    if days <= 0:
        return Decimal("0")
    if residential:
        return amount * _rate(RESIDENTIAL_RATE) * days
    # Days up to the end of the due date's year are the current year's arrears; later days are
    # arrears across years (our reading of art. 98, noted in knowledge/).
    current_days = max(0, min(days, (date(due.year, 12, 31) - due).days))
    return amount * (_rate(CURRENT_YEAR_RATE) * current_days + _rate(ACROSS_YEARS_RATE) * (days - current_days))


def late_fee_estimate(overdue_bills: List[Dict[str, Any]], on: Optional[date] = None,
                      tariff_type: Optional[str] = "residential") -> Tuple[Decimal, int]:
    """(estimated charge so far, days overdue of the oldest bill) for unpaid bills past due."""
    on = on or today()
    residential = is_residential(tariff_type)
    minimum = money(value(f"{LATE_FEE}.minimum_yuan"))
    total, oldest = Decimal("0"), 0
    for bill in overdue_bills:
        due = date.fromisoformat(bill["due_date"])
        total += _bill_charge(money(bill["amount"]), due, on, residential)
        oldest = max(oldest, (on - due).days)
    if oldest <= 0:
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
        tariff_type = account.get("tariff_type")
        fee, days = late_fee_estimate(overdue(data.bills), tariff_type=tariff_type)
        if days:
            who = "居民用户" if is_residential(tariff_type) else "非居民用户"
            lines.append(f"已逾期{days}天，违约金估算约 {yuan(fee)}（按{who}标准，以实际账单为准），请尽快缴清，以免影响用电。")
    not_due = money(account.get("unpaid_amount")) - arrears
    if not_due > 0:
        lines.append(f"本期待缴 {yuan(not_due)}，缴费截止日{date_label(account.get('next_due_date'))}。")
    if arrears <= 0 and not_due <= 0:
        lines.append("您目前没有欠费，已出账的电费都已缴清。")
    if money(account.get("balance")) > 0:
        lines.append(f"账户预存余额 {yuan(account.get('balance'))}，会自动抵扣以后的电费。")
    return lines
