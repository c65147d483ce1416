"""Poll followed feeds: conditional GET, new items only, back-off on errors, one feed never stops another.

A poll has a network half (fetch the feed, fetch the pages of new summary-only
items), which runs concurrently across feeds, and a store half (ingest the new
items, update the feed row), which is one write transaction of the store: stored
whole or not at all, one feed at a time, like every other writer.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.errors import UserError
from bot.ingest.dates import to_iso, utcnow
from bot.ingest.dedupe import canonical_url
from bot.ingest.fetch import Fetcher, FetchError
from bot.ingest.models import IngestResult, RawArticle
from bot.ingest.pipeline import Clock, Ingestor
from bot.ingest.web import FeedError, FeedItem, ParsedFeed, item_articles, looks_like_feed, parse_feed
from bot.store.articles import ArticleRepo
from bot.store.db import Database
from bot.store.feeds import Feed, FeedRepo

log = logging.getLogger(__name__)

MAX_ITEMS_PER_POLL = 100  # the newest items of a very long feed; older ones are left alone
MAX_BACKOFF_S = 24 * 3600
POLL_CONCURRENCY = 4


@dataclass
class PollResult:
    feed_id: int
    url: str
    title: str | None
    new_articles: dict[int, list[int]] = field(default_factory=dict)  # collection id -> new article ids
    error: str | None = None
    not_modified: bool = False
    error_count: int = 0
    became_failing: bool = False  # error_count just reached settings.discord.feed_failure_threshold
    recovered: bool = False  # first success after the feed was failing
    item_count: int = 0  # items the feed holds (as of its last successful fetch)
    item_failures: list[str] = field(default_factory=list)  # "origin: reason" of items that could not be stored
    next_poll_at: str | None = None

    @property
    def new_count(self) -> int:
        """How many distinct new articles this poll stored or linked."""
        return len({a for ids in self.new_articles.values() for a in ids})

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["new_articles"] = {str(k): v for k, v in self.new_articles.items()}
        data["new_count"] = self.new_count
        return data

    def describe(self) -> str:
        name = self.title or self.url
        if self.error:
            extra = " (now failing)" if self.became_failing else ""
            return f"failed  feed {self.feed_id} {name}: {self.error} [{self.error_count} in a row]{extra}"
        state = "not modified" if self.not_modified else f"{self.new_count} new of {self.item_count} items"
        extra = " (recovered)" if self.recovered else ""
        fails = f", {len(self.item_failures)} items failed" if self.item_failures else ""
        return f"ok      feed {self.feed_id} {name}: {state}{fails}{extra}"


def next_poll_time(now: datetime, interval_s: int, error_count: int) -> datetime:
    """interval after a success; interval * 2^min(errors, 5) after errors, at most a day (or the interval)."""
    delay = interval_s * (2 ** min(error_count, 5)) if error_count else interval_s
    return now + timedelta(seconds=min(delay, max(MAX_BACKOFF_S, interval_s)))


@dataclass
class _Fetched:
    feed: ParsedFeed | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    known: dict[str, int] = field(default_factory=dict)  # item key -> stored article (same URL)
    fresh: list[tuple[FeedItem, RawArticle | IngestResult]] = field(default_factory=list)


class FeedPoller:
    """Polls feeds; pass the store's shared Ingestor so its items are checked against everything stored."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        concurrency: int = POLL_CONCURRENCY,
        *,
        ingestor: Ingestor | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.db = db
        self.settings = settings
        self.feeds = FeedRepo(db)
        self.articles = ArticleRepo(db)
        self.clock = clock
        self.ingestor = ingestor or Ingestor(db, settings, clock=clock)
        self.concurrency = concurrency

    async def poll_due(self, now: datetime | None = None) -> list[PollResult]:
        """Poll every feed that is due, a few at a time; each failure is that feed's result only."""
        due = await self.feeds.due(to_iso(now or self.clock()) or "")
        return await self.poll_many(due)

    async def poll_many(self, feeds: list[Feed]) -> list[PollResult]:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(feed: Feed) -> PollResult:
            async with gate:
                return await self.poll(feed)

        return list(await asyncio.gather(*(one(f) for f in feeds)))

    async def poll(self, feed: Feed) -> PollResult:
        """Fetch one feed and store its new items in every collection that follows it."""
        started = self.clock()
        try:
            fetched = await self._fetch(feed)
            error = None
        except (FetchError, FeedError) as exc:
            fetched, error = _Fetched(), exc.reason if isinstance(exc, FetchError) else str(exc)
        except Exception as exc:  # a bug must not stop the other feeds
            log.exception("polling feed %s (%s) failed", feed.id, feed.url)
            fetched, error = _Fetched(), f"internal error ({exc.__class__.__name__})"
        # The store half is one transaction: a poll is stored whole or not at all, and no other
        # writer (a paste, a token count) can commit it half-way.
        try:
            async with self.db.transaction():
                result = await self._store(feed, fetched, error, started)
        except UserError:
            raise
        except Exception as exc:
            log.exception("storing feed %s (%s) failed", feed.id, feed.url)
            async with self.db.transaction():
                result = await self._store(feed, _Fetched(), f"internal error ({exc.__class__.__name__})", started)
        await self.ingestor.sync_index()
        return result

    async def _fetch(self, feed: Feed) -> _Fetched:
        async with Fetcher(self.settings) as fetcher:
            resp = await fetcher.get(feed.url, etag=feed.etag, last_modified=feed.last_modified)
            if resp.not_modified:
                return _Fetched(not_modified=True)
            if not looks_like_feed(resp):
                raise FeedError("this is a web page, not an RSS or Atom feed")
            parsed = parse_feed(resp)
            result = _Fetched(feed=parsed, etag=resp.etag, last_modified=resp.last_modified)
            items = parsed.items[:MAX_ITEMS_PER_POLL]
            seen = await self.feeds.seen_keys(feed.id, (i.key for i in items))
            to_load: list[FeedItem] = []
            for item in items:
                if item.key in seen:
                    continue
                canon = canonical_url(item.link)
                stored = await self.articles.find_by_canonical_url(canon) if canon else None
                if stored is not None:
                    result.known[item.key] = stored
                else:
                    to_load.append(item)
                seen.add(item.key)  # a feed that repeats an item gets it once
            loaded = await item_articles(parsed, to_load, fetcher)
            result.fresh = list(zip(to_load, loaded))
            return result

    async def _store(self, feed: Feed, fetched: _Fetched, error: str | None, started: datetime) -> PollResult:
        now = self.clock()
        now_iso = to_iso(now) or ""
        threshold = self.settings.discord.feed_failure_threshold
        current = await self.feeds.get(feed.id)
        if current is None:  # unfollowed while we polled
            return PollResult(feed.id, feed.url, feed.title, error="the feed is no longer followed")
        result = PollResult(current.id, current.url, current.title)
        if error is not None:
            count = current.error_count + 1
            result.next_poll_at = to_iso(next_poll_time(now, current.interval_s, count))
            await self.feeds.record_failure(current.id, now=now_iso, next_poll_at=result.next_poll_at or "", error=error)
            result.error, result.error_count = error, count
            result.became_failing = count == threshold
            result.item_count = current.item_count
            return result

        followers = [cid for cid, _ in await self.feeds.followers(current.id)]
        if followers:
            await self._add_items(current, fetched, followers, started, result)
        result.not_modified = fetched.not_modified
        result.title = fetched.feed.title if fetched.feed else current.title
        result.item_count = len(fetched.feed.items) if fetched.feed else current.item_count
        result.recovered = current.error_count >= threshold
        result.next_poll_at = to_iso(next_poll_time(now, current.interval_s, 0))
        await self.feeds.record_success(
            current.id, now=now_iso, next_poll_at=result.next_poll_at or "",
            title=fetched.feed.title if fetched.feed else None, etag=fetched.etag,
            last_modified=fetched.last_modified, item_count=result.item_count if fetched.feed else None,
        )
        return result

    async def _add_items(
        self, feed: Feed, fetched: _Fetched, followers: list[int], started: datetime, result: PollResult
    ) -> None:
        first, others = followers[0], followers[1:]
        since = to_iso(started) or ""
        now = to_iso(self.clock()) or ""
        for key, article_id in fetched.known.items():
            await self._link(article_id, followers, result, now)
            await self.feeds.mark_seen(feed.id, key, article_id, now)
        failed = [(i, item) for i, item in fetched.fresh if isinstance(item, IngestResult)]
        fresh = [(i, item) for i, item in fetched.fresh if isinstance(item, RawArticle)]
        result.item_failures.extend(f"{loaded.origin}: {loaded.reason}" for _, loaded in failed)
        drops = [(item.key, loaded.origin, loaded.reason or "not stored") for item, loaded in failed]
        # Inside this poll's transaction; a bad item is a failed result, not a rollback.
        stored_items = await self.ingestor.ingest_many([raw for _, raw in fresh], first) if fresh else []
        for (item, _), stored in zip(fresh, stored_items):
            stored_id = stored.article_id or stored.duplicate_of
            if stored.status == "failed" or stored_id is None:
                result.item_failures.append(f"{stored.origin}: {stored.reason}")
                drops.append((item.key, stored.origin, stored.reason or "not stored"))
                continue
            if stored.status == "added" or await self.articles.joined_since(first, stored_id, since):
                result.new_articles.setdefault(first, []).append(stored_id)
            await self._link(stored_id, others, result, now)
            await self.feeds.mark_seen(feed.id, item.key, stored_id, now)
        if fetched.feed is not None:  # a poll that read the feed (not "not modified") says what it dropped
            await self.feeds.replace_drops(feed.id, drops, now)

    async def _link(self, article_id: int, collections: list[int], result: PollResult, now: str) -> None:
        for cid in collections:
            if await self.articles.add_to_collection(article_id, cid, now):
                result.new_articles.setdefault(cid, []).append(article_id)

