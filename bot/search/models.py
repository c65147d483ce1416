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
