"""A user's question to safe search terms: no FTS5 syntax can leak through."""

from __future__ import annotations

import re

_TERM = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can could did didn't do does doesn't doing don't down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is isn't it it's
    its itself just let's me more most my myself no nor not now of off on once only or other ought our ours
    ourselves out over own same she should so some such than that that's the their theirs them themselves
    then there there's these they this those through to too under until up very was wasn't we were weren't
    what what's when where which while who whom why will with won't would you your yours yourself
    yourselves tell says said say please know anything something latest news happened happen happening
    give show any new update updates today yesterday week month year
    """.split()
)


def query_terms(question: str, keep_stop_words: bool = False) -> list[str]:
    """Lower-cased word terms of a question, stop words removed, order kept, no repeats.

    When every word is a stop word the words are kept, so "The Who" still searches.
    """
    words = [w.replace("’", "'").lower() for w in _TERM.findall(question)]
    words = [w.split("'")[0] if w.endswith(("'s", "'t")) else w for w in words]
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
