"""Deterministic seed data, and the fixed demo records that tests and the README rely on.

Everything is generated from random.Random(SEED) and dates relative to the `now` the app was
started with, so two fresh databases seeded with the same `now` hold identical data. Seeding
happens only when the database has no accounts. See backend/README.md for the demo records.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Dict, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from backend.clock import to_db
from backend.geography import Geography
from backend.models import Account
from backend.regional_facts import RegionalFacts
from backend.work_order_types import PREFIXES

logger = logging.getLogger(__name__)

SEED = 95598
ACCOUNT_COUNT = 200
BILL_MONTHS = 24


@dataclass(frozen=True)
class DemoAccount:
    account_no: str
    holder_name: str
    phone: str
    district: str
    street: str
    address_tail: str  # after "<district><street>"
    household_size: int
    tariff_type: str = "residential"
    prepaid: bool = False
    balance: Decimal = Decimal("0.00")
    multi_resident: bool = False
    area_type: Optional[str] = None  # None: the district's
    overdue_months: int = 0  # unpaid bills past their due date (arrears)
    spike_in_latest_month: bool = False
    story: str = ""

    @property
    def address(self) -> str:
        return f"{self.district}{self.street}{self.address_tail}"


DEMO_ACCOUNTS: Tuple[DemoAccount, ...] = (
    DemoAccount("0300000001", "王建国", "13800001234", "福田区", "莲花街道", "景田北路12号景田花园5栋1203室", 6,
                story="6口之家，未办理多人口政策；明天本街道有计划停电；有一张办理中的报装工单"),
    DemoAccount("0300000002", "李秀英", "13900002345", "罗湖区", "东门街道", "解放路168号东门花园2栋702室", 3,
                overdue_months=2, story="欠费：两个月电费逾期未缴，另有本月账单未到期"),
    DemoAccount("0300000003", "陈志强", "13700003456", "宝安区", "西乡街道", "西乡大道288号碧海花园8栋1506室", 2,
                prepaid=True, balance=Decimal("18.60"), story="预付费卡表，余额偏低"),
    DemoAccount("0300000004", "深圳市鹏城便利店有限公司", "13600004567", "南山区", "南头街道", "南头街128号1号商铺", 1,
                tariff_type="business", story="一般工商业用户"),
    DemoAccount("0300000005", "刘芳", "15800005678", "龙岗区", "布吉街道", "布吉路66号翠竹苑3栋901室", 4,
                spike_in_latest_month=True, story="最近一个月用电量异常偏高；电能表校验工单已超期"),
    DemoAccount("0300000006", "黄海涛", "18600006789", "南山区", "粤海街道", "科苑路18号海滨公寓6栋2101室", 3,
                story="所在街道当前有故障停电；有一张处理中的报修工单"),
    DemoAccount("0300000007", "张丽华", "13500007890", "龙华区", "民治街道", "民治大道300号星河家园10栋602室", 5,
                multi_resident=True, story="5口之家，已享受多人口政策（账单按多人口阶梯计算）"),
    DemoAccount("0300000008", "周国强", "15900008901", "大鹏新区", "南澳街道", "西涌村3巷12号", 4,
                tariff_type="shared_meter", area_type="remote", story="合表用户，特殊边远地区"),
)
DEMO_ACCOUNT_BY_NO: Dict[str, DemoAccount] = {account.account_no: account for account in DEMO_ACCOUNTS}

DEMO_HOUSEHOLD_OF_6 = "0300000001"
DEMO_ARREARS = "0300000002"
DEMO_PREPAID = "0300000003"
DEMO_BUSINESS = "0300000004"
DEMO_SPIKE = "0300000005"
DEMO_IN_FAULT_AREA = "0300000006"
DEMO_MULTI_RESIDENT = "0300000007"
DEMO_REMOTE_SHARED_METER = "0300000008"

# Outages fixed relative to `now`: a planned outage tomorrow on demo account 1's street, and a
# fault in progress on demo account 6's street.
DEMO_PLANNED_TOMORROW = "JH0001"
DEMO_CURRENT_FAULT = "GZ0001"


@dataclass(frozen=True)
class DemoOrder:
    key: str
    order_type: str
    account_no: str
    created_ago: timedelta
    # How long each completed step took, from the end of the previous one; steps beyond stay open.
    step_durations: Tuple[timedelta, ...]
    details: Dict[str, object] = field(default_factory=dict)

    @property
    def request_id(self) -> str:
        return f"demo-{self.key}"


DEMO_ORDERS: Tuple[DemoOrder, ...] = (
    DemoOrder("connection_in_progress", "connection", DEMO_HOUSEHOLD_OF_6, timedelta(hours=20), (timedelta(hours=2),),
              {"category": "residential", "capacity_kw": 8, "description": "新房装修后申请一户一表"}),
    DemoOrder("meter_test_overdue", "meter_test", DEMO_SPIKE, timedelta(days=30), (timedelta(hours=20),),
              {"reason": "上月电量比平时高出两倍，怀疑电表不准"}),
    DemoOrder("repair_in_progress", "repair", DEMO_IN_FAULT_AREA, timedelta(minutes=80), (timedelta(minutes=35),),
              {"area_type": "urban", "description": "整栋楼突然停电", "hazard": False}),
    DemoOrder("multi_resident_completed", "multi_resident", DEMO_MULTI_RESIDENT, timedelta(days=60),
              (timedelta(hours=3), timedelta(days=3)), {"household_size": 5}),
    DemoOrder("complaint_accepted", "complaint", DEMO_ARREARS, timedelta(minutes=30), (),
              {"description": "停电前没有收到任何通知"}),
)


def demo_order_no(key: str, now: datetime) -> str:
    """Demo orders are the first order of their type on their day, so sequence 000001."""
    order = next(order for order in DEMO_ORDERS if order.key == key)
    created = to_db(now) - order.created_ago
    return f"{PREFIXES[order.order_type]}{created:%Y%m%d}000001"


async def seed_if_empty(sessions: sessionmaker, facts: RegionalFacts, geography: Geography, now: datetime) -> bool:
    """Seed a database without accounts; True when it did. One transaction: all or nothing."""
    from backend.seed_accounts import seed_accounts
    from backend.seed_orders import seed_orders
    from backend.seed_outages import seed_outages

    now = to_db(now)
    async with sessions() as session, session.begin():
        if (await session.execute(select(Account.account_no).limit(1))).first() is not None:
            return False
        rng = random.Random(SEED)
        accounts = await seed_accounts(session, rng, facts, geography, now)
        await seed_outages(session, rng, geography, now)
        await seed_orders(session, rng, facts, accounts, now)
    logger.info("seeded %d accounts, outages and work orders relative to %s", len(accounts), now.isoformat())
    return True
