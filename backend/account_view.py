"""Accounts and bills as the API shows them, with arrears worked out from the unpaid bills."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List

from backend.clock import iso, iso_date, to_db
from backend.models import Account, Bill

TARIFF_TEXT = {"residential": "居民生活用电", "shared_meter": "居民合表用电", "business": "一般工商业用电"}


def bill_json(bill: Bill, today) -> Dict[str, Any]:
    return {
        "period": bill.period,
        "kwh": bill.kwh,
        "amount": bill.amount,
        "due_date": iso_date(bill.due_date),
        "paid": bill.paid,
        "paid_at": iso(bill.paid_at),
        "overdue": not bill.paid and bill.due_date < today,
    }


def account_json(account: Account, bills: List[Bill], now: datetime) -> Dict[str, Any]:
    """arrears = unpaid bills past their due date; unpaid_amount also counts bills not yet due."""
    today = to_db(now).date()
    unpaid = [bill for bill in bills if not bill.paid]
    overdue = [bill for bill in unpaid if bill.due_date < today]
    return {
        "account_no": account.account_no,
        "holder_name": account.holder_name,
        "address": account.address,
        "district": account.district,
        "street": account.street,
        "phone": account.phone,
        "household_size": account.household_size,
        "tariff_type": account.tariff_type,
        "tariff_type_text": TARIFF_TEXT.get(account.tariff_type, account.tariff_type),
        "area_type": account.area_type,
        "prepaid": account.prepaid,
        "meter_type": "card" if account.prepaid else "postpaid",
        "multi_resident": account.multi_resident,
        "balance": account.balance,
        "arrears": sum((bill.amount for bill in overdue), Decimal("0.00")),
        "arrears_periods": sorted(bill.period for bill in overdue),
        "arrears_due_date": iso_date(min((bill.due_date for bill in overdue), default=None)),
        "unpaid_amount": sum((bill.amount for bill in unpaid), Decimal("0.00")),
        "next_due_date": iso_date(min((b.due_date for b in unpaid if b.due_date >= today), default=None)),
        "opened_on": iso_date(account.opened_on),
    }
