"""Background work: feed polls, new-item alerts, daily briefings, failing-feed notices and
the outbox that delivers them, on an injectable clock.

Everything a channel receives goes through the outbox: it is written to the store
first, then sent by a `Sink` (Discord or the terminal), then marked with the
message id. A restart sends what was not sent; the nonce stops a double post.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from collections.abc import Callable
from typing import Any, Protocol

from bot.briefing.builder import BriefingBuilder
from bot.briefing.models import Briefing
from bot.briefing.render import render_embeds, render_text
from bot.config import Settings
from bot.ingest.poller import FeedPoller, PollResult
from bot.search.engine import SearchIndex
from bot.store.db import Database
from bot.store.feeds import FeedRepo
from bot.store.outbox import OutboxItem, OutboxRepo
from bot.store.subscriptions import Subscription, SubscriptionRepo
from bot.text.filters import Filters
from bot.timeutil import Clock, as_utc, iso, parse_iso
from bot.usecases.briefings import last_due
from bot.usecases.budget import BUDGET_NOTE, Budget
from bot.usecases.metrics import Metrics
from bot.usecases.channels import CONSOLE_CHANNEL, CONSOLE_COLLECTION, discord_channel_key

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=2)  # a post sent later than this after its due time says so
MAX_ATTEMPTS = 8  # a post that failed this many times is dropped (with its last error kept)
FIRST_RETRY = timedelta(seconds=30)  # then doubled after each failure...
MAX_RETRY = timedelta(minutes=30)  # ...up to this: 8 attempts span about an hour


def retry_delay(attempts: int) -> timedelta:
    """The back-off after the `attempts`-th failed send (1, 2, ...)."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), MAX_RETRY)


class Sink(Protocol):
    """Where one transport's posts go."""

    prefix: str  # the channel keys it serves, e.g. "discord:" or "console:"

    async def send(self, item: OutboxItem, late_note: str | None) -> int | None:
        """Post the item; return the message id (None where there is none). Raise ChannelGone to give up."""
        ...


class ChannelGone(Exception):
    """The channel no longer exists: drop the post."""


class PostRefused(Exception):
    """The channel refused the post for now (e.g. the bot lacks permission there): kept and retried with back-off."""


@dataclass
class TickReport:
    polled: int = 0
    new_articles: int = 0
    queued: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)


def briefing_payload(briefing: Briefing, sub: Subscription | None, *, budget_note: bool) -> dict[str, Any]:
    """A briefing as an outbox payload: text for the terminal, embeds for Discord (in the subscription's colour,
    with its footer line), the alert role, a note."""
    return {
        "text": render_text(briefing),
        "embeds": render_embeds(
            briefing, color=sub.embed_color if sub else None, footer_line=sub.footer if sub else None
        ),
        "role_id": sub.alert_role_id if sub else None,
        "note": BUDGET_NOTE if budget_note else None,
    }


def filter_of(value: str | None) -> Callable[[str, str], bool] | None:
    """The include/exclude test of a stored filter (JSON), or None when there is none."""
    filters = Filters.from_json(value)
    return filters.passes if filters else None


def both(
    first: Callable[[str, str], bool] | None, second: Callable[[str, str], bool] | None
) -> Callable[[str, str], bool] | None:
    """An item passes when it passes each filter given."""
    if first is None or second is None:
        return first or second
    return lambda title, text: first(title, text) and second(title, text)


def channel_for_follower(is_console_collection: bool, channel_id: int | None) -> str | None:
    """Where a feed's failure notices go: the Discord channel it was added in, or the console."""
    if channel_id:
        return discord_channel_key(channel_id)
    return CONSOLE_CHANNEL if is_console_collection else None


@dataclass
class SchedulerParts:
    """What the scheduler works with; the composition root (bot/app.py) hands over its own."""

    db: Database
    settings: Settings
    clock: Clock
    poller: FeedPoller
    builder: BriefingBuilder
    budget: Budget
    feeds: FeedRepo
    subscriptions: SubscriptionRepo
    outbox: OutboxRepo
    metrics: Metrics | None = None
    index: SearchIndex | None = None  # kept level each cycle (and taken over when another process frees it)


