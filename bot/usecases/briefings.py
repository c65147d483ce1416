"""Briefings: channel subscriptions (daily time, zone, alerts, topic phrases, language) and briefings now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.briefing.builder import BriefingBuilder
from bot.briefing.models import Briefing, BriefingKind
from bot.briefing.rank import parse_topics as topic_phrases
from bot.errors import UserError
from bot.store.subscriptions import Subscription, SubscriptionRepo
from bot.text.filters import Filters, parse_terms
from bot.timeutil import Clock, as_utc, iso, parse_daily_time, parse_since, parse_tz
from bot.usecases.budget import BUDGET_NOTE, Budget

MAX_TOPICS = 20
MAX_FOOTER = 200
COLOR_NAMES = {
    "blue": 0x2F6FDE, "red": 0xD93F3F, "green": 0x2E9E5B, "orange": 0xE8833A, "yellow": 0xE5C02E,
    "purple": 0x8A4FD8, "grey": 0x808890, "gray": 0x808890, "black": 0x23272A, "white": 0xF2F3F5,
}


def parse_color(value: str | None) -> int | None:
    """'#1e90ff', '1e90ff', '0x1e90ff', 'red' -> 0xRRGGBB; '', 'default', 'off' -> None (the default colour)."""
    text = (value or "").strip().lower()
    if text in ("", "default", "off", "none"):
        return None
    if text in COLOR_NAMES:
        return COLOR_NAMES[text]
    digits = text.removeprefix("#").removeprefix("0x")
    if len(digits) == 6 and all(c in "0123456789abcdef" for c in digits):
        return int(digits, 16)
    raise UserError(
        f"{text[:20]!r} is not a colour: use a hex colour like #1e90ff, or one of {', '.join(sorted(COLOR_NAMES))}."
    )


def parse_footer(value: str | None) -> str | None:
    """A footer line for a channel's posts (one line, at most 200 characters); '' or 'none' clears it."""
    text = " ".join((value or "").split())
    if text.lower() in ("", "none", "off"):
        return None
    if len(text) > MAX_FOOTER:
        raise UserError(f"The footer is {len(text)} characters; at most {MAX_FOOTER}, please.")
    return text


def parse_topics(value: str | Sequence[str] | None) -> list[str]:
    """'chips, export controls' -> ['chips', 'export controls']: comma-separated phrases, at most 20."""
    phrases = [p[:40] for p in topic_phrases(value)]
    if len(phrases) > MAX_TOPICS:
        raise UserError(f"At most {MAX_TOPICS} topics, please (separate them with commas).")
    return phrases


def parse_language(value: str | None) -> str | None:
    """'French', 'português' -> the name; '', 'off', 'none' -> None (the sources' own language).

    The name goes into the model's instructions, so it is a short name of letters, spaces and hyphens only."""
    name = " ".join((value or "").split())
    if name.lower() in ("", "off", "none", "no", "default"):
        return None
    if len(name) > 30 or not all(c.isalpha() or c in " -" for c in name):
        raise UserError(f"{name[:40]!r} is not a language name; use a name like French, Japanese or 'off'.")
    return name


def last_due(sub: Subscription, now: datetime) -> tuple[str, datetime]:
    """(local date, UTC instant) of the most recent daily time at or before `now` in the subscription's zone."""
    assert sub.daily_time
    zone = ZoneInfo(sub.tz)
    hh, mm = (int(x) for x in sub.daily_time.split(":"))
    local_now = now.astimezone(zone)
    day = local_now.date()
    due = datetime.combine(day, time(hh, mm), tzinfo=zone)
    if due > local_now:
        day = day - timedelta(days=1)
        due = datetime.combine(day, time(hh, mm), tzinfo=zone)
    return day.isoformat(), as_utc(due)


@dataclass
class BriefingOutcome:
    briefing: Briefing
    notes: list[str] = field(default_factory=list)


