"""The seed: deterministic, realistic, and holding the documented demo records."""
from __future__ import annotations

import re
import sqlite3
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from backend import seed
from backend.clock import CHINA_TZ
from tests.backend.conftest import NOW, start_and_stop

TABLES = ("accounts", "bills", "outages", "work_orders", "work_order_steps", "work_order_events", "order_sequences")


def dump(path):
    with sqlite3.connect(path) as connection:
        return {table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in TABLES}


@pytest.fixture(scope="module")
def seeded(template_db):
    return dump(template_db)


async def test_same_now_gives_same_data(tmp_path, seeded):
    await start_and_stop(f"sqlite+aiosqlite:///{tmp_path}/again.db", NOW)
    assert dump(tmp_path / "again.db") == seeded


async def test_other_now_moves_the_dates(tmp_path, seeded):
    later = NOW + timedelta(days=40)
    await start_and_stop(f"sqlite+aiosqlite:///{tmp_path}/later.db", later)
    moved = dump(tmp_path / "later.db")
    assert [row[0] for row in moved["accounts"]] == [row[0] for row in seeded["accounts"]]
    assert moved["bills"] != seeded["bills"]


async def test_restart_does_not_reseed(db_url, template_db, tmp_path):
    await start_and_stop(db_url, NOW + timedelta(days=3))
    assert dump(tmp_path / "backend.db") == dump(template_db)


def test_accounts(seeded):
    accounts = seeded["accounts"]
    assert len(accounts) == seed.ACCOUNT_COUNT
    numbers = [row[0] for row in accounts]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"03\d{8}", number) for number in numbers)
    assert all(re.fullmatch(r"1[3-9]\d{9}", row[2]) for row in accounts)
    assert all(row[5].startswith(row[3] + row[4]) for row in accounts)  # address = district + street + ...
    assert len({row[3] for row in accounts}) >= 8  # spread over the city
    tariffs = Counter(row[7] for row in accounts)
    assert set(tariffs) == {"residential", "shared_meter", "business"} and tariffs["residential"] > 150
    assert sum(row[6] >= 5 for row in accounts) >= 15  # households of five or more
    assert sum(row[9] for row in accounts) >= 3  # prepaid card meters
    for demo in seed.DEMO_ACCOUNTS:
        row = next(row for row in accounts if row[0] == demo.account_no)
        assert (row[1], row[2], row[3], row[4], row[5]) == (
            demo.holder_name, demo.phone, demo.district, demo.street, demo.address)


def test_bills(seeded):
    per_account = Counter(row[1] for row in seeded["bills"])
    assert set(per_account.values()) == {seed.BILL_MONTHS}
    overdue_accounts = {row[1] for row in seeded["bills"] if not row[6] and row[5] < NOW.date().isoformat()}
    assert seed.DEMO_ARREARS in overdue_accounts and 5 <= len(overdue_accounts) <= 40
    by_month = Counter()
    totals = Counter()
    for row in seeded["bills"]:
        by_month[row[2][5:]] += 1
        totals[row[2][5:]] += row[3]
    assert totals["08"] / by_month["08"] > 1.5 * totals["02"] / by_month["02"]


def test_outages(seeded):
    outages = seeded["outages"]
    now = NOW.replace(tzinfo=None)
    starts = [datetime.fromisoformat(row[5]) for row in outages]
    assert min(starts) >= now - timedelta(days=8) and max(starts) <= now + timedelta(days=22)
    planned = [row for row in outages if row[1] == "planned"]
    assert all(date.fromisoformat(row[5][:10]) - date.fromisoformat(row[9]) >= timedelta(days=7) for row in planned)
    current_faults = [row for row in outages if row[1] == "fault" and row[6] is None]
    assert any(row[0] == seed.DEMO_CURRENT_FAULT for row in current_faults)
    tomorrow = (NOW.date() + timedelta(days=1)).isoformat()
    assert any(row[0] == seed.DEMO_PLANNED_TOMORROW and row[5].startswith(tomorrow) for row in planned)


def test_demo_order_numbers(seeded):
    numbers = {row[1] for row in seeded["work_orders"]}
    for demo in seed.DEMO_ORDERS:
        assert seed.demo_order_no(demo.key, NOW) in numbers


def test_demo_places_exist_in_the_knowledge_base():
    from knowledge import load_knowledge

    districts = {d["name"]: d for d in load_knowledge().region().value("geography.districts")}
    for demo in seed.DEMO_ACCOUNTS:
        assert demo.street in districts[demo.district]["streets"], demo.account_no


def test_demo_order_numbers_follow_the_clock():
    late_evening = datetime(2026, 3, 18, 23, 50, tzinfo=CHINA_TZ)
    assert seed.demo_order_no("complaint_accepted", late_evening) == "TS20260318000001"
    assert seed.demo_order_no("connection_in_progress", late_evening) == "BZ20260318000001"
    assert seed.demo_order_no("meter_test_overdue", late_evening) == "JY20260216000001"
