"""Fit retrieved passages into the model's token budget.

Best passages first, whole passages only (a passage that does not fit is skipped, a smaller
later one may still fit), one numbered source per article with its passages in article order:
neighbouring passages are joined, gaps are marked with "…".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.llm.prompts import fence_sources
from bot.llm.tokens import count_tokens
from bot.search.models import SearchHit, SourceRef

# Tokens a source's fence and header cost beyond its text (measured on typical titles).
FENCE_OVERHEAD = 12


@dataclass
class ContextSource(SourceRef):
    parts: list[tuple[int, str]] = field(default_factory=list)  # (position, text)
    tokens: int = 0

    @property
    def text(self) -> str:
        out: list[str] = []
        last: int | None = None
        for position, text in sorted(self.parts):
            if last is not None and position != last + 1:
                out.append("…")
            out.append(text)
            last = position
        return "\n".join(out)


def pack_context(passages: Sequence[SearchHit], budget: int, max_sources: int = 8) -> list[ContextSource]:
    """Sources for the prompt within `budget` tokens (fences included), numbered from 1 by best passage."""
    sources: dict[int, ContextSource] = {}
    used = 0
    seen: set[tuple[int, int]] = set()
    for p in passages:
        key = (p.article_id, p.position)
        if key in seen:
            continue
        seen.add(key)
        cost = count_tokens(p.text) + 1
        existing = sources.get(p.article_id)
        if existing is None:
            if len(sources) >= max_sources:
                continue
            cost += count_tokens(p.title or "") + FENCE_OVERHEAD
        if used + cost > budget:
            continue
        if existing is None:
            existing = sources[p.article_id] = ContextSource(
                len(sources) + 1, p.article_id, p.title, p.url, p.source, p.published
            )
        existing.parts.append((p.position, p.text))
        existing.tokens += cost
        used += cost
    return list(sources.values())


def context_tokens(sources: Sequence[ContextSource]) -> int:
    """The exact token count of the fenced sources."""
    return count_tokens(fence_sources(sources)) if sources else 0