class Briefings:
    def __init__(self, builder: BriefingBuilder, subscriptions: SubscriptionRepo, budget: Budget, clock: Clock) -> None:
        self.builder = builder
        self.subscriptions = subscriptions
        self.budget = budget
        self.clock = clock

    async def subscribe(
        self,
        channel_key: str,
        collection_id: int,
        *,
        guild_id: int | None = None,
        daily_time: str | None = "08:00",
        tz: str | None = None,
        alerts: bool = True,
        topics: str | Sequence[str] | None = None,
        role_id: int | None = None,
        user_id: int | None = None,
        language: str | None = None,
        include: str | None = None,
        exclude: str | None = None,
        color: str | None = None,
        footer: str | None = None,
    ) -> Subscription:
        """Subscribe a channel (or change its subscription). `include`/`exclude` (filter specs, see
        bot/text/filters.py), `color` and `footer`: None keeps what the channel had; 'none' clears."""
        time_ = parse_daily_time(daily_time)
        zone = parse_tz(tz)
        now = as_utc(self.clock())
        existing = await self.subscriptions.get(channel_key)
        looks: dict[str, object] = {}
        if include is not None or exclude is not None:
            old = Filters.from_json(existing.filters if existing else None)
            new = Filters(
                parse_terms(include, "include") if include is not None else old.include,
                parse_terms(exclude, "exclude") if exclude is not None else old.exclude,
            )
            looks["filters"] = new.to_json()
        if color is not None:
            looks["embed_color"] = parse_color(color)
        if footer is not None:
            looks["footer"] = parse_footer(footer)
        sub = await self.subscriptions.upsert(
            channel_key, collection_id, guild_id=guild_id, daily_time=time_, tz=zone, alerts=alerts,
            topics=parse_topics(topics), language=parse_language(language), alert_role_id=role_id,
            created_by=user_id, last_alert_at=iso(now),
        )
        if time_ and (existing is None or existing.daily_time != time_ or existing.tz != zone):
            # The first daily briefing is the next one to come, not one already past today.
            local_date, _ = last_due(sub, now)
            await self.subscriptions.set_last_daily(sub.id, local_date)
            sub.last_daily_date = local_date
        if looks:
            await self.subscriptions.set_looks(sub.id, **looks)
            sub = await self.subscriptions.get(channel_key) or sub
        return sub

    async def unsubscribe(self, channel_key: str) -> bool:
        return await self.subscriptions.delete(channel_key)

    async def settings(self, channel_key: str) -> Subscription | None:
        return await self.subscriptions.get(channel_key)

    def check_since(self, since: str | None, tz: str = "UTC") -> None:
        """Refuse a window a user cannot mean, before any work (Discord answers it privately)."""
        parse_since(since, tz, as_utc(self.clock()))

    async def brief(
        self,
        collection_id: int,
        *,
        since: str | None = None,
        kind: BriefingKind = "adhoc",
        tz: str = "UTC",
        topics: str | Sequence[str] | None = None,
        channel_key: str | None = None,
        remember: bool = False,
        language: str | None = None,
        max_stories: int | None = None,
        allow_llm: bool = True,
    ) -> BriefingOutcome:
        """The briefing of what the collection received in the window `since` names (default 24 h).

        `channel_key` leaves out what was briefed there; `remember` marks these stories briefed there.
        """
        now = as_utc(self.clock())
        window = parse_since(since, parse_tz(tz), now)
        allowed = allow_llm and await self.budget.model_allowed(collection_id)
        budget_hit = allow_llm and await self.budget.over_budget(collection_id)
        briefing = await self.builder.build(
            collection_id, kind=kind, since=window.since, until=window.until or now, topics=parse_topics(topics),
            tz=tz, channel_key=channel_key, language=parse_language(language), allow_llm=allowed,
            max_stories=max_stories, now=now,
        )
        await self.budget.record(collection_id, briefing.usage)
        if channel_key and remember:
            await self.builder.mark_briefed(channel_key, briefing)
        return BriefingOutcome(briefing, [BUDGET_NOTE] if budget_hit else [])
