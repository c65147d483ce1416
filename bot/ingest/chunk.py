"""Passages: sentences packed to a token size, cut only on sentence boundaries."""

from __future__ import annotations

from dataclasses import dataclass

from bot.llm.tokens import count_tokens_batch, get_encoding
from bot.text.sentences import split_sentences


@dataclass
class Passage:
    position: int
    text: str
    tokens: int


def chunk_text(text: str, max_tokens: int = 200) -> list[Passage]:
    """Pack whole sentences into passages of at most about `max_tokens` tokens.

    A single sentence longer than the limit is cut on token boundaries so that no
    passage grows without bound.
    """
    return chunk_many([text], max_tokens)[0]


def chunk_many(texts: list[str], max_tokens: int = 200) -> list[list[Passage]]:
    """`chunk_text` for many texts at once: one batched token count for all their sentences."""
    split = [split_sentences(t) for t in texts]
    flat = [s for sentences in split for s in sentences]
    counts = iter(count_tokens_batch(flat))
    return [_pack([(s, next(counts)) for s in sentences], max_tokens) for sentences in split]


def _pack(sentences: list[tuple[str, int]], max_tokens: int) -> list[Passage]:
    pieces: list[tuple[str, int]] = []
    enc = None
    for sentence, n in sentences:
        if n <= max_tokens:
            pieces.append((sentence, n))
            continue
        enc = enc or get_encoding()
        ids = enc.encode_ordinary(sentence)
        for i in range(0, len(ids), max_tokens):
            part = ids[i : i + max_tokens]
            pieces.append((enc.decode(part).strip(), len(part)))

    passages: list[Passage] = []
    buf: list[str] = []
    buf_tokens = 0
    for sentence, n in pieces:
        if buf and buf_tokens + 1 + n > max_tokens:  # +1: the joining space
            passages.append(Passage(len(passages), " ".join(buf), buf_tokens))
            buf, buf_tokens = [], 0
        buf_tokens += n + (1 if buf else 0)
        buf.append(sentence)
    if buf:
        passages.append(Passage(len(passages), " ".join(buf), buf_tokens))
    return passages
