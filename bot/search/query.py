"""A user's question to safe search terms: no FTS5 syntax can leak through."""

from __future__ import annotations

from bot.text.terms import STOP_WORDS, WORD as _TERM


def query_terms(question: str, keep_stop_words: bool = False) -> list[str]:
    """Lower-cased word terms of a question, stop words removed, order kept, no repeats.

    When every word is a stop word the words are kept, so "The Who" still searches.
    """
    words = [w.replace("’", "'").lower() for w in _TERM.findall(question)]
    # "Texaco's" is "texaco"; a negated auxiliary ("didn't", "wasn't") stays whole, a stop word, not "didn"
    words = [w.split("'")[0] if w.endswith("'s") or (w.endswith("'t") and not w.endswith("n't")) else w
             for w in words]
    seen: set[str] = set()
    out: list[str] = []
    content = [w for w in words if w not in STOP_WORDS]
    for w in (words if keep_stop_words or not content else content):
        if w and w not in seen:
            seen.add(w)
            out.append(w)
    return out[:32]


def fts5_match(terms: list[str]) -> str:
    """An FTS5 MATCH expression ORing the quoted terms; quotes inside terms are doubled."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
