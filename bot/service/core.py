"""The transport-free core both transports share: collections per server, the use cases
(ask, feeds, articles, briefings, status), cooldowns and the daily token budget.

A transport (Discord cog, console) parses its input, calls one method here and
renders the result; nothing here knows Discord or the terminal.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import __version__
from bot.config import Settings
from bot.errors import UserError
from bot.ingest.models import IngestResult, RawArticle
from bot.service import deps
from bot.service.clock import Clock, iso, system_clock
from bot.service.cooldown import Cooldowns
from bot.store.articles import ArticleRepo, StoredArticle
from bot.store.conversations import ConversationRepo
from bot.store.db import Database, open_database
from bot.store.outbox import OutboxRepo
from bot.store.subscriptions import Subscription, SubscriptionRepo
from bot.store.usage import Usage, UsageRepo

log = logging.getLogger(__name__)

CONSOLE_COLLECTION = "default"
CONSOLE_CHANNEL = "console:default"
BUDGET_NOTE = "Today's model token budget for this server is used up, so this is the extractive version."
TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
SINCE_RE = re.compile(r"^(\d+)\s*(m|min|h|d|w)$", re.IGNORECASE)
MAX_PASTED_CHARS = 100_000


def collection_name(guild_id: int | None) -> str:
    """Each server has its own collection; the console (and DMs) use 'default'."""
    return f"guild:{guild_id}" if guild_id else CONSOLE_COLLECTION


SMALL_TALK = frozenset(
    "hi hello hey hiya yo sup help ping test testing thanks thank thx ty you ok okay cool nice please bot "
    "good morning evening night there".split()
)
HELP_LINE = (
    "Ask me about the news in this server's articles, e.g. `@Briefbot what did Japan approve for Samsung?` "
    "— or use /ask, /briefing now, /feed list and /status."
)


def is_small_talk(text: str) -> bool:
    """True for text that is no question at all: punctuation, emoji, or only greetings and thanks."""
    words = re.findall(r"[^\W\d_]{2,}", text.lower())
    return not words or all(w in SMALL_TALK for w in words)


def discord_channel_key(channel_id: int) -> str:
    return f"discord:{channel_id}"


def parse_daily_time(value: str | None) -> str | None:
    """'8:00' -> '08:00'; '', 'off', 'none' -> None (no daily briefing)."""
    if value is None or value.strip().lower() in ("", "off", "none", "no"):
        return None
    match = TIME_RE.match(value.strip())
    if not match:
        raise UserError(f"{value!r} is not a time of day; use HH:MM in 24-hour form, e.g. 08:00 (or 'off').")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_tz(value: str | None) -> str:
    name = (value or "UTC").strip() or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"Unknown time zone {name!r}; use a name like Europe/Paris, Asia/Tokyo or UTC.") from None
    return name


def parse_language(value: str | None) -> str | None:
    """'French', 'português', 'Simplified Chinese' -> the name; '', 'off', 'none' -> None (the sources' own language).

    The name goes into the model's instructions, so it is a short name of letters, spaces and hyphens only."""
    name = " ".join((value or "").split())
    if name.lower() in ("", "off", "none", "no", "default"):
        return None
    if len(name) > 30 or not all(c.isalpha() or c in " -" for c in name):
        raise UserError(f"{name[:40]!r} is not a language name; use a name like French, Japanese or 'off'.")
    return name


def parse_topics(value: str | Sequence[str] | None) -> list[str]:
    if not value:
        return []
    words = re.split(r"[,\s]+", value) if isinstance(value, str) else list(value)
    out: list[str] = []
    for w in words:
        w = w.strip().lower()
        if w and w not in out:
            out.append(w[:40])
    if len(out) > 20:
        raise UserError("At most 20 topic words, please.")
    return out


def parse_since(value: str | None, now: datetime) -> datetime:
    """'24h', '3d', '90m', '1w' or an ISO date/time -> a UTC instant before `now` (default 24 h)."""
    if not value or not value.strip():
        return now - timedelta(hours=24)
    text = value.strip()
    match = SINCE_RE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        minutes = amount * {"m": 1, "min": 1, "h": 60, "d": 1440, "w": 10080}[unit]
        if minutes > 366 * 1440:  # checked before timedelta, which overflows on huge numbers
            raise UserError("That is too far back; at most a year.")
        return now - timedelta(minutes=minutes)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"{value!r} is not a duration or date; use e.g. 6h, 2d, 1w or 2024-05-01.") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


