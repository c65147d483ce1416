from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class SearchHit:
    passage_id: int
    article_id: int
    position: int
    title: str
    url: str | None
    source: str | None
    published: str | None
    text: str
    score: float  # higher is better
    # hybrid search: its vector's cosine similarity to the question's minus the question's mean similarity to
    # unrelated news (bot/search/vectors.py, Vectors.baseline; None: no vector)
    similarity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SourceRef:
    """A numbered article as the answer cites it."""

    n: int
    article_id: int
    title: str
    url: str | None
    source: str | None
    published: str | None
