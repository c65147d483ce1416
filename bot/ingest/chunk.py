"""Passages: sentences packed to a token size, cut only on sentence boundaries."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.llm.tokens import count_tokens_batch, get_encoding

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before
# whitespace and an upper-case letter, digit or opening quote; common abbreviations
# and initials do not end a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "st", "jr", "sr",
    "inc", "corp", "co", "ltd", "no", "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "e.g", "i.e", "etc", "approx", "dept",
}
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_PARAGRAPH = re.compile(r"\n\s*\n+")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, paragraph breaks always ending one."""
    sentences: list[str] = []
    for para in _PARAGRAPH.split(text):
        para = " ".join(para.split())
        if not para:
            continue
        start = 0
        for match in _BOUNDARY.finditer(para):
            end = match.start()
            candidate = para[start:end]
            last_word = candidate.rsplit(" ", 1)[-1].rstrip(".!?\"'”’)]").lower()
            if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                continue
            sentences.append(candidate.strip() + para[end:match.end()].strip())
            start = match.end()
        tail = para[start:].strip()
        if tail:
            sentences.append(tail)
    return [s for s in sentences if s]


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
