"""Which stories matter most: independent sources, recency, and the subscription's topics."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.text.terms import stem

RECENCY_HALF_LIFE_HOURS = 12.0
SOURCE_WEIGHT = 1.0
RECENCY_WEIGHT = 0.6
TOPIC_WEIGHT = 1.0

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def parse_topics(topics: str | Iterable[str] | None) -> list[str]:
    """'chips, export controls' or ['chips', 'export controls'] -> cleaned topic phrases."""
    if not topics:
        return []
    items = topics.split(",") if isinstance(topics, str) else [t for item in topics for t in str(item).split(",")]
    out: list[str] = []
    for item in items:
        phrase = " ".join(item.split()).strip().lower()
        if phrase and phrase not in out:
            out.append(phrase)
    return out


def _fold(text: str) -> list[str]:
    return [stem(w.lower()) for w in _WORD.findall(text)]


class TopicMatcher:
    """A story matches a topic phrase when all of the phrase's words occur in it (plurals folded)."""

    def __init__(self, topics: Sequence[str]) -> None:
        self.phrases = [set(_fold(t)) for t in parse_topics(list(topics))]
        self.phrases = [p for p in self.phrases if p]

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def score(self, text: str, title: str = "") -> float:
        """0 when no topic matches; more for more topics, and for matches in the title."""
        if not self.phrases:
            return 0.0
        words = set(_fold(text))
        title_words = set(_fold(title))
        total = 0.0
        for phrase in self.phrases:
            if phrase <= words or phrase <= title_words:
                total += 1.0 + (0.5 if phrase <= title_words else 0.0)
        return total


def recency(last_seen: str, now: datetime) -> float:
    """1.0 for a story updated now, halving every RECENCY_HALF_LIFE_HOURS."""
    try:
        seen = datetime.fromisoformat(last_seen.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    age_h = max(0.0, (now - seen).total_seconds() / 3600.0)
    return 0.5 ** (age_h / RECENCY_HALF_LIFE_HOURS)


def story_score(source_count: int, last_seen: str, now: datetime, topic_score: float = 0.0) -> float:
    return (
        SOURCE_WEIGHT * math.log2(1 + max(source_count, 1))
        + RECENCY_WEIGHT * recency(last_seen, now)
        + TOPIC_WEIGHT * topic_score
    )
