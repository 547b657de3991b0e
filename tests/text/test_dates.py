from datetime import date

import pytest

from bot.text import normalize
from bot.text.dates import parse_date_range

SUNDAY = date(2026, 11, 22)
WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "raw, today, start, end",
    [
        ("明天停电吗", SUNDAY, date(2026, 11, 23), date(2026, 11, 23)),
        ("后天", SUNDAY, date(2026, 11, 24), date(2026, 11, 24)),
        ("周六有没有停电", WEDNESDAY, date(2026, 11, 28), date(2026, 11, 28)),
        ("周一", WEDNESDAY, date(2026, 11, 30), date(2026, 11, 30)),  # passed: the coming one
        ("下周一福田停电吗", WEDNESDAY, date(2026, 11, 30), date(2026, 11, 30)),
        ("三月五号", SUNDAY, date(2027, 3, 5), date(2027, 3, 5)),  # past month-day rolls over
        ("12月1日", SUNDAY, date(2026, 12, 1), date(2026, 12, 1)),
        ("这周有没有计划停电", WEDNESDAY, date(2026, 11, 25), date(2026, 11, 29)),
        ("下周", WEDNESDAY, date(2026, 11, 30), date(2026, 12, 6)),
        ("28号", WEDNESDAY, date(2026, 11, 28), date(2026, 11, 28)),
        ("2026-12-01", SUNDAY, date(2026, 12, 1), date(2026, 12, 1)),
    ],
)
def test_dates(raw, today, start, end):
    found = parse_date_range(normalize(raw), today)
    assert (found.start, found.end) == (start, end)


@pytest.mark.parametrize("raw", ["我家停电了", "2月30号", "用了450度"])
def test_no_date(raw):
    assert parse_date_range(normalize(raw), SUNDAY) is None
