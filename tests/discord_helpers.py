"""Shared setup for the Discord tests: the real BriefBot against tests/fakediscord on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.ingest.models import RawArticle
from bot.ingest.pipeline import Ingestor
from bot.ingest.sources import iter_sources
from bot.store.db import open_database
from bot.transport.discord.bot import BriefBot

SAMPLES = Path(__file__).resolve().parent.parent / "examples" / "articles"


async def seed(settings: Settings, collection: str, *, samples: bool = True, extra: list[RawArticle] = ()) -> int:
    """Store the sample articles (and any extra ones) in a collection; returns its id."""
    db = await open_database(settings.db_path)
    try:
        cid = await db.collection_id(collection)
        ingestor = Ingestor(db, settings)
        if samples:
            await ingestor.ingest_many(iter_sources([str(SAMPLES)], settings), cid)
        for raw in extra:
            await ingestor.ingest_one(raw, cid)
        return cid
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def running_bot(fake: Any, settings: Settings, **kwargs: Any) -> AsyncIterator[BriefBot]:
    """Start BriefBot on the fake (background loop off unless asked: tests tick the scheduler themselves)."""
    kwargs.setdefault("background", False)
    kwargs.setdefault("guild_ready_timeout", 0.05)  # discord.py's 2 s wait before on_ready is for real Discord
    bot = BriefBot(settings, **kwargs)
    task = asyncio.create_task(bot.start(fake.token))
    try:
        await asyncio.wait_for(fake.wait_ready(), 15)
        await asyncio.wait_for(bot.wait_until_ready(), 15)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 10)


def versions(fake: Any, message: dict[str, Any]) -> list[str]:
    return [v.get("content") or "" for v in fake.message_history(message)]


def no_pings(message: dict[str, Any]) -> bool:
    return not message.get("mentions") and not message.get("mention_roles") and not message.get("mention_everyone")


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def guild_with_channel(
    fake: Any, settings: Settings, *, samples: bool = True, extra: list[RawArticle] = ()
) -> tuple[Any, Any, Any, Any]:
    """A guild with a #news channel, a reader and a Manage Server admin, its collection seeded."""
    guild = fake.add_guild()
    chan = fake.add_channel(guild, "news")
    reader = fake.add_member(guild, "reader")
    admin = fake.add_member(guild, "admin", manage_guild=True)
    if samples or extra:
        await seed(settings, f"guild:{guild.id}", samples=samples, extra=extra)
    return guild, chan, reader, admin
