"""Dates from the many forms sources write them in, always returned in UTC."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bot.timeutil import iso, system_clock


def parse_date(value: str | None) -> datetime | None:
    """ISO 8601 or RFC 2822 text to an aware UTC datetime; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # "9999-12-31T23:59:59-05:00" is past the end of the calendar in UTC
        return None


def from_timestamp(seconds: float) -> datetime | None:
    """Unix seconds to a UTC datetime; None for NaN, infinities and numbers outside years 1-9999."""
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, ValueError, OSError):
        return None


def from_utc_struct(value: time.struct_time | tuple[int, ...]) -> datetime | None:
    """A UTC time tuple (feedparser's `published_parsed`) to a datetime; None when out of range."""
    try:
        return from_timestamp(calendar.timegm(value))
    except (OverflowError, ValueError, TypeError):
        return None


def to_iso(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


utcnow = system_clock
