"""Per-user question allowances (token buckets): questions left and when that was counted."""

from __future__ import annotations

from bot.store.db import Database


class BucketRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, user_key: str) -> tuple[float, float] | None:
        """(tokens, updated_at) of a user's bucket, None when the user has not asked (or it was full and forgotten)."""
        async with self.db.conn.execute(
            "SELECT tokens, updated_at FROM ask_buckets WHERE user_key = ?", (user_key,)
        ) as cur:
            row = await cur.fetchone()
        return (float(row[0]), float(row[1])) if row else None

    async def put(self, user_key: str, tokens: float, updated_at: float) -> None:
        async with self.db.transaction():
            await self.db.conn.execute(
                "INSERT INTO ask_buckets(user_key, tokens, updated_at) VALUES (?, ?, ?) ON CONFLICT(user_key) "
                "DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
                (user_key, tokens, updated_at),
            )

    async def forget_before(self, cutoff: float) -> None:
        """Drop buckets untouched since `cutoff` (they are full again; a missing bucket reads as full)."""
        async with self.db.transaction():
            await self.db.conn.execute("DELETE FROM ask_buckets WHERE updated_at < ?", (cutoff,))
