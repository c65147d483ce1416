"""What each channel has already been told: stories briefed, with their facts and articles.

A story is found again from any of its articles, so it is recognised even when it gained
sources or its key changed. `channel_key` is any text naming where a briefing goes; a
transport that sends both alerts and daily briefings to one channel should give each kind
its own key (e.g. "discord:123:alert", "discord:123:daily") so the daily digest still
covers the day's stories after they were alerted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from bot.briefing.models import Story
from bot.store.briefings import BriefedStoryRow, BriefingRepo
from bot.store.db import Database


def fact_fingerprint(facts: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(facts))).encode("utf-8")).hexdigest()


class BriefingMemory:
    def __init__(self, db: Database) -> None:
        self.repo = BriefingRepo(db)

    async def briefed_facts(
        self, channel_key: str, article_ids: Sequence[int], kinds: Sequence[str] = ("alert", "daily", "adhoc")
    ) -> dict[int, tuple[frozenset[str], set[int]]]:
        """For each given article briefed in this channel (in briefings of `kinds`): (facts, article ids)
        of the stories it was in."""
        found: dict[int, tuple[frozenset[str], set[int]]] = {}
        for article_id, _story_id, facts, story_articles in await self.repo.briefed(channel_key, article_ids, kinds):
            facts_now, arts_now = found.get(article_id, (frozenset(), set()))
            found[article_id] = (facts_now | frozenset(facts), arts_now | set(story_articles))
        return found

    async def record(self, channel_key: str, kind: str, stories: Sequence[Story]) -> int:
        """Remember that these stories were briefed in this channel; returns rows written."""
        return await self.repo.record(channel_key, kind, [
            BriefedStoryRow(story.key, fact_fingerprint(story.facts), sorted(story.facts), sorted(story.article_ids))
            for story in stories
        ])

    async def forget(self, channel_key: str) -> int:
        """Drop a channel's memory (e.g. when its subscription is removed)."""
        return await self.repo.forget(channel_key)
