"""Summaries without a model: the lead sentences of the story's best source, trimmed."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.briefing.features import sentence_facts
from bot.ingest.chunk import split_sentences
from bot.text.sentences import cut_at_sentence_end

_NOT_PROSE = re.compile(r"^(by|photo|image|file photo|reporting|editing|writing)\b|^\W*$", re.IGNORECASE)


def trim(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:–—-") + "…"


def prose_sentences(body: str, limit: int = 12) -> list[str]:
    out: list[str] = []
    for sentence in split_sentences(body):
        if len(sentence) < 25 or _NOT_PROSE.match(sentence):
            continue
        out.append(sentence)
        if len(out) >= limit:
            break
    return out


def lead_summary(body: str, *, sentences: int = 2, max_chars: int = 320) -> str:
    """The first one or two sentences of an article (the second only when there is room)."""
    leads = prose_sentences(body, limit=sentences)
    if not leads:
        return cut_at_sentence_end(body, max_chars)
    text = leads[0]
    for extra in leads[1:sentences]:
        if len(text) + 1 + len(extra) <= max_chars:
            text = f"{text} {extra}"
    return cut_at_sentence_end(text, max_chars)


def update_summary(bodies: Sequence[str], new_facts: Sequence[str], *, max_chars: int = 320) -> str | None:
    """The first sentence of the new articles that carries one of the new facts."""
    wanted = {f"n:{f}" for f in new_facts} | {f"e:{f}" for f in new_facts}
    for body in bodies:
        for sentence in prose_sentences(body, limit=40):
            if sentence_facts(sentence) & wanted:
                return cut_at_sentence_end(sentence, max_chars)
    return None
