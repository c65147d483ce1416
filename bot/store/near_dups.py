"""The near-duplicate band keys (near_dup_bands) and the scheme that built them (index_state).

bot/ingest/dedupe.py owns the algorithm and its in-memory index; this module owns the rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from bot.store.db import Database

_IN_CHUNK = 500  # SQLite host parameters per query


class NearDupRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def scheme(self) -> str | None:
        async with self.db.conn.execute("SELECT value FROM index_state WHERE name = 'near_dup_scheme'") as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def reset(self, scheme: str) -> None:
        """Forget every band key: they were built under another scheme."""
        async with self.db.transaction():
            await self.db.conn.execute("DELETE FROM near_dup_bands")
            await self.db.conn.execute(
                "INSERT OR REPLACE INTO index_state(name, value) VALUES ('near_dup_scheme', ?)", (scheme,)
            )

    async def originals_without_bands(self) -> AsyncIterator[tuple[int, str, str]]:
        """(id, title, body) of originals that have no band keys (stored before the scheme, or by another writer)."""
        async with self.db.conn.execute(
            "SELECT id, title, body FROM articles a WHERE duplicate_of IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM near_dup_bands b WHERE b.article_id = a.id)"
        ) as cur:
            async for article_id, title, body in cur:
                yield int(article_id), title, body

    async def add(self, rows: Sequence[tuple[int, int]]) -> None:
        """Store (band key, article id) rows, in the caller's transaction if there is one."""
        if rows:
            async with self.db.transaction():
                await self.db.conn.executemany("INSERT INTO near_dup_bands(band_key, article_id) VALUES (?, ?)", rows)

    async def bands(self, after_article: int = 0) -> list[tuple[int, int]]:
        """(band key, article id) of every original with an id above `after_article`."""
        async with self.db.conn.execute(
            "SELECT band_key, article_id FROM near_dup_bands WHERE article_id > ?", (after_article,)
        ) as cur:
            return [(int(r[0]), int(r[1])) for r in await cur.fetchall()]

    async def last_article_id(self) -> int:
        async with self.db.conn.execute("SELECT COALESCE(MAX(id), 0) FROM articles") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def texts(self, ids: Sequence[int]) -> list[tuple[int, str, str]]:
        """(id, title, body) of the given articles that exist."""
        found: list[tuple[int, str, str]] = []
        for start in range(0, len(ids), _IN_CHUNK):
            part = list(ids[start : start + _IN_CHUNK])
            marks = ",".join("?" * len(part))
            async with self.db.conn.execute(f"SELECT id, title, body FROM articles WHERE id IN ({marks})", part) as cur:
                found.extend((int(i), t, b) for i, t, b in await cur.fetchall())
        return found
