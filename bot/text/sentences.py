"""Sentences: one splitter for chunking, answers, story features and summaries."""

from __future__ import annotations

import re

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


_LOWER_WORD = re.compile(r"[A-Z][a-z]")


def _headline(text: str) -> bool:
    """An ALL-CAPS headline glued before the text ("SEOUL CUTS TARIFFS FOR U.S.. South Korea …") ends at its stop."""
    letters = [c for c in text if c.isalpha()]
    return len(text.split()) >= 3 and bool(letters) and all(c.isupper() for c in letters)


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
            last_word = candidate.rsplit(" ", 1)[-1].rstrip(".!?\"'”’)]").lstrip("<([\"'“‘").lower()
            if (last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha())) and not (
                _headline(candidate) and _LOWER_WORD.match(para, match.end())
            ):
                continue
            sentences.append(candidate.strip() + para[end:match.end()].strip())
            start = match.end()
        tail = para[start:].strip()
        if tail:
            sentences.append(tail)
    return [s for s in sentences if s]
