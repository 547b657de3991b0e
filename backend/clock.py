"""Time for the back end: one injectable clock, one time zone.

The utility serves one region (Shenzhen, UTC+8, no daylight saving), so every timestamp is China
local time. The database stores naive local times: SQLite has no time-zone type and storing the
same naive value on PostgreSQL keeps both back ends behaving identically. The API always writes
ISO 8601 with the +08:00 offset so clients never have to guess.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Callable, Optional, Union

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

Clock = Callable[[], datetime]
ClockSource = Union[None, datetime, Clock]


def as_local(moment: datetime) -> datetime:
    """An aware China-local datetime; naive input is taken to be China local already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(CHINA_TZ)


def make_clock(now: ClockSource = None) -> Clock:
    """A clock from nothing (real time), a fixed datetime, or any callable returning datetimes."""
    if now is None:
        return lambda: datetime.now(CHINA_TZ).replace(microsecond=0)
    if isinstance(now, datetime):
        fixed = as_local(now)
        return lambda: fixed
    if callable(now):
        return lambda: as_local(now())
    raise TypeError("now must be None, a datetime or a callable returning a datetime")


def to_db(moment: Optional[datetime]) -> Optional[datetime]:
    """Aware (or naive local) datetime -> naive China-local datetime for storage."""
    if moment is None:
        return None
    return as_local(moment).replace(tzinfo=None)


def iso(moment: Optional[datetime]) -> Optional[str]:
    """Stored or aware datetime -> '2026-03-18T10:00:00+08:00'."""
    if moment is None:
        return None
    return as_local(moment).isoformat(timespec="seconds")


def iso_date(day: Optional[date]) -> Optional[str]:
    return day.isoformat() if day is not None else None
