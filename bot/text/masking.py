"""Masking of phone and account numbers, for replies, handoff summaries and logs.

`mask_text` reads numbers the way the NLU does (bot/text/normalize.py: full-width digits, spaces
inside a number dropped, Chinese digits spoken one by one) and a little more generously (the
forms and actions strip dashes too), so whatever the assistant understands as a phone or account
number is masked, whichever way it was typed:

- a *run* is a sequence of digit-like characters - any Unicode decimal digit (ASCII, full-width
  １３８, ...), the circled and super/subscript digits NFKC turns into digits (①③⑧), the
  Chinese digits 零〇一二三四五六七八九幺两兩 (and the financial forms 壹贰叁...) - in which
  neighbouring digits may be separated by one separator: a whitespace character, or one of
  - － — – . ． · ・ _ ＿ (optionally with a space before and/or after it, as in
  "138 - 1234 - 5678"); an ID number may end in X;
- only runs of 10+ digit characters are looked at (words like 一户多人口, 三相电 are never
  touched); the run is turned into ASCII digits and, when these are a mobile number
  (1[3-9] + 9 digits), an account number (03 + 8 digits) or 12+ digits (ID and bank-card numbers,
  two numbers typed together), the whole run, separators included, is replaced by the masked form
  in ASCII digits: 138****5678, 03******67, 11**************3X;
- digits at the edge of a run that belong to the words around it (13812345678一直打不通,
  第一0301234567, 0301234567 2号楼, ¹0301234567: at most two digits at each end, cut off where a
  separator or a change of script is, or anywhere among Chinese digits) stay as they are when the
  rest of the run is a phone or account number; any other long run is masked whole;
- a landline with its area code (0755-12345678) is a 12-digit run, so it is masked too; so is
  any list of 12+ digits joined by single separators (ports "5005 5055 5080"): safe, not pretty;
- readable on purpose: work-order numbers (two capital letters + 14 digits, BZ20261120000012),
  dates and date ranges (2026-12-08 2026-12-09), IPv4 addresses, epoch timestamps with a fraction
  (1733616000.123456), amounts, times and quantities (too short to be a run).
"""
from __future__ import annotations

import logging
import re
import unicodedata
from typing import Optional

_CHINESE_DIGITS = {
    "零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "兩": "2", "三": "3", "四": "4",
    "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
    # Financial numerals (cheques, invoices): nobody says them, but they are digits.
    "壹": "1", "贰": "2", "貳": "2", "叁": "3", "參": "3", "叄": "3", "肆": "4", "伍": "5", "陆": "6", "陸": "6",
    "柒": "7", "捌": "8", "玖": "9",
}
# Not decimal digits for Python, but NFKC (the normaliser's first step) makes them digits.
_COMPAT_DIGITS = {ch: unicodedata.normalize("NFKC", ch) for ch in "⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉⓪①②③④⑤⑥⑦⑧⑨"}
_CN = "".join(_CHINESE_DIGITS)
_DIGIT = rf"[\d{_CN}{''.join(_COMPAT_DIGITS)}]"
_PUNCT_SEPARATORS = "\\-－—–‐‑−﹣.．·・･_＿"
# Between two digits: one whitespace, or one separator mark with at most one whitespace on each
# side. Every alternative consumes a different text, so the pattern cannot backtrack wildly.
_SEPARATOR = rf"(?:[{_PUNCT_SEPARATORS}]\s?|\s(?:[{_PUNCT_SEPARATORS}]\s?)?)"
# 10+ digit characters (the shortest number we mask), greedy, so a match is a whole run.
_RUN = re.compile(rf"{_DIGIT}(?:{_SEPARATOR}?{_DIGIT}){{9,}}(?:[XxＸｘ](?![A-Za-z]))?")

_PHONE = re.compile(r"1[3-9][0-9]{9}")
_ACCOUNT = re.compile(r"03[0-9]{8}")
_MIN_LONG = 12
_EDGES = re.compile(rf"([\s{_PUNCT_SEPARATORS}]*)(.*?)([\s{_PUNCT_SEPARATORS}]*)", re.DOTALL)

# Readable on purpose (checked on the run as typed, ASCII only).
_EPOCH = re.compile(r"1[0-9]{9}\.[0-9]{1,7}")  # time.time() in a log line
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_DATE = (r"(?:(?:19|20)[0-9]{2}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12][0-9]|3[01])"
         r"|(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))")
_TIME6 = r"(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]"
_SEP_ASCII = r"(?:[-._] ?| (?:[-._] ?)?)"
# Dates, date ranges and compact timestamps (models/20261208-103000-...): 2026-12-08 2026-12-09 10
_DATES = re.compile(rf"{_DATE}(?:{_SEP_ASCII}(?:{_DATE}|{_TIME6}))*(?:{_SEP_ASCII}[0-9]{{1,2}})?")
_DATE_HEAD = re.compile(rf"{_DATE}{_SEP_ASCII}(?=[0-9])")  # 2026-12-08 13812345678: the date stays
_ORDER_HEAD = re.compile(r"[0-9]{14}(?![0-9])")  # BZ20261120000012
_EDGE_DIGITS = 2  # at most this many digits at a run's edge can belong to the words around it


_TO_ASCII = str.maketrans({
    **_CHINESE_DIGITS, **_COMPAT_DIGITS, **{chr(0xFF10 + i): str(i) for i in range(10)},
    "x": "X", "Ｘ": "X", "ｘ": "X",
    **{ch: None for ch in _PUNCT_SEPARATORS.replace("\\", "") + " \t\n\r\f\v\x1c\x1d\x1e\x1f\u3000\u00a0"},
})


