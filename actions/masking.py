"""Masking of phone and account numbers, for replies, handoff summaries and logs."""
from __future__ import annotations

import logging
import re

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ACCOUNT = re.compile(r"(?<!\d)(03)\d{6}(\d{2})(?!\d)")


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; anything else is masked whole but keeps its length hint."""
    phone = str(phone or "")
    if re.fullmatch(r"1[3-9]\d{9}", phone):
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * min(len(phone), 11)


def mask_account(account_no: str) -> str:
    """0301234567 -> 03******67."""
    account_no = str(account_no or "")
    if len(account_no) >= 6:
        return f"{account_no[:2]}{'*' * (len(account_no) - 4)}{account_no[-2:]}"
    return "*" * len(account_no)


def mask_text(text: str) -> str:
    """Every phone and account number inside free text masked."""
    text = _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", str(text))
    return _ACCOUNT.sub(lambda m: f"{m.group(1)}******{m.group(2)}", text)


class MaskingFilter(logging.Filter):
    """Masks numbers in every log record that passes through the handler it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not break logging
            return True
        record.msg, record.args = mask_text(message), ()
        return True


def install_log_masking() -> None:
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
