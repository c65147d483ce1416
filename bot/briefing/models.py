"""The shapes a briefing is made of: articles in a window, stories, the briefing itself."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from bot.search.models import SourceRef

BriefingKind = Literal["alert", "daily", "adhoc"]


@dataclass
class WindowArticle:
    """An article as the briefing sees it: text, metadata and when it arrived in the collection."""

    id: int
    title: str
    body: str
    url: str | None
    source: str | None
    published: str | None  # ISO UTC or None
    added_at: str  # ISO UTC: when the collection got it
    duplicate_of: int | None
    in_window: bool = True  # False: context only (arrived before the window, may still join a story)
    image_url: str | None = None  # og:image of its page or the feed item's media

    @property
    def time(self) -> str:
        """The article's event time: its publication, else its arrival."""
        return self.published or self.added_at

    def source_key(self) -> str:
        """Who published it, for counting independent sources."""
        if self.source:
            return self.source.strip().lower()
        if self.url:
            from urllib.parse import urlsplit

            host = (urlsplit(self.url).hostname or "").lower()
            if host:
                return host[4:] if host.startswith("www.") else host
        return f"article:{self.id}"

    def source_label(self) -> str:
        if self.source:
            return self.source.strip()
        key = self.source_key()
        return key if not key.startswith("article:") else ""  # no outlet known: show nothing, never "unknown source"


@dataclass
class StoryCitation(SourceRef):
    """A numbered source of a story: an answer's source fields, and the passage it rests on."""

    quote: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The source fields, without the quote (briefing JSON lists sources, not passages)."""
        return {f.name: getattr(self, f.name) for f in fields(SourceRef)}


@dataclass
class Story:
    key: str
    title: str
    summary: str
    citations: list[StoryCitation]
    article_ids: list[int]
    sources: list[str]
    first_seen: str
    last_seen: str
    score: float
    is_update: bool = False  # briefed before in this channel, back because it gained new facts
    new_facts: list[str] = field(default_factory=list)
    summary_mode: Literal["llm", "extractive"] = "extractive"
    facts: frozenset[str] = field(default_factory=frozenset, repr=False)
    new_article_ids: list[int] = field(default_factory=list)  # the ones that arrived in the window
    image_url: str | None = None  # the picture of its best source that has one (a thumbnail)

    @property
    def source_count(self) -> int:
        return len(self.sources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "summary": self.summary,
            "summary_mode": self.summary_mode,
            "citations": [c.to_dict() for c in self.citations],
            "article_ids": list(self.article_ids),
            "new_article_ids": list(self.new_article_ids),
            "sources": list(self.sources),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "score": round(self.score, 4),
            "is_update": self.is_update,
            "new_facts": list(self.new_facts),
            "image_url": self.image_url,
        }


@dataclass
class Briefing:
    kind: BriefingKind
    heading: str
    stories: list[Story]
    article_count: int
    source_count: int
    mode: Literal["llm", "extractive", "mixed"]
    usage: dict[str, int]
    window_start: str
    window_end: str
    empty: bool
    note: str | None = None
    tz: str = "UTC"
    post_when_empty: bool = False  # daily briefings on empty days: post a short line (True) or nothing
    empty_line: str = ""
    more_stories: int = 0  # stories that passed the filters but did not fit max_stories
    window_articles: int = 0  # articles the window holds
    window_read: int = 0  # of them, those read (the newest [briefing] max_window_articles)

    @property
    def should_post(self) -> bool:
        """Whether a channel should get a message for this briefing at all."""
        return not self.empty or (self.kind == "daily" and self.post_when_empty)

    @property
    def footer(self) -> str:
        articles = f"{self.article_count} article{'s' if self.article_count != 1 else ''}"
        sources = f"{self.source_count} source{'s' if self.source_count != 1 else ''}"
        text = f"{articles} from {sources}"
        if self.more_stories:
            text += f" · top {len(self.stories)} of {len(self.stories) + self.more_stories} stories"
        if self.window_articles > self.window_read:
            text += f" · from the newest {self.window_read:,} of {self.window_articles:,} articles in the window"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "heading": self.heading,
            "stories": [s.to_dict() for s in self.stories],
            "article_count": self.article_count,
            "source_count": self.source_count,
            "footer": self.footer,
            "mode": self.mode,
            "usage": dict(self.usage),
            "window_start": self.window_start,
            "window_end": self.window_end,
            "tz": self.tz,
            "empty": self.empty,
            "should_post": self.should_post,
            "more_stories": self.more_stories,
            "window_articles": self.window_articles,
            "window_read": self.window_read,
            "note": self.note,
        }
