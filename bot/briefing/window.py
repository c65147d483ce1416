"""The time a briefing covers: `--since 24h|7d|90m|2019-08-01|ISO` and the channel's time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UserError

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)\s*$", re.I)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def time_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserError(f"Unknown time zone {name!r}: use a name like Europe/Paris or UTC.") from exc


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_since(text: str | datetime | timedelta | None, now: datetime, tz: str = "UTC") -> datetime:
    """A window start: a duration back from `now` ("24h", "7d", "90m", "2w") or a date/time.

    A date or a date-time without a zone is read in the channel's time zone `tz`.
    """
    if text is None:
        return as_utc(now) - timedelta(hours=24)
    if isinstance(text, timedelta):
        return as_utc(now) - text
    if isinstance(text, datetime):
        return as_utc(text)
    match = _RELATIVE.match(text)
    if match:
        amount = float(match.group(1))
        unit = match.group(2)[0].lower()
        return as_utc(now) - timedelta(seconds=amount * _UNIT_SECONDS[unit])
    raw = text.strip()
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"Cannot read --since {text!r}: use a duration like 24h, 7d, 90m or a date like 2019-08-01."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=time_zone(tz))
    return as_utc(parsed)
