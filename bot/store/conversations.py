"""Question/answer turns keyed by the bot's answer message, so a reply to it is a follow-up."""

from __future__ import annotations

from bot.store.db import Database


class ConversationRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, message_id: int, channel_key: str, collection_id: int, question: str, answer: str, parent: int | None
    ) -> None:
        async with self.db.transaction():
            await self.db.conn.execute(
                "INSERT OR REPLACE INTO conversation_turns(message_id, channel_key, collection_id, parent_message_id,"
                " question, answer) VALUES (?,?,?,?,?,?)",
                (message_id, channel_key, collection_id, parent, question, answer),
            )

    async def thread(self, message_id: int, collection_id: int, max_turns: int = 6) -> list[tuple[str, str]] | None:
        """(question, answer) pairs ending at `message_id`, oldest first; None if it is not one of our answers."""
        pairs: list[tuple[str, str]] = []
        current: int | None = message_id
        while current is not None and len(pairs) < max_turns:
            async with self.db.conn.execute(
                "SELECT parent_message_id, question, answer FROM conversation_turns"
                " WHERE message_id = ? AND collection_id = ?",
                (current, collection_id),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                break
            pairs.append((row[1], row[2]))
            current = row[0]
        if not pairs:
            return None
        pairs.reverse()
        return pairs
