"""Found by bench/soak.py: a scheduler tick while `/feed add` (or `briefbot feeds add`) polls a new feed for the
first time polled it too, and posted the feed's backfill (what it held before it was followed) as an alert."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.app import App
from bot.config import Settings
from bot.store.db import Database
from bot.store.outbox import OutboxItem
from bot.timeutil import ManualClock
from bot.usecases.scheduler import Scheduler
from tests.newsserver import STORIES, NewsServer, rss_item, site  # noqa: F401  (fixture)


class Sink:
    prefix = "discord:"

    def __init__(self) -> None:
        self.posts: list[OutboxItem] = []

    async def send(self, item: OutboxItem, late_note: str | None) -> int | None:
        self.posts.append(item)
        return 1000 + item.id


async def test_a_tick_during_a_feed_s_first_poll_does_not_alert_its_backfill(db: Database, settings: Settings,
                                                                               site: NewsServer) -> None:
    clock = ManualClock(datetime(2026, 12, 4, 12, 0, tzinfo=UTC))
    app = App(settings, db, None, clock)
    sink = Sink()
    scheduler = Scheduler(app.scheduler_parts(), sink)
    cid = await db.collection_id("guild:1")
    await app.briefings.subscribe("discord:5", cid, guild_id=1, daily_time=None, tz="UTC", alerts=True, topics=None,
                                  role_id=None, user_id=7)
    site.feeds["wire"] = [rss_item(site.base, "harbour", 1)]
    gate = asyncio.Event()
    site.hold_once["/feeds/wire.xml"] = gate  # the first poll (the add's) is in flight until the gate opens
    adding = asyncio.create_task(app.feeds.add(cid, site.url("/feeds/wire.xml"), interval_minutes=5, channel_id=5))
    for _ in range(500):
        if site.hits["/feeds/wire.xml"]:
            break
        await asyncio.sleep(0.01)
    assert site.hits["/feeds/wire.xml"] == 1 and not adding.done()

    report = await scheduler.tick()  # the bot's background loop comes round now
    gate.set()
    added = await adding
    assert report.polled == 0, "the scheduler polled a feed whose first poll was still running"
    assert sink.posts == []  # the backfill is not news
    assert len(added.poll.new_articles[cid]) == 1  # the add's own poll stored it (and says so)

    # The feed's next item is news: polled when due, alerted once, without the backfill.
    site.feeds["wire"].insert(0, rss_item(site.base, "copper", 2))
    clock.advance(minutes=5)
    report = await scheduler.tick()
    assert report.polled == 1 and len(sink.posts) == 1
    text = sink.posts[0].payload["text"]
    assert STORIES["copper"][0] in text and STORIES["harbour"][0] not in text
    clock.advance(minutes=5)
    await scheduler.tick()
    assert len(sink.posts) == 1  # never twice


async def test_a_mark_moved_past_the_tick_by_a_feed_add_neither_fails_the_tick_nor_loses_its_items(
    db: Database, settings: Settings, site: NewsServer
) -> None:
    clock = ManualClock(datetime(2026, 12, 4, 12, 0, tzinfo=UTC))
    app = App(settings, db, None, clock)
    sink = Sink()
    scheduler = Scheduler(app.scheduler_parts(), sink)
    cid = await db.collection_id("guild:1")
    sub = await app.briefings.subscribe("discord:5", cid, guild_id=1, daily_time=None, tz="UTC", alerts=True,
                                        topics=None, role_id=None, user_id=7)
    site.feeds["wire"] = []
    await app.feeds.add(cid, site.url("/feeds/wire.xml"), interval_minutes=5, channel_id=5)  # an empty feed
    site.feeds["wire"].insert(0, rss_item(site.base, "bees", 2))
    clock.advance(minutes=5)
    # A /feed add in another channel finishing while this tick polls sets the mark a second past the tick.
    await app.repos.subscriptions.set_last_alert(sub.id, "2026-12-04T12:05:01Z")
    report = await scheduler.tick()  # raised "The briefing window starts after it ends" before
    assert report.new_articles == 1 and len(sink.posts) == 1
    assert STORIES["bees"][0] in sink.posts[0].payload["text"]
    [again] = await app.repos.subscriptions.for_collection(cid)
    assert again.last_alert_at == "2026-12-04T12:05:01Z"  # not moved back
