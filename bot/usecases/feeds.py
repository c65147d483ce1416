"""Feeds a collection follows: add (checked by the SSRF guard and polled once), list, remove, poll.

`briefbot feeds …`, the console's `/feed …` and Discord's `/feed …` all call these, so a feed is
added, limited and baselined the same way whichever front end adds it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from bot.config import Settings
from bot.errors import UserError
from bot.ingest.fetch import FetchError, check_url
from bot.ingest.opml import OpmlFeed, parse_opml, render_opml
from bot.ingest.poller import FeedPoller, PollResult
from bot.store.feeds import Feed, FeedInfo, FeedRepo
from bot.store.subscriptions import SubscriptionRepo
from bot.text.filters import Filters
from bot.timeutil import Clock, as_utc, iso

MAX_INTERVAL_MINUTES = 7 * 24 * 60
IMPORT_CONCURRENCY = 4  # feeds an OPML import checks and polls at once
TEST_ITEMS = 10  # recent items `feed test` tries the filters on


@dataclass
class FilterTestItem:
    article_id: int
    title: str
    passes: bool
    reason: str


@dataclass
class FilterTest:
    feed: FeedInfo
    filters: Filters
    items: list[FilterTestItem]
    trial: bool  # filters given to try, not the saved ones

    @property
    def passing(self) -> int:
        return sum(1 for i in self.items if i.passes)


@dataclass
class FeedAdded:
    feed: Feed
    poll: PollResult
    minutes: int
    alert_channel: str | None = None  # where its new items are announced

    @property
    def title(self) -> str:
        return self.poll.title or self.feed.title or self.feed.url

    @property
    def articles(self) -> int:
        return self.poll.new_count


@dataclass
class ImportReport:
    """What an OPML import did: each listed feed added (with what its first poll brought) or failed, and why."""

    name: str
    added: list[FeedAdded] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    already: list[str] = field(default_factory=list)  # urls this collection followed before

    @property
    def listed(self) -> int:
        return len(self.added) + len(self.failed) + len(self.already)


class Feeds:
    def __init__(
        self, repo: FeedRepo, poller: FeedPoller, subscriptions: SubscriptionRepo, settings: Settings, clock: Clock
    ) -> None:
        self.repo = repo
        self.poller = poller
        self.subscriptions = subscriptions
        self.settings = settings
        self.clock = clock

    def interval_minutes(self, minutes: int | None) -> int:
        """The poll interval: the default when None, else checked against the allowed range."""
        if minutes is None:
            return self.settings.feeds.default_interval_minutes
        low = self.settings.feeds.min_interval_minutes
        if not low <= minutes <= MAX_INTERVAL_MINUTES:
            raise UserError(f"The interval must be between {low} minutes and a week ({MAX_INTERVAL_MINUTES} minutes).")
        return minutes

    async def add(
        self,
        collection_id: int,
        url: str,
        *,
        interval_minutes: int | None = None,
        channel_id: int | None = None,
        added_by: int | None = None,
        alert_channel: str | None = None,
    ) -> FeedAdded:
        """Follow a feed: guard the URL, poll it once; a feed whose first poll fails is not followed.

        `alert_channel` (a channel key): where the feed's new items are announced, beside the channel
        subscriptions; None keeps what an earlier add chose (or none)."""
        url = (url or "").strip()
        if not url:
            raise UserError("Give the feed's URL, e.g. https://example.org/rss.xml")
        minutes = self.interval_minutes(interval_minutes)
        await check_url(url, self.settings)
        already = {f.id for f in await self.repo.list(collection_id)}
        # A new feed is polled here, now: it is not due for the background scheduler until a poll interval
        # from now (the poll below sets the real next time), so a tick meanwhile cannot poll it too and post
        # its backfill as news.
        feed = await self.repo.follow(
            url, collection_id, channel_id=channel_id, added_by=added_by, interval_s=minutes * 60,
            first_poll_at=iso(as_utc(self.clock()) + timedelta(minutes=minutes)), alert_channel=alert_channel,
        )
        result = await self.poller.poll(feed)
        if result.error and feed.id not in already:
            await self.repo.unfollow(feed.id, collection_id)
            raise UserError(f"Not following {url}: {result.error}")
        # What the first poll brought is a backfill, not news: alerts start after it. Times are kept to the
        # second and an alert's window includes its first second, so "after" is the next second.
        after = iso(as_utc(self.clock()) + timedelta(seconds=1))
        for sub in await self.subscriptions.for_collection(collection_id):
            await self.subscriptions.set_last_alert(sub.id, max(after, sub.last_alert_at or after))
        routed = next((f.alert_channel for f in await self.repo.list(collection_id) if f.id == feed.id), None)
        return FeedAdded(await self.repo.get(feed.id) or feed, result, minutes, routed)

    async def find(self, collection_id: int, ref: str) -> FeedInfo:
        """A followed feed by id, URL or title."""
        ref = (ref or "").strip()
        for info in await self.repo.list(collection_id):
            if ref == str(info.id) or ref == info.url or (info.title and ref.lower() == info.title.lower()):
                return info
        raise UserError(f"No feed {ref!r} is followed here; the feed list shows them.")

    async def remove(self, collection_id: int, ref: str) -> FeedInfo:
        """Stop following (by id, URL or title); stored articles stay."""
        info = await self.find(collection_id, ref)
        await self.repo.unfollow(info.id, collection_id)
        return info

    async def set_filters(
        self, collection_id: int, ref: str, include: str | None, exclude: str | None
    ) -> tuple[FeedInfo, Filters]:
        """Set a feed's include/exclude filters (by id, URL or title); both empty (or 'none') clears them."""
        info = await self.find(collection_id, ref)
        filters = Filters.parse(include, exclude)
        await self.repo.set_filters(info.id, collection_id, filters.to_json())
        return info, filters

    async def set_channel(self, collection_id: int, ref: str, channel_key: str | None) -> FeedInfo:
        """Where a feed's new items are announced (a channel key); None: nowhere of its own (the channel
        subscriptions still brief them)."""
        info = await self.find(collection_id, ref)
        await self.repo.set_alert_channel(info.id, collection_id, channel_key)
        info.alert_channel = channel_key
        return info

    async def test_filters(
        self, collection_id: int, ref: str, include: str | None = None, exclude: str | None = None,
        *, limit: int = TEST_ITEMS,
    ) -> FilterTest:
        """Which of the feed's recent items pass its filters (or the include/exclude given, tried without saving)."""
        info = await self.find(collection_id, ref)
        if include is None and exclude is None:
            filters, trial = Filters.from_json(info.filters), False
        else:
            filters, trial = Filters.parse(include, exclude), True
        items = [
            FilterTestItem(aid, title, filters.passes(title, body), filters.reason(title, body) if filters else "no filters")
            for aid, title, body in await self.repo.recent_items(info.id, collection_id, limit)
        ]
        return FilterTest(info, filters, items, trial)

    async def import_opml(
        self,
        collection_id: int,
        data: bytes | str,
        *,
        name: str = "the file",
        alert_channel: str | None = None,
        channel_id: int | None = None,
        added_by: int | None = None,
        interval_minutes: int | None = None,
    ) -> ImportReport:
        """Follow every feed an OPML file lists, each through `add` (the SSRF guard, one poll; a feed whose
        first poll fails is not followed), a few at a time; malformed OPML is refused before any is added."""
        listed = parse_opml(data, name)
        self.interval_minutes(interval_minutes)
        report = ImportReport(name)
        followed = {f.url for f in await self.repo.list(collection_id)}
        gate = asyncio.Semaphore(IMPORT_CONCURRENCY)

        async def one(item: OpmlFeed) -> tuple[OpmlFeed, FeedAdded | str | None]:
            if item.url in followed:
                return item, None
            async with gate:
                try:
                    return item, await self.add(
                        collection_id, item.url, interval_minutes=interval_minutes, channel_id=channel_id,
                        added_by=added_by, alert_channel=alert_channel,
                    )
                except FetchError as exc:  # refused by the guard, or not fetched
                    return item, exc.reason
                except UserError as exc:  # e.g. its first poll failed
                    return item, str(exc).removeprefix(f"Not following {item.url}: ")

        for item, outcome in await asyncio.gather(*(one(f) for f in listed)):
            if outcome is None:
                report.already.append(item.url)
            elif isinstance(outcome, str):
                report.failed.append((item.url, outcome))
            else:
                report.added.append(outcome)
        return report

    async def export_opml(self, collection_id: int, title: str = "Briefbot feeds") -> str:
        """The collection's feeds as an OPML document (what `import` reads back)."""
        feeds = [OpmlFeed(f.url, f.title) for f in await self.repo.list(collection_id)]
        return render_opml(title, feeds, self.clock())

    async def followed(self, collection_id: int) -> list[FeedInfo]:
        return list(await self.repo.list(collection_id))

    async def choices(self, collection_id: int, typed: str) -> list[tuple[str, str]]:
        """(label, value) pairs for autocomplete, at most 25."""
        typed = (typed or "").lower()
        out = []
        for info in await self.repo.list(collection_id):
            label = f"{info.title or info.url} ({info.url})" if info.title else info.url
            if typed in label.lower() or typed == str(info.id):
                out.append((label[:100], str(info.id)))
        return out[:25]

    async def poll(self, *, every: bool = False) -> list[PollResult]:
        """Poll the feeds that are due (every followed feed with `every`), in every collection."""
        if every:
            return await self.poller.poll_many(await self.repo.all())
        return await self.poller.poll_due(self.clock())
