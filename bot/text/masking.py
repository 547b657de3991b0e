"""Masking of phone and account numbers, for replies, handoff summaries and logs."""
from __future__ import annotations

import logging
import re

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ACCOUNT = re.compile(r"(?<!\d)(03)\d{6}(\d{2})(?!\d)")
# Two numbers typed without a separator (户号 + mobile = 21 digits), or a bank-card or ID number:
# a run of 12+ digits is no phone or account by itself, but carries them. Work-order numbers
# (two capitals + 14 digits, BZ20261120000012) are not personal data and stay readable.
_LONG_DIGITS = re.compile(r"(?<!\d)\d{12,}(?!\d)")


def _mask_long_digits(match: re.Match) -> str:
    run, start = match.group(0), match.start()
    prefix = match.string[max(0, start - 2):start]
    if len(run) == 14 and len(prefix) == 2 and prefix.isascii() and prefix.isalpha() and prefix.isupper():
        return run  # a work-order number
    return run[:2] + "*" * (len(run) - 4) + run[-2:]


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


def mask_name(name: str) -> str:
    """王建国 -> 王**: enough for a customer to recognise their own order, not to identify them."""
    name = str(name or "")
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_text(text: str) -> str:
    """Every phone and account number inside free text masked."""
    text = _LONG_DIGITS.sub(_mask_long_digits, str(text))
    text = _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _ACCOUNT.sub(lambda m: f"{m.group(1)}******{m.group(2)}", text)


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted record, traceback included (exception text can quote SQL params)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


class MaskingFilter(logging.Filter):
    """Masks numbers in every log record that passes through the handler it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not break logging
            return True
        record.msg, record.args = mask_text(message), ()
        return True


def _mask_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a malformed log call must not break logging
        return record
    record.msg, record.args = mask_text(message), ()
    if record.exc_info and not record.exc_text:
        # Formatters reuse a pre-set exc_text, so the traceback (which can quote values) is masked too.
        record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
    return record


def _masking_record_factory(base):
    def factory(*args, **kwargs) -> logging.LogRecord:
        return _mask_record(base(*args, **kwargs))

    factory.masks_customer_data = True
    return factory


def install_log_masking() -> None:
    """Mask every log record of this process, whichever logger or handler prints it.

    Rasa, Sanic and rasa_sdk install and replace their handlers at start-up, after our modules
    may have been imported, so a filter on today's handlers is not enough: the record factory
    masks each record when it is created. The handler filters stay for handlers that format
    records made elsewhere (e.g. by a library's own factory). Idempotent.
    """
    current = logging.getLogRecordFactory()
    if not getattr(current, "masks_customer_data", False):
        logging.setLogRecordFactory(_masking_record_factory(current))
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
