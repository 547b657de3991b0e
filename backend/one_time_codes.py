"""One-time SMS codes: prove that the person asking holds a phone before anything registered
with that phone is shown.

- send: a 6-digit code (secrets.randbelow), valid CODE_TTL, written into the SMS gateway stub's
  outbox (sms_outbox) and never returned; only an HMAC-SHA256 of it is stored, keyed with a
  random per-row salt. A new code voids the previous ones for the same phone and purpose.
  At most one SMS per phone per SEND_INTERVAL and SENDS_PER_HOUR per hour (429 + Retry-After).
- verify: the latest code for phone + purpose, compared in constant time; single use; void
  after MAX_ATTEMPTS wrong tries. A right code buys a grant: an opaque random token (stored
  as its SHA-256) valid GRANT_TTL for that phone and purpose.
- grant_is_valid: what a protected route checks (GET /api/v1/work-orders?phone=&grant=).

Everything is rows in the database, so limits and codes hold across restarts and processes.
All times come from the app's clock (tests move it).
"""
from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional

from sqlalchemy import BigInteger, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from backend.clock import to_db
from backend.errors import ApiError
from backend.models import OneTimeCode, PhoneGrant, SmsOutbox

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
GRANT_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
SEND_INTERVAL = timedelta(seconds=60)
SENDS_PER_HOUR = 5
HOUR = timedelta(hours=1)

# purpose -> what the SMS says the code is for
PURPOSES: Dict[str, str] = {"work_orders": "查询工单进度"}
WORK_ORDERS = "work_orders"

CODE_RE = re.compile(r"[0-9]{6}")
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet
GRANT_RE = re.compile(r"[A-Za-z0-9_\-]{43}")


def sms_text(code: str, purpose: str, signature: str) -> str:
    """The SMS; `signature` is the utility's service number from knowledge/ (the sender it shows)."""
    minutes = int(CODE_TTL.total_seconds() // 60)
    return f"您的验证码为{code}，用于{PURPOSES[purpose]}，{minutes}分钟内有效，请勿告诉他人。【{signature}】"


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(salt: str, phone: str, purpose: str, code: str) -> str:
    message = f"{phone}:{purpose}:{code}".encode("ascii")
    return hmac.new(salt.encode("ascii"), message, hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _rate_limited(seconds: int) -> ApiError:
    if seconds <= 90:
        wait = f"{seconds}秒"
    else:
        wait = f"{math.ceil(seconds / 60)}分钟"
    return ApiError(
        429,
        "RATE_LIMITED",
        f"验证码发送过于频繁，请{wait}后再试",
        headers={"Retry-After": str(seconds)},
        retry_after_seconds=seconds,
    )


async def _serialize_sends(session: AsyncSession, phone: str) -> None:
    """Two sends for one phone must not both pass the rate limit. PostgreSQL: a transaction-level
    advisory lock on the phone. SQLite: the outbox insert that follows takes the database's
    write lock before anything is read, which serialises writers there."""
    if session.sync_session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"sms:{phone}".encode()).digest()[:8], "big", signed=True)
        await session.execute(select(func.pg_advisory_xact_lock(bindparam("key", key, type_=BigInteger))))


def _check_rate(sent_before: List[datetime], now: datetime) -> None:
    """sent_before: earlier sends to the phone within the last hour, newest first."""
    if sent_before and sent_before[0] > now - SEND_INTERVAL:
        raise _rate_limited(_seconds_until(sent_before[0] + SEND_INTERVAL, now))
    if len(sent_before) >= SENDS_PER_HOUR:
        raise _rate_limited(_seconds_until(sent_before[SENDS_PER_HOUR - 1] + HOUR, now))


async def send(sessions: sessionmaker, phone: str, purpose: str, now: datetime, signature: str) -> int:
    """Issue a code and 'send' it; returns its lifetime in seconds. Raises 429 when limited
    (nothing is written then: the transaction is rolled back)."""
    now = to_db(now)
    code = new_code()
    salt = secrets.token_hex(16)
    async with sessions() as session, session.begin():
        await _serialize_sends(session, phone)
        message = SmsOutbox(phone=phone, text=sms_text(code, purpose, signature), purpose=purpose, created_at=now)
        session.add(message)
        await session.flush()
        sent_before = list(
            (
                await session.execute(
                    select(SmsOutbox.created_at)
                    .where(SmsOutbox.phone == phone, SmsOutbox.id != message.id, SmsOutbox.created_at > now - HOUR)
                    .order_by(SmsOutbox.created_at.desc(), SmsOutbox.id.desc())
                )
            ).scalars()
        )
        _check_rate(sent_before, now)
        # Earlier codes for the same phone and purpose die now: only the newest one counts.
        await session.execute(
            update(OneTimeCode)
            .where(
                OneTimeCode.phone == phone,
                OneTimeCode.purpose == purpose,
                OneTimeCode.used_at.is_(None),
                OneTimeCode.expires_at > now,
            )
            .values(expires_at=now)
        )
        session.add(
            OneTimeCode(
                phone=phone,
                purpose=purpose,
                salt=salt,
                code_hash=code_hash(salt, phone, purpose, code),
                created_at=now,
                expires_at=now + CODE_TTL,
                attempts=0,
            )
        )
    return int(CODE_TTL.total_seconds())


