"""Dates from the many forms sources write them in, always returned in UTC."""

from __future__ import annotations

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
    return parsed.astimezone(UTC)


def to_iso(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


utcnow = system_clock
