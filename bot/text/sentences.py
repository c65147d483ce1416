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
_INITIALS = re.compile(r"(?:[a-z]\.)+[a-z]")


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
            initials = bool(_INITIALS.fullmatch(last_word))  # "J.C. Penney", "H.F. Ahmanson"
            if (last_word in _ABBREVIATIONS or initials or (len(last_word) == 1 and last_word.isalpha())) and not (
                _headline(candidate) and _LOWER_WORD.match(para, match.end())
            ):
                continue
            sentences.append(candidate.strip() + para[end:match.end()].strip())
            start = match.end()
        tail = para[start:].strip()
        if tail:
            sentences.append(tail)
    return [s for s in sentences if s]


# Words a cut text must not end on: it would read as cut mid-phrase ("above its…", "rose to…").
_DANGLING = {
    "a", "an", "the", "its", "his", "her", "their", "our", "my", "your", "of", "to", "in", "on", "at", "by",
    "for", "from", "with", "and", "or", "but", "nor", "as", "than", "above", "below", "over", "under", "about",
    "around", "near", "into", "onto", "per", "between", "after", "before", "since", "until", "while", "that",
    "which", "who", "whose", "be", "is", "are", "was", "were", "has", "have", "had", "will", "would", "said",
    "says", "up", "down", "some", "all", "any", "no", "not", "this", "these", "those", "very", "most", "more",
    "less", "nearly", "almost", "only", "just", "us$", "$", "€", "£", "¥",
}
_LEADING_MARKERS = re.compile(r"^(?:\[\d+\][.,;]?\s*)+")
_CLAUSE = re.compile(r"[,;:]\s|\s[–—-]\s")


def cut_at_sentence_end(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` within `limit` characters, cut after its last whole sentence that fits; when even the
    first sentence is longer, at the last clause break (else word) in it, never after a number or a
    dangling word ("…above its 2…" never happens), with `ellipsis`."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    sentences: list[str] = []
    for sentence in split_sentences(text):
        lead = _LEADING_MARKERS.match(sentence)
        if sentences and lead:  # "… said. [1] Next …": the marker stays with its sentence
            sentences[-1] += " " + lead.group(0).strip()
            sentence = sentence[lead.end():].strip()
        if sentence:
            sentences.append(sentence)
    kept: list[str] = []
    used = 0
    for sentence in sentences:
        extra = len(sentence) + (1 if kept else 0)
        if used + extra > limit:
            break
        kept.append(sentence)
        used += extra
    if kept:
        return " ".join(kept)
    room = max(1, limit - len(ellipsis))
    window = text[: room + 1]
    clause = [m.start() for m in _CLAUSE.finditer(window) if m.start() >= room // 2]
    head = window[: clause[-1]] if clause else window[: window.rfind(" ")] if " " in window else window[:room]
    words = head.split(" ")
    while len(words) > 1 and (any(c.isdigit() for c in words[-1]) or words[-1].lower().strip(",;:()\"'") in _DANGLING):
        words.pop()
    return " ".join(words).rstrip(" ,;:–—-") + ellipsis
