"""Model tokens spent per collection and UTC day (the daily budget, /status)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.db import Database


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class UsageRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, collection_id: int, day: str, prompt_tokens: int, completion_tokens: int) -> None:
        async with self.db.transaction():
            await self.db.conn.execute(
                "INSERT INTO usage(collection_id, day, prompt_tokens, completion_tokens, requests) VALUES (?,?,?,?,1)"
                " ON CONFLICT(collection_id, day) DO UPDATE SET prompt_tokens = prompt_tokens + excluded.prompt_tokens,"
                " completion_tokens = completion_tokens + excluded.completion_tokens, requests = requests + 1",
                (collection_id, day, int(prompt_tokens), int(completion_tokens)),
            )

    async def get(self, collection_id: int, day: str) -> Usage:
        async with self.db.conn.execute(
            "SELECT prompt_tokens, completion_tokens, requests FROM usage WHERE collection_id = ? AND day = ?",
            (collection_id, day),
        ) as cur:
            row = await cur.fetchone()
        return Usage(int(row[0]), int(row[1]), int(row[2])) if row else Usage()
