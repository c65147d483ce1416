"""What each channel has already been told: stories briefed, with their facts and articles.

A story is found again from any of its articles, so it is recognised even when it gained
sources or its key changed. `channel_key` is any text naming where a briefing goes; a
transport that sends both alerts and daily briefings to one channel should give each kind
its own key (e.g. "discord:123:alert", "discord:123:daily") so the daily digest still
covers the day's stories after they were alerted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

from bot.briefing.models import Story
from bot.store.db import Database

_CHUNK = 500  # SQLite host parameters per query


def fact_fingerprint(facts: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(facts))).encode("utf-8")).hexdigest()


class BriefingMemory:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def briefed_facts(
        self, channel_key: str, article_ids: Sequence[int], kinds: Sequence[str] = ("alert", "daily", "adhoc")
    ) -> dict[int, tuple[frozenset[str], set[int]]]:
        """For each given article briefed in this channel (in briefings of `kinds`): (facts, article ids)
        of the stories it was in."""
        kind_marks = ",".join("?" * len(kinds))
        found: dict[int, tuple[frozenset[str], set[int]]] = {}
        ids = list(dict.fromkeys(article_ids))
        story_rows: dict[int, tuple[frozenset[str], set[int]]] = {}
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
                    if story_id not in story_rows:
                        story_rows[story_id] = (frozenset(json.loads(facts)), set(json.loads(article_json)))
                    facts_now, arts_now = found.get(article_id, (frozenset(), set()))
                    row_facts, row_arts = story_rows[story_id]
                    found[article_id] = (facts_now | row_facts, arts_now | row_arts)
        return found

    async def record(self, channel_key: str, kind: str, stories: Sequence[Story]) -> int:
        """Remember that these stories were briefed in this channel; returns rows written."""
        written = 0
        for story in stories:
            cur = await self.db.conn.execute(
                "INSERT INTO briefed_stories(channel_key, story_key, kind, fact_fingerprint, facts, article_ids) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    channel_key,
                    story.key,
                    kind,
                    fact_fingerprint(story.facts),
                    json.dumps(sorted(story.facts), ensure_ascii=False),
                    json.dumps(sorted(story.article_ids)),
                ),
            )
            story_id = int(cur.lastrowid or 0)
            await self.db.conn.executemany(
                "INSERT OR IGNORE INTO briefed_articles(channel_key, article_id, briefed_story_id) VALUES (?, ?, ?)",
                [(channel_key, article_id, story_id) for article_id in story.article_ids],
            )
            written += 1
        await self.db.conn.commit()
        return written

    async def forget(self, channel_key: str) -> int:
        """Drop a channel's memory (e.g. when its subscription is removed)."""
        cur = await self.db.conn.execute("DELETE FROM briefed_stories WHERE channel_key = ?", (channel_key,))
        await self.db.conn.commit()
        return cur.rowcount