def _digits(run: str) -> str:
    """The run as ASCII digits (and a final X), separators dropped."""
    fast = run.translate(_TO_ASCII)
    if fast.isascii():
        return fast
    out = []  # other scripts' digits (١٣٨), rarer spaces
    for ch in fast:
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif ch == "X":
            out.append(ch)
    return "".join(out)


def _kind(digits: str) -> Optional[str]:
    if _PHONE.fullmatch(digits):
        return "phone"
    if _ACCOUNT.fullmatch(digits):
        return "account"
    if len(digits) >= _MIN_LONG:
        return "long"
    return None


def _masked(digits: str, kind: str) -> str:
    if kind == "phone":
        return f"{digits[:3]}****{digits[-4:]}"
    if kind == "account":
        return f"{digits[:2]}******{digits[-2:]}"
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


_SCRIPTS = {
    **{str(i): "ascii" for i in range(10)}, **{chr(0xFF10 + i): "full" for i in range(10)},
    **{ch: "chinese" for ch in _CHINESE_DIGITS}, **{ch: "compat" for ch in _COMPAT_DIGITS},
}


def _script(ch: str) -> str:
    """Which way a digit character is written; a change of script ends a number (¹0301234567)."""
    return _SCRIPTS.get(ch) or ("other" if ch.isdecimal() else "")  # "": a separator, an X


def _edge_cuts(run: str):
    """Where the start of the run may be cut off: digits of the words around a number.

    A cut leaves at most _EDGE_DIGITS digits outside and falls where a separator or a change of
    script is (0301234567 2号楼, ¹0301234567), or anywhere among Chinese digits (第一0301234567).
    """
    if run.isdigit() and run.isascii():
        return []
    cuts, digits, left = [], 0, _script(run[0])
    for i in range(1, len(run)):
        right = _script(run[i])
        if left:
            digits += 1
            if digits > _EDGE_DIGITS:
                break
        if right and (left != right or left == "chinese"):
            cuts.append(i)
        left = right
    return cuts


def _core(run: str, start: int, end: int):
    """run[start:end] without separators at its ends, as (core start, core end)."""
    match = _EDGES.fullmatch(run, start, end)
    return match.start(2), match.end(2)


def _after_digits(run: str, count: int) -> int:
    """The index just after the first `count` digit characters of the run."""
    seen = 0
    for i, ch in enumerate(run):
        if ch.isdecimal() or ch in _CHINESE_DIGITS or ch in _COMPAT_DIGITS:
            seen += 1
            if seen == count:
                return i + 1
    return len(run)


def _mask_run(run: str, before: str) -> str:
    """The masked form of one run; `before` is the text just before it (for work-order numbers)."""
    if run.isascii() and (_EPOCH.fullmatch(run) or _IPV4.fullmatch(run)):
        return run
    if run[-1] in "XxＸｘ" and len(_digits(run)) <= _MIN_LONG:
        return _mask_run(run[:-1], before) + run[-1]  # the X of an ID number only ends a long one
    prefix = before[-2:]
    if len(prefix) == 2 and prefix.isascii() and prefix.isalpha() and prefix.isupper() and _ORDER_HEAD.match(run):
        # A work-order number, perhaps followed by another number after a separator or by
        # Chinese digits (BZ20261120000012一张): these are masked on their own.
        rest = run[14:]
        if not rest[:1].isdecimal() or rest[:1] in _CHINESE_DIGITS:
            masked = _RUN.sub(_mask_match, rest)
            # Kept apart, so that the next pass reads the same work-order number (idempotent).
            return run[:14] + (" " + masked if masked != rest and masked[:1].isdigit() else masked)
    digits = _digits(run)
    kind = _kind(digits)
    if kind in ("phone", "account"):
        return _masked(digits, kind)
    # Digits at the edges may belong to the words around (一直, 第一, 2号楼): the number is what is left.
    starts = [0] + _edge_cuts(run)
    ends = [len(run)] + [len(run) - i for i in _edge_cuts(run[::-1])]
    cuts = sorted(((a, b) for a in starts for b in ends if a < b and (a, b) != (0, len(run))),
                  key=lambda cut: len(_digits(run[:cut[0]] + run[cut[1]:])))
    for a, b in cuts:
        start, end = _core(run, a, b)
        core_digits = _digits(run[start:end])
        core_kind = _kind(core_digits)
        if core_kind in ("phone", "account"):
            return run[:start] + _masked(core_digits, core_kind) + run[end:]
    if digits.startswith("86") and _PHONE.fullmatch(digits[2:]):  # +86 138 1234 5678
        start, _ = _core(run, _after_digits(run, 2), len(run))
        return run[:start] + _masked(digits[2:], "phone")
    if kind != "long" or (run.isascii() and _DATES.fullmatch(run)):
        return run
    date = _DATE_HEAD.match(run)
    if date:  # a date, then another number: each on its own (no ID or card number starts with 19/20)
        return run[:date.end()] + _RUN.sub(_mask_match, run[date.end():])
    return _masked(digits, "long")


def _mask_match(match: re.Match) -> str:
    start = match.start()
    return _mask_run(match.group(0), match.string[max(0, start - 2):start])


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
    """Every phone, account, ID and card number inside free text masked, however it was typed."""
    return _RUN.sub(_mask_match, str(text))


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
