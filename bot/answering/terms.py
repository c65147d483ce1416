"""Question terms and their weights (IDF) for ranking and the relevance gate.

Words are stemmed as the search index stems them (bot/text/terms.py, Snowball English); on top
of that, a few groups of news verbs that say the same thing are folded into one term each, so a
question's "rise" is answered by "rose" or "gained", its "approve" by "green light", "cleared" or
"licensed", its "invest" by "spend", its "cut" by "trim" or "lower".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.search.query import query_terms
from bot.text.terms import QUESTION_STOP_WORDS, WORD, stem

# Each group is one meaning; the first word names it. Verbs only: "license" (licensed, licenses) folds
# into "approve", the noun "licence" does not ("export licence reviews" are not approvals).
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("rise", "rose", "risen", "up", "increase", "gain", "higher", "climb", "grow", "grew", "growth", "jump"),
    ("fall", "fell", "fallen", "down", "drop", "decline", "lower", "slid", "slide", "decrease", "shrink",
     "shrank"),
    ("buy", "bought", "purchase", "acquire", "acquisition"),
    ("sell", "sold", "sale"),
    ("approve", "approval", "clear", "cleared", "allow", "allowed", "authorize", "authorise", "license",
     "greenlight", "signoff", "endorse", "ratify"),
    ("invest", "investment", "spend", "spent", "spending", "put"),
    # cutting is lowering: "cut its forecast" is answered by "lowered" or "trimmed" it
    ("fall", "cut", "trim", "trimmed", "reduce", "reduction", "slash", "lowered"),
    ("resign", "resignation", "quit", "quits"),
    ("produce", "produced", "production", "output"),
    # Reuters' abbreviations in results tables and wire copy
    ("revenue", "revenues", "revs", "turnover"),
    ("quarter", "qtr"),
    ("percent", "pct", "percentage"),
    ("win", "won", "winning", "winner"),
    ("replace", "replaced", "succeed", "succeeded", "successor"),
    ("seek", "sought", "find", "search"),
    ("hire", "hired", "retain", "retained", "engage", "engaged", "appoint", "appointed"),
)
# Two-word forms of the verbs above, read as one word before stemming.
_PHRASES = re.compile(r"\bgreen[- ]?light(?:s|ed|ing)?\b|\bsign(?:s|ed|ing)? off\b", re.I)


def _phrases(text: str) -> str:
    return _PHRASES.sub(lambda m: "greenlight" if m.group(0).lower().startswith("green") else "signoff", text)


_SYNONYMS: dict[str, str] = {}
for _group in SYNONYM_GROUPS:
    for _word in _group:
        _SYNONYMS.setdefault(stem(_word), stem(_group[0]))


def stem_term(word: str) -> str:
    """The stem, with verbs of the same meaning folded into one term each."""
    s = stem(word)
    return _SYNONYMS.get(s, s)


_HYPHENATED = re.compile(r"\b[^\W\d_]+(?:-[^\W\d_]+)+\b")


def stems(text: str) -> set[str]:
    """The terms of `text`; a hyphenated word also as one ("type-setting" holds "typesetting")."""
    text = _phrases(text)
    out = {stem_term(w) for w in WORD.findall(text)}
    out.update(stem_term(h.replace("-", "")) for h in _HYPHENATED.findall(text))
    return out


def content_terms(question: str) -> list[str]:
    """The topic words of a question (lower case, stop and question words removed, no repeats)."""
    return [w for w in query_terms(question) if w not in QUESTION_STOP_WORDS]


@dataclass
class WeightedTerm:
    word: str
    stem: str
    weight: float


def idf(df: int, n: int) -> float:
    return math.log((n - df + 0.5) / (df + 0.5) + 1.0)


def weigh(words: Iterable[tuple[str, float]], df: dict[str, int], n: int) -> list[WeightedTerm]:
    """(word, factor) pairs to weighted terms: IDF over passages times the factor; one entry per stem."""
    out: dict[str, WeightedTerm] = {}
    for word, factor in words:
        s = stem_term(word)
        w = idf(df.get(word, 0), max(n, 1)) * factor
        if s not in out or out[s].weight < w:
            out[s] = WeightedTerm(word, s, w)
    return list(out.values())


def coverage(terms: list[WeightedTerm], present: set[str]) -> float:
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    return sum(t.weight for t in terms if t.stem in present) / total
