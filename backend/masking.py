"""Masking of phone and account numbers wherever the back end writes text it does not control.

Request paths, query strings and exception messages (SQL parameters included) can carry a
customer's numbers; logs are kept longer and read by more people than the database, so every
log line passes through mask_text first. Same format as actions/masking.py.
"""
from __future__ import annotations

import logging
import re

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ACCOUNT = re.compile(r"(?<!\d)(03)\d{6}(\d{2})(?!\d)")


def mask_phone(phone: str) -> str:
    """13800001234 -> 138****1234."""
    phone = str(phone or "")
    if len(phone) == 11:
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * min(len(phone), 11)


def mask_account(account_no: str) -> str:
    """0300000001 -> 03******01."""
    account_no = str(account_no or "")
    if len(account_no) >= 6:
        return f"{account_no[:2]}{'*' * (len(account_no) - 4)}{account_no[-2:]}"
    return "*" * len(account_no)


def mask_name(name: str) -> str:
    """王建国 -> 王**: enough for a customer to recognise their own order, not to identify them."""
    name = str(name or "")
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_text(text: object) -> str:
    """Every mobile and account number inside free text masked."""
    text = _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", str(text))
    return _ACCOUNT.sub(lambda m: f"{m.group(1)}******{m.group(2)}", text)


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted record, traceback included (exception text can quote SQL params)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))
