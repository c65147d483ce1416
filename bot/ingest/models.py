"""The shape of an article on its way into the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal


@dataclass
class RawArticle:
    """An article as a source gives it, before cleaning, dedupe and chunking."""

    title: str
    body: str
    url: str | None = None
    source: str | None = None
    author: str | None = None
    place: str | None = None
    published: datetime | None = None
    language: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    origin: str = ""  # where it came from (path, URL, feed item), for messages


@dataclass
class IngestResult:
    origin: str
    status: Literal["added", "duplicate", "failed"]
    article_id: int | None = None
    title: str = ""
    duplicate_of: int | None = None  # exact duplicate: the stored article it repeats
    near_duplicate_of: int | None = None  # stored but linked to the story it repeats
    reason: str = ""

    def describe(self) -> str:
        if self.status == "failed":
            return f"failed  {self.origin}: {self.reason}"
        if self.status == "duplicate":
            return f"skipped {self.origin}: duplicate of {self.duplicate_of}"
        extra = f" (near-duplicate of {self.near_duplicate_of})" if self.near_duplicate_of else ""
        return f"added   {self.origin}: article {self.article_id} {self.title!r}{extra}"
