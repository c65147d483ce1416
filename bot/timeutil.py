"""Time, once for the whole program: the injectable clock, UTC instants as text, time zones,
durations and `--since` values ("24h", "90m", "2 days", "1.5h", "yesterday", "2019-08-01"), daily
times of day, and time phrases in a question ("this week", "since Monday", "in July", "latest").

Every front end reads a window through `parse_since` here, so "3m" means the same thing (three
minutes) in `briefbot ask --since`, `briefbot brief --since`, `/briefing now` and the console.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
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
    # A soft window weights instead of filtering: "in March" (no year) means the latest March that holds
    # matching articles, "in 1986" / "this year" is often what an article is *about*, not when it appeared.
    soft: bool = False
    month: int | None = None  # the month a soft window names
    year: int | None = None  # the year it names (None for a month without a year)

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
        raise UserError(f"Unknown time zone {name!r}; use a name like Europe/Paris, Asia/Tokyo or UTC.") from exc


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


# A span of months: "January-March 1987", "in January and February of 1987", "from April to June".
_SPAN = re.compile(
    rf"\b(?:(?:in|for|during|from|between|over|of) (?:the months of )?)?({_MONTH_RE})\.?\s*(?:-|–|/|\bto\b|\bthrough\b"
    rf"|\band\b|&)\s*({_MONTH_RE})\b\.?(?:,?\s+(?:of\s+)?((?:19|20)\d\d)\b)?")
_ORDINALS = ("first", "second", "third", "fourth")
_COUNTS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven")


def month_span(text: str) -> tuple[int, int, int | None] | None:
    """(first month, last month, year or None) of a span of months the text names, or None."""
    m = _SPAN.search(text.lower())
    if m is None:
        return None
    first, last = MONTHS[m.group(1)], MONTHS[m.group(2)]
    if first == last or (m.group(2) == "may" and not m.group(3)):  # "March and may rise": a verb
        return None
    return first, last, int(m.group(3)) if m.group(3) else None


def span_words(first: int, last: int) -> list[str]:
    """What an article calls a span of months: "first quarter", "first half", "first two months"."""
    length = (last - first) % 12 + 1
    if length == 3 and first % 3 == 1:
        return ["quarter", _ORDINALS[first // 3]]
    if length == 6 and first in (1, 7):
        return ["half", _ORDINALS[first // 7]]
    if first == 1 and length <= 11:
        return ["first", _COUNTS[length - 2], "months"]
    return []


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
              label: str | None = None, soft: bool = False, month: int | None = None,
              year: int | None = None) -> TimeWindow:
        said = " ".join(m.group(0).split())
        if label is None:
            label = said if said.startswith(("since", "on ", "in ", "during")) else f"from {said}"
            label = re.sub(rf"\b({_DAY_RE})\b", lambda d: d.group(1).capitalize(), label)
        return TimeWindow(since, until, label, recent, m.group(0), soft, month, year)

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
        return found(m, _start(date(today.year, 1, 1), tzinfo), soft=True, year=today.year)
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
        day_of_month = int(m.group(1) or m.group(4))
        month = MONTHS[m.group(2) or m.group(3)]
        year = int(m.group(5)) if m.group(5) else today.year - ((month, day_of_month) > (today.month, today.day))
        try:
            return found(m, _start(date(year, month, day_of_month), tzinfo))
        except ValueError:
            return None
    if span := month_span(q):
        # a span of months weighs as its year does (its words are what the article says), or not at all
        m = _SPAN.search(q)
        assert m is not None
        first_month, last_month, span_year = span
        said = f"{date(2000, first_month, 1):%B}–{date(2000, last_month, 1):%B}" + (f" {span_year}" if span_year else "")
        if span_year:
            return found(m, _start(date(span_year, 1, 1), tzinfo), _start(date(span_year + 1, 1, 1), tzinfo),
                         label=f"from {said}", soft=True, year=span_year)
        return found(m, None, None, label=f"from {said}", soft=True)
    if m := re.search(rf"\b(in|since|during|(?:at )?the (?:end|start|beginning|middle) of) ({_MONTH_RE})\b(?:,? (\d{{4}}))?", q):
        month = MONTHS[m.group(2)]
        if m.group(2) == "may" and not m.group(3) and m.group(1) != "in":
            return None
        year = int(m.group(3)) if m.group(3) else today.year - (month > today.month)
        start, end = _month_bounds(year, month, tzinfo)
        name = f"{date(year, month, 1).strftime('%B')} {year}"
        if m.group(1) == "since":
            return found(m, start, None, label=f"since {name}")
        said = f"{date(year, month, 1).strftime('%B')}" + (f" {year}" if m.group(3) else "")
        return found(m, start, end, label=f"from {said}", soft=True, month=month,
                     year=int(m.group(3)) if m.group(3) else None)
    if m := re.search(r"\b(?:in|during|for|of) (19[5-9]\d|20\d\d)\b", q):
        year = int(m.group(1))
        return found(m, _start(date(year, 1, 1), tzinfo), _start(date(year + 1, 1, 1), tzinfo), label=f"from {year}",
                     soft=True, year=year)
    if m := re.search(r"\b(?:the )?(?:latest|most recent|newest|recent|recently|lately|currently|now)\b", q):
        return found(m, None, None, recent=True)
    return None


_DATED = re.compile(
    rf"\b(?:in|on|ended|ending|of|at the end of)\s+(?:(?P<d1>\d{{1,2}})\s+)?(?P<month>{_MONTH_RE})\.?"
    rf"(?:\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?)?,?\s+(?P<year>(?:19|20)\d\d)\b"
)


_IN_YEAR = re.compile(r"\b(?:in|during)\s+((?:19|20)\d\d)\b(?![/-])")


def reported_after(question: str) -> date | None:
    """The earliest day a question names with its year ("in the week ended July 4, 1987", "in August 1987"):
    no article published before it can report on it. None when it names no such day."""
    days: list[date] = [date(int(y), 1, 1) for y in _IN_YEAR.findall(question.lower())]
    for m in _DATED.finditer(question.lower()):
        try:
            days.append(date(int(m.group("year")), MONTHS[m.group("month")], int(m.group("d1") or m.group("d2") or 1)))
        except ValueError:
            continue
    return min(days) if days else None


def named_days(question: str) -> list[date]:
    """The days a question names with their day and year ("on March 9, 1987", "the week ended 4 July 1987")."""
    days: list[date] = []
    for m in _DATED.finditer(question.lower()):
        day = m.group("d1") or m.group("d2")
        if day:
            try:
                days.append(date(int(m.group("year")), MONTHS[m.group("month")], int(day)))
            except ValueError:
                continue
    return days


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UserError(f"{text!r} is not a date: use YYYY-MM-DD.") from exc


_DURATION = re.compile(
    r"(\d+(?:\.\d+)?)\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?|mo|mons?|months?|y|yrs?|years?)"
)
_DURATION_UNIT = {"m": 60, "h": 3600, "d": 86400, "w": 604800, "mo": 30 * 86400, "y": 365 * 86400}
MAX_BACK = timedelta(seconds=MAX_LOOKBACK_S)  # "99999999d" means as far back as there is
SINCE_HELP = "use a duration like 90m, 6h, 2 days, 1.5h, 2w, 3mo, a phrase like today or yesterday, or a date like 2019-08-01"


def parse_duration(text: str) -> timedelta | None:
    """'90m', '90 min', '1.5h', '2 days', '2w', '3mo', '1y' -> a timedelta ('m' is minutes, 'mo' months of
    30 days); None when the text is no duration. A duration beyond 200 years is taken as 200 years."""
    m = _DURATION.fullmatch(" ".join(text.lower().split()))
    if not m:
        return None
    unit = m.group(2)
    key = "mo" if unit.startswith("mo") else unit[0]
    seconds = float(m.group(1)) * _DURATION_UNIT[key]  # float: no OverflowError, at worst inf
    return timedelta(seconds=min(seconds, MAX_BACK.total_seconds()))


def parse_since(
    value: str | None, tz: str = "UTC", now: datetime | None = None, default: timedelta | None = timedelta(hours=24)
) -> TimeWindow:
    """The window that `--since`, `/briefing now since:` and the console's `SINCE` name, the same everywhere.

    A duration back from now ("90m", "6h", "2 days", "1.5h", "3mo"), a phrase ("today", "yesterday",
    "this week", "last week", "past 3 days", "since Monday"), a date "2019-08-01" (local midnight in `tz`)
    or a date-time (local in `tz` unless it names its zone). Empty: the last `default` (None: no window).
    """
    local = _local_now(tz, now)
    utc_now = local.astimezone(timezone.utc)
    raw = " ".join((value or "").split())
    if not raw:
        if default is None:
            return TimeWindow(None, None, "")
        return TimeWindow(utc_now - default, None, f"from the last {_say_duration(default)}")
    if (delta := parse_duration(raw)) is not None:
        return TimeWindow(utc_now - delta, None, f"from the last {raw.lower()}")
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            day = _parse_day(raw)
            return TimeWindow(_start(day, zone(tz)), None, f"since {human_date(day.isoformat())}")
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=zone(tz))
            return TimeWindow(parsed.astimezone(timezone.utc), None, f"since {human_date(parsed.date().isoformat())}")
    except OverflowError:  # 0001-01-01 east of UTC falls before the calendar starts
        raise UserError(f"{raw[:40]!r} is too early a date.") from None
    phrase = parse_question(raw, tz, utc_now)
    if phrase is not None and " ".join(phrase.phrase.split()) == raw.lower():  # the whole text, not a part
        return replace(phrase, soft=False)  # an explicit window filters
    raise UserError(f"{raw[:60]!r} is not a time I understand: {SINCE_HELP}.")


def _say_duration(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} hours" if hours < 48 else f"{hours / 24:g} days"


def parse_tz(value: str | None) -> str:
    """A time zone name checked against the tz database ('' -> 'UTC'); the name is what is stored."""
    name = (value or "UTC").strip() or "UTC"
    zone(name)
    return name


_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3])[:.h]([0-5]\d)$")


def parse_daily_time(value: str | None) -> str | None:
    """'8:00' -> '08:00'; '', 'off', 'none' -> None (no daily briefing)."""
    if value is None or value.strip().lower() in ("", "off", "none", "no"):
        return None
    match = _TIME_OF_DAY.match(value.strip())
    if not match:
        raise UserError(f"{value!r} is not a time of day; use HH:MM in 24-hour form, e.g. 08:00 (or 'off').")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def human_date(iso: str | None) -> str:
    """'2019-07-12T…' -> '12 July 2019'."""
    if not iso:
        return ""
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return iso[:10]
    return f"{d.day} {d.strftime('%B')} {d.year}"


# ---------------------------------------------------------------- the clock

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware UTC instant (a naive value is taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


class ManualClock:
    """A clock that only moves when told to (tests, replays)."""

    def __init__(self, start: datetime) -> None:
        self.current = as_utc(start)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, value: datetime) -> None:
        self.current = as_utc(value)
