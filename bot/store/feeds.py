"""Feeds, the collections that follow them, and the items each feed has delivered."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bot.timeutil import iso
from bot.store.db import Database

DEFAULT_INTERVAL_S = 1800
FEED_COLUMNS = (
    "id, url, title, etag, last_modified, last_polled, last_success, last_error, error_count, interval_s, "
    "item_count, next_poll_at"
)


@dataclass
class Feed:
    id: int
    url: str
    title: str | None
    etag: str | None
    last_modified: str | None
    last_polled: str | None
    last_success: str | None
    last_error: str | None
    error_count: int
    interval_s: int
    item_count: int
    next_poll_at: str | None

    @classmethod
    def from_row(cls, row: Any) -> "Feed":
        return cls(**dict(row))


@dataclass
class FeedInfo:
    """A feed as one collection sees it (for `feeds list` and `/feed list`)."""

    id: int
    url: str
    title: str | None
    last_polled: str | None
    last_success: str | None
    last_error: str | None
    error_count: int
    item_count: int
    interval_s: int
    channel_id: int | None
    next_poll_at: str | None = None
    alert_channel: str | None = None  # channel key its new items are announced in (None: none of its own)
    filters: str | None = None  # JSON of bot.text.filters.Filters
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (item origin, reason) the last poll could not store

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["dropped"] = [{"item": origin, "reason": reason} for origin, reason in self.dropped]
        return data


@dataclass
class FeedRoute:
    """A collection that announces a feed's new items in a channel of its own."""

    collection_id: int
    channel_key: str
    filters: str | None  # JSON of bot.text.filters.Filters


class FeedRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def follow(
        self,
        url: str,
        collection_id: int,
        *,
        channel_id: int | None = None,
        added_by: int | None = None,
        interval_s: int | None = None,
        first_poll_at: str | None = None,
        alert_channel: str | None = None,
    ) -> Feed:
        """Make a collection follow a feed (created on first use); a feed two collections follow is polled once.

        When collections ask for different intervals the feed is polled at the shortest. `alert_channel`
        (a channel key) is where its new items are announced; following again with a new one moves them.
        `first_poll_at`: when a feed created here becomes due (None: at once); the caller that polls it itself
        passes a later time, so the background scheduler does not poll it at the same moment and take its
        backfill for news.
        """
        url = url.strip()
        conn = self.db.conn
        async with self.db.transaction():
            await conn.execute(
                "INSERT INTO feeds(url, interval_s, next_poll_at) VALUES (?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
                "interval_s = MIN(interval_s, excluded.interval_s) WHERE ? IS NOT NULL",
                (url, interval_s or DEFAULT_INTERVAL_S, first_poll_at, interval_s),
            )
            async with conn.execute("SELECT id FROM feeds WHERE url = ?", (url,)) as cur:
                row = await cur.fetchone()
            assert row is not None  # inserted or updated just above, in the same transaction
            feed_id = int(row[0])
            await conn.execute(
                "INSERT INTO feed_follows(feed_id, collection_id, channel_id, added_by, alert_channel) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(feed_id, collection_id) DO UPDATE SET channel_id = COALESCE(excluded.channel_id, channel_id), "
                "alert_channel = COALESCE(excluded.alert_channel, alert_channel)",
                (feed_id, collection_id, channel_id, added_by, alert_channel),
            )
        feed = await self.get(feed_id)
        assert feed is not None
        return feed

    async def unfollow(self, feed_id: int, collection_id: int) -> bool:
        """Stop a collection following a feed; a feed nobody follows any more is forgotten. True if it was followed."""
        conn = self.db.conn
        async with self.db.transaction():
            cur = await conn.execute(
                "DELETE FROM feed_follows WHERE feed_id = ? AND collection_id = ?", (feed_id, collection_id)
            )
            removed = cur.rowcount > 0
            await conn.execute(
                "DELETE FROM feeds WHERE id = ? AND NOT EXISTS (SELECT 1 FROM feed_follows WHERE feed_id = ?)",
                (feed_id, feed_id),
            )
        return removed

    async def get(self, feed_id: int) -> Feed | None:
        async with self.db.conn.execute(f"SELECT {FEED_COLUMNS} FROM feeds WHERE id = ?", (feed_id,)) as cur:
            row = await cur.fetchone()
        return Feed.from_row(row) if row else None

    async def list(self, collection_id: int) -> list[FeedInfo]:
        async with self.db.conn.execute(
            "SELECT f.id, f.url, f.title, f.last_polled, f.last_success, f.last_error, f.error_count, f.item_count, "
            "f.interval_s, ff.channel_id, f.next_poll_at, ff.alert_channel, ff.filters FROM feeds f JOIN feed_follows ff ON ff.feed_id = f.id "
            "WHERE ff.collection_id = ? ORDER BY f.id",
            (collection_id,),
        ) as cur:
            infos = [FeedInfo(**dict(r)) for r in await cur.fetchall()]
        for info in infos:
            info.dropped = await self.drops(info.id)
        return infos

    async def drops(self, feed_id: int, limit: int = 20) -> "builtins.list[tuple[str, str]]":
        """(item origin, reason) of the items the feed's last polls could not store."""
        async with self.db.conn.execute(
            "SELECT origin, reason FROM feed_drops WHERE feed_id = ? ORDER BY at DESC, origin LIMIT ?", (feed_id, limit)
        ) as cur:
            return [(str(r[0]), str(r[1])) for r in await cur.fetchall()]

    async def replace_drops(self, feed_id: int, drops: Iterable[tuple[str, str, str]], now: str) -> None:
        """This poll's dropped items (item key, origin, reason) replace the feed's earlier ones (in the
        caller's transaction): a failed item is tried again at every poll, so the last poll's list is whole."""
        async with self.db.transaction():
            await self.db.conn.execute("DELETE FROM feed_drops WHERE feed_id = ?", (feed_id,))
            await self.db.conn.executemany(
                "INSERT OR REPLACE INTO feed_drops(feed_id, item_key, origin, reason, at) VALUES (?, ?, ?, ?, ?)",
                [(feed_id, key, origin, reason, now) for key, origin, reason in drops],
            )

    async def all(self) -> builtins.list[Feed]:
        """Every feed that at least one collection follows."""
        async with self.db.conn.execute(
            f"SELECT {FEED_COLUMNS} FROM feeds WHERE EXISTS (SELECT 1 FROM feed_follows WHERE feed_id = feeds.id) ORDER BY id"
        ) as cur:
            return [Feed.from_row(r) for r in await cur.fetchall()]

    async def due(self, now: datetime | str) -> builtins.list[Feed]:
        """Followed feeds whose next poll time has come (now: aware datetime or ISO UTC); never-polled first."""
        if isinstance(now, datetime):
            now = iso(now)
        async with self.db.conn.execute(
            f"SELECT {FEED_COLUMNS} FROM feeds WHERE (next_poll_at IS NULL OR next_poll_at <= ?) "
            "AND EXISTS (SELECT 1 FROM feed_follows WHERE feed_id = feeds.id) ORDER BY next_poll_at IS NOT NULL, next_poll_at, id",
            (now,),
        ) as cur:
            return [Feed.from_row(r) for r in await cur.fetchall()]

    async def followers(self, feed_id: int) -> builtins.list[tuple[int, int | None]]:
        """(collection id, channel id) of every collection that follows the feed, oldest first."""
        async with self.db.conn.execute(
            "SELECT collection_id, channel_id FROM feed_follows WHERE feed_id = ? ORDER BY added_at, collection_id",
            (feed_id,),
        ) as cur:
            return [(int(r[0]), r[1]) for r in await cur.fetchall()]

    async def routes(self, feed_id: int) -> builtins.list[FeedRoute]:
        """The collections that announce this feed's items in a channel of its own, with their filters."""
        async with self.db.conn.execute(
            "SELECT collection_id, alert_channel, filters FROM feed_follows WHERE feed_id = ? AND alert_channel IS NOT NULL "
            "ORDER BY added_at, collection_id",
            (feed_id,),
        ) as cur:
            return [FeedRoute(int(r[0]), str(r[1]), r[2]) for r in await cur.fetchall()]

    async def set_filters(self, feed_id: int, collection_id: int, filters: str | None) -> bool:
        """Set (None: clear) the filters of a collection's follow of a feed. True if it follows it."""
        async with self.db.transaction():
            cur = await self.db.conn.execute(
                "UPDATE feed_follows SET filters = ? WHERE feed_id = ? AND collection_id = ?", (filters, feed_id, collection_id)
            )
        return cur.rowcount > 0

    async def set_alert_channel(self, feed_id: int, collection_id: int, channel: str | None) -> bool:
        async with self.db.transaction():
            cur = await self.db.conn.execute(
                "UPDATE feed_follows SET alert_channel = ? WHERE feed_id = ? AND collection_id = ?", (channel, feed_id, collection_id)
            )
        return cur.rowcount > 0

    async def recent_items(self, feed_id: int, collection_id: int, limit: int) -> builtins.list[tuple[int, str, str]]:
        """(article id, title, body) of the feed's newest stored items in the collection, newest first."""
        async with self.db.conn.execute(
            "SELECT a.id, a.title, a.body FROM feed_items fi JOIN articles a ON a.id = fi.article_id "
            "JOIN article_collections ac ON ac.article_id = a.id AND ac.collection_id = ? "
            "WHERE fi.feed_id = ? ORDER BY fi.seen_at DESC, a.id DESC LIMIT ?",
            (collection_id, feed_id, limit),
        ) as cur:
            return [(int(r[0]), str(r[1] or ""), str(r[2] or "")) for r in await cur.fetchall()]

    async def seen_keys(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        seen: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with self.db.conn.execute(
                f"SELECT item_key FROM feed_items WHERE feed_id = ? AND item_key IN ({marks})", (feed_id, *chunk)
            ) as cur:
                seen.update(r[0] for r in await cur.fetchall())
        return seen

    async def mark_seen(self, feed_id: int, key: str, article_id: int | None, now: str | None = None) -> None:
        """Remember an item (in the caller's transaction, if any); `now` (ISO UTC) is when it was seen."""
        async with self.db.transaction():
            await self.db.conn.execute(
                "INSERT OR REPLACE INTO feed_items(feed_id, item_key, article_id, seen_at) "
                "VALUES (?, ?, ?, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))",
                (feed_id, key, article_id, now),
            )

    async def record_success(
        self, feed_id: int, *, now: str, next_poll_at: str, title: str | None, etag: str | None,
        last_modified: str | None, item_count: int | None,
    ) -> None:
        """A poll worked. A None title, validator or count keeps the stored one."""
        async with self.db.transaction():
            await self.db.conn.execute(
                "UPDATE feeds SET last_polled = ?, last_success = ?, last_error = NULL, error_count = 0, next_poll_at = ?, "
                "title = COALESCE(?, title), etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), "
                "item_count = COALESCE(?, item_count) WHERE id = ?",
                (now, now, next_poll_at, title, etag, last_modified, item_count, feed_id),
            )

    async def record_failure(self, feed_id: int, *, now: str, next_poll_at: str, error: str) -> None:
        """A poll failed."""
        async with self.db.transaction():
            await self.db.conn.execute(
                "UPDATE feeds SET last_polled = ?, last_error = ?, error_count = error_count + 1, next_poll_at = ? WHERE id = ?",
                (now, error, next_poll_at, feed_id),
            )