@dataclass
class Status:
    articles: int
    feeds: int
    failing_feeds: int
    last_poll: str | None
    model: str
    version: str
    usage: Usage
    budget: int
    subscriptions: int

    def lines(self) -> list[str]:
        budget = f" of {self.budget:,}" if self.budget else " (no daily budget)"
        return [
            f"Articles: {self.articles:,}",
            f"Feeds: {self.feeds}" + (f" ({self.failing_feeds} failing)" if self.failing_feeds else ""),
            f"Last poll: {self.last_poll or 'never'}",
            f"Briefing subscriptions: {self.subscriptions}",
            f"Model: {self.model}",
            f"Tokens today (UTC): {self.usage.total:,}{budget}, {self.usage.requests} model calls",
            f"Version: briefbot {self.version}",
        ]


@dataclass
class FeedAdded:
    feed: Any
    poll: Any | None
    articles: int = 0
    error: str | None = None
    title: str = ""


@dataclass
class AskOutcome:
    answer: Any
    notes: list[str] = field(default_factory=list)


class BriefService:
    """The use cases over one open store; owned by a transport (bot object or console)."""

    def __init__(self, db: Database, settings: Settings, *, llm: Any | None = None, clock: Clock | None = None) -> None:
        self.db = db
        self.settings = settings
        self.llm = llm
        self.clock: Clock = clock or system_clock
        self.articles = ArticleRepo(db)
        self.subscriptions = SubscriptionRepo(db)
        self.outbox = OutboxRepo(db)
        self.usage = UsageRepo(db)
        self.conversations = ConversationRepo(db)
        self.cooldowns = Cooldowns(settings.discord.ask_cooldown_seconds, self.clock)
        self._answerer: Any | None = None
        self._builder: Any | None = None
        self._feeds: Any | None = None
        self._poller: Any | None = None

    @classmethod
    async def open(cls, settings: Settings, *, clock: Clock | None = None, llm: Any | None = None) -> "BriefService":
        db = await open_database(settings.db_path)
        try:
            client = llm if llm is not None else deps.make_llm(settings)
        except UserError as exc:
            log.warning("no language model, answers will be extractive: %s", exc)
            client = None
        return cls(db, settings, llm=client, clock=clock)

    async def close(self) -> None:
        if self.llm is not None and hasattr(self.llm, "aclose"):
            try:
                await self.llm.aclose()
            except Exception:  # closing must not hide the real outcome
                log.debug("closing the model client failed", exc_info=True)
        await self.db.close()

    # ------------------------------------------------------------ parts, made on first use

    @property
    def answerer(self) -> Any:
        if self._answerer is None:
            self._answerer = deps.answerer(self.db, self.settings, self.llm)
        return self._answerer

    @property
    def builder(self) -> Any:
        if self._builder is None:
            self._builder = deps.briefing_builder(self.db, self.settings, self.llm)
        return self._builder

    @property
    def feeds(self) -> Any:
        if self._feeds is None:
            self._feeds = deps.feed_repo(self.db)
        return self._feeds

    @property
    def poller(self) -> Any:
        if self._poller is None:
            self._poller = deps.feed_poller(self.db, self.settings)
        return self._poller

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    async def collection_id(self, guild_id: int | None) -> int:
        return await self.db.collection_id(collection_name(guild_id))

    # ------------------------------------------------------------ budget

    def today(self) -> str:
        return self.now().strftime("%Y-%m-%d")

    async def model_allowed(self, collection_id: int) -> bool:
        """False when there is no model, or the server's daily token budget is spent."""
        if self.llm is None:
            return False
        budget = self.settings.discord.daily_token_budget
        if budget <= 0:
            return True
        return (await self.usage.get(collection_id, self.today())).total < budget

    async def over_budget(self, collection_id: int) -> bool:
        return self.llm is not None and not await self.model_allowed(collection_id)

    async def record_usage(self, collection_id: int, usage: Any) -> None:
        if not usage:
            return
        get = usage.get if isinstance(usage, dict) else (lambda k, d=0: getattr(usage, k, d))
        prompt, completion = int(get("prompt_tokens", 0) or 0), int(get("completion_tokens", 0) or 0)
        if prompt or completion:
            await self.usage.add(collection_id, self.today(), prompt, completion)

    # ------------------------------------------------------------ questions

    async def ask(
        self,
        question: str,
        collection_id: int,
        *,
        user_key: str,
        history: Sequence[tuple[str, str]] = (),
        tz: str = "UTC",
        on_delta: Callable[[str], Awaitable[None]] | None = None,
        check_cooldown: bool = True,
    ) -> AskOutcome:
        """Answer a question inside one collection (cooldown and budget applied)."""
        if not question or not question.strip():
            raise UserError("Ask a question, e.g. `what did Japan approve for Samsung?`")
        if check_cooldown:
            self.check_cooldown(user_key)
        budget_hit = await self.over_budget(collection_id)
        turns = []
        for q, a in history:
            turns += [deps.turn("user", q), deps.turn("assistant", a)]
        answer = await self.answerer.answer(
            question.strip(),
            collection_id,
            history=turns,
            tz=tz,
            now=self.now(),
            on_delta=on_delta if not budget_hit and self.llm is not None else None,
            allow_llm=not budget_hit,
        )
        await self.record_usage(collection_id, getattr(answer, "usage", None))
        notes = [BUDGET_NOTE] if budget_hit else []
        return AskOutcome(answer, notes)

    def check_cooldown(self, user_key: str) -> None:
        """Raise CooldownError (a UserError with the time to wait) when this user asked too recently."""
        self.cooldowns.check(user_key)

    async def remember_turn(
        self, message_id: int, channel_key: str, collection_id: int, question: str, answer_text: str, parent: int | None
    ) -> None:
        await self.conversations.add(message_id, channel_key, collection_id, question, answer_text, parent)

    async def thread(self, message_id: int, collection_id: int) -> list[tuple[str, str]] | None:
        return await self.conversations.thread(message_id, collection_id)

    # ------------------------------------------------------------ feeds

    async def add_feed(
        self, collection_id: int, url: str, *, channel_id: int | None, added_by: int | None, interval_minutes: int | None
    ) -> FeedAdded:
        url = (url or "").strip()
        if not url:
            raise UserError("Give the feed's URL, e.g. https://example.org/rss.xml")
        interval_s = None
        if interval_minutes is not None:
            low = self.settings.feeds.min_interval_minutes
            if interval_minutes < low or interval_minutes > 7 * 24 * 60:
                raise UserError(f"The interval must be between {low} minutes and a week.")
            interval_s = int(interval_minutes) * 60
        await deps.check_url(url, self.settings)
        feed = await self.feeds.follow(url, collection_id, channel_id=channel_id, added_by=added_by, interval_s=interval_s)
        result = await self.poller.poll(feed)
        added = len((getattr(result, "new_articles", None) or {}).get(collection_id, []))
        # What the first poll brought is a backfill, not news: alerts start from here.
        for sub in await self.subscriptions.for_collection(collection_id):
            await self.subscriptions.set_last_alert(sub.id, iso(self.now()))
        title = getattr(result, "title", None) or getattr(feed, "title", None) or url
        return FeedAdded(feed, result, added, getattr(result, "error", None), title)

    async def find_feed(self, collection_id: int, ref: str) -> Any:
        ref = (ref or "").strip()
        for info in await self.feeds.list(collection_id):
            if ref == str(info.id) or ref == info.url or (info.title and ref.lower() == info.title.lower()):
                return info
        raise UserError(f"No feed {ref!r} here; `/feed list` shows them.")

    async def remove_feed(self, collection_id: int, ref: str) -> Any:
        info = await self.find_feed(collection_id, ref)
        await self.feeds.unfollow(info.id, collection_id)
        return info

    async def list_feeds(self, collection_id: int) -> list[Any]:
        return list(await self.feeds.list(collection_id))

    async def feed_choices(self, collection_id: int, typed: str) -> list[tuple[str, str]]:
        """(label, value) pairs for autocomplete, best first, at most 25."""
        typed = (typed or "").lower()
        out = []
        for info in await self.feeds.list(collection_id):
            label = f"{info.title or info.url} ({info.url})" if info.title else info.url
            if typed in label.lower() or typed == str(info.id):
                out.append((label[:100], str(info.id)))
        return out[:25]

    # ------------------------------------------------------------ articles

    async def add_article_url(self, collection_id: int, url: str) -> list[IngestResult]:
        from bot.ingest.pipeline import Ingestor

        url = (url or "").strip()
        if "://" not in url:
            raise UserError("Give the article's full URL, starting with https://")
        await deps.check_url(url, self.settings)
        return await Ingestor(self.db, self.settings).ingest_many(deps.load_url(url, self.settings), collection_id)

    async def add_article_text(self, collection_id: int, title: str, body: str, url: str | None = None) -> IngestResult:
        from bot.ingest.pipeline import Ingestor

        title, body = (title or "").strip(), (body or "").strip()
        if not title and body:
            first, _, rest = body.partition("\n")
            title, body = first.strip().lstrip("# "), rest.strip()
        if len(body) > MAX_PASTED_CHARS:
            raise UserError(f"That text is over {MAX_PASTED_CHARS:,} characters; paste a shorter article.")
        raw = RawArticle(title=title, body=body, url=url or None, origin="pasted text")
        try:
            return await Ingestor(self.db, self.settings).ingest_one(raw, collection_id)
        except ValueError as exc:
            raise UserError(f"That text was not added: {exc}.") from None

    async def show_article(self, collection_id: int, article_id: int) -> StoredArticle:
        if not 0 < article_id < 2**63:  # SQLite integers end there; a bigger one is no article
            raise UserError(f"No article {article_id} here.")
        article = await self.articles.get(article_id)
        if article is None or not await self.articles.in_collection(article_id, collection_id):
            raise UserError(f"No article {article_id} here.")
        return article

    async def article_choices(self, collection_id: int, typed: str) -> list[tuple[str, int]]:
        typed = (typed or "").strip().lower()
        out: list[tuple[str, int]] = []
        for a in await self.articles.list(collection_id, limit=500):
            label = f"{a.id}: {a.title}"
            if not typed or typed in label.lower():
                out.append((label[:100], a.id))
            if len(out) >= 25:
                break
        return out

    # ------------------------------------------------------------ briefings

    async def subscribe(
        self,
        channel_key: str,
        collection_id: int,
        *,
        guild_id: int | None,
        daily_time: str | None,
        tz: str | None,
        alerts: bool,
        topics: str | Sequence[str] | None,
        role_id: int | None,
        user_id: int | None,
        language: str | None = None,
    ) -> Subscription:
        time_ = parse_daily_time(daily_time)
        zone = parse_tz(tz)
        existing = await self.subscriptions.get(channel_key)
        sub = await self.subscriptions.upsert(
            channel_key, collection_id, guild_id=guild_id, daily_time=time_, tz=zone, alerts=alerts,
            topics=parse_topics(topics), language=parse_language(language), alert_role_id=role_id, created_by=user_id,
            last_alert_at=iso(self.now()),
        )
        if time_ and (existing is None or existing.daily_time != time_ or existing.tz != zone):
            # The first daily briefing is the next one to come, not one already past today.
            from bot.service.scheduler import last_due

            local_date, _ = last_due(sub, self.now())
            await self.subscriptions.set_last_daily(sub.id, local_date)
            sub.last_daily_date = local_date
        return sub

    async def unsubscribe(self, channel_key: str) -> bool:
        return await self.subscriptions.delete(channel_key)

    async def briefing_now(
        self, collection_id: int, *, since: str | None, channel_key: str | None, tz: str = "UTC",
        topics: Sequence[str] = (),
    ) -> tuple[Any, list[str]]:
        now = self.now()
        start = parse_since(since, now)
        allowed = await self.model_allowed(collection_id)
        budget_hit = await self.over_budget(collection_id)
        briefing = await self.builder.build(
            collection_id, kind="adhoc", since=start, until=now, topics=tuple(topics), tz=tz, allow_llm=allowed, now=now,
        )
        await self.record_usage(collection_id, getattr(briefing, "usage", None))
        return briefing, ([BUDGET_NOTE] if budget_hit else [])

    # ------------------------------------------------------------ status

    async def status(self, collection_id: int) -> Status:
        try:
            feeds = await self.list_feeds(collection_id)
        except UserError:
            feeds = []
        polls = [f.last_polled for f in feeds if getattr(f, "last_polled", None)]
        threshold = self.settings.discord.feed_failure_threshold
        model = self.settings.llm.model if self.llm is not None else "none (extractive answers)"
        return Status(
            articles=await self.articles.count(collection_id),
            feeds=len(feeds),
            failing_feeds=sum(1 for f in feeds if (getattr(f, "error_count", 0) or 0) >= threshold),
            last_poll=max(polls) if polls else None,
            model=model,
            version=__version__,
            usage=await self.usage.get(collection_id, self.today()),
            budget=self.settings.discord.daily_token_budget,
            subscriptions=await self.subscriptions.count(collection_id),
        )
