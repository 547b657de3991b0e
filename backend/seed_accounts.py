"""Seeded accounts and 24 months of bills each (part of backend.seed)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import List, Optional, Tuple

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.billing import BillCalculator
from backend.geography import Geography
from backend.models import Account, Bill
from backend.regional_facts import RegionalFacts
from backend.seed import ACCOUNT_COUNT, BILL_MONTHS, DEMO_ACCOUNT_BY_NO, DEMO_ACCOUNTS, DemoAccount
from backend.seed_people import business_name, home_address, mobile, person_name, shop_address

# Shenzhen's air-conditioning summer roughly doubles household use against the mild winter.
SEASONAL_FACTOR = {
    1: 0.85, 2: 0.8, 3: 0.85, 4: 0.95, 5: 1.2, 6: 1.45, 7: 1.6, 8: 1.6, 9: 1.45, 10: 1.15, 11: 0.95, 12: 0.85,
}
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6, 7)
HOUSEHOLD_WEIGHTS = (10, 22, 30, 20, 10, 5, 3)
SPIKE_FACTOR = 3.2
BILL_ISSUE_DAY = 3  # bills are issued on the 3rd of the following month
BILL_DUE_DAY = 25  # and due on the 25th


@dataclass(frozen=True)
class SeededAccount:
    """What the work-order seed needs to know about an account."""

    account_no: str
    holder_name: str
    phone: str
    district: str
    street: str
    address: str
    area_type: str
    tariff_type: str


@dataclass
class _Profile:
    account: DemoAccount
    base_kwh: float
    demo: bool


def bill_periods(now: datetime) -> List[Tuple[int, int]]:
    """(year, month) of the last BILL_MONTHS complete months, newest first."""
    year, month = now.year, now.month
    periods = []
    for _ in range(BILL_MONTHS):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        periods.append((year, month))
    return periods


def _following_month(year: int, month: int, day: int) -> date:
    return date(year + month // 12, month % 12 + 1, day)


def _random_profile(rng: random.Random, geography: Geography, account_no: str) -> _Profile:
    district = rng.choice(geography.districts)
    street = rng.choice(district.streets)
    area_type = district.area_type
    if area_type != "urban" and rng.random() < 0.15:
        area_type = "remote"  # islands and hill villages (see geography.area_type_basis)
    draw = rng.random()
    tariff_type = "business" if draw < 0.08 else "shared_meter" if draw < 0.15 else "residential"
    if tariff_type == "business":
        holder, size = business_name(rng, district.name), 1
        address = shop_address(rng, district.name, street)
    else:
        holder = person_name(rng)
        size = rng.choices(HOUSEHOLD_SIZES, HOUSEHOLD_WEIGHTS)[0]
        address, _estate = home_address(rng, district.name, street, area_type)
    prepaid = tariff_type == "residential" and rng.random() < 0.05
    if prepaid:
        balance = Decimal(rng.randint(500, 40000)) / 100
    else:
        balance = Decimal(rng.randint(1, 200)) if rng.random() < 0.2 else Decimal("0.00")
    prefix = f"{district.name}{street}"
    account = DemoAccount(
        account_no=account_no,
        holder_name=holder,
        phone=mobile(rng),
        district=district.name,
        street=street,
        address_tail=address[len(prefix):],
        household_size=size,
        tariff_type=tariff_type,
        prepaid=prepaid,
        balance=balance.quantize(Decimal("0.01")),
        multi_resident=tariff_type == "residential" and size >= 5 and rng.random() < 0.4,
        area_type=area_type,
        overdue_months=rng.randint(1, 3) if not prepaid and rng.random() < 0.08 else 0,
    )
    return _Profile(account, _base_kwh(rng, account), demo=False)


def _base_kwh(rng: random.Random, account: DemoAccount) -> float:
    if account.tariff_type == "business":
        return rng.uniform(500, 4000)
    return (40 + 55 * account.household_size) * rng.uniform(0.7, 1.35)


def _account_numbers(rng: random.Random) -> List[str]:
    """Demo numbers first, then random 03xxxxxxxx numbers outside the demo range (< 0300000100)."""
    numbers = [account.account_no for account in DEMO_ACCOUNTS]
    taken = set(numbers)
    while len(numbers) < ACCOUNT_COUNT:
        candidate = f"03{rng.randrange(100, 10 ** 8):08d}"
        if candidate not in taken:
            taken.add(candidate)
            numbers.append(candidate)
    return numbers


def _paid_at(rng: random.Random, year: int, month: int, due: date, now: datetime) -> Optional[datetime]:
    issued = datetime.combine(_following_month(year, month, BILL_ISSUE_DAY), time(9))
    latest = min(datetime.combine(due, time(18)), now)
    if latest <= issued:
        return None
    return issued + timedelta(seconds=rng.randrange(int((latest - issued).total_seconds())))


def _bills(rng: random.Random, profile: _Profile, calculator: BillCalculator, now: datetime) -> List[dict]:
    account = profile.account
    rows = []
    for index, (year, month) in enumerate(bill_periods(now)):
        factor = SEASONAL_FACTOR[month]
        if account.tariff_type == "business":
            factor = 1 + (factor - 1) * 0.5  # shops and offices swing less than homes
        kwh = max(5, round(profile.base_kwh * factor * rng.uniform(0.88, 1.12)))
        if index == 0 and account.spike_in_latest_month:
            kwh = round(kwh * SPIKE_FACTOR)
        due = _following_month(year, month, BILL_DUE_DAY)
        if account.prepaid:
            # A card meter is paid in advance: each month's use is deducted at month end.
            paid_at = datetime.combine(_following_month(year, month, 1), time.min) - timedelta(minutes=1)
        elif index == 0:
            # The latest bill: paid by most customers once due and by some before; never by
            # those in arrears; by demo customers exactly when due, so their state is predictable.
            if account.overdue_months:
                pays = False
            elif profile.demo:
                pays = due < now.date()
            else:
                pays = rng.random() < (0.9 if due < now.date() else 0.5)
            paid_at = _paid_at(rng, year, month, due, now) if pays else None
        elif index <= account.overdue_months:
            paid_at = None  # arrears: the months right before the latest one
        else:
            paid_at = _paid_at(rng, year, month, due, now)
        rows.append(
            {
                "account_no": account.account_no,
                "period": f"{year:04d}-{month:02d}",
                "kwh": kwh,
                "amount": calculator.amount(account.tariff_type, kwh, month, account.multi_resident),
                "due_date": due,
                "paid": paid_at is not None,
                "paid_at": paid_at,
            }
        )
    return rows


async def seed_accounts(
    session: AsyncSession, rng: random.Random, facts: RegionalFacts, geography: Geography, now: datetime
) -> List[SeededAccount]:
    calculator = BillCalculator(facts)
    profiles = []
    for account_no in _account_numbers(rng):
        demo = DEMO_ACCOUNT_BY_NO.get(account_no)
        if demo is not None:
            if geography.district_of_street(demo.street) is None:
                raise ValueError(f"demo account {account_no}: street {demo.street} not in knowledge geography")
            profiles.append(_Profile(demo, _base_kwh(rng, demo), demo=True))
        else:
            profiles.append(_random_profile(rng, geography, account_no))
    account_rows, bill_rows = [], []
    for profile in profiles:
        account = profile.account
        account_rows.append(
            {
                "account_no": account.account_no,
                "holder_name": account.holder_name,
                "phone": account.phone,
                "district": account.district,
                "street": account.street,
                "address": account.address,
                "household_size": account.household_size,
                "tariff_type": account.tariff_type,
                "area_type": account.area_type or geography.area_type(account.district),
                "prepaid": account.prepaid,
                "balance": account.balance,
                "multi_resident": account.multi_resident,
                "opened_on": now.date() - timedelta(days=rng.randint(800, 6000)),
            }
        )
        bill_rows.extend(_bills(rng, profile, calculator, now))
    await session.execute(insert(Account), account_rows)
    await session.execute(insert(Bill), bill_rows)
    return [
        SeededAccount(
            row["account_no"], row["holder_name"], row["phone"], row["district"], row["street"],
            row["address"], row["area_type"], row["tariff_type"],
        )
        for row in account_rows
    ]
