"""Identity check by account number + last 4 digits of the phone on file, with a lock-out.

Failures are rows in the database (not process memory) so the lock holds across restarts and
several server processes. The window slides: the account unlocks when the oldest of the last
MAX_FAILURES failures leaves the window. While locked, attempts are refused without being
counted, and even a correct answer is refused, which is what makes guessing pointless.
"""
from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from backend.clock import iso, to_db
from backend.errors import ApiError, not_found
from backend.models import Account, VerificationFailure

MAX_FAILURES = 5
WINDOW = timedelta(minutes=30)


@dataclass
class _Outcome:
    verified: bool = False
    attempts_left: int = MAX_FAILURES
    locked_until: Optional[datetime] = None


def _locked(until: datetime, now: datetime) -> ApiError:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    minutes = math.ceil(seconds / 60)
    return ApiError(
        423,
        "ACCOUNT_LOCKED",
        f"验证失败次数过多，该户号已暂时锁定，请{minutes}分钟后再试",
        headers={"Retry-After": str(seconds)},
        retry_after_seconds=seconds,
        locked_until=iso(until),
    )


async def verify(sessions: sessionmaker, account_no: str, phone_last4: str, now: datetime) -> None:
    """Returns when verified; raises 404, 403 (with attempts_left) or 423."""
    now = to_db(now)
    outcome = _Outcome()
    # The failure row must be committed before the error is raised, so the transaction ends first.
    async with sessions() as session, session.begin():
        query = select(Account).where(Account.account_no == account_no).with_for_update()
        account = (await session.execute(query)).scalar_one_or_none()
        if account is None:
            raise not_found("ACCOUNT_NOT_FOUND", "未找到该户号")
        recent = list(
            (
                await session.execute(
                    select(VerificationFailure.failed_at)
                    .where(VerificationFailure.account_no == account_no, VerificationFailure.failed_at > now - WINDOW)
                    .order_by(VerificationFailure.failed_at.desc())
                )
            ).scalars()
        )
        if len(recent) >= MAX_FAILURES:
            outcome.locked_until = recent[MAX_FAILURES - 1] + WINDOW
        elif hmac.compare_digest(account.phone[-4:], phone_last4):
            await session.execute(delete(VerificationFailure).where(VerificationFailure.account_no == account_no))
            outcome.verified = True
        else:
            session.add(VerificationFailure(account_no=account_no, failed_at=now))
            recent.insert(0, now)
            outcome.attempts_left = MAX_FAILURES - len(recent)
            if outcome.attempts_left <= 0:
                outcome.locked_until = recent[MAX_FAILURES - 1] + WINDOW
    if outcome.locked_until is not None:
        raise _locked(outcome.locked_until, now)
    if not outcome.verified:
        raise ApiError(
            403,
            "VERIFICATION_FAILED",
            f"户号与手机号后四位不匹配，还可尝试{outcome.attempts_left}次",
            attempts_left=outcome.attempts_left,
        )
