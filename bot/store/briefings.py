"""Briefing rows: what each channel was told (briefed_stories, briefed_articles) and the window reads.

bot/briefing/ decides what a story is and what to brief; this module owns the SQL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from bot.store.db import Database

_CHUNK = 500  # SQLite host parameters per query

LEAD_CHARS = 3000  # of each body, what a briefing reads for its features (bot/briefing/features.py reads 3,000)
_SELECT = (
    f"SELECT a.id, a.title, substr(a.body, 1, {LEAD_CHARS}), a.url, a.source, a.published, a.duplicate_of, "
    "ac.added_at, json_extract(a.meta, '$.image_url') FROM article_collections ac JOIN articles a ON a.id = ac.article_id "
)


@dataclass
class WindowRow:
    """An article as a briefing reads it, with the time it joined the collection; `body` is the lead
    (the first LEAD_CHARS characters): whole bodies are read for the stories shown only (`bodies`)."""

    id: int
    title: str
    body: str
    url: str | None
    source: str | None
    published: str | None
    duplicate_of: int | None
    added_at: str
    image_url: str | None = None


@dataclass
class BriefedStoryRow:
    """One story to remember: its key, facts and articles."""

    story_key: str
    fingerprint: str
    facts: Sequence[str]
    article_ids: Sequence[int]


class BriefingRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------ window reads

    async def window(self, collection_id: int, since: str, until: str, limit: int) -> list[WindowRow]:
        """The newest `limit` articles that joined the collection in [since, until], oldest first."""
        rows: list[WindowRow] = []
        async for batch in self.window_batches(collection_id, since, until, limit):
            rows.extend(batch)
        return rows[::-1]

    async def window_batches(
        self, collection_id: int, since: str, until: str, limit: int, batch: int = 1000
    ) -> AsyncIterator[list[WindowRow]]:
        """The newest `limit` articles that joined the collection in [since, until], newest first, in batches."""
        async with self.db.conn.execute(
            _SELECT + "WHERE ac.collection_id = ? AND ac.added_at >= ? AND ac.added_at <= ? "
            "ORDER BY ac.added_at DESC, a.id DESC LIMIT ?",
            (collection_id, since, until, limit),
        ) as cur:
            while rows := await cur.fetchmany(batch):
                yield [WindowRow(*r) for r in rows]

    async def window_count(self, collection_id: int, since: str, until: str) -> int:
        """How many articles joined the collection in [since, until] (to say when a window was cut)."""
        async with self.db.conn.execute(
            "SELECT count(*) FROM article_collections WHERE collection_id = ? AND added_at >= ? AND added_at <= ?",
            (collection_id, since, until),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def bodies(self, ids: Sequence[int]) -> dict[int, str]:
        """The whole bodies of the given articles (the stories a briefing shows)."""
        found: dict[int, str] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            async with self.db.conn.execute(
                f"SELECT id, body FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk
            ) as cur:
                found.update((int(i), b) for i, b in await cur.fetchall())
        return found

    async def joined_between(self, collection_id: int, start: str, end: str, limit: int) -> list[WindowRow]:
        """Up to `limit` articles that joined the collection in [start, end), newest first."""
        async with self.db.conn.execute(
            _SELECT + "WHERE ac.collection_id = ? AND ac.added_at >= ? AND ac.added_at < ? "
            "ORDER BY ac.added_at DESC LIMIT ?",
            (collection_id, start, end, limit),
        ) as cur:
            return [WindowRow(*r) for r in await cur.fetchall()]

    async def in_collection(self, collection_id: int, ids: Sequence[int]) -> list[WindowRow]:
        """The given articles, those of them in the collection."""
        found: list[WindowRow] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            async with self.db.conn.execute(
                _SELECT + f"WHERE ac.collection_id = ? AND a.id IN ({','.join('?' * len(chunk))})",
                (collection_id, *chunk),
            ) as cur:
                found.extend(WindowRow(*r) for r in await cur.fetchall())
        return found

    # ------------------------------------------------------------ what was briefed

    async def briefed(
        self, channel_key: str, article_ids: Sequence[int], kinds: Sequence[str]
    ) -> list[tuple[int, int, list[str], list[int]]]:
        """(article id, briefed story id, facts, story article ids) of each given article's briefed stories."""
        kind_marks = ",".join("?" * len(kinds))
        ids = list(dict.fromkeys(article_ids))
        out: list[tuple[int, int, list[str], list[int]]] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT ba.article_id, bs.id, bs.facts, bs.article_ids FROM briefed_articles ba "
                "JOIN briefed_stories bs ON bs.id = ba.briefed_story_id "
                f"WHERE ba.channel_key = ? AND bs.kind IN ({kind_marks}) AND ba.article_id IN ({marks})"
            )
            async with self.db.conn.execute(sql, (channel_key, *kinds, *chunk)) as cur:
                for article_id, story_id, facts, article_json in await cur.fetchall():
                    out.append((int(article_id), int(story_id), json.loads(facts), json.loads(article_json)))
        return out

    async def record(self, channel_key: str, kind: str, stories: Sequence[BriefedStoryRow]) -> int:
        """Remember stories briefed in a channel, all in one transaction; returns rows written."""
        async with self.db.transaction():
            for story in stories:
                cur = await self.db.conn.execute(
                    "INSERT INTO briefed_stories(channel_key, story_key, kind, fact_fingerprint, facts, article_ids) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        channel_key, story.story_key, kind, story.fingerprint,
                        json.dumps(sorted(story.facts), ensure_ascii=False), json.dumps(sorted(story.article_ids)),
                    ),
                )
                story_id = int(cur.lastrowid or 0)
                await self.db.conn.executemany(
                    "INSERT OR IGNORE INTO briefed_articles(channel_key, article_id, briefed_story_id) VALUES (?, ?, ?)",
                    [(channel_key, article_id, story_id) for article_id in story.article_ids],
                )
        return len(stories)

    async def forget(self, channel_key: str) -> int:
        async with self.db.transaction():
            cur = await self.db.conn.execute("DELETE FROM briefed_stories WHERE channel_key = ?", (channel_key,))
        return cur.rowcount
