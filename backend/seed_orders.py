"""Seeded work orders in every state: just accepted, in progress, overdue, completed (part of
backend.seed). Orders go through the same lifecycle code as the API's."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import WorkOrder
from backend.order_numbers import next_order_no
from backend.regional_facts import RegionalFacts
from backend.seed import DEMO_ORDERS
from backend.seed_accounts import SeededAccount
from backend.seed_people import home_address, mobile, person_name
from backend.work_order_lifecycle import complete_current_step, current_step, new_order
from backend.work_order_types import PREFIXES, plan_for, variant_field

RANDOM_ORDER_COUNT = 45
SAMPLE_DETAILS: Dict[str, List[Dict[str, Any]]] = {
    "connection": [{"capacity_kw": 8, "description": "新建住宅申请用电"}, {"capacity_kw": 30, "description": "新开店铺申请用电"}],
    "charging_pile": [{"capacity_kw": 7, "parking": "自有产权车位"}, {"capacity_kw": 7, "parking": "长期租赁车位"}],
    "multi_resident": [{"household_size": 5}, {"household_size": 6}, {"household_size": 7}],
    "repair": [{"description": "家里全部没电", "hazard": False}, {"description": "电表箱冒烟", "hazard": True}],
    "handoff": [{"reason": "咨询电费构成"}, {"reason": "客户要求人工服务"}],
    "complaint": [{"description": "抢修人员到达太慢"}, {"description": "电费突然增加，对解释不满意"}],
    "account_transfer": [{"reason": "房屋买卖过户", "kind": "transfer", "kind_label": "过户"},
                         {"reason": "公司名称变更", "kind": "rename", "kind_label": "更名"}],
    "meter_test": [{"reason": "怀疑电表走得快"}, {"reason": "电量与往月差别很大"}],
    "refund": [{"reason": "重复缴费", "amount": 128.6}, {"reason": "销户退还预存电费", "amount": 56.2}],
}


def _details(rng: random.Random, facts: RegionalFacts, order_type: str, account: Optional[SeededAccount]) -> dict:
    details = dict(rng.choice(SAMPLE_DETAILS[order_type]))
    definition = facts.work_order_definition(order_type)
    field = variant_field(definition)
    if field is not None and field in details:  # the sample names its variant (account_transfer kind)
        return details
    if field == "area_type" and account is not None and account.area_type in definition["variants"]:
        details[field] = account.area_type
    elif field is not None:
        details[field] = rng.choice(list(definition["variants"]))
    return details


def _build(facts, order_type, account, contact, phone, address, district, details, created_at, request_id):
    return new_order(
        order_type=order_type,
        plan=plan_for(facts.work_order_definition(order_type), details),
        created_at=created_at,
        request_id=request_id,
        fingerprint="seed",  # never equal to a real request's sha256, so a reused id is a 409
        contact_name=contact,
        phone=phone,
        address=address,
        district=district,
        account_no=account,
        channel="seed",
        details=details,
    )


def _progress_randomly(rng: random.Random, order: WorkOrder, now: datetime) -> None:
    """Finish steps while their simulated completion lies in the past: most well inside the
    limit, some late, so the seed holds on-time, late and overdue orders."""
    while (step := current_step(order)) is not None:
        started = order.created_at if step.seq == 1 else order.steps[step.seq - 2].done_at
        allowed = step.deadline - started
        share = rng.uniform(1.1, 4.0) if rng.random() < 0.2 else rng.uniform(0.15, 0.9)
        done_at = started + allowed * share
        if done_at > now:
            return
        complete_current_step(order, done_at)


async def _add(session: AsyncSession, order: WorkOrder) -> None:
    order.order_no = await next_order_no(session, PREFIXES[order.type], order.created_at)
    session.add(order)
    await session.flush()


async def seed_orders(
    session: AsyncSession, rng: random.Random, facts: RegionalFacts, accounts: List[SeededAccount], now: datetime
) -> None:
    by_no = {account.account_no: account for account in accounts}
    for demo in DEMO_ORDERS:  # first, so each is sequence 000001 of its type and day
        account = by_no[demo.account_no]
        order = _build(facts, demo.order_type, account.account_no, account.holder_name, account.phone,
                       account.address, account.district, dict(demo.details), now - demo.created_ago, demo.request_id)
        moment = order.created_at
        for duration in demo.step_durations:
            moment += duration
            complete_current_step(order, moment)
        await _add(session, order)

    orders = []
    types = list(PREFIXES)
    for number in range(RANDOM_ORDER_COUNT):
        order_type = types[number % len(types)]
        created_at = (now - timedelta(minutes=rng.randint(30, 45 * 24 * 60))).replace(second=0, microsecond=0)
        if order_type == "connection" and rng.random() < 0.5:  # a new customer: no account yet
            district = rng.choice([account.district for account in accounts])
            street = next(account.street for account in accounts if account.district == district)
            address, _ = home_address(rng, district, street, "urban")
            account, contact, phone = None, person_name(rng), mobile(rng)
        else:
            account = rng.choice(accounts)
            district, address, contact, phone = account.district, account.address, account.holder_name, account.phone
        details = _details(rng, facts, order_type, account)
        order = _build(facts, order_type, account.account_no if account else None, contact[:50], phone,
                       address, district, details, created_at, f"seed-{number:04d}")
        _progress_randomly(rng, order, now)
        orders.append(order)
    for order in sorted(orders, key=lambda item: (item.created_at, item.request_id)):
        await _add(session, order)
