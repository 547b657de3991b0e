"""Identity check by account number + last 4 digits of the phone on file.

No lock-out here: five wrong tries by a stranger must not lock the real holder out. Guessing is
slowed down where the asker is known (security/rate_limit.py in the action server: per
conversation, per client address, per account unless the asker is the holder's channel
identity, and overall); the back end is reachable only with the service token. Failures are
still recorded (a row per failure) for the operator's audit.
"""
from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from backend.clock import to_db
from backend.errors import ApiError, not_found
from backend.models import Account, VerificationFailure


async def verify(sessions: sessionmaker, account_no: str, phone_last4: str, now: datetime) -> None:
    """Returns when verified; raises 404 or 403."""
    now = to_db(now)
    async with sessions() as session, session.begin():
        account = (await session.execute(select(Account).where(Account.account_no == account_no))).scalar_one_or_none()
        if account is None:
            raise not_found("ACCOUNT_NOT_FOUND", "未找到该户号")
        if hmac.compare_digest(account.phone[-4:].encode(), phone_last4.encode()):
            return
        session.add(VerificationFailure(account_no=account_no, failed_at=now))
    raise ApiError(403, "VERIFICATION_FAILED", "户号与手机号后四位不匹配")
