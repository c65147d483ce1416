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
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.service import deps
from bot.service.clock import iso, parse_iso
from bot.service.core import CONSOLE_CHANNEL, CONSOLE_COLLECTION, BriefService, discord_channel_key
from bot.store.outbox import OutboxItem
from bot.store.subscriptions import Subscription

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=2)  # a post sent later than this after its due time says so
MAX_ATTEMPTS = 8


class Sink(Protocol):
    """Where one transport's posts go."""

    prefix: str  # the channel keys it serves, e.g. "discord:" or "console:"

    async def send(self, item: OutboxItem, late_note: str | None) -> int | None:
        """Post the item; return the message id (None where there is none). Raise ChannelGone to give up."""
        ...


class ChannelGone(Exception):
    """The channel no longer exists or the bot may not post there: drop the post."""


@dataclass
class TickReport:
    polled: int = 0
    new_articles: int = 0
    queued: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)


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
    return day.isoformat(), due.astimezone(UTC)


def channel_for_follower(is_console_collection: bool, channel_id: int | None) -> str | None:
    """Where a feed's failure notices go: the Discord channel it was added in, or the console."""
    if channel_id:
        return discord_channel_key(channel_id)
    return CONSOLE_CHANNEL if is_console_collection else None


class Scheduler:
    def __init__(self, service: BriefService, sink: Sink) -> None:
        self.service = service
        self.sink = sink
        self._lock = asyncio.Lock()

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.service.settings.discord.briefing_grace_minutes)

    def _serves(self, channel_key: str) -> bool:
        return channel_key.startswith(self.sink.prefix)

    async def tick(self, *, poll: bool = True) -> TickReport:
        """One cycle: poll due feeds, queue alerts and notices, queue due daily briefings, send the outbox."""
        async with self._lock:
            report = TickReport()
            now = self.service.now()
            if poll:
                await self._poll(now, report)
            await self._dailies(now, report)
            await self._drain(report)
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
        try:
            results = await self.service.poller.poll_due(now)
        except UserError as exc:  # feeds not available in this build
            log.debug("feed polling skipped: %s", exc)
            return
        report.polled = len(results)
        fresh: dict[int, int] = {}
        for result in results:
            for collection_id, ids in (result.new_articles or {}).items():
                if ids:
                    fresh[collection_id] = fresh.get(collection_id, 0) + len(ids)
            if result.became_failing or result.recovered:
                await self._feed_notice(result, now, report)
        report.new_articles = sum(fresh.values())
        for collection_id in fresh:
            for sub in await self.service.subscriptions.for_collection(collection_id):
                if sub.alerts:
                    await self._alert(sub, now, report)

    async def _alert(self, sub: Subscription, now: datetime, report: TickReport) -> None:
        """One message for everything new in this channel since its last alert (a burst is one post)."""
        since = parse_iso(sub.last_alert_at) if sub.last_alert_at else now - timedelta(hours=1)
        allowed = await self.service.model_allowed(sub.collection_id)
        briefing = await self.service.builder.build(
            sub.collection_id, kind="alert", since=since, until=now, topics=tuple(sub.topics), tz=sub.tz,
            channel_key=sub.channel_key, language=sub.language, allow_llm=allowed, now=now,
        )
        await self.service.record_usage(sub.collection_id, getattr(briefing, "usage", None))
        await self.service.subscriptions.set_last_alert(sub.id, iso(now))
        if getattr(briefing, "empty", False):
            return
        item = await self.service.outbox.add(
            sub.channel_key, "alert", self._payload(briefing, sub, budget_hit=not allowed), now=iso(now)
        )
        await self.service.builder.mark_briefed(sub.channel_key, briefing)
        report.queued.append(item.id)

    async def _feed_notice(self, result: Any, now: datetime, report: TickReport) -> None:
        name = result.title or result.url
        if result.became_failing:
            text = (
                f"The feed {name} <{result.url}> failed {result.error_count} polls in a row: {result.error}. "
                "I will keep trying and say so when it works again; `/feed list` shows its state."
            )
        else:
            text = f"The feed {name} <{result.url}> works again."
        console_id = await self.service.db.collection_id(CONSOLE_COLLECTION)
        for collection_id, channel_id in await self.service.feeds.followers(result.feed_id):
            key = channel_for_follower(collection_id == console_id, channel_id)
            if key:
                item = await self.service.outbox.add(key, "notice", {"text": text}, now=iso(now))
                report.queued.append(item.id)

    # ------------------------------------------------------------ daily briefings

    async def _dailies(self, now: datetime, report: TickReport) -> None:
        for sub in await self.service.subscriptions.all():
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
                await self.service.subscriptions.set_last_daily(sub.id, local_date)
                continue
            await self._daily(sub, local_date, due, now, report)

    async def _daily(self, sub: Subscription, local_date: str, due: datetime, now: datetime, report: TickReport) -> None:
        allowed = await self.service.model_allowed(sub.collection_id)
        briefing = await self.service.builder.build(
            sub.collection_id, kind="daily", since=due - timedelta(days=1), until=now, topics=tuple(sub.topics),
            tz=sub.tz, channel_key=sub.channel_key, language=sub.language, allow_llm=allowed, now=now,
        )
        await self.service.record_usage(sub.collection_id, getattr(briefing, "usage", None))
        if getattr(briefing, "empty", False) and not self.service.settings.briefing.post_empty_days:
            await self.service.subscriptions.set_last_daily(sub.id, local_date)
            return
        payload = self._payload(briefing, sub, budget_hit=not allowed)
        payload["due_label"] = f"{sub.daily_time} {sub.tz}"
        payload["role_id"] = None  # daily briefings never mention anyone
        item = await self.service.outbox.add(sub.channel_key, "daily", payload, now=iso(now), due_at=iso(due))
        await self.service.subscriptions.set_last_daily(sub.id, local_date)
        await self.service.builder.mark_briefed(sub.channel_key, briefing)
        report.queued.append(item.id)

    def _payload(self, briefing: Any, sub: Subscription | None, *, budget_hit: bool) -> dict[str, Any]:
        from bot.service.core import BUDGET_NOTE

        return {
            "text": deps.render_briefing_text(briefing),
            "embeds": deps.render_briefing_embeds(briefing),
            "role_id": sub.alert_role_id if sub else None,
            "note": BUDGET_NOTE if budget_hit and self.service.llm is not None else None,
        }

    # ------------------------------------------------------------ outbox

    async def drain(self) -> TickReport:
        """Send every due, unsent post of this transport, oldest first (e.g. what a previous run left)."""
        async with self._lock:
            return await self._drain(TickReport())

    async def _drain(self, report: TickReport) -> TickReport:
        now = self.service.now()
        for item in await self.service.outbox.pending(iso(now), self.sink.prefix):
            due = parse_iso(item.due_at)
            late = now - due
            if item.kind == "daily" and late > self.grace:
                log.warning("daily briefing %s for %s is past its grace period; dropped", item.id, item.channel_key)
                await self.service.outbox.mark_dropped(item.id, "past the grace period", iso(now))
                report.dropped.append(item.id)
                continue
            late_note = None
            if item.kind == "daily" and late > LATE_AFTER:
                late_note = f"Late: this briefing was due at {item.payload.get('due_label') or item.due_at}."
            await self.service.outbox.mark_attempt(item.id)
            try:
                message_id = await self.sink.send(item, late_note)
            except ChannelGone as exc:
                log.warning("outbox %s: %s; dropped", item.id, exc)
                await self.service.outbox.mark_dropped(item.id, str(exc), iso(now))
                report.dropped.append(item.id)
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox %s to %s not sent: %s", item.id, item.channel_key, exc)
                await self.service.outbox.mark_failed(item.id, str(exc) or type(exc).__name__)
                if item.attempts + 1 >= MAX_ATTEMPTS:
                    await self.service.outbox.mark_dropped(item.id, f"gave up after {MAX_ATTEMPTS} attempts", iso(now))
                    report.dropped.append(item.id)
                continue
            await self.service.outbox.mark_sent(item.id, message_id, iso(self.service.now()))
            report.sent.append(item.id)
        return report
