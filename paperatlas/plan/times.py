"""Session times as the programme stores them (ISO 8601 text) and as the plan compares them.

Three kinds survive an import unchanged: a zoned time keeps its UTC offset ("2023-05-02T10:30:00+02:00",
the conference's wall clock and the instant), a floating time has none (RFC 5545 section 3.3.5: "the
same hour wherever you are"), an all-day session is a bare date. To order and overlap them the plan
turns each into a naive UTC datetime (floating times and dates taken as written: a programme mixes
them rarely, and then the organisers meant the local clock).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Formats seen in hand-made CSV programmes besides ISO 8601 (which fromisoformat reads).
_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%d %I:%M %p",
            "%b %d, %Y %H:%M", "%b %d %Y %H:%M", "%B %d, %Y %H:%M", "%a %b %d %Y %H:%M", "%Y%m%dT%H%M%S", "%Y%m%dT%H%M")
_DATES = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d.%m.%Y", "%b %d, %Y", "%B %d, %Y", "%Y%m%d")
_TIME = re.compile(r"^\s*(\d{1,2})[:.h](\d{2})\s*([ap]\.?m\.?)?\s*$", re.IGNORECASE)
MAX_TEXT = 100


def zone(name: str | None) -> tzinfo | None:
    """The IANA zone called ``name`` ("Europe/Berlin", "UTC"); None for no name or an unknown one."""
    if not name or len(name) > 80:
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def iso(value: datetime | date) -> str:
    """The stored form: ISO 8601 to the second (a date for all-day sessions)."""
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value.isoformat()


def parse_time(text: str, tz: tzinfo | None = None, day: str | None = None) -> datetime | date | None:
    """A start or end as a CSV/JSON programme writes it: ISO 8601 (with or without an offset), a few
    common local formats, a bare date, or a bare time ("14:30", "2:30 pm") on ``day``. A time
    without an offset is placed in ``tz`` when one is given, else kept floating. None: unreadable."""
    text = " ".join(str(text).split())[:MAX_TEXT]
    if not text:
        return None
    if day and (m := _TIME.match(text)):
        base = parse_time(day)
        if isinstance(base, date) and not isinstance(base, datetime):
            hour = int(m.group(1))
            if m.group(3):  # 12 am is midnight, 12 pm noon
                hour = hour % 12 + (12 if m.group(3).lower().startswith("p") else 0)
            if hour < 24 and int(m.group(2)) < 60:
                return _placed(datetime(base.year, base.month, base.day, hour, int(m.group(2))), tz)
        return None
    value: datetime | date | None = None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        if len(text) <= 10 and "T" not in text and " " not in text:
            value = value.date()
    except ValueError:
        for fmt in _FORMATS:
            try:
                value = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            for fmt in _DATES:
                try:
                    return datetime.strptime(text, fmt).date()
                except ValueError:
                    continue
    if isinstance(value, datetime):
        return _placed(value, tz)
    return value


def _placed(value: datetime, tz: tzinfo | None) -> datetime:
    return value.replace(tzinfo=tz) if value.tzinfo is None and tz is not None else value


def instant(text: str | None) -> datetime | None:
    """A stored time as a naive UTC datetime for ordering and overlap (see the module docstring)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is not None:
        offset = value.utcoffset() or timedelta(0)
        return value.replace(tzinfo=None) - offset
    return value


def span(starts_at: str | None, ends_at: str | None, all_day: bool) -> tuple[datetime, datetime] | None:
    """The half-open interval [start, end) a session occupies; None without a start. No end: the
    session is a point (an all-day one lasts its day), so it overlaps only what contains it."""
    start = instant(starts_at)
    if start is None:
        return None
    end = instant(ends_at)
    if end is None or end < start:
        end = start + timedelta(days=1) if all_day else start
    return start, end


def overlaps(a: tuple[datetime, datetime] | None, b: tuple[datetime, datetime] | None) -> bool:
    """Whether two sessions share any time (intervals are half-open; a point overlaps an interval
    containing it and an equal point)."""
    if a is None or b is None:
        return False
    if a[0] == a[1] or b[0] == b[1]:
        return a[0] == b[0] or (a[0] <= b[0] < a[1]) or (b[0] <= a[0] < b[1])
    return a[0] < b[1] and b[0] < a[1]