class Scheduler:
    def __init__(self, parts: SchedulerParts, sink: Sink) -> None:
        self.parts = parts
        self.sink = sink
        self._lock = asyncio.Lock()

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.parts.settings.discord.briefing_grace_minutes)

    def now(self) -> datetime:
        return as_utc(self.parts.clock())

    def _serves(self, channel_key: str) -> bool:
        return channel_key.startswith(self.sink.prefix)

    async def tick(self, *, poll: bool = True) -> TickReport:
        """One cycle: poll due feeds, queue alerts and notices, queue due daily briefings, send the outbox."""
        async with self._lock:
            report = TickReport()
            now = self.now()
            if poll:
                await self._poll(now, report)
            if self.parts.index is not None and self.parts.index.is_open:
                await self.parts.index.sync()
            await self._dailies(now, report)
            await self._drain(report)
            if self.parts.metrics is not None:
                self.parts.metrics.ticked()
            return report

    async def run(self, interval: float, stop: asyncio.Event | None = None) -> None:
        """Tick every `interval` seconds until cancelled (or `stop` is set); one failure never ends the loop."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler tick failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass

    # ------------------------------------------------------------ feeds and alerts

    async def _poll(self, now: datetime, report: TickReport) -> None:
        results = await self.parts.poller.poll_due(now)
        if self.parts.metrics is not None:
            self.parts.metrics.polled(len(results), sum(1 for r in results if r.error))
        report.polled = len(results)
        fresh: dict[int, int] = {}
        for result in results:
            for collection_id, ids in (result.new_articles or {}).items():
                if ids:
                    fresh[collection_id] = fresh.get(collection_id, 0) + len(ids)
            if result.became_failing or result.recovered:
                await self._feed_notice(result, now, report)
        report.new_articles = sum(fresh.values())
        for result in results:
            await self._feed_alerts(result, now, report)
        if not fresh:
            return
        # The alert window closes at a time taken after the poll: every item this poll stored
        # arrived before it, so it is announced now, not held back until the next item arrives.
        closed = max(now, self.now())
        for collection_id in fresh:
            for sub in await self.parts.subscriptions.for_collection(collection_id):
                if sub.alerts:
                    await self._alert(sub, closed, report, opened=now)

    async def _alert(self, sub: Subscription, now: datetime, report: TickReport, *, opened: datetime | None = None) -> None:
        """One message for everything new in this channel since its last alert (a burst is one post)."""
        since = parse_iso(sub.last_alert_at) if sub.last_alert_at else now - timedelta(hours=1)
        # A feed added while this tick ran may have moved the mark past the tick's start (its backfill is not
        # news): what this tick stored (from `opened` on) is still alerted, and the mark never moves back.
        mark = max(since, now)
        since = min(since, opened or now)
        allowed = await self.parts.budget.model_allowed(sub.collection_id)
        briefing = await self.parts.builder.build(
            sub.collection_id, kind="alert", since=since, until=now, topics=tuple(sub.topics), tz=sub.tz,
            channel_key=sub.channel_key, language=sub.language, allow_llm=allowed, now=now,
            article_filter=filter_of(sub.filters),
        )
        await self.parts.budget.record(sub.collection_id, briefing.usage)
        await self.parts.subscriptions.set_last_alert(sub.id, iso(mark))
        await self._queue_alert(sub.channel_key, briefing, sub, allowed, now, report)

    async def _feed_alerts(self, result: PollResult, now: datetime, report: TickReport) -> None:
        """A feed with a channel of its own: what this poll brought (that its filters pass) is announced there.

        The channel's memory of what it was told is shared with its subscription, if it has one, so a story
        the feed announced is not alerted again by the subscription (and the other way round); a channel
        whose subscription alerts on everything (no topics, no filters) gets that one alert instead. A channel
        subscription's filters hold for everything posted in its channel, the feed's items too."""
        if not result.new_articles:
            return
        for route in await self.parts.feeds.routes(result.feed_id):
            ids = (result.new_articles or {}).get(route.collection_id)
            if not ids:
                continue
            sub = await self.parts.subscriptions.get(route.channel_key)
            if sub and sub.alerts and not sub.topics and not sub.filters:
                continue  # the channel's own alert posts every new item anyway: one message, not two
            allowed = await self.parts.budget.model_allowed(route.collection_id)
            briefing = await self.parts.builder.build(
                route.collection_id, kind="alert", since=now, until=now, tz=sub.tz if sub else "UTC",
                channel_key=route.channel_key, language=sub.language if sub else None, allow_llm=allowed, now=now,
                only_ids=ids, article_filter=both(filter_of(route.filters), filter_of(sub.filters if sub else None)),
            )
            await self.parts.budget.record(route.collection_id, briefing.usage)
            await self._queue_alert(route.channel_key, briefing, sub, allowed, now, report)

    async def _queue_alert(
        self, channel_key: str, briefing: Briefing, sub: Subscription | None, allowed: bool, now: datetime,
        report: TickReport,
    ) -> None:
        """An alert with something in it goes to the outbox and its stories are remembered as told there."""
        if briefing.empty:
            return
        item = await self.parts.outbox.add(
            channel_key, "alert", self._payload(briefing, sub, budget_hit=not allowed), now=iso(now)
        )
        await self.parts.builder.mark_briefed(channel_key, briefing)
        report.queued.append(item.id)

    async def _feed_notice(self, result: PollResult, now: datetime, report: TickReport) -> None:
        name = result.title or result.url
        if result.became_failing:
            text = (
                f"The feed {name} <{result.url}> failed {result.error_count} polls in a row: {result.error}. "
                "I will keep trying and say so when it works again; `/feed list` shows its state."
            )
        else:
            text = f"The feed {name} <{result.url}> works again."
        console_id = await self.parts.db.collection_id(CONSOLE_COLLECTION)
        for collection_id, channel_id in await self.parts.feeds.followers(result.feed_id):
            key = channel_for_follower(collection_id == console_id, channel_id)
            if key:
                item = await self.parts.outbox.add(key, "notice", {"text": text}, now=iso(now))
                report.queued.append(item.id)

    # ------------------------------------------------------------ daily briefings

    async def _dailies(self, now: datetime, report: TickReport) -> None:
        for sub in await self.parts.subscriptions.all():
            if not sub.daily_time or not self._serves(sub.channel_key):
                continue
            local_date, due = last_due(sub, now)
            if sub.last_daily_date and sub.last_daily_date >= local_date:
                continue
            if now - due > self.grace:
                log.warning(
                    "daily briefing for %s due %s was missed by more than the grace period; dropped",
                    sub.channel_key, iso(due),
                )
                await self.parts.subscriptions.set_last_daily(sub.id, local_date)
                continue
            await self._daily(sub, local_date, due, now, report)

    async def _daily(self, sub: Subscription, local_date: str, due: datetime, now: datetime, report: TickReport) -> None:
        allowed = await self.parts.budget.model_allowed(sub.collection_id)
        briefing = await self.parts.builder.build(
            sub.collection_id, kind="daily", since=due - timedelta(days=1), until=now, topics=tuple(sub.topics),
            tz=sub.tz, channel_key=sub.channel_key, language=sub.language, allow_llm=allowed, now=now,
            article_filter=filter_of(sub.filters),
        )
        await self.parts.budget.record(sub.collection_id, briefing.usage)
        if briefing.empty and not self.parts.settings.briefing.post_empty_days:
            await self.parts.subscriptions.set_last_daily(sub.id, local_date)
            return
        payload = self._payload(briefing, sub, budget_hit=not allowed)
        payload["due_label"] = f"{sub.daily_time} {sub.tz}"
        payload["role_id"] = None  # daily briefings never mention anyone
        item = await self.parts.outbox.add(sub.channel_key, "daily", payload, now=iso(now), due_at=iso(due))
        await self.parts.subscriptions.set_last_daily(sub.id, local_date)
        await self.parts.builder.mark_briefed(sub.channel_key, briefing)
        report.queued.append(item.id)

    def _payload(self, briefing: Briefing, sub: Subscription | None, *, budget_hit: bool) -> dict[str, Any]:
        return briefing_payload(briefing, sub, budget_note=budget_hit and self.parts.budget.has_model)

    # ------------------------------------------------------------ outbox

    async def drain(self) -> TickReport:
        """Send every due, unsent post of this transport, oldest first (e.g. what a previous run left)."""
        async with self._lock:
            return await self._drain(TickReport())

    async def _drain(self, report: TickReport) -> TickReport:
        now = self.now()
        for item in await self.parts.outbox.pending(iso(now), self.sink.prefix):
            due = parse_iso(item.due_at)
            late = now - due
            if item.kind == "daily" and late > self.grace:
                log.warning("daily briefing %s for %s is past its grace period; dropped", item.id, item.channel_key)
                await self.parts.outbox.mark_dropped(item.id, "past the grace period", iso(now))
                report.dropped.append(item.id)
                continue
            late_note = None
            if item.kind == "daily" and late > LATE_AFTER:
                late_note = f"Late: this briefing was due at {item.payload.get('due_label') or item.due_at}."
            await self.parts.outbox.mark_attempt(item.id)
            try:
                message_id = await self.sink.send(item, late_note)
            except ChannelGone as exc:
                log.warning("outbox %s: %s; dropped", item.id, exc)
                await self.parts.outbox.mark_dropped(item.id, str(exc), iso(now))
                report.dropped.append(item.id)
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                attempts = item.attempts + 1
                retry_at = iso(now + retry_delay(attempts))
                log.warning(
                    "outbox %s to %s not sent (attempt %d of %d%s): %s", item.id, item.channel_key, attempts,
                    MAX_ATTEMPTS, f", next at {retry_at}" if attempts < MAX_ATTEMPTS else "", exc,
                )
                await self.parts.outbox.mark_failed(item.id, str(exc) or type(exc).__name__, retry_at)
                if attempts >= MAX_ATTEMPTS:
                    await self.parts.outbox.mark_dropped(item.id, f"gave up after {MAX_ATTEMPTS} attempts", iso(now))
                    report.dropped.append(item.id)
                continue
            await self.parts.outbox.mark_sent(item.id, message_id, iso(self.now()))
            report.sent.append(item.id)
        return report
