"""What slash-command set was last synced where (globally, or to one server), and when."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.db import Database


@dataclass
class SyncRecord:
    scope: str
    hash: str
    synced_at: str


class CommandSyncRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, scope: str) -> SyncRecord | None:
        async with self.db.conn.execute(
            "SELECT scope, hash, synced_at FROM command_sync WHERE scope = ?", (scope,)
        ) as cur:
            row = await cur.fetchone()
        return SyncRecord(*row) if row else None

    async def put(self, scope: str, hash_: str, now: str) -> None:
        async with self.db.transaction():
            await self.db.conn.execute(
                "INSERT INTO command_sync(scope, hash, synced_at) VALUES (?,?,?)"
                " ON CONFLICT(scope) DO UPDATE SET hash = excluded.hash, synced_at = excluded.synced_at",
                (scope, hash_, now),
            )

    async def delete(self, scope: str) -> None:
        async with self.db.transaction():
            await self.db.conn.execute("DELETE FROM command_sync WHERE scope = ?", (scope,))

    async def guild_copies(self, synced_before: str) -> list[SyncRecord]:
        """Per-server copies of the global commands synced before `synced_before` (ISO UTC)."""
        async with self.db.conn.execute(
            "SELECT scope, hash, synced_at FROM command_sync WHERE scope LIKE 'guild:%' AND synced_at < ?"
            " ORDER BY synced_at",
            (synced_before,),
        ) as cur:
            return [SyncRecord(*r) for r in await cur.fetchall()]