@dataclass
class _Outcome:
    grant: Optional[str] = None
    expired: bool = False
    attempts_left: int = MAX_ATTEMPTS


def _expired() -> ApiError:
    return ApiError(403, "CODE_EXPIRED", "验证码已失效（已使用、超时或错误次数过多），请重新获取验证码")


def _invalid(attempts_left: int) -> ApiError:
    if attempts_left <= 0:
        message = "验证码不正确，错误次数过多，该验证码已失效，请重新获取"
    else:
        message = f"验证码不正确，还可尝试{attempts_left}次"
    return ApiError(403, "CODE_INVALID", message, attempts_left=attempts_left)


def _usable(code: OneTimeCode, now: datetime) -> bool:
    return code.used_at is None and code.attempts < MAX_ATTEMPTS and code.expires_at > now


def _still_usable(code_id: int, now: datetime):
    """WHERE clause of the conditional updates: two concurrent verifies cannot both use a code."""
    return (
        OneTimeCode.id == code_id,
        OneTimeCode.used_at.is_(None),
        OneTimeCode.attempts < MAX_ATTEMPTS,
        OneTimeCode.expires_at > now,
    )


async def verify(sessions: sessionmaker, phone: str, purpose: str, code: str, now: datetime) -> str:
    """Returns a new grant token; raises 403 CODE_INVALID (with attempts_left) or CODE_EXPIRED.
    The wrong try is committed before the error is raised."""
    now = to_db(now)
    outcome = _Outcome()
    async with sessions() as session, session.begin():
        query = (
            select(OneTimeCode)
            .where(OneTimeCode.phone == phone, OneTimeCode.purpose == purpose)
            .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc())
            .limit(1)
            .with_for_update()
        )
        latest = (await session.execute(query)).scalar_one_or_none()
        if latest is None or not _usable(latest, now):
            outcome.expired = True
        elif hmac.compare_digest(latest.code_hash, code_hash(latest.salt, phone, purpose, code)):
            used = await session.execute(
                update(OneTimeCode).where(*_still_usable(latest.id, now)).values(used_at=now)
            )
            if used.rowcount != 1:
                outcome.expired = True
            else:
                outcome.grant = secrets.token_urlsafe(32)
                session.add(
                    PhoneGrant(
                        token_hash=token_hash(outcome.grant),
                        phone=phone,
                        purpose=purpose,
                        created_at=now,
                        expires_at=now + GRANT_TTL,
                    )
                )
        else:
            counted = await session.execute(
                update(OneTimeCode)
                .where(*_still_usable(latest.id, now))
                .values(attempts=OneTimeCode.attempts + 1)
            )
            if counted.rowcount != 1:
                outcome.expired = True
            else:
                attempts = (
                    await session.execute(select(OneTimeCode.attempts).where(OneTimeCode.id == latest.id))
                ).scalar_one()
                outcome.attempts_left = max(0, MAX_ATTEMPTS - attempts)
    if outcome.grant is not None:
        return outcome.grant
    if outcome.expired:
        raise _expired()
    raise _invalid(outcome.attempts_left)


async def grant_is_valid(sessions: sessionmaker, token: Optional[str], phone: str, purpose: str,
                         now: datetime) -> bool:
    """True when `token` is an unexpired grant for exactly this phone and purpose."""
    if not isinstance(token, str) or not GRANT_RE.fullmatch(token):
        return False
    now = to_db(now)
    wanted = token_hash(token)
    async with sessions() as session, session.begin():
        hashes = (
            await session.execute(
                select(PhoneGrant.token_hash).where(
                    PhoneGrant.phone == phone, PhoneGrant.purpose == purpose, PhoneGrant.expires_at > now
                )
            )
        ).scalars()
        # Every candidate is compared (constant time each), so timing says nothing about which matched.
        found = False
        for candidate in hashes:
            found = hmac.compare_digest(candidate, wanted) or found
    return found


async def outbox(sessions: sessionmaker, phone: str, limit: int) -> List[SmsOutbox]:
    async with sessions() as session, session.begin():
        query = (
            select(SmsOutbox)
            .where(SmsOutbox.phone == phone)
            .order_by(SmsOutbox.created_at.desc(), SmsOutbox.id.desc())
            .limit(limit)
        )
        return list((await session.execute(query)).scalars())
