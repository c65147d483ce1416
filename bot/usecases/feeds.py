"""Feeds a collection follows: add (checked by the SSRF guard and polled once), list, remove, poll.

`briefbot feeds …`, the console's `/feed …` and Discord's `/feed …` all call these, so a feed is
added, limited and baselined the same way whichever front end adds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config import Settings
from bot.errors import UserError
from bot.ingest.fetch import check_url
from bot.ingest.poller import FeedPoller, PollResult
from bot.store.feeds import Feed, FeedInfo, FeedRepo
from bot.store.subscriptions import SubscriptionRepo
from bot.timeutil import Clock, as_utc, iso

MAX_INTERVAL_MINUTES = 7 * 24 * 60


@dataclass
class FeedAdded:
    feed: Feed
    poll: PollResult
    minutes: int

    @property
    def title(self) -> str:
        return self.poll.title or self.feed.title or self.feed.url

    @property
    def articles(self) -> int:
        return self.poll.new_count


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
    ) -> FeedAdded:
        """Follow a feed: guard the URL, poll it once; a feed whose first poll fails is not followed."""
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
            first_poll_at=iso(as_utc(self.clock()) + timedelta(minutes=minutes)),
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
        return FeedAdded(await self.repo.get(feed.id) or feed, result, minutes)

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
