"""The time a briefing covers: `--since 24h|7d|90m|2019-08-01|ISO` and the channel's time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UserError

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)\s*$", re.I)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_LOOKBACK_S = 200 * 365 * 86_400  # "--since 99999999999999d" reaches back as far as there is, not past year 1


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
        return as_utc(now) - timedelta(seconds=min(amount * _UNIT_SECONDS[unit], MAX_LOOKBACK_S))
    raw = text.strip()
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"Cannot read --since {text!r}: use a duration like 24h, 7d, 90m or a date like 2019-08-01."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=time_zone(tz))
    try:
        return as_utc(parsed)
    except OverflowError:  # 0001-01-01 east of UTC falls before the calendar starts
        raise UserError(f"--since {text!r} is too early a date.") from None
