"""Briefing subscriptions: which channel gets daily briefings and new-item alerts, and how."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.store.db import Database

COLUMNS = (
    "id, channel_key, guild_id, collection_id, daily_time, tz, alerts, topics, language, alert_role_id, "
    "last_alert_at, last_daily_date, created_by, created_at, filters, embed_color, footer"
)


@dataclass
class Subscription:
    id: int
    channel_key: str
    guild_id: int | None
    collection_id: int
    daily_time: str | None
    tz: str
    alerts: bool
    topics: list[str] = field(default_factory=list)
    language: str | None = None
    alert_role_id: int | None = None
    last_alert_at: str | None = None
    last_daily_date: str | None = None
    created_by: int | None = None
    created_at: str = ""
    filters: str | None = None  # JSON of bot.text.filters.Filters, on alerts and daily briefings
    embed_color: int | None = None  # 0xRRGGBB of its embeds; None: the default
    footer: str | None = None  # a line added to its posts' footer

    @classmethod
    def from_row(cls, row: Any) -> "Subscription":
        data = dict(row)
        data["alerts"] = bool(data["alerts"])
        data["topics"] = json.loads(data["topics"] or "[]")
        return cls(**data)


class SubscriptionRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def upsert(
        self,
        channel_key: str,
        collection_id: int,
        *,
        guild_id: int | None,
        daily_time: str | None,
        tz: str,
        alerts: bool,
        topics: list[str],
        language: str | None,
        alert_role_id: int | None,
        created_by: int | None,
        last_alert_at: str | None,
    ) -> Subscription:
        async with self.db.transaction():
            await self.db.conn.execute(
                "INSERT INTO subscriptions(channel_key, guild_id, collection_id, daily_time, tz, alerts, topics, language,"
                " alert_role_id, created_by, last_alert_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(channel_key) DO UPDATE SET guild_id=excluded.guild_id, collection_id=excluded.collection_id,"
                " daily_time=excluded.daily_time, tz=excluded.tz, alerts=excluded.alerts, topics=excluded.topics,"
                " language=excluded.language, alert_role_id=excluded.alert_role_id",
                (
                    channel_key, guild_id, collection_id, daily_time, tz, int(alerts), json.dumps(topics), language,
                    alert_role_id, created_by, last_alert_at,
                ),
            )
        sub = await self.get(channel_key)
        assert sub is not None
        return sub

    async def get(self, channel_key: str) -> Subscription | None:
        async with self.db.conn.execute(f"SELECT {COLUMNS} FROM subscriptions WHERE channel_key = ?", (channel_key,)) as cur:
            row = await cur.fetchone()
        return Subscription.from_row(row) if row else None

    async def delete(self, channel_key: str) -> bool:
        async with self.db.transaction():
            cur = await self.db.conn.execute("DELETE FROM subscriptions WHERE channel_key = ?", (channel_key,))
        return cur.rowcount > 0

    async def all(self) -> list[Subscription]:
        async with self.db.conn.execute(f"SELECT {COLUMNS} FROM subscriptions ORDER BY id") as cur:
            return [Subscription.from_row(r) for r in await cur.fetchall()]

    async def for_collection(self, collection_id: int) -> list[Subscription]:
        async with self.db.conn.execute(
            f"SELECT {COLUMNS} FROM subscriptions WHERE collection_id = ? ORDER BY id", (collection_id,)
        ) as cur:
            return [Subscription.from_row(r) for r in await cur.fetchall()]

    async def count(self, collection_id: int) -> int:
        async with self.db.conn.execute("SELECT COUNT(*) FROM subscriptions WHERE collection_id = ?", (collection_id,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def set_last_alert(self, sub_id: int, when: str) -> None:
        async with self.db.transaction():
            await self.db.conn.execute("UPDATE subscriptions SET last_alert_at = ? WHERE id = ?", (when, sub_id))

    async def set_looks(self, sub_id: int, **values: object) -> None:
        """Set some of filters (JSON or None), embed_color, footer; the others keep their value."""
        allowed = {"filters", "embed_color", "footer"}
        if not values:
            return
        if not set(values) <= allowed:
            raise ValueError(f"unknown subscription fields: {set(values) - allowed}")
        sets = ", ".join(f"{k} = ?" for k in values)
        async with self.db.transaction():
            await self.db.conn.execute(f"UPDATE subscriptions SET {sets} WHERE id = ?", (*values.values(), sub_id))

    async def set_last_daily(self, sub_id: int, local_date: str) -> None:
        async with self.db.transaction():
            await self.db.conn.execute("UPDATE subscriptions SET last_daily_date = ? WHERE id = ?", (local_date, sub_id))
