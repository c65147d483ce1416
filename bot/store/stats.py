"""Counts for /metrics and /healthz: what the store holds and how far the search index lags."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from bot.store.db import Database


@dataclass
class StoreStats:
    articles: int = 0
    passages: int = 0
    feeds: dict[str, int] = field(default_factory=dict)  # state -> count: ok, failing, error, new
    outbox_pending: int = 0
    outbox_oldest: str | None = None  # created_at of the oldest unsent post
    change_seq: int = 0  # the search change log's last sequence number


class StatsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _row(self, sql: str, params: tuple[object, ...] = ()) -> tuple[object, ...]:
        async with self.db.conn.execute(sql, params) as cur:
            row = await cur.fetchone()
        return tuple(row) if row is not None else ()

    async def _count(self, sql: str) -> int:
        row = await self._row(sql)
        return int(str(row[0])) if row and row[0] is not None else 0

    async def collect(self, failing_after: int) -> StoreStats:
        stats = StoreStats()
        stats.articles = await self._count("SELECT count(*) FROM articles")
        stats.passages = await self._count("SELECT count(*) FROM passages")
        async with self.db.conn.execute(
            "SELECT CASE WHEN last_polled IS NULL THEN 'new' WHEN error_count >= ? THEN 'failing' "
            "WHEN error_count > 0 THEN 'error' ELSE 'ok' END AS state, count(*) FROM feeds GROUP BY state",
            (failing_after,),
        ) as cur:
            stats.feeds = {str(r[0]): int(r[1]) for r in await cur.fetchall()}
        stats.outbox_pending = await self._count(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND dropped_at IS NULL"
        )
        oldest = await self._row("SELECT min(created_at) FROM outbox WHERE sent_at IS NULL AND dropped_at IS NULL")
        stats.outbox_oldest = str(oldest[0]) if oldest and oldest[0] is not None else None
        stats.change_seq = await self._count("SELECT seq FROM sqlite_sequence WHERE name = 'search_changes'")
        return stats


def _try_write(path: Path, timeout: float) -> str | None:
    try:
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return str(exc)
    return None


async def store_writable(path: Path, timeout: float = 2.0) -> str | None:
    """None when a writer could take the store's write lock within `timeout`; else why not.

    A connection of its own, so a transaction the bot has open on its main connection is not disturbed."""
    if str(path) == ":memory:":
        return None
    return await asyncio.to_thread(_try_write, path, timeout)
