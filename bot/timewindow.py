"""Time phrases in a question ("this week", "yesterday", "since Monday", "in July", "latest")
and `--since` values ("24h", "7d", "2019-08-01") become a UTC window, read in the asker's zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UserError

MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = {d: i for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}
_UNITS = {"h": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400,
          "w": 604800, "week": 604800, "weeks": 604800, "m": 2592000, "month": 2592000, "months": 2592000}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10,
                 "a": 1, "an": 1, "few": 3, "several": 5}

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_RE = "|".join(WEEKDAYS)


@dataclass(frozen=True)
class TimeWindow:
    since: datetime | None  # aware, UTC
    until: datetime | None
    label: str  # what the asker said, for messages ("this week")
    recent: bool = False  # "latest": no hard bound, newest first
    phrase: str = ""  # the matched text, removed from the search query

    @property
    def since_iso(self) -> str | None:
        return _iso(self.since)

    @property
    def until_iso(self) -> str | None:
        return _iso(self.until)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserError(f"Unknown time zone {name!r}: use a name like Europe/Paris or UTC.") from exc


def _local_now(tz: str, now: datetime | None) -> datetime:
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(zone(tz))


def _start(day: date, tzinfo: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo).astimezone(timezone.utc)


def _month_bounds(year: int, month: int, tzinfo: ZoneInfo) -> tuple[datetime, datetime]:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return _start(date(year, month, 1), tzinfo), _start(nxt, tzinfo)


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word, 1)


MAX_LOOKBACK_S = 200 * 365 * 86_400  # "the last 99999999 days" means "as far back as there is"


def _ago(now: datetime, seconds: int) -> datetime:
    return now - timedelta(seconds=min(seconds, MAX_LOOKBACK_S))


def parse_question(question: str, tz: str = "UTC", now: datetime | None = None) -> TimeWindow | None:
    """The time window a question names, or None (also for dates past either end of the calendar)."""
    try:
        return _parse_question(question, tz, now)
    except (OverflowError, ValueError):  # "in December 9999": its end is in year 10000
        return None


def _parse_question(question: str, tz: str, now: datetime | None) -> TimeWindow | None:
    q = question.lower()
    local = _local_now(tz, now)
    today = local.date()
    tzinfo = zone(tz)
    utc_now = local.astimezone(timezone.utc)

    def found(m: re.Match[str], since: datetime | None, until: datetime | None = None, recent: bool = False,
              label: str | None = None) -> TimeWindow:
        said = " ".join(m.group(0).split())
        if label is None:
            label = said if said.startswith(("since", "on ", "in ", "during")) else f"from {said}"
            label = re.sub(rf"\b({_DAY_RE})\b", lambda d: d.group(1).capitalize(), label)
        return TimeWindow(since, until, label, recent, m.group(0))

    if m := re.search(r"\btoday\b|\bthis morning\b|\btonight\b", q):
        return found(m, _start(today, tzinfo))
    if m := re.search(r"\byesterday\b", q):
        return found(m, _start(today - timedelta(days=1), tzinfo), _start(today, tzinfo))
    if m := re.search(r"\b(?:in the |over the |during the )?(?:past|last)\s+(\d+|an?|one|two|three|four|five|six|seven|ten|few|several)\s+(hours?|days?|weeks?|months?)\b", q):
        return found(m, _ago(utc_now, _count(m.group(1)) * _UNITS[m.group(2)]))
    if m := re.search(r"\b(?:in the |over the |during the )?(?:past|last) (hour|day)\b", q):
        return found(m, utc_now - timedelta(seconds=_UNITS[m.group(1)]))
    if m := re.search(r"\bthis week\b", q):
        return found(m, _start(today - timedelta(days=today.weekday()), tzinfo))
    if m := re.search(r"\blast week\b|\bpast week\b", q):
        monday = today - timedelta(days=today.weekday())
        if "past" in m.group(0):
            return found(m, utc_now - timedelta(days=7))
        return found(m, _start(monday - timedelta(days=7), tzinfo), _start(monday, tzinfo))
    if m := re.search(r"\bthis month\b", q):
        return found(m, _start(today.replace(day=1), tzinfo))
    if m := re.search(r"\blast month\b|\bpast month\b", q):
        if "past" in m.group(0):
            return found(m, utc_now - timedelta(days=30))
        first = today.replace(day=1)
        prev = (first - timedelta(days=1)).replace(day=1)
        return found(m, _start(prev, tzinfo), _start(first, tzinfo))
    if m := re.search(r"\bthis year\b", q):
        return found(m, _start(date(today.year, 1, 1), tzinfo))
    if m := re.search(rf"\bsince (?:last )?({_DAY_RE})\b", q):
        back = (today.weekday() - WEEKDAYS[m.group(1)]) % 7
        return found(m, _start(today - timedelta(days=back), tzinfo))
    if m := re.search(rf"\bon ({_DAY_RE})\b", q):
        back = (today.weekday() - WEEKDAYS[m.group(1)]) % 7
        day = today - timedelta(days=back)
        return found(m, _start(day, tzinfo), _start(day + timedelta(days=1), tzinfo))
    if m := re.search(r"\bsince (\d{4}-\d{2}-\d{2})\b", q):
        return found(m, _start(_parse_day(m.group(1)), tzinfo))
    if m := re.search(rf"\bsince (?:(\d{{1,2}}) ({_MONTH_RE})|({_MONTH_RE}) (\d{{1,2}}))(?:st|nd|rd|th)?\b(?:,? (\d{{4}}))?", q):
        day = int(m.group(1) or m.group(4))
        month = MONTHS[m.group(2) or m.group(3)]
        year = int(m.group(5)) if m.group(5) else today.year - ((month, day) > (today.month, today.day))
        try:
            return found(m, _start(date(year, month, day), tzinfo))
        except ValueError:
            return None
    if m := re.search(rf"\b(in|since|during) ({_MONTH_RE})\b(?:,? (\d{{4}}))?", q):
        month = MONTHS[m.group(2)]
        if m.group(2) == "may" and not m.group(3) and m.group(1) != "in":
            return None
        year = int(m.group(3)) if m.group(3) else today.year - (month > today.month)
        start, end = _month_bounds(year, month, tzinfo)
        name = f"{date(year, month, 1).strftime('%B')} {year}"
        if m.group(1) == "since":
            return found(m, start, None, label=f"since {name}")
        return found(m, start, end, label=f"from {name}")
    if m := re.search(r"\b(?:in|during) (19[5-9]\d|20\d\d)\b", q):
        year = int(m.group(1))
        return found(m, _start(date(year, 1, 1), tzinfo), _start(date(year + 1, 1, 1), tzinfo), label=f"from {year}")
    if m := re.search(r"\b(?:the )?(?:latest|most recent|newest|recent|recently|lately|currently|now)\b", q):
        return found(m, None, None, recent=True)
    return None


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UserError(f"{text!r} is not a date: use YYYY-MM-DD.") from exc


def parse_since(value: str, tz: str = "UTC", now: datetime | None = None) -> TimeWindow:
    """`--since` as a window: "24h", "7d", "2w", "3m" (30-day months) or a date "2019-08-01" (local midnight)."""
    raw = value.strip().lower()
    local = _local_now(tz, now)
    if m := re.fullmatch(r"(\d+)\s*(h|hours?|d|days?|w|weeks?|m|months?)", raw):
        seconds = int(m.group(1)) * _UNITS[m.group(2)]
        return TimeWindow(_ago(local.astimezone(timezone.utc), seconds), None, f"from the last {raw}")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        day = _parse_day(raw)
        try:
            start = _start(day, zone(tz))
        except OverflowError:  # 0001-01-01 east of UTC is before the calendar starts
            raise UserError(f"--since {value!r} is too early a date.") from None
        return TimeWindow(start, None, f"since {human_date(day.isoformat())}")
    raise UserError(f"--since {value!r} is not understood: use 24h, 7d, 2w or a date like 2019-08-01.")


def human_date(iso: str | None) -> str:
    """'2019-07-12T…' -> '12 July 2019'."""
    if not iso:
        return ""
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return iso[:10]
    return f"{d.day} {d.strftime('%B')} {d.year}"
