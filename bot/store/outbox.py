"""The channel outbox: a post is stored before it is sent and marked with its message id after."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from bot.store.db import Database

COLUMNS = (
    "id, channel_key, kind, payload, nonce, created_at, due_at, sent_at, message_id, attempts, last_error, dropped_at,"
    " next_attempt_at"
)


@dataclass
class OutboxItem:
    id: int
    channel_key: str
    kind: str
    payload: dict[str, Any]
    nonce: str
    created_at: str
    due_at: str
    sent_at: str | None
    message_id: int | None
    attempts: int
    last_error: str | None
    dropped_at: str | None
    next_attempt_at: str | None = None  # after a failed send: not before this (back-off)

    @classmethod
    def from_row(cls, row: Any) -> "OutboxItem":
        data = dict(row)
        data["payload"] = json.loads(data["payload"])
        return cls(**data)


def new_nonce() -> str:
    """A message nonce: Discord accepts up to 25 characters."""
    return "bb" + secrets.token_hex(10)


class OutboxRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, channel_key: str, kind: str, payload: dict[str, Any], *, now: str, due_at: str | None = None) -> OutboxItem:
        async with self.db.transaction():
            cur = await self.db.conn.execute(
                "INSERT INTO outbox(channel_key, kind, payload, nonce, created_at, due_at) VALUES (?,?,?,?,?,?)",
                (channel_key, kind, json.dumps(payload, ensure_ascii=False), new_nonce(), now, due_at or now),
            )
        item = await self.get(int(cur.lastrowid or 0))
        assert item is not None
        return item

    async def get(self, item_id: int) -> OutboxItem | None:
        async with self.db.conn.execute(f"SELECT {COLUMNS} FROM outbox WHERE id = ?", (item_id,)) as cur:
            row = await cur.fetchone()
        return OutboxItem.from_row(row) if row else None

    async def pending(self, now: str, channel_prefix: str = "") -> list[OutboxItem]:
        """Unsent, undropped posts due by `now` and past any back-off, oldest first (optionally for one
        transport's channels)."""
        async with self.db.conn.execute(
            f"SELECT {COLUMNS} FROM outbox WHERE sent_at IS NULL AND dropped_at IS NULL AND due_at <= ?"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND channel_key LIKE ? ORDER BY due_at, id",
            (now, now, channel_prefix + "%"),
        ) as cur:
            return [OutboxItem.from_row(r) for r in await cur.fetchall()]

    async def mark_attempt(self, item_id: int) -> None:
        """Recorded before each send, so a crash mid-send is visible as an attempt."""
        async with self.db.transaction():
            await self.db.conn.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (item_id,))

    async def mark_sent(self, item_id: int, message_id: int | None, now: str) -> None:
        async with self.db.transaction():
            await self.db.conn.execute(
                "UPDATE outbox SET sent_at = ?, message_id = ?, last_error = NULL WHERE id = ?", (now, message_id, item_id)
            )

    async def mark_failed(self, item_id: int, error: str, next_attempt_at: str | None = None) -> None:
        async with self.db.transaction():
            await self.db.conn.execute(
                "UPDATE outbox SET last_error = ?, next_attempt_at = ? WHERE id = ?", (error[:500], next_attempt_at, item_id)
            )

    async def mark_dropped(self, item_id: int, reason: str, now: str) -> None:
        async with self.db.transaction():
            await self.db.conn.execute(
                "UPDATE outbox SET dropped_at = ?, last_error = ? WHERE id = ?", (now, reason[:500], item_id)
            )

    async def for_channel(self, channel_key: str) -> list[OutboxItem]:
        async with self.db.conn.execute(
            f"SELECT {COLUMNS} FROM outbox WHERE channel_key = ? ORDER BY id", (channel_key,)
        ) as cur:
            return [OutboxItem.from_row(r) for r in await cur.fetchall()]
